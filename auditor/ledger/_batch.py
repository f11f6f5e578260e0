"""The rows one append writes, made from its entries a slice at a time (:func:`prepared`).

An append of many entries costs CPU in two places: here, in Python (canonical JSON, leaf
hashes, tree nodes; :mod:`.entries`, :mod:`._merkle`, :mod:`._tree`), and in SQLite, inserting
the rows (:func:`._db.insert_rows`), which runs without the GIL. A large batch is therefore
prepared one slice ahead in a worker thread, so the two use two cores; the rows, their order
and the transaction they are written in are the same as when it is prepared inline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from . import _tree
from ._merkle import leaf_hashes
from .entries import Entry, encode_batch

__all__ = ["prepared"]

_SLICE = 4096
"""Entries prepared at a time by :func:`_slices`: a batch of more is prepared a slice ahead of
the inserts, in a worker thread (:func:`_one_ahead`)."""
_YIELD_EVERY = 256
"""Entries encoded between two offers of the GIL to the inserting thread."""

_Prepared = tuple[list[tuple[object, ...]], list[tuple[int, int, bytes]]]


def _slices(
    entries: Sequence[Entry], now: datetime, frontier: _tree.Frontier
) -> Iterator[_Prepared]:
    """The ``entries`` and ``nodes`` rows of an append, :data:`_SLICE` entries at a time:
    canonical bytes, leaf hashes, lookup columns, and the tree nodes ``frontier`` completes.

    Every :data:`_YIELD_EVERY` entries it sleeps for no time, which lets a thread waiting for
    the GIL (the inserting thread, back from SQLite) take it at once rather than after the
    interpreter's switch interval (5 ms).
    """
    for start in range(0, len(entries), _SLICE):
        part = entries[start : start + _SLICE]
        datas: list[bytes] = []
        for sub in range(0, len(part), _YIELD_EVERY):
            datas += encode_batch(part[sub : sub + _YIELD_EVERY], now)
            time.sleep(0)
        leaves = leaf_hashes(datas)
        first = frontier.size
        nodes = frontier.extend(leaves)
        rows: list[tuple[object, ...]] = [
            (i, e.type, i, e.fields["name"], e.fields["sha256"], d, h)
            if e.type == "ingest"
            else (i, e.type, e.recording, None, None, d, h)
            for i, e, d, h in zip(range(first, frontier.size), part, datas, leaves, strict=True)
        ]
        yield rows, nodes


def _one_ahead(items: Iterator[_Prepared]) -> Iterator[_Prepared]:
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
) -> Iterator[_Prepared]:
    """The ``(entries rows, nodes rows)`` of appending ``entries`` stamped ``now`` to the tree
    whose edge is ``frontier`` (which they extend), slice by slice, in order.

    A batch of more than one slice is prepared a slice ahead, in a worker thread.
    """
    slices = _slices(entries, now, frontier)
    return _one_ahead(slices) if len(entries) > _SLICE else slices
