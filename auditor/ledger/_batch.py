"""The rows one append writes, made from its entries a slice at a time (:func:`prepared`).

An append of many entries costs CPU in two places: here, in Python (canonical JSON, leaf
hashes, tree nodes; :mod:`.entries`, :mod:`._merkle`, :mod:`._tree`), and in SQLite, inserting
the rows (:func:`._db.insert_rows`), which runs without the GIL. A large batch is therefore
prepared one slice ahead in a worker thread, so the two use two cores; the rows, their order
and the transaction they are written in are the same as when it is prepared inline.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import groupby
from typing import NamedTuple

from . import _tree
from ._merkle import leaf_hashes
from .entries import Entry, encode_batch

__all__ = ["Write", "prepared"]

_SLICE = 8192
"""Entries prepared at a time by :func:`_slices`: a batch of more is prepared a slice ahead of
the inserts, in a worker thread (:func:`_one_ahead`)."""

_SHORT = ("idx", "type", "recording", "data", "leaf")
"""The columns of an entry that is about a recording: its ``name`` and ``sha256`` are NULL."""


class Write(NamedTuple):
    """Rows for :func:`._db.insert_rows`: ``table``, its ``columns`` (None: all) and ``rows``."""

    table: str
    columns: tuple[str, ...] | None
    rows: list[tuple[object, ...]]


def _row(index: int, entry: Entry, data: bytes, leaf: bytes) -> tuple[object, ...]:
    # sqlite3 binds bytes and None only after looking for an adapter for them (~0.3 us a value,
    # with the GIL held); bytearray, int and str it binds at once. So the blobs go as
    # bytearray, and the NULL lookup columns of most entries are left out (_SHORT), not bound
    if entry.type == "ingest":
        f = entry.fields
        return index, "ingest", index, f["name"], f["sha256"], bytearray(data), bytearray(leaf)
    if (recording := entry.recording) is None:  # a key entry
        return index, entry.type, None, None, None, bytearray(data), bytearray(leaf)
    return index, entry.type, recording, bytearray(data), bytearray(leaf)


def _slices(
    entries: Sequence[Entry], now: datetime, frontier: _tree.Frontier
) -> Iterator[list[Write]]:
    """The writes of an append, :data:`_SLICE` entries at a time: the entries' rows (canonical
    bytes, leaf hash, lookup columns) in runs of one column list, then the tree nodes
    ``frontier`` completes."""
    for start in range(0, len(entries), _SLICE):
        part = entries[start : start + _SLICE]
        datas = encode_batch(part, now)
        leaves = leaf_hashes(datas)
        first = frontier.size
        nodes = frontier.extend(leaves)
        rows = map(_row, range(first, frontier.size), part, datas, leaves)
        writes = [
            Write("entries", _SHORT if width == len(_SHORT) else None, list(run))
            for width, run in groupby(rows, key=len)
        ]
        writes.append(Write("nodes", None, [(lv, i, bytearray(h)) for lv, i, h in nodes]))
        yield writes


def _one_ahead(items: Iterator[list[Write]]) -> Iterator[list[Write]]:
    """``items``, each made in a worker thread while the caller consumes the one before.

    The caller's inserts release the GIL while SQLite works, so the next slice is encoded and
    hashed on another core meanwhile. If the caller stops (an error), the slice being made is
    finished and dropped; an error making one is raised to the caller.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-append") as pool:
        ahead = pool.submit(next, items, None)
        while (item := ahead.result()) is not None:
            ahead = pool.submit(next, items, None)
            yield item


def prepared(
    entries: Sequence[Entry], now: datetime, frontier: _tree.Frontier
) -> Iterator[list[Write]]:
    """The writes of appending ``entries`` stamped ``now`` to the tree whose edge is
    ``frontier`` (which they extend), slice by slice, in order.

    A batch of more than one slice is prepared a slice ahead, in a worker thread, when this
    process may run on more than one core.
    """
    slices = _slices(entries, now, frontier)
    return _one_ahead(slices) if len(entries) > _SLICE and _cores() > 1 else slices


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
