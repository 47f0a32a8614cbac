"""otlp-analytics from Python: decode OpenTelemetry (OTLP) dumps into Arrow,
aggregate and validate them with the CLI's exact answers, and split the work
into partial states that merge exactly (see ``otlp_analytics.spark``).

All the work happens in the Rust engine; Arrow data crosses into pyarrow
without copies. Errors raise :class:`OtlpError` with the CLI's message.
"""

from __future__ import annotations

import json
import os
from typing import Iterable, Iterator, Optional, Sequence, Union

import pyarrow as pa

from . import _native
from ._native import OtlpError

__all__ = [
    "OtlpError",
    "read",
    "aggregate",
    "validate",
    "partial",
    "merge",
    "inputs",
]

PathLike = Union[str, "os.PathLike[str]"]
Paths = Union[PathLike, Sequence[PathLike]]


def _paths(paths: Paths) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _keys(by: Union[None, str, Sequence[str]]) -> Optional[str]:
    if by is None or isinstance(by, str):
        return by
    return ",".join(by)


def _table(batch: pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([batch], schema=batch.schema)


def read(
    path: Union[PathLike, bytes, Sequence[PathLike]],
    signal: Optional[str] = None,
    columns: Optional[Sequence[str]] = None,
    table: Optional[str] = None,
) -> Iterator[pa.RecordBatch]:
    """Yields the columns ``convert`` writes, as ``pyarrow.RecordBatch``.

    ``path`` is a file, a directory (read recursively, sorted), a list of
    them, or the ``bytes`` of one dump. ``signal`` keeps only inputs of that
    signal, ``table`` only that table (``spans``, ``logs``, ``metric_points``,
    ``histogram_points``, ``exp_histogram_points``, ``summary_points``),
    ``columns`` only those columns. Each batch's schema metadata names its
    table under ``otlp_analytics.table``. Decoding runs on worker threads
    while the caller consumes batches.
    """
    cols = list(columns) if columns is not None else None
    if isinstance(path, (bytes, bytearray, memoryview)):
        reader = _native.read(data=bytes(path), signal=signal, table=table, columns=cols)
    else:
        reader = _native.read(paths=_paths(path), signal=signal, table=table, columns=cols)
    try:
        yield from reader
    finally:
        reader.close()


def inputs(paths: Paths) -> list:
    """The input files as the CLI reads them: directories expanded
    (recursively, hidden files skipped) and sorted."""
    return _native.expand(_paths(paths))


def aggregate(
    paths: Paths,
    signal: str,
    by: Union[None, str, Sequence[str]] = None,
    window: Optional[str] = None,
) -> pa.Table:
    """``otlp-analytics aggregate PATHS --signal SIGNAL [--by BY] [--window W]``:
    the same columns, names, types and row order as the CLI's result."""
    return _table(_native.aggregate(_paths(paths), signal, _keys(by), window))


def validate(paths: Paths, skew: str = "0s", examples: int = 5) -> dict:
    """``otlp-analytics validate PATHS --format json`` as a dict."""
    return json.loads(_native.validate(_paths(paths), skew, examples))


def partial(
    paths: Paths,
    signal: str,
    by: Union[None, str, Sequence[str]] = None,
    window: Optional[str] = None,
    first_input: int = 0,
) -> pa.Table:
    """The partial aggregation state of ``paths``: merge the states of a
    split of the inputs with :func:`merge` to get :func:`aggregate` of all.

    ``first_input`` is the position of ``paths[0]`` among all the inputs (in
    the CLI's order, :func:`inputs`; each call's paths taken as consecutive).
    Metric points carry it, so points of equal timestamps (a gauge's
    ``value_last`` among the series of a group) order as the CLI orders them
    whatever order the states merge in. Everything else is exact without it."""
    return _table(_native.partial(_paths(paths), signal, _keys(by), window, first_input))


def merge(
    tables: Iterable[Union[pa.Table, pa.RecordBatch]],
    signal: str,
    by: Union[None, str, Sequence[str]] = None,
    window: Optional[str] = None,
    finish: bool = True,
) -> pa.Table:
    """Merges partial states (in any order). With ``finish`` (the default) the
    result is the table :func:`aggregate` gives for all their inputs; without,
    one state table that merges further. ``signal``, ``by`` and ``window``
    must be those the states were made with."""
    return _table(_native.merge(list(tables), signal, _keys(by), window, finish))
