"""Exact runs of a constant sample value, found block by block in a few vectorised passes.

A run of length ``L >= 2w - 1`` always contains a whole aligned window of ``w`` samples, so only
windows whose samples are all equal need a closer look: their neighbours are searched (at most
``w - 1`` samples each side) for the run's exact ends. Runs that touch a block edge are carried
to the next block explicitly, so the result does not depend on the block size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Runs", "RunTracker", "runs_in_block"]


@dataclass
class Runs:
    """Runs of one channel: ``start`` (sample), ``length`` (samples), ``value`` (float)."""

    start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    length: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def extend(self, start: np.ndarray, length: np.ndarray, value: np.ndarray) -> None:
        self.start = np.concatenate([self.start, start.astype(np.int64)])
        self.length = np.concatenate([self.length, length.astype(np.int64)])
        self.value = np.concatenate([self.value, value.astype(np.float32)])


def _edge_len(x: np.ndarray) -> int:
    """Number of leading samples equal to ``x[0]`` (doubling search: cheap when short)."""
    n = x.shape[0]
    step = 16
    done = 0
    while done < n:
        stop = min(n, done + step)
        diff = np.flatnonzero(x[done:stop] != x[0])
        if diff.size:
            return done + int(diff[0])
        done = stop
        step *= 4
    return n


def runs_in_block(x: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of equal values of length ``>= min_len`` that lie strictly inside ``x``.

    Runs that touch ``x[0]`` or ``x[-1]`` are left out (the caller handles block edges).

    Parameters
    ----------
    x : np.ndarray, shape (n,)
        One channel of samples.
    min_len : int
        Shortest run to report, in samples (>= 2).

    Returns
    -------
    start, length, value : np.ndarray
        Sample index in ``x``, run length and the repeated value, one entry per run.
    """
    n = x.shape[0]
    w = max(1, (min_len + 1) // 2)
    nw = n // w
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, x.dtype))
    if nw == 0:
        return empty
    xw = x[: nw * w].reshape(nw, w)
    if w > 1:
        const = np.flatnonzero((xw[:, 1:] == xw[:, :1]).all(axis=1))
    else:
        const = np.arange(nw)
    if const.size == 0:
        return empty
    vals = xw[const, 0]
    new = np.ones(const.size, bool)
    new[1:] = (np.diff(const) != 1) | (vals[1:] != vals[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, const.size - 1)
    value = vals[first]
    start = const[first] * w
    end = (const[last] + 1) * w
    if w > 1:
        offs = np.arange(1, w)
        left_idx = start[:, None] - offs[None, :]
        left_ok = (left_idx >= 0) & (x[np.clip(left_idx, 0, n - 1)] == value[:, None])
        start = start - np.cumprod(left_ok, axis=1).sum(axis=1)
        right_idx = end[:, None] - 1 + offs[None, :]
        right_ok = (right_idx < n) & (x[np.clip(right_idx, 0, n - 1)] == value[:, None])
        end = end + np.cumprod(right_ok, axis=1).sum(axis=1)
    keep = (end - start >= min_len) & (start > 0) & (end < n)
    return start[keep], (end - start)[keep], value[keep]


class RunTracker:
    """Find every run of ``>= min_len`` equal samples in a stream of blocks of one channel."""

    def __init__(self, min_len: int) -> None:
        self.min_len = max(2, int(min_len))
        self.runs = Runs()
        self._offset = 0
        self._open: tuple[float, int, int] | None = None  # value, start, length

    def update(self, x: np.ndarray) -> None:
        """Consume the next block of samples (1-D)."""
        n = x.shape[0]
        if n == 0:
            return
        lead = _edge_len(x)
        if self._open is not None and x[0] == self._open[0]:
            value, start, length = self._open
            self._open = (value, start, length + lead)
            if lead == n:
                self._offset += n
                return
            self._close()
        else:
            self._close()
            if lead == n:
                self._open = (float(x[0]), self._offset, n)
                self._offset += n
                return
            if lead >= self.min_len:
                self._emit(self._offset, lead, float(x[0]))
        s, ln, v = runs_in_block(x, self.min_len)
        self.runs.extend(s + self._offset, ln, v)
        trail = _edge_len(x[::-1])
        self._open = (float(x[-1]), self._offset + n - trail, trail)
        self._offset += n

    def finish(self) -> Runs:
        """Close the last open run and return all runs, in order."""
        self._close()
        order = np.argsort(self.runs.start, kind="stable")
        self.runs = Runs(self.runs.start[order], self.runs.length[order], self.runs.value[order])
        return self.runs

    def _close(self) -> None:
        if self._open is not None:
            value, start, length = self._open
            if length >= self.min_len:
                self._emit(start, length, value)
            self._open = None

    def _emit(self, start: int, length: int, value: float) -> None:
        self.runs.extend(np.array([start]), np.array([length]), np.array([value]))
