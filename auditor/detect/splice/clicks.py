"""The waveform cue's streaming pass: candidate clicks screened and measured block by block.

The method, its references and its thresholds are those of :mod:`auditor.detect.splice.waveform`
(which turns what is kept here into cues): the second-difference residual of the mono mix is
screened in 4 ms blocks against the blocks 8-16 ms around them, and the few blocks that stand
out are measured: the residual's peak, its robust scale either side, its largest peer, 32
samples of context and the linear-prediction join test (:mod:`auditor.detect.splice._lpc`).

Measured on the 2 h benchmark recordings (``bench/bench_scan.py``), this pass was most of the
splice detectors' streaming time: on noise bursts at syllable rate about 45 000 blocks in
1.8 million are measured, of which 1 400 are kept. Two shortcuts that change no result: the
medians of the ratio test are taken only where the test can pass (:func:`_scales`, a count
settles the others: a quarter of the pass's time before), and the side after of the
prediction test only where the side before could pass.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..features import mono_mix
from . import _lpc

__all__ = ["Clicks", "ClickAnalyser", "CONTEXT"]

_BLOCK = 0.004  # seconds per screened block
_REF = 5  # blocks of signal carried over a decode-block edge (more than _SCALE)
_SCALE = 4  # blocks of residual either side that give a candidate's local scale
_GAUSS_MAD = 0.6745  # median |x| of a unit Gaussian
CONTEXT = 16  # samples of signal kept either side of a candidate
_SCREEN = 1.5  # a block's peak over its peers' that sends it to be measured
_KEEP = 0.5  # candidates kept by the streaming pass: above this share of the threshold
_FULL_SCALE = 0.9  # |sample| from which a stretch may have been clipped
_BATCH = 4096  # candidates measured by prediction at once at 16 kHz (about 9 MB of rows);
# fewer at higher rates, whose rows are longer: a batch's arrays stay the same size (at 48 kHz
# stereo a batch of 4096 held 50 MB in each of four arrays while the screening ran on)
_OFFSETS = (-1, 0, 1)  # joins tested by prediction: before, at and after the residual peak
_ONE_SIDE = 4.0  # a block's peak over the peers on one side only (a join of quiet to loud)
_AHEAD = 2  # batches of candidates that may wait for the prediction test (_flush)
_MARGIN = 1e-5  # relative margin of the ratio test's shortcut (_scales), far over rounding


@dataclass(frozen=True)
class Clicks:
    """Candidate discontinuities found by the streaming pass, in sample order.

    Attributes
    ----------
    sample_rate : int
    sample : np.ndarray, shape (n,), int64
        Sample index of each residual peak (the first sample after the jump, or the one after).
    peak : np.ndarray, shape (n,)
        Residual value at the peak.
    scale_before, scale_after : np.ndarray, shape (n,)
        Robust scale of the residual over the 16 ms before and after the peak.
    neighbour : np.ndarray, shape (n,)
        Largest ``|residual|`` in those 32 ms, apart from the three samples either side of the
        peak (voiced speech has a pulse every glottal period: a splice has no peer).
    context : np.ndarray, shape (n, 32), float32
        Mono signal ``x[sample - 16 : sample + 16]``.
    lpc : np.ndarray, shape (n, 4)
        The linear-prediction test of a join at the sample, the one before or the one after
        (whichever scores best): :func:`auditor.detect.splice._lpc.join_scores`'s ``z_before``,
        ``z_after``, ``iso_before``, ``iso_after``.
    lpc_offset : np.ndarray, shape (n,), int64
        Where that join lies: between ``sample + lpc_offset - 1`` and ``sample + lpc_offset``.
    clipped : np.ndarray, shape (n,), bool
        Whether the predictors read a sample at ``_FULL_SCALE`` or above, where the recording
        may have been clipped (a lossy codec rounds a clipped flat top to a few samples a
        little below full scale). Clipping is not linear, so neither predictor can be trusted
        there.
    """

    sample_rate: int
    sample: np.ndarray
    peak: np.ndarray
    scale_before: np.ndarray
    scale_after: np.ndarray
    neighbour: np.ndarray
    context: np.ndarray
    lpc: np.ndarray
    lpc_offset: np.ndarray
    clipped: np.ndarray

    @property
    def isolation(self) -> np.ndarray:
        """Peak over the largest other residual within 16 ms, shape (n,)."""
        return np.abs(self.peak) / np.maximum(self.neighbour, 1e-12)

    @property
    def ratio(self) -> np.ndarray:
        """Peak over the larger of the two local scales, shape (n,)."""
        return np.abs(self.peak) / np.maximum(np.maximum(self.scale_before, self.scale_after),
                                              1e-12)


class ClickAnalyser:
    """Second-difference residual of the mono mix, screened in 4 ms blocks as it streams.

    State across blocks is explicit: the signal from ``_REF`` blocks before the next block to
    screen is carried over, so a click on a decode-block edge is measured once, with the same
    context as anywhere else, whatever the decode block size.
    """

    def __init__(self, sample_rate: int, channels: int, ratio: float):
        self.sample_rate = sample_rate
        self.blk = max(16, int(round(_BLOCK * sample_rate)))
        self.batch = max(256, _BATCH * 16000 // max(sample_rate, 16000))
        self.keep = _KEEP * ratio
        self._work = np.zeros(0, np.float32)  # carried signal + the new block (reused)
        self._diff = np.zeros(0, np.float32)  # the first difference (reused)
        self._res = np.zeros(0, np.float32)  # the residual (reused)
        self._carry = 0  # samples carried at the start of _work
        self._buf0 = 0  # absolute index of _work[0]
        self._next = 0  # next block to screen
        self._pending: list[tuple[np.ndarray, ...]] = []  # measured, awaiting _flush
        self._n_pending = 0
        # the prediction test of each batch, in order, on a thread of its own (_flush)
        self._tests: list[Future[tuple[np.ndarray, ...] | None]] = []
        self._pool: ThreadPoolExecutor | None = None

    def update(self, block: np.ndarray, start: int) -> None:
        n = self._carry + block.shape[0]
        if self._work.size < n:  # reused buffers: no fresh pages for every block
            self._work = np.concatenate([self._work[: self._carry],
                                         np.zeros(n - self._carry, np.float32)])
            self._diff = np.zeros(n, np.float32)
            self._res = np.zeros(n, np.float32)
        if not self._carry:
            self._buf0 = start
        if block.shape[1] == 1:
            self._work[self._carry : n] = block[:, 0]
        else:
            mono_mix(block, out=self._work[self._carry : n])
        y = self._work[:n]
        self._screen(y, final=False)
        keep_from = max(self._buf0, (self._next - _REF) * self.blk - 2)
        self._carry = n - (keep_from - self._buf0)
        self._work[: self._carry] = y[keep_from - self._buf0 :]
        self._buf0 = keep_from

    def _screen(self, y: np.ndarray, final: bool) -> None:
        """Screen the blocks whose context is complete: a block passes when its largest
        ``|residual|`` is ``_SCREEN`` times that of the blocks 2 to ``_SCALE`` away."""
        blk, y0 = self.blk, self._buf0
        if y.size < 3:
            return
        jb = -(-(y0 + 2) // blk)  # first block whose residual is complete
        je = (y0 + y.size) // blk  # blocks jb..je-1 are complete
        stop = je if final else je - _REF
        first = max(self._next, jb)
        if stop <= first:
            return
        d = np.subtract(y[1:], y[:-1], out=self._diff[: y.size - 1])
        # r[i] is |residual| at sample y0 + 2 + i (into a buffer of its own: written over d,
        # which it reads, numpy would copy d first)
        r = np.subtract(d[1:], d[:-1], out=self._res[: y.size - 2])
        np.abs(r, out=r)
        off = jb * blk - (y0 + 2)
        nb = je - jb
        rb = r[off : off + nb * blk].reshape(nb, blk)
        bmax = np.zeros(nb + 2 * _SCALE, np.float32)
        bmax[_SCALE : _SCALE + nb] = np.maximum.reduceat(r[off : off + nb * blk],
                                                         np.arange(0, nb * blk, blk))
        early = np.zeros(nb, np.float32)
        late = np.zeros(nb, np.float32)
        for k in range(2, _SCALE + 1):
            np.maximum(early, bmax[_SCALE - k : _SCALE - k + nb], out=early)
            np.maximum(late, bmax[_SCALE + k : _SCALE + k + nb], out=late)
        j = np.arange(first, stop) - jb
        own = bmax[_SCALE + j]
        hit = j[(own > _SCREEN * np.maximum(early[j], late[j]))
                | (own > _ONE_SIDE * np.minimum(early[j], late[j]))]
        self._next = stop
        if hit.size:
            self._measure(y, r, rb, hit, jb)

    def _measure(self, y: np.ndarray, r: np.ndarray, rb: np.ndarray, hit: np.ndarray,
                 jb: int) -> None:
        blk, y0 = self.blk, self._buf0
        p = (hit + jb) * blk + np.argmax(rb[hit], axis=1)  # absolute sample
        ri = p - (y0 + 2)  # index into r
        c = _SCALE * blk
        sides = np.empty((hit.size, 2 * c), np.float32)  # c before, then c after
        _gather(r, ri - c - 3, c, out=sides[:, :c])
        _gather(r, ri + 4, c, out=sides[:, c:])
        nb = np.maximum(sides[:, :c].max(axis=1), sides[:, c:].max(axis=1))
        yi = p - y0
        peak = (y[yi].astype(np.float64) - 2.0 * y[yi - 1] + y[np.maximum(yi - 2, 0)])
        sb, sa, have = _scales(sides, np.abs(peak) * (_GAUSS_MAD * (1 + _MARGIN) / self.keep))
        ratio = np.abs(peak) / np.maximum(np.maximum(sb, sa), 1e-12)
        # the prediction test runs on batches of candidates (a few large array operations)
        c = _lpc.reach(_SCALE * blk, _OFFSETS)
        rows = _gather(y, yi - c, 2 * c)
        self._pending.append((p.astype(np.int64), peak, sb.astype(np.float64),
                              sa.astype(np.float64), nb.astype(np.float64),
                              _gather(y, yi - CONTEXT, 2 * CONTEXT), rows,
                              have & (ratio >= self.keep),
                              have, sides))
        self._n_pending += p.size
        if self._n_pending >= self.batch:
            self._flush()

    def _flush(self) -> None:
        """Send the pending candidates to the prediction test (:meth:`_tested`), which runs
        on a worker thread while the screening goes on; at most ``_AHEAD`` batches wait."""
        if not self._pending:
            return
        batch = [np.concatenate(a) for a in zip(*self._pending, strict=True)]
        self._pending, self._n_pending = [], 0
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditor-clicks")
        self._tests.append(self._pool.submit(self._tested, batch))
        if len(self._tests) > _AHEAD:  # one worker: the batches finish in order
            self._tests[-1 - _AHEAD].result()

    def _tested(self, batch: list[np.ndarray]) -> tuple[np.ndarray, ...] | None:
        """Run the prediction test on a batch of candidates and keep those that pass either
        test's share ``_KEEP`` of its threshold (None: none)."""
        *stats, rows, kept, have, sides = batch
        lpc, offset, clipped = self._lpc(rows, kept)
        ok = kept | (np.minimum(lpc[:, 0], lpc[:, 1]) >= self.keep)
        late = ok & ~have  # kept by the prediction test alone: their scales, measured now
        if late.any():
            half = sides.shape[1] // 2
            stats[2][late] = _median_scale(sides[late, :half])
            stats[3][late] = _median_scale(sides[late, half:])
        if not ok.any():
            return None
        return tuple(a[ok] for a in (*stats, lpc, offset, clipped))

    def _lpc(self, rows: np.ndarray,
             keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The linear-prediction join test at the middle sample of each row, the one before
        and the one after (the residual peaks at the first or second sample after a jump, or
        one after a change of slope): the best of the three by its weaker side. The side after
        is measured only where the side before could pass, or where ``keep`` says the
        candidate is kept anyway."""
        span = _SCALE * self.blk
        c = rows.shape[1] // 2
        clipped = np.maximum(rows.max(axis=1), -rows.min(axis=1)) >= _FULL_SCALE  # max |x|
        x = rows.astype(np.float64)
        got = np.zeros((rows.shape[0], len(_OFFSETS), 4))
        got[:, :, 0], got[:, :, 2] = _lpc.side_scores(x, c, span, _OFFSETS)
        more = keep | (got[:, :, 0].max(axis=1) >= self.keep)
        if more.any():
            got[more, :, 1], got[more, :, 3] = _lpc.after_scores(x[more], c, span, _OFFSETS)
        pick = np.argmax(np.minimum(got[:, :, 0], got[:, :, 1]), axis=1)
        best = got[np.arange(rows.shape[0]), pick]
        where = np.asarray(_OFFSETS, np.int64)[pick]
        return best, where, clipped

    def finish(self) -> Clicks:
        if self._carry:
            self._screen(self._work[: self._carry], final=True)
        self._flush()
        # the reused buffers are a decode block long (23 MB for a minute of 48 kHz): let go
        self._work = self._diff = self._res = np.zeros(0, np.float32)
        self._carry = 0
        try:
            found = [f for f in (t.result() for t in self._tests) if f is not None]
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            self._tests, self._pool = [], None
        parts = list(zip(*found, strict=True)) if found else None
        if parts is None:
            return Clicks(self.sample_rate, np.zeros(0, np.int64), *(np.zeros(0),) * 4,
                          np.zeros((0, 2 * CONTEXT), np.float32), np.zeros((0, 4)),
                          np.zeros(0, np.int64), np.zeros(0, bool))
        return Clicks(self.sample_rate, *(np.concatenate(p) for p in parts))


def _gather(x: np.ndarray, start: np.ndarray, width: int,
            out: np.ndarray | None = None) -> np.ndarray:
    """``x[clip(start[:, None] + arange(width), 0, x.size - 1)]``: rows of ``width`` values
    of ``x`` from each ``start``, the first or last value repeated past its ends.

    The rows that lie inside ``x`` are copied whole from a sliding-window view; only those
    that reach past an end are indexed value by value (an index array of ``width`` values per
    row took most of the measuring's time on noise bursts).
    """
    out = np.empty((start.size, width), x.dtype) if out is None else out
    inside = (start >= 0) & (start <= x.size - width)
    if not start.size:
        return out
    if inside.all():
        out[...] = sliding_window_view(x, width)[start]
        return out
    if inside.any():
        out[inside] = sliding_window_view(x, width)[start[inside]]
    edge = ~inside
    out[edge] = x[np.clip(start[edge, None] + np.arange(width), 0, x.size - 1)]
    return out


def _median_scale(x: np.ndarray) -> np.ndarray:
    """Robust scale of each row of ``|residual|`` values (float32), as float64."""
    return (_row_medians(x) / _GAUSS_MAD).astype(np.float64)


def _row_medians(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=1)`` of a float32 array, bit for bit, by sorting (shape (rows, n)).

    For an even ``n`` the median is the mean of the two middle values, which numpy takes as
    ``(a + b) / 2`` in float32, and a row with a NaN (sorted last) has a NaN median. numpy
    finds the two by a partition on three ranks (the two and the last, for that NaN check),
    whose general selection took eight times as long on rows of 256 values as the vectorised
    sort does (x86-simd-sort): the same two values.
    """
    n = x.shape[1]
    s = np.sort(x, axis=1)
    mid = s[:, n // 2] if n % 2 else np.add(s[:, n // 2 - 1], s[:, n // 2]) / np.float32(2)
    mid[np.isnan(s[:, -1])] = np.nan
    return mid


def _scales(sides: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The robust scales before and after each candidate (``sides``: its ``c`` values of
    ``|residual|`` before, then ``c`` after, float32), where the ratio test may pass.

    A candidate passes when its peak is ``keep`` times the larger scale: where either side's
    lower middle value already lies over ``bound`` (``|peak| * 0.6745 / keep``, widened by
    ``_MARGIN``, far beyond float32 rounding), that side's median does too and the candidate
    fails whatever the exact scales. Counting the values under ``bound`` settles that without
    a partition (the median of every candidate took a quarter of the analyser's time on noise
    bursts); the exact medians are taken only of the others, and later of those the prediction
    test alone keeps (:meth:`ClickAnalyser._flush`). Returns float32 scales (zero where not
    measured) and which rows were measured.
    """
    c = sides.shape[1] // 2
    need = (c - 1) // 2 + 1  # values at or under bound when the lower middle one is
    b = bound[:, None]
    have = ((np.count_nonzero(sides[:, :c] <= b, axis=1) >= need)
            & (np.count_nonzero(sides[:, c:] <= b, axis=1) >= need))
    sb = np.zeros(sides.shape[0], np.float32)
    sa = np.zeros(sides.shape[0], np.float32)
    if have.any():
        sb[have] = _row_medians(sides[have, :c]) / _GAUSS_MAD
        sa[have] = _row_medians(sides[have, c:]) / _GAUSS_MAD
    return sb, sa, have
