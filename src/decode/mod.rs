//! Decoders: one per encoding (protobuf, OTLP/JSON), producing OTLP messages and column batches.

pub mod json;
