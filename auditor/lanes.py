"""Stream analysers on their own threads: the streaming pass on more than one core, and the
process's use of its cores and memory while a scan runs (BLAS threads, malloc arenas).

Used by the scan (:mod:`auditor.scan`: every detector's streaming analyser) and by ``ledger
add`` (:mod:`auditor.ledger.recording`: the content fingerprint beside the chunk hashes); it
imports nothing heavier than numpy.

A :class:`Lane` wraps a :class:`~auditor.detect.features.StreamAnalyser` and runs it in a
worker thread of its own. ``update`` hands the block over (a bounded queue: at most
:data:`DEPTH` blocks wait, so memory stays flat) and returns at once; ``finish`` waits for the
worker, which calls the analyser's own ``finish`` there, and returns its result or raises its
error. Each analyser still sees every block once, in order, from one thread, so what it
measures is exactly what it measures without a lane; only the wall time changes.

The work is numpy on blocks of tens of seconds, which runs without the interpreter lock, so
lanes overlap with each other, with the decoding and with the features of the main thread.
The decoder's blocks are fresh arrays that nobody writes to after they are handed on, so a
lane reads them without a copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import platform
import queue
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .detect.features import StreamAnalyser

__all__ = ["Lane", "in_lanes", "close_lanes", "single_thread", "tune_allocator",
           "release_free_memory", "DEPTH"]

#: blocks that may wait for a lane (beyond the one it works on), at least...
DEPTH = 1
#: ...and as many more as fit in this many bytes: the decoder can run ahead of the slowest
#: lane (its blocks are shared by every lane), and what needs the whole stream starts sooner
WAITING_BYTES = 24 << 20
_STOP = None


class Lane:
    """One stream analyser on a worker thread of its own (a :class:`StreamAnalyser` itself)."""

    def __init__(self, analyser: StreamAnalyser, name: str = "", depth: int = DEPTH) -> None:
        self.analyser = analyser
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(depth)
        self._result: Any = None
        self._error: BaseException | None = None
        self._finished = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"auditor-lane-{name}",
                                         daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not _STOP:
                self.analyser.update(*item)
            if not self._closed:
                self._result = self.analyser.finish()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by finish()
            self._error = exc
            while self._queue.get() is not _STOP:  # let the producer run on to its end
                pass

    def update(self, block: np.ndarray, start: int) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((block, start))

    def finish(self) -> Any:
        if not self._finished:
            self._finished = True
            self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result

    def close(self) -> None:
        """Stop the worker without its result (the scan stopped early)."""
        if not self._finished:
            self._finished = self._closed = True
            self._queue.put(_STOP)


def in_lanes(analysers: Mapping[str, StreamAnalyser], *,
             block_bytes: int = 0) -> dict[str, StreamAnalyser]:
    """Each analyser on a lane of its own, by the same names, in the same order; each lane
    holds up to :data:`WAITING_BYTES` of blocks of ``block_bytes`` (at least :data:`DEPTH`)."""
    depth = max(DEPTH, WAITING_BYTES // max(block_bytes, 1))
    return {name: Lane(a, name, depth) for name, a in analysers.items()}


def close_lanes(analysers: Mapping[str, StreamAnalyser]) -> None:
    """Stop the workers of any lanes among ``analysers`` (safe after ``finish``)."""
    for a in analysers.values():
        if isinstance(a, Lane):
            a.close()


@functools.cache
def _blas() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a declared dependency; else BLAS keeps threads
        return None
    return ThreadpoolController()


_held = threading.Lock()
_depth = 0
_limiter: Any = None


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run BLAS on one thread: the products here are skinny (a dozen rows), where OpenBLAS's
    threads only wait on each other (15x slower while the scan hashes the file alongside).

    Safe from several threads at once and nested: the first to enter sets the limit, the last
    to leave restores it (BLAS's thread count is one setting for the whole process). A scan
    holds it from start to end (:func:`auditor.scan.scan_file`): it runs its own threads.
    """
    global _depth, _limiter
    ctl = _blas()
    if ctl is None:
        yield
        return
    with _held:
        if _depth == 0:
            _limiter = ctl.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _held:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None


#: glibc's mallopt parameter (malloc.h)
_M_ARENA_MAX = -8


@functools.cache
def _glibc() -> Any:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - not glibc after all
        return None


@functools.cache
def tune_allocator() -> None:
    """One malloc arena for all the scan's threads (glibc only; once per process).

    A scan allocates and frees arrays of megabytes per block on several threads. By default
    glibc gives each thread an arena of its own, whose freed pages none of the others reuse:
    the peak RSS of a 2 h 48 kHz stereo scan was 506 MB with them, 409 MB with one arena
    (437 MB when arrays under 64 MB also came from the heap, which saved system time on 16 kHz
    mono but let 8 h files fragment the heap). The arrays are few and large: one lock over
    them costs nothing measurable.
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)


def release_free_memory() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing), between the phases of a scan.

    The stream phase leaves the heap full of holes where its blocks were: freed, but kept by
    the process, so the next phase's arrays add to the peak instead of reusing them. On the
    8 h 48 kHz stereo scan, trimming at the end of the stream and again before the detectors
    took the peak RSS from 439 MB to 376 MB, for a few milliseconds.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
