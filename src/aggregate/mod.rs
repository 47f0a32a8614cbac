//! Group-by aggregation: keys, accumulators (update / merge / finish), CPU and GPU backends.

pub mod exact_sum;
pub mod exp_histogram;
pub mod gpu;
pub mod sketch;
