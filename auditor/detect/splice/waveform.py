"""Splice cue: a discontinuity of the waveform at one sample, or a change of bandwidth.

A butt splice joins two stretches of audio end to start. Unless the editor matched value and
slope, the waveform jumps at the join: a click that no microphone produces, because everything
that passed a microphone and an anti-alias filter is smooth at the scale of a sample (Cooper,
"Detecting butt-spliced edits in forensic digital audio recordings", AES 39th International
Conference, 2010). The second difference ``r[n] = x[n] - 2 x[n-1] + x[n-2]`` (the residual of
the linear predictor ``2 x[n-1] - x[n-2]``) turns a step into a pair of spikes ``+A, -A`` and a
change of slope into one spike, while it suppresses the low frequencies where speech has its
energy. A click is a sample where ``|r|`` stands out three ways: ``waveform_click_ratio`` times
its local robust scale (``median |r| / 0.6745`` over the 16 ms before *and* the 16 ms after,
excluding the three samples around it), ``_ISOLATION`` times every other peak of ``|r|`` in those
32 ms (voiced speech has a glottal pulse every period: a splice has no peer), and
``_ISOLATION`` times the residual 2 to 14 samples away (a sharp sound that passed an anti-alias
filter rings; a digital jump does not). Sounds that start sharply (a plosive, a cough, a door
slam) raise the residual after their onset, so they stay quiet. On 35 minutes of real speech
(five speakers, 16 kHz, each under room noise at -55 and -65 dBFS) no sample passes; joins in
loud speech that jump by 0.2 of full scale or more are found 85% of the time, by 0.1-0.2 about
half the time (a join where the two sides happen to meet is invisible to any such test).
Below 16 kHz speech itself changes at the scale of a sample and the click test does not apply.

The second difference misses a join where one side is much louder than the other (room noise
in a pause, then speech from mid-word): the loud side's own residual is as large as the jump.
So every candidate is also tested by linear prediction (:mod:`auditor.detect.splice._lpc`; Vaseghi &
Rayner 1990, Godsill & Rayner 1998): an order-12 predictor fitted on the 16 ms before the
point must fail to predict the first sample after it, and one fitted on the 16 ms after, run
backwards, must fail to predict the last sample before it, each by ``waveform_click_ratio``
times that side's own robust prediction error and ``_LPC_ISOLATION`` times every other error
of that side (a glottal pulse has peers). A voice or a sound that starts in the room passes
only the first test, because its first samples are small. The streaming pass also sends to be
measured any block that stands ``_ONE_SIDE`` times above the blocks on *one* side of it. On the
splice benchmark (seed 2015) the prediction test raised one false click in 7.4 hours of clean
hearings (strength 1.1) and 35 minutes of real speech stay quiet; the benchmark's speech was
recorded at 8 kHz, though, so its upper band is empty, which makes it easier to predict than
full-band speech. Stretches that reach ``_FULL_SCALE`` are not tested: clipping is not linear.

The streaming pass screens 4 ms blocks by their largest ``|r|`` against the blocks 8-16 ms
around them and measures only the few that stand out, keeping each candidate's sample, peak,
local scales and 32 samples of context. Runs of identical samples near a candidate (a clipped
flat top, a dropout, an exact-zero mute) mark it as the work of the ``dropout`` /
``digital_silence`` detectors or of clipping: it is not reported here.

Band-limit changes (a span encoded with a lower bandwidth inserted into the file) are the
steps of :func:`auditor.detect.band.band_edges`, located to a frame of the background
analyser (100 ms) by :mod:`auditor.detect.splice.waveform_band`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import DetectorInput, ScanParams
from ..features import StreamAnalyser
from . import _lpc
from .cue import Cue, CueStatus
from .waveform_band import band_cues

__all__ = ["Clicks", "ClickAnalyser", "analysers", "cues", "click_cues", "near_isolation"]

_BLOCK = 0.004  # seconds per screened block
_REF = 5  # blocks of signal carried over a decode-block edge (more than _SCALE)
_SCALE = 4  # blocks of residual either side that give a candidate's local scale
_GAUSS_MAD = 0.6745  # median |x| of a unit Gaussian
_CONTEXT = 16  # samples of signal kept either side of a candidate
_ISOLATION = 2.5  # a click's peak over its peers (see click_cues)
_MIN_RATE = 16000  # below it speech itself changes at the scale of a sample
_SCREEN = 1.5  # a block's peak over its peers' that sends it to be measured
_KEEP = 0.5  # candidates kept by the streaming pass: above this share of the threshold
_LPC_ISOLATION = 3.5  # a prediction error's peak over its side's other errors (click_cues)
_FULL_SCALE = 0.9  # |sample| from which a stretch may have been clipped
_BATCH = 4096  # candidates measured by prediction at once (about 9 MB of rows at 16 kHz)
_OFFSETS = (-1, 0, 1)  # joins tested by prediction: before, at and after the residual peak
_ONE_SIDE = 4.0  # a block's peak over the peers on one side only (a join of quiet to loud)


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
        self.keep = _KEEP * ratio
        self._work = np.zeros(0, np.float32)  # carried signal + the new block (reused)
        self._diff = np.zeros(0, np.float32)  # the residual (reused)
        self._carry = 0  # samples carried at the start of _work
        self._buf0 = 0  # absolute index of _work[0]
        self._next = 0  # next block to screen
        self._found: list[tuple[np.ndarray, ...]] = []
        self._pending: list[tuple[np.ndarray, ...]] = []  # measured, awaiting _flush
        self._n_pending = 0

    def update(self, block: np.ndarray, start: int) -> None:
        n = self._carry + block.shape[0]
        if self._work.size < n:  # reused buffers: no fresh pages for every block
            self._work = np.concatenate([self._work[: self._carry],
                                         np.zeros(n - self._carry, np.float32)])
            self._diff = np.zeros(n, np.float32)
        if not self._carry:
            self._buf0 = start
        if block.shape[1] == 1:
            self._work[self._carry : n] = block[:, 0]
        else:
            np.mean(block, axis=1, dtype=np.float32, out=self._work[self._carry : n])
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
        r = np.subtract(d[1:], d[:-1], out=d[:-1])  # r[i] is |residual| at sample y0 + 2 + i
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
        idx = np.arange(-c - 3, c + 4)
        win = r[np.clip(ri[:, None] + idx, 0, r.size - 1)]
        sb = np.median(win[:, :c], axis=1) / _GAUSS_MAD
        sa = np.median(win[:, -c:], axis=1) / _GAUSS_MAD
        nb = np.maximum(win[:, :c].max(axis=1), win[:, -c:].max(axis=1))
        yi = p - y0
        peak = (y[yi].astype(np.float64) - 2.0 * y[yi - 1] + y[np.maximum(yi - 2, 0)])
        ratio = np.abs(peak) / np.maximum(np.maximum(sb, sa), 1e-12)
        # the prediction test runs on batches of candidates (a few large array operations)
        c = _lpc.reach(_SCALE * blk, _OFFSETS)
        rows = y[np.clip(yi[:, None] - c + np.arange(2 * c), 0, y.size - 1)]
        xi = np.clip(yi[:, None] + np.arange(-_CONTEXT, _CONTEXT), 0, y.size - 1)
        self._pending.append((p.astype(np.int64), peak, sb.astype(np.float64),
                              sa.astype(np.float64), nb.astype(np.float64),
                              y[xi].astype(np.float32), rows, ratio >= self.keep))
        self._n_pending += p.size
        if self._n_pending >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        """Run the prediction test on the pending candidates and keep those that pass either
        test's share ``_KEEP`` of its threshold."""
        if not self._pending:
            return
        *stats, rows, kept = (np.concatenate(a) for a in zip(*self._pending, strict=True))
        self._pending, self._n_pending = [], 0
        lpc, offset, clipped = self._lpc(rows, kept)
        ok = kept | (np.minimum(lpc[:, 0], lpc[:, 1]) >= self.keep)
        if ok.any():
            self._found.append(tuple(a[ok] for a in (*stats, lpc, offset, clipped)))

    def _lpc(self, rows: np.ndarray,
             keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The linear-prediction join test at the middle sample of each row, the one before
        and the one after (the residual peaks at the first or second sample after a jump, or
        one after a change of slope): the best of the three by its weaker side. The side after
        is measured only where the side before could pass, or where ``keep`` says the
        candidate is kept anyway."""
        span = _SCALE * self.blk
        c = rows.shape[1] // 2
        clipped = np.abs(rows).max(axis=1) >= _FULL_SCALE
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
        parts = list(zip(*self._found, strict=True)) if self._found else None
        if parts is None:
            return Clicks(self.sample_rate, np.zeros(0, np.int64), *(np.zeros(0),) * 4,
                          np.zeros((0, 2 * _CONTEXT), np.float32), np.zeros((0, 4)),
                          np.zeros(0, np.int64), np.zeros(0, bool))
        return Clicks(self.sample_rate, *(np.concatenate(p) for p in parts))


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    """The click analyser (the band cue reads the spectra and the background frames)."""
    return {"waveform": ClickAnalyser(sample_rate, channels, params.waveform_click_ratio)}


def _flat(context: np.ndarray) -> np.ndarray:
    """Whether each row holds three identical consecutive samples, shape (n,)."""
    same = context[:, 1:] == context[:, :-1]
    return (same[:, :-1] & same[:, 1:]).any(axis=1)


def _near_runs(samples: np.ndarray, inp: DetectorInput, reach: int) -> np.ndarray:
    """Whether each sample lies within ``reach`` samples of a constant run on any channel."""
    near = np.zeros(samples.shape[0], bool)
    for runs in inp.features.runs:
        if not runs.start.size:
            continue
        order = np.argsort(runs.start, kind="stable")
        starts, ends = runs.start[order], (runs.start + runs.length)[order]
        last_end = np.maximum.accumulate(ends)
        i = np.searchsorted(starts, samples + reach, side="right") - 1
        near |= (i >= 0) & (last_end[np.maximum(i, 0)] >= samples - reach)
    return near


def near_isolation(context: np.ndarray) -> np.ndarray:
    """Residual peak over the largest residual 2 to 14 samples away, from the kept context.

    A digital jump is one sample (a value step gives the pair ``+A, -A``); a sharp sound that
    passed an anti-alias filter rings for several samples. Shape (n,).
    """
    x = context.astype(np.float64)
    r = x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2]  # r[:, k] is the residual at sample + k - 14
    c = _CONTEXT - 2
    other = np.concatenate([np.abs(r[:, : c - 1]), np.abs(r[:, c + 2 :])], axis=1)
    return np.abs(r[:, c]) / np.maximum(other.max(axis=1), 1e-12)


def click_cues(clicks: Clicks, inp: DetectorInput, params: ScanParams) -> tuple[list[Cue], int]:
    """Butt-splice clicks: candidates above the thresholds that no other detector explains.

    A click must stand ``waveform_click_ratio`` times above the residual's robust scale on both
    sides, ``_ISOLATION`` times above every other residual peak within 16 ms (a glottal pulse
    has peers one period away) and ``_ISOLATION`` times above the residual 2 to 14 samples
    from it (no ringing). ``strength`` is the weakest of the three margins.
    Returns the cues and how many candidates were set aside as clipping, dropouts or mutes.
    """
    sr = clicks.sample_rate
    second = np.minimum(np.minimum(clicks.ratio / params.waveform_click_ratio,
                                   clicks.isolation / _ISOLATION),
                        near_isolation(clicks.context) / _ISOLATION)
    lp = clicks.lpc
    predicted = np.where(clicks.clipped, 0.0, np.minimum(
        np.minimum(lp[:, 0], lp[:, 1]) / params.waveform_click_ratio,
        np.minimum(lp[:, 2], lp[:, 3]) / _LPC_ISOLATION))
    margin = np.maximum(second, predicted)
    above = margin >= 1.0
    mid = clicks.context[:, _CONTEXT // 2 : _CONTEXT * 3 // 2]  # 8 samples either side
    other = _flat(mid) | _near_runs(clicks.sample, inp, int(0.002 * sr))
    out = []
    for i in np.flatnonzero(above & ~other):
        s = int(clicks.sample[i])
        x = clicks.context[i]
        by_lpc = bool(predicted[i] > second[i])
        if by_lpc:
            s += int(clicks.lpc_offset[i])
        out.append(Cue(
            cue="waveform", time=round(s / sr, 6), strength=float(margin[i]),
            uncertainty=round(max(0.001, 2.0 / sr), 6), sample=s,
            evidence={
                "type": "click", "residual_ratio": round(float(clicks.ratio[i]), 2),
                "isolation": round(float(clicks.isolation[i]), 2),
                "residual_peak": round(float(clicks.peak[i]), 5),
                "residual_scale_before": round(float(clicks.scale_before[i]), 6),
                "residual_scale_after": round(float(clicks.scale_after[i]), 6),
                "step": round(float(x[_CONTEXT] - x[_CONTEXT - 1]), 5),
                "test": "linear_prediction" if by_lpc else "second_difference",
                "prediction_error_ratio_before": round(float(lp[i, 0]), 2),
                "prediction_error_ratio_after": round(float(lp[i, 1]), 2),
                "prediction_isolation": round(float(min(lp[i, 2], lp[i, 3])), 2),
            },
        ))  # fmt: skip
    return out, int((above & other).sum())


def cues(inp: DetectorInput, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    """Butt-splice clicks and band-limit change points."""
    clicks = inp.features.extra.get("waveform")
    if not isinstance(clicks, Clicks):
        return CueStatus("waveform", False, "the waveform was not measured"), []
    if inp.features.power.size == 0:
        return CueStatus("waveform", False, "the recording is too short to measure"), []
    if not (inp.features.power > 0).any():
        return CueStatus("waveform", False, "the recording holds no signal (all samples are "
                         "zero)"), []
    evidence: dict[str, object]
    if clicks.sample_rate >= _MIN_RATE:
        found, explained = click_cues(clicks, inp, params)
        evidence = {"clicks": len(found), "clicks_explained_by_clipping_or_dropouts": explained}
    else:
        found = []
        evidence = {"clicks": 0, "clicks_not_applicable": f"at {clicks.sample_rate} Hz speech "
                    f"itself changes at the scale of a sample (the click test needs "
                    f"{_MIN_RATE} Hz)"}
    band, band_status = band_cues(inp, params)
    evidence.update(band_status)
    return (CueStatus("waveform", True, evidence=evidence),
            sorted(found + band, key=lambda c: c.time))
