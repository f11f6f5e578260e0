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
    """Runs of one channel.

    ``start`` (sample), ``length`` (samples), ``value`` (the repeated sample), and ``jump``: the
    larger step between the run and its neighbours (``inf`` at the ends of the recording). A
    dropout breaks into the signal, so it has a large jump; a natural run at low level does not.
    """

    start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    length: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    jump: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def extend(self, start: np.ndarray, length: np.ndarray, value: np.ndarray,
               jump: np.ndarray) -> None:
        self.start = np.concatenate([self.start, start.astype(np.int64)])
        self.length = np.concatenate([self.length, length.astype(np.int64)])
        self.value = np.concatenate([self.value, value.astype(np.float32)])
        self.jump = np.concatenate([self.jump, jump.astype(np.float32)])


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


def runs_in_block(
    x: np.ndarray, min_len: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
    start, length, value, jump : np.ndarray
        Sample index in ``x``, run length, the repeated value, and the larger of the steps to the
        samples just outside the run; one entry per run.
    """
    n = x.shape[0]
    w = max(1, (min_len + 1) // 2)
    nw = n // w
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, x.dtype),
             np.zeros(0, x.dtype))
    if nw == 0:
        return empty
    xw = x[: nw * w].reshape(nw, w)
    if w > 1:
        # cheap screen on each window's first and last sample, then the full check
        maybe = np.flatnonzero(xw[:, 0] == xw[:, w - 1])
        const = maybe[(xw[maybe, 1:] == xw[maybe, :1]).all(axis=1)]
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
    start, end, value = start[keep], end[keep], value[keep]
    jump = np.maximum(np.abs(x[start - 1] - value), np.abs(x[end] - value))
    return start, end - start, value, jump


class RunTracker:
    """Find every run of ``>= min_len`` equal samples in a stream of blocks of one channel."""

    def __init__(self, min_len: int) -> None:
        self.min_len = max(2, int(min_len))
        self.runs = Runs()
        self._offset = 0
        self._open: tuple[float, int, int, float] | None = None  # value, start, length, jump in
        self._last = np.float32(np.inf)  # last sample of the previous block

    def update(self, x: np.ndarray) -> None:
        """Consume the next block of samples (1-D)."""
        n = x.shape[0]
        if n == 0:
            return
        lead = _edge_len(x)
        after = float(x[lead]) if lead < n else np.inf
        if self._open is not None and x[0] == self._open[0]:
            value, start, length, jump_in = self._open
            self._open = (value, start, length + lead, jump_in)
            if lead == n:
                self._offset += n
                return
            self._close(after)
        else:
            self._close(float(x[0]))
            jump_in = abs(float(self._last) - float(x[0]))
            if lead == n:
                self._open = (float(x[0]), self._offset, n, jump_in)
                self._offset += n
                self._last = x[-1]
                return
            if lead >= self.min_len:
                self._emit(self._offset, lead, float(x[0]), max(jump_in, abs(after - x[0])))
        s, ln, v, j = runs_in_block(x, self.min_len)
        self.runs.extend(s + self._offset, ln, v, j)
        trail = _edge_len(x[::-1])
        self._open = (float(x[-1]), self._offset + n - trail, trail,
                      abs(float(x[n - trail - 1]) - float(x[-1])))
        self._offset += n
        self._last = x[-1]

    def finish(self) -> Runs:
        """Close the last open run and return all runs, in order."""
        self._close(np.inf)
        r, order = self.runs, np.argsort(self.runs.start, kind="stable")
        self.runs = Runs(r.start[order], r.length[order], r.value[order], r.jump[order])
        return self.runs

    def _close(self, next_value: float) -> None:
        if self._open is not None:
            value, start, length, jump_in = self._open
            if length >= self.min_len:
                self._emit(start, length, value, max(jump_in, abs(next_value - value)))
            self._open = None

    def _emit(self, start: int, length: int, value: float, jump: float) -> None:
        self.runs.extend(np.array([start]), np.array([length]), np.array([value]),
                         np.array([jump]))
