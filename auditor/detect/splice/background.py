"""Splice cue: the background (room signature) changes at a point.

Every room has its own background: the level and spectral shape of what the microphone hears
when nobody speaks (ventilation, traffic, the recorder's own noise). Audio inserted from another
recording brings its room along, so the background changes at the insertion's edges; a cut in
the same room leaves it as it was (the ENF cue covers that case). Following Zhao, Chen, Wang &
Malik ("Audio splicing detection and localization using environmental signature", Multimedia
Tools and Applications 76, 2017; arXiv:1411.7084, 2014), the streaming pass keeps the log band
energies (20 mel-spaced bands) of a 16 ms frame every 100 ms. Background frames are those
within ``_MARGIN_DB`` of the local noise floor (the 10th percentile of the 5 s before or of the
5 s after, whichever is higher, so the floor follows a step at once) and within
``_LONG_MARGIN_DB`` of the 30 s floor (a long stretch of continuous speech is not background).
A two-window test compares the background either side of every second:

    e_k  = max(|m_k^after - m_k^before| - z * se_k, 0)
    D(b) = max(sqrt(mean_k e_k ** 2), max(|mean_w(m^after - m^before)| - z * se_w, 0))

where ``m_k`` is the mean log energy (dB) of band ``k`` over the background frames of the
``background_context`` seconds on one side, ``se_k`` its standard error (Welch, with half the
frames counted: neighbouring frames of one pause are not independent), and ``mean_w`` the
inverse-variance weighted mean over bands with its standard error ``se_w`` (a change of level
alone moves every band a little). ``D`` is the spectral distance (dB) the data show *at least*,
so natural frame-to-frame scatter never adds up to a change. A peak of ``D`` above
``background_distance_db`` is located by a least-squares split of the background frames around
it; the location is only as fine as the non-speech frames around it allow, and
``uncertainty`` says how fine that is. ``strength`` is ``D`` over ``background_distance_db``,
measured again on the frames outside the located interval.

What stays quiet: a change of speaker, a cough or a door slam (loud frames are not background),
speech pauses (they are the background), exact-zero mutes (the ``digital_silence`` detector's:
frames touching a constant run are left out), and the slow drift of a room (two 10 s windows
side by side differ by little). A machine that switches on or off (air conditioning) does
change the background at a point: it is reported, with its evidence, and only the other cues
(ENF continuity, a waveform discontinuity) can say whether it is an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._rows import kth_of_rows
from ..base import DetectorInput, ScanParams
from ..features import Features, StreamAnalyser, blackman_harris, join_blocks, mono_mix
from .cue import Cue, CueStatus

__all__ = ["BackgroundFrames", "BackgroundAnalyser", "analysers", "cues", "background_mask"]

_HOP = 0.1  # seconds between frames
_SNAP = 0.016  # seconds of each frame that are analysed
_BANDS = 20
_MARGIN_DB = 6.0  # a background frame lies within this of the local floor
_FLOOR_SPAN = 5.0  # seconds before / after a frame that give its local floor
_FLOOR_PCT = 10.0
_LONG_SPAN = 30.0
_LONG_MARGIN_DB = 15.0
_Z = 4.0  # standard errors a band difference must exceed before it counts
_MIN_FRAMES = 20  # background frames each side (2 s of non-speech)
_STEP = 1.0  # seconds between tested boundaries
_DEAD_DB = -150.0
_CHUNK = 1 << 20  # values partitioned at once
_CHUNK_B = 1024  # boundaries whose distance is measured at once


@dataclass(frozen=True)
class BackgroundFrames:
    """Band levels of one short frame every ``hop`` samples (what the analyser keeps).

    Attributes
    ----------
    sample_rate, hop, n_fft
        Frame ``j`` covers samples ``[j * hop, j * hop + n_fft)``.
    band_hz : np.ndarray, shape (bands + 1,)
        Band edges (Hz).
    db : np.ndarray, shape (n_frames, bands), float32
        Mean square of the signal in each band (dBFS; a band of digital silence is -200).
    level : np.ndarray, shape (n_frames,), float32
        Mean square of the whole frame (dBFS).
    """

    sample_rate: int
    hop: int
    n_fft: int
    band_hz: np.ndarray
    db: np.ndarray
    level: np.ndarray

    def centres(self) -> np.ndarray:
        """Centre time (seconds) of each frame, shape (n_frames,)."""
        return (np.arange(self.db.shape[0]) * self.hop + self.n_fft / 2) / self.sample_rate


def _band_starts(n_fft: int, sample_rate: int, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Mel-spaced bands from the first bin above DC to Nyquist: first bin of each, edges (Hz).

    Every band holds at least one bin; band ``k`` is bins ``starts[k]:starts[k + 1]``.
    """
    nb = n_fft // 2 + 1
    mel = 2595.0 * np.log10(1.0 + np.array([sample_rate / n_fft, sample_rate / 2]) / 700.0)
    hz = 700.0 * (10 ** (np.linspace(mel[0], mel[1], bands + 1) / 2595.0) - 1.0)
    edges = np.round(hz * n_fft / sample_rate).astype(int)
    edges[0] = 1
    for i in range(1, edges.size):
        edges[i] = max(edges[i], edges[i - 1] + 1)
    edges[-1] = nb
    hz = np.minimum(edges * sample_rate / n_fft, sample_rate / 2)
    return np.minimum(edges[:-1], nb - 1), hz


class BackgroundAnalyser:
    """Keep the band levels of a 16 ms frame every 100 ms of the mono mix (float32)."""

    def __init__(self, sample_rate: int, channels: int):
        self.sample_rate = sample_rate
        self.hop = max(1, int(round(_HOP * sample_rate)))
        self.n_fft = min(self.hop, 1 << max(3, int(np.ceil(np.log2(_SNAP * sample_rate)))))
        self.bands = min(_BANDS, self.n_fft // 2)
        self._starts, self._band_hz = _band_starts(self.n_fft, sample_rate, self.bands)
        # 92 dB sidelobes: the bands above a lower band edge stay empty (waveform_band.py)
        self._taper = blackman_harris(self.n_fft)
        w = self._taper.astype(np.float64)
        # Parseval for a one-sided spectrum: every bin but DC and Nyquist stands for two
        self._scale = np.float32(2.0 / (self.n_fft * self.n_fft * float(np.mean(w * w))))
        self._next = 0  # the next frame's first sample
        self._pending = np.zeros(0, np.float32)  # samples of that frame already seen
        self._out: list[np.ndarray] = []

    def update(self, block: np.ndarray, start: int) -> None:
        # only the frames' samples are mixed to mono (a sixth of the block): the mix of a
        # whole 48 kHz stereo block cost more than the frames' spectra
        n, stereo = block.shape[0], block.shape[1] > 1

        def mono(a: int, b: int) -> np.ndarray:
            return mono_mix(block[a:b]) if stereo else block[a:b, 0]

        end = start + n
        snaps = []
        if self._pending.size:  # the frame that straddles the previous block's end
            need = self.n_fft - self._pending.size
            if n < need:
                self._pending = np.concatenate([self._pending, mono(0, n)])
                return
            snaps.append(np.concatenate([self._pending, mono(0, need)])[None, :])
            self._pending = np.zeros(0, np.float32)
            self._next += self.hop
        i0 = self._next - start
        if i0 < n:
            k = (n - i0) // self.hop  # whole hops: a reshape, no copy
            if k:
                rows = block[i0 : i0 + k * self.hop].reshape(k, self.hop, -1)[:, : self.n_fft]
                snaps.append(mono_mix(rows) if stereo else rows[:, :, 0])
            self._next += k * self.hop
            rest = end - self._next
            if 0 < rest:
                at = self._next - start
                if rest >= self.n_fft:
                    snaps.append(mono(at, at + self.n_fft)[None, :])
                    self._next += self.hop
                else:
                    self._pending = mono(at, n).copy()
        if snaps:
            self._out.append(self._levels(np.concatenate(snaps) if len(snaps) > 1 else snaps[0]))

    def _levels(self, frames: np.ndarray) -> np.ndarray:
        spec = np.fft.rfft(frames * self._taper, axis=1)
        power = (spec.real * spec.real + spec.imag * spec.imag).astype(np.float32)
        power[:, -1] *= 0.5
        band = np.add.reduceat(power, self._starts, axis=1)
        band = np.maximum(band * self._scale, np.float32(1e-20))
        level = 10.0 * np.log10(band.sum(axis=1, dtype=np.float64))
        return np.concatenate([10.0 * np.log10(band), level[:, None]], axis=1, dtype=np.float32)

    def finish(self) -> BackgroundFrames:
        # the blocks' levels are let go as they are joined (an 8 h file's are 24 MB)
        bands = [b[:, :-1] for b in self._out]
        level = [b[:, -1] for b in self._out]
        self._out = []
        if not bands:
            return BackgroundFrames(self.sample_rate, self.hop, self.n_fft, self._band_hz,
                                    np.zeros((0, self.bands), np.float32),
                                    np.zeros(0, np.float32))
        return BackgroundFrames(self.sample_rate, self.hop, self.n_fft, self._band_hz,
                                join_blocks(bands), join_blocks(level))


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    """The background analyser: about 3 MB of band levels per hour."""
    return {"background": BackgroundAnalyser(sample_rate, channels)}


def _rolling_pct(x: np.ndarray, span: int, pct: float) -> tuple[np.ndarray, np.ndarray]:
    """``pct`` percentile of the ``span`` values before and after each element (NaN ignored;
    NaN where more than half of them are NaN)."""
    n = x.shape[0]
    pad = np.concatenate([np.full(span, np.nan), x, np.full(span, np.nan)])
    view = sliding_window_view(pad, span)  # view[i] = pad[i : i + span]
    k = int(round(pct / 100 * (span - 1)))
    vals = kth_of_rows(view, k, _CHUNK)  # in chunks: memory stays flat for 8 hours
    return vals[:n], vals[span + 1 : span + 1 + n]


def background_mask(bg: BackgroundFrames, features: Features) -> np.ndarray:
    """Which frames hear only the room: near the local floor, not touching a constant run.

    Returns
    -------
    np.ndarray, shape (n_frames,), bool
    """
    level = bg.level
    n = level.shape[0]
    dead = level < _DEAD_DB
    start = np.arange(n) * bg.hop
    for runs in features.runs:  # exact-zero mutes and dropouts belong to other detectors
        if runs.start.size:
            a = np.searchsorted(start + bg.n_fft, runs.start, side="right")
            b = np.searchsorted(start, runs.start + runs.length, side="left")
            cover = np.zeros(n + 1, np.int64)
            np.add.at(cover, a, 1)
            np.add.at(cover, b, -1)
            dead |= np.cumsum(cover)[:n] > 0
    x = np.where(dead, np.nan, level)
    per_s = bg.sample_rate / bg.hop
    before, after = _rolling_pct(x, max(2, int(round(_FLOOR_SPAN * per_s))), _FLOOR_PCT)
    # continuous speech can hold the short-term floor for a while: the frame must also lie
    # near the floor of the 30 s around it (on a one-second grid, for speed)
    every = max(1, int(round(per_s)))
    lb, la = _rolling_pct(x[::every], max(2, int(round(_LONG_SPAN * per_s / every))),
                          _FLOOR_PCT)
    with np.errstate(invalid="ignore"):
        floor = np.fmax(before, after)
        long_floor = np.repeat(np.fmin(lb, la), every)[:n]
        return ~dead & (x <= floor + _MARGIN_DB) & (x <= long_floor + _LONG_MARGIN_DB)


def _side_stats(c1: np.ndarray, c2: np.ndarray, lo: np.ndarray,
                hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and variance (per band) of rows ``lo:hi`` from cumulative sums."""
    n = (hi - lo).astype(np.float64)
    m = np.maximum(n, 1)[:, None]
    mean = (c1[hi] - c1[lo]) / m
    var = np.maximum((c2[hi] - c2[lo]) / m - mean * mean, 0.0)
    return n, mean, var


def _sums(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sums (float64, a zero row first) of rows ``v`` and of their squares."""
    x = v.astype(np.float64)
    zero = np.zeros((1, x.shape[1]))
    return (np.concatenate([zero, np.cumsum(x, axis=0)]),
            np.concatenate([zero, np.cumsum(x * x, axis=0)]))


def _distances(v: np.ndarray, lo: np.ndarray, mid: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """:func:`_distance` between rows ``lo:mid`` and ``mid:hi`` of ``v``, per boundary.

    In chunks of boundaries, each with the cumulative sums of only the rows it reads: for an
    8-hour file, sums over every row would take about 50 MB each."""
    out = [np.zeros(0)]
    for k in range(0, lo.size, _CHUNK_B):
        a, m, b = lo[k:k + _CHUNK_B], mid[k:k + _CHUNK_B], hi[k:k + _CHUNK_B]
        r0, r1 = int(a.min()), int(b.max())
        c1, c2 = _sums(v[r0:r1])
        out.append(_distance(*_side_stats(c1, c2, a - r0, m - r0),
                             *_side_stats(c1, c2, m - r0, b - r0)))
    return np.concatenate(out)


def _distance(nb: np.ndarray, mb: np.ndarray, vb: np.ndarray, na: np.ndarray, ma: np.ndarray,
              va: np.ndarray) -> np.ndarray:
    """The spectral distance (dB) beyond ``_Z`` standard errors, per boundary."""
    se = np.sqrt(vb / np.maximum(nb / 2, 1)[:, None] + va / np.maximum(na / 2, 1)[:, None])
    diff = ma - mb
    excess = np.maximum(np.abs(diff) - _Z * se, 0.0)
    # a change of level alone moves every band a little: tested on the mean over bands
    # (inverse-variance weighted: the quiet, scattered bands count least)
    w = 1.0 / np.maximum(se * se, 1e-6)
    level_se = 1.0 / np.sqrt(np.sum(w, axis=1))
    level = np.maximum(np.abs(np.sum(w * diff, axis=1)) * level_se**2 - _Z * level_se, 0.0)
    d = np.maximum(np.sqrt(np.mean(excess * excess, axis=1)), level)
    return np.where((nb >= _MIN_FRAMES) & (na >= _MIN_FRAMES), d, 0.0)


def _split(v: np.ndarray) -> tuple[int, int]:
    """Range of split indices ``[lo, hi]`` of rows ``v`` (time order) whose two-mean squared
    error is within one frame's typical squared deviation of the best split."""
    m = v.shape[0]
    c1 = np.concatenate([np.zeros((1, v.shape[1])), np.cumsum(v, axis=0)])
    c2 = np.concatenate([np.zeros(1), np.cumsum(np.sum(v * v, axis=1))])
    s = np.arange(3, m - 2)
    left = c2[s] - np.sum(c1[s] ** 2, axis=1) / s
    right = (c2[m] - c2[s]) - np.sum((c1[m] - c1[s]) ** 2, axis=1) / (m - s)
    cost = left + right
    best = float(cost.min())
    ok = s[cost <= best + best / m]
    return int(ok.min()), int(ok.max())


def cues(inp: DetectorInput, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    """Points where the room's background changes, from the frames the analyser kept."""
    f = inp.features
    bg = f.extra.get("background")
    duration = f.frames / f.sample_rate
    ctx = params.background_context
    if not isinstance(bg, BackgroundFrames):
        return CueStatus("background", False, "the background was not measured"), []
    need = 2 * ctx + 2 * _STEP
    if duration < need:
        return CueStatus("background", False,
                         f"the recording lasts {duration:.1f} s; a room signature on both "
                         f"sides of a point needs {need:.0f} s",
                         {"duration_s": round(duration, 3)}), []
    mask = background_mask(bg, f)
    t_all = bg.centres()
    t = t_all[mask]
    v = bg.db[mask]  # float32: rows are read in float64 where they are summed
    seconds = t.size * bg.hop / bg.sample_rate
    evidence = {"background_s": round(seconds, 1),
                "background_fraction": round(t.size / max(t_all.size, 1), 3)}
    if t.size < 4 * _MIN_FRAMES:
        return CueStatus("background", False,
                         f"only {seconds:.1f} s of the recording is background without speech "
                         f"or other sound; a room signature needs "
                         f"{4 * _MIN_FRAMES * _HOP:.0f} s", evidence), []
    b = np.arange(ctx, duration - ctx + 1e-9, _STEP)
    lo = np.searchsorted(t, b - ctx)
    mid = np.searchsorted(t, b)
    hi = np.searchsorted(t, b + ctx)
    d = _distances(v, lo, mid, hi)
    out: list[Cue] = []
    taken: list[float] = []
    for i in np.argsort(-d, kind="stable"):
        if d[i] < params.background_distance_db:
            break
        if any(abs(b[i] - x) < ctx for x in taken):
            continue
        taken.append(float(b[i]))
        cue = _located(t, v, int(lo[i]), int(hi[i]), bg, ctx, params)
        if cue is not None:
            out.append(cue)
    return CueStatus("background", True, evidence=evidence), sorted(out, key=lambda c: c.time)


def _located(t: np.ndarray, v: np.ndarray, lo: int, hi: int, bg: BackgroundFrames, ctx: float,
             params: ScanParams) -> Cue | None:
    """Locate the change among background frames ``lo:hi`` and measure it at that point."""
    s_lo, s_hi = _split(v[lo:hi].astype(np.float64))
    half = bg.n_fft / 2 / bg.sample_rate
    early = t[lo + s_lo - 1] + half  # the edit lies after the last frame surely before it...
    late = t[lo + s_hi] - half  # ...and before the first frame surely after it
    if late < early:
        early = late = (t[lo + s_lo - 1] + t[lo + s_hi]) / 2
    time = (early + late) / 2
    # half a hop more: a frame next to the edit may have been put on the wrong side
    unc = (late - early) / 2 + half + bg.hop / bg.sample_rate / 2
    # measured on the frames either side of the interval only
    ib = np.array([np.searchsorted(t, time - unc - ctx), np.searchsorted(t, time - unc)])
    ia = np.array([np.searchsorted(t, time + unc), np.searchsorted(t, time + unc + ctx)])
    r0 = int(ib[0])
    c1, c2 = _sums(v[r0:int(ia[1])])
    sb = _side_stats(c1, c2, ib[:1] - r0, ib[1:] - r0)
    sa = _side_stats(c1, c2, ia[:1] - r0, ia[1:] - r0)
    dist = float(_distance(*sb, *sa)[0])
    if dist < params.background_distance_db:
        return None
    diff = sa[1][0] - sb[1][0]
    lb = _level(v[ib[0] : ib[1]].astype(np.float64))
    la = _level(v[ia[0] : ia[1]].astype(np.float64))
    shape = diff - diff.mean()
    return Cue(
        cue="background", time=round(time, 4), strength=dist / params.background_distance_db,
        uncertainty=round(unc, 4),
        evidence={
            "level_before_db": round(lb, 2), "level_after_db": round(la, 2),
            "spectral_distance_db": round(dist, 2),
            "shape_distance_db": round(float(np.sqrt(np.mean(shape * shape))), 2),
            "largest_band_change_db": round(float(diff[np.argmax(np.abs(diff))]), 2),
            "largest_band_hz": [round(float(x)) for x in
                                bg.band_hz[int(np.argmax(np.abs(diff))):][:2]],
            "background_frames_before": int(ib[1] - ib[0]),
            "background_frames_after": int(ia[1] - ia[0]),
            "context_s": ctx,
        },
    )  # fmt: skip


def _level(v: np.ndarray) -> float:
    """Median whole-band level (dBFS) of background frames given as band levels (dB)."""
    return float(np.median(10.0 * np.log10(np.sum(10.0 ** (v / 10), axis=1) + 1e-20)))
