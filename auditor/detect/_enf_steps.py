"""ENF statistics side: step tests on the tracked line, spans without it, where edits lie.

Pure numpy on arrays (see :mod:`auditor.detect.enf` for the method). Hops are the 10 ms steps of
:class:`~auditor.detect._enf_track.Baseband`; boundary ``m`` lies between hop ``m - 1`` and hop
``m``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._enf_track import (
    Baseband,
    HumLine,
    Track,
    baseband,
    box_sum,
    csum,
    single_thread,
    track,
)

#: offsets (Hz) from the harmonic where the noise of a window sum is measured: nulls of every
#: rectangular test window (multiples of 0.5 s) fall on the harmonic itself
NOISE_OFFSETS = (-12.0, -10.0, -8.0, -6.0, -4.0, -2.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
#: boundaries tested per window length (a step's peak is about one window wide); a peak on
#: that grid counts from PRE times the threshold, then is measured where it is located
GRID = 4
PRE = 0.8
#: line power over noise power a window sum needs on both sides for a step to be tested
MIN_WINDOW_SNR = 4.0
#: fewest hops a window clipped at another edit may keep
MIN_SIDE = 10
#: rounds of search-and-re-measure (each finds the edits the previous ones hid)
MAX_ROUNDS = 4
#: the grid's own phase wobble about the track between two windows of W seconds each side:
#: GRID_WOBBLE * W ** GRID_WOBBLE_EXP rad at the fundamental. Measured on the 40 ENF-WHU and the
#: A_P1 60 Hz references (SNR ~80 dB, so no noise): the largest |dphi| over 400 000 boundaries
#: was 0.021, 0.031, 0.053, 0.066 rad for W = 0.5, 1, 2, 4 s, i.e. about 3 of these units
GRID_WOBBLE = 0.01
GRID_WOBBLE_EXP = 0.6
#: seconds per block over which the noise near the line is measured
NOISE_BLOCK = 0.5
#: location half-width = LOCATE_K * (noise variance per hop) / |step per hop|^2 (hops)
LOCATE_K = 5.0
#: strength of a vanished-line edge is capped here (the absence is certain beyond it)
GAP_STRENGTH_CAP = 10.0


# --------------------------------------------------------------------------- step tests


@dataclass
class Sums:
    """What every window length reads: the cumulative sum of ``u`` and the cumulative noise
    variance per hop near the line.

    The noise is measured in blocks of ``NOISE_BLOCK`` seconds: each block's DFT at the
    ``NOISE_OFFSETS`` (nulls of the block's rectangular window, so the line does not leak;
    what little does, the block mean times the window response, is taken out) gives 24
    degrees of freedom of the noise power near the line, which varies with speech from block
    to block; a window's noise is the sum over its hops.
    """

    u: np.ndarray  # cumulative sum of u, size + 1
    noise: np.ndarray  # cumulative noise variance, size + 1
    block: int  # hops per noise block
    block_sum: np.ndarray  # sum of u over each block
    block_noise: np.ndarray  # noise variance of that sum
    sd2: np.ndarray  # cumulative squared standard error of the track (Hz^2), size + 1

    def window(self, a: np.ndarray | int, b: np.ndarray | int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Sum of u over hops [a, b) and the variance of its noise."""
        return self.u[b] - self.u[a], self.noise[b] - self.noise[a]


def sums(bb: Baseband, tr: Track) -> Sums:
    u = tr.u
    size = u.size
    blk = max(2, int(round(NOISE_BLOCK * bb.r1)))
    nblk = max(1, size // blk)
    used = min(size, nblk * blk)
    i = np.arange(blk)
    offs = np.asarray(NOISE_OFFSETS)
    e = np.exp(-2j * np.pi * np.outer(i, offs) / bb.r1)  # (blk, offsets)
    if used >= blk:
        x = u[:used].reshape(nblk, blk)
        mu = x.mean(axis=1)
        # (offsets, blk) @ (blk, nblk): BLAS streams over u once
        with single_thread():
            dft = (e.T @ x.T).T - mu[:, None] * e.sum(axis=0)[None, :]
        per_hop = np.mean(np.abs(dft) ** 2, axis=1) / blk
        bsum = mu * blk
    else:
        per_hop = np.full(1, float(np.mean(np.abs(u - u.mean()) ** 2)) if size else 0.0)
        bsum = np.full(1, u.sum())
    var = np.repeat(per_hop, blk)[:size]
    if var.size < size:
        var = np.concatenate([var, np.full(size - var.size, per_hop[-1])])
    return Sums(csum(u), csum(var), blk, bsum, per_hop * blk, csum(tr.freq_sd**2))


def _phase_var(s: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Variance of arg(s) for a phasor sum with noise variance ``var``: var / (2 |A|^2) with
    |A|^2 = |s|^2 - var the line's power, capped at pi^2/3 (a uniform phase)."""
    sig = np.abs(s) ** 2 - var
    out = var / (2 * np.maximum(sig, 1e-300))
    return np.where(sig > 0, np.minimum(out, np.pi**2 / 3), np.pi**2 / 3)


@dataclass
class ScaleTest:
    """Two-sided test at one window length ``n`` (hops per side), at hop boundaries ``m``
    (boundary m lies between hop m-1 and hop m), every ``stride`` hops."""

    n: int
    m: np.ndarray
    z_phase: np.ndarray
    dphi: np.ndarray
    z_freq: np.ndarray
    f_left: np.ndarray
    f_right: np.ndarray
    snr_left: np.ndarray  # line power / noise power of the window sum
    snr_right: np.ndarray
    span: np.ndarray  # seconds between the centres of the two windows


def _limits(m: np.ndarray, n: int, size: int, cuts: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Window starts and ends for boundaries ``m``: ``n`` hops each side, clipped at the edit
    points in ``cuts`` (a window never crosses another edit) and at the data's ends."""
    lo, hi = np.maximum(m - n, 0), np.minimum(m + n, size)
    if cuts is not None and cuts.size:
        c = np.sort(cuts)
        i = np.searchsorted(c, m, side="left")  # c[i-1] < m <= c[i]
        prev = np.where(i > 0, c[np.maximum(i - 1, 0)], 0)
        j = np.searchsorted(c, m, side="right")  # c[j-1] <= m < c[j]
        nxt = np.where(j < c.size, c[np.minimum(j, c.size - 1)], size)
        lo, hi = np.maximum(lo, prev), np.minimum(hi, nxt)
    return lo, hi


def scale_test(bb: Baseband, tr: Track, s: Sums, n: int, *, harmonic: int,
               max_rate: float, m: np.ndarray | None = None,
               cuts: np.ndarray | None = None) -> ScaleTest:
    """Phase and frequency step statistics for windows of ``n`` hops each side (clipped at
    ``cuts``), at boundaries ``m`` (default: every n/8 hops)."""
    size = tr.u.size
    if m is None:
        m = np.arange(n, size - n + 1, max(1, n // GRID))
        if cuts is not None and cuts.size:
            # windows clipped at an edit reach closer to the data's ends too
            m = np.arange(MIN_SIDE, size - MIN_SIDE + 1, max(1, n // GRID))
    m = np.asarray(m, np.int64)
    lo, hi = _limits(m, n, size, cuts)
    full = (m - lo >= n) & (hi - m >= n) if cuts is None or not cuts.size else \
        (m - lo >= MIN_SIDE) & (hi - m >= MIN_SIDE)
    m, lo, hi = m[full], lo[full], hi[full]
    nl_, nr_ = m - lo, hi - m
    sl, nl = s.window(lo, m)
    sr, nr = s.window(m, hi)
    dphi = np.angle(sr * np.conj(sl))
    # centres of the two windows are (nl_ + nr_) / 2 hops apart: a frequency error df of the
    # track biases the phase difference by 2 pi df times that
    w = (nl_ + nr_) / 2 / bb.r1
    # the track's error over both windows (RMS), not just at the boundary
    fsd = np.sqrt((s.sd2[hi] - s.sd2[lo]) / np.maximum(hi - lo, 1))
    # what no track follows: the grid's own phase wobble between two windows (measured)
    wobble = harmonic * GRID_WOBBLE * w**GRID_WOBBLE_EXP
    var = _phase_var(sl, nl) + _phase_var(sr, nr) + (2 * np.pi * fsd * w) ** 2 + wobble**2
    snr_l = np.maximum(np.abs(sl) ** 2 - nl, 0) / np.maximum(nl, 1e-300)
    snr_r = np.maximum(np.abs(sr) ** 2 - nr, 0) / np.maximum(nr, 1e-300)
    # a phase needs the line on both sides (a side without it is a gap's business)
    z_phase = np.where(np.minimum(snr_l, snr_r) >= MIN_WINDOW_SNR,
                       np.abs(dphi) / np.sqrt(var), 0.0)
    # frequency each side: the track's mean over the window plus the residual slope of u
    ph = np.concatenate([[0.0], tr.phase])  # ph[m]: phase at the start of hop m
    hl, hr = nl_ // 2, nr_ // 2
    l1, vl1 = s.window(m - 2 * hl, m - hl)
    l2, vl2 = s.window(m - hl, m)
    r1, vr1 = s.window(m, m + hr)
    r2, vr2 = s.window(m + hr, m + 2 * hr)
    fl = ((ph[m] - ph[lo]) / (2 * np.pi * nl_ / bb.r1)
          + np.angle(l2 * np.conj(l1)) / (2 * np.pi * np.maximum(hl, 1) / bb.r1))
    fr = ((ph[hi] - ph[m]) / (2 * np.pi * nr_ / bb.r1)
          + np.angle(r2 * np.conj(r1)) / (2 * np.pi * np.maximum(hr, 1) / bb.r1))
    kl = bb.r1 / (2 * np.pi * np.maximum(hl, 1))  # rad -> Hz for a half-window lag
    kr = bb.r1 / (2 * np.pi * np.maximum(hr, 1))
    sd_f = np.sqrt((_phase_var(l1, vl1) + _phase_var(l2, vl2)) * kl**2
                   + (_phase_var(r1, vr1) + _phase_var(r2, vr2)) * kr**2)
    allowed = harmonic * max_rate * w
    z_freq = np.where(np.minimum(snr_l, snr_r) >= MIN_WINDOW_SNR,
                      np.maximum(np.abs(fr - fl) - allowed, 0.0) / sd_f, 0.0)
    return ScaleTest(n, m, z_phase, dphi, z_freq, fl, fr, snr_l, snr_r, w)


def peaks(z: np.ndarray, threshold: float, spacing: int) -> list[int]:
    """Indices of the largest value of each run of ``z >= threshold`` (runs closer than
    ``spacing`` indices merge)."""
    above = np.flatnonzero(np.nan_to_num(z, nan=0.0) >= threshold)
    if above.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(above) > spacing)
    return [int(run[np.argmax(z[run])]) for run in np.split(above, breaks + 1)]


def _changepoint(tr: Track, s: Sums, lo: int, hi: int, mu_l: complex,
                 mu_r: complex) -> tuple[int, float]:
    """Boundary in [lo, hi] where the complex mean of ``u`` goes from ``mu_l`` to ``mu_r``.

    Maximum likelihood with each hop weighted by its own noise variance (loud speech counts
    little): the log-likelihood of a change at boundary ``lo + j`` is the cumulative sum of
    ``(|u - mu_r|^2 - |u - mu_l|^2) / var`` over hops ``lo .. lo+j-1``. The half-width is
    ``LOCATE_K`` times ``var / |mu_r - mu_l|^2`` at the boundary (hops), the scale of the
    argmax's error for a step in white noise; at least half a hop.
    """
    seg = tr.u[lo:hi]
    # each hop's own noise: the block's noise near the line, or the hop's scatter about its
    # neighbours (loud speech fills the hop's whole band), whichever is larger
    local = np.abs(seg - box_sum(seg, 2) / 5) ** 2
    # (floored: a hop of exact zeros would otherwise swamp the sum's precision)
    floor = 1e-4 * max(abs(mu_r - mu_l) ** 2, 1e-300)
    var = np.maximum(np.maximum(np.diff(s.noise[lo: hi + 1]), box_sum(local, 2) / 5), floor)
    inc = (np.abs(seg - mu_r) ** 2 - np.abs(seg - mu_l) ** 2) / var
    g = np.concatenate([[0.0], np.cumsum(inc)])
    j = int(np.argmax(g))
    # the noise about the step (the step's own scatter at the located hop is not noise)
    v = float(np.median(var)) if var.size else 1.0
    half = LOCATE_K * v / max(abs(mu_r - mu_l) ** 2, 1e-300)
    return lo + j, float(np.clip(half, 0.5, max(0.5, (hi - lo) / 2)))


def locate(tr: Track, s: Sums, m0: int, n: int,
           cuts: np.ndarray | None = None) -> tuple[int, float]:
    """Where near the test peak ``m0`` (window ``n``) the line's phasor steps, and how sure
    (hops): a :func:`_changepoint` over ``m0 +- n/2`` with the means of the ``n`` hops beyond
    either end of that span (never across another edit in ``cuts``)."""
    size = tr.u.size
    h = max(1, n // 2)
    lims = _limits(np.array([m0]), 10 * n, size, cuts)
    lo_lim, hi_lim = int(lims[0][0]), int(lims[1][0])
    lo, hi = max(lo_lim + 2, m0 - h), min(hi_lim - 2, m0 + h)
    la, rb = max(lo_lim, lo - n), min(hi_lim, hi + n)
    if lo - la < 2 or rb - hi < 2 or hi <= lo:
        return m0, n / 2
    sl, _ = s.window(la, lo)
    sr, _ = s.window(hi, rb)
    return _changepoint(tr, s, lo, hi, complex(sl) / (lo - la), complex(sr) / (rb - hi))


# --------------------------------------------------------------------------- hum gaps


@dataclass
class Gap:
    """A span (hops [start, end)) where the line is confidently absent while present on both
    sides: hum that vanishes and comes back."""

    start: int
    end: int
    z_absent: float  # how many noise sd the span's line amplitude lies under half the usual
    drop_db: float  # line power in the span relative to the usual (dB; -inf: none measured)
    digital: bool  # the span is exact zeros (a mute: the digital_silence detector's)
    dphi: float  # phase of the line after the span relative to before (rad, at the harmonic)
    z_phase: float  # |dphi| over its standard error (track extrapolated across the span)
    before: tuple[int, int]  # hops where the line's end lies (after the last present block)
    after: tuple[int, int]  # hops where the line's return lies


def gaps(bb: Baseband, tr: Track, s: Sums, *, harmonic: int, max_rate: float, z: float,
         window: float = 1.0) -> list[Gap]:
    """Spans where the line is absent: each 0.5 s block's line amplitude ``|S| / B`` against
    half the file's median amplitude ``A``; a block is *present* when ``|S|/B - z sd > A/2``.
    Maximal runs of not-present blocks between present ones are tested as a whole: the span
    is a gap when its amplitude plus ``z`` standard errors is still under ``A / 2``.
    The phase across the gap compares ``window`` seconds of ``u`` either side (the track is
    interpolated across the gap); its standard error adds the extrapolation error of an
    unknown grid wander, ``2 pi k (max_rate / 4) d^2`` for a gap of ``d`` seconds.
    """
    blk = s.block
    bs, bn = s.block_sum, s.block_noise
    if bs.size < 3:
        return []
    amp = np.abs(bs) / blk
    sd = np.sqrt(np.maximum(bn, 0) / 2) / blk
    typical = float(np.sqrt(np.median(np.maximum(np.abs(bs) ** 2 - bn, 0)))) / blk
    if typical <= 0:
        return []
    present = amp - 2 * sd > typical / 2
    absent = amp + 2 * sd < typical / 2
    out: list[Gap] = []
    idx = np.flatnonzero(present)
    n = max(2, int(round(window * bb.r1)))
    size = tr.u.size
    count_absent = np.concatenate([[0], np.cumsum(absent)])
    # consecutive present blocks a < b with an absent block between them
    pairs = np.flatnonzero(count_absent[idx[1:]] - count_absent[idx[:-1] + 1] > 0)
    for a, b in zip(idx[pairs], idx[pairs + 1], strict=True):
        inner = np.flatnonzero(absent[a + 1: b]) + a + 1
        lo, hi = int(inner[0]), int(inner[-1]) + 1  # from the first to the last absent block
        ssum = complex(bs[lo:hi].sum())
        snoise = float(bn[lo:hi].sum())
        count = (hi - lo) * blk
        a_run = abs(ssum) / count
        e_run = np.sqrt(max(snoise, 0) / 2) / count
        z_abs = (typical / 2 - a_run) / max(e_run, 1e-12 * typical)
        if z_abs < z:
            continue
        start, end = lo * blk, hi * blk
        # exact zeros decode to an exactly zero baseband (bar the filter's reach at the edges)
        digital = bool(np.mean(bb.b[start:end] == 0) > 0.5)
        # the line either side, beyond where its end and return can lie
        sl, nl = s.window(max(0, (a + 1) * blk - n), (a + 1) * blk)
        sr, nr = s.window(b * blk, min(size, b * blk + n))
        dphi = float(np.angle(sr * np.conj(sl)))
        d = (end - start) / bb.r1
        var = float(_phase_var(np.array(sl), np.array(nl)) + _phase_var(np.array(sr), np.array(nr)))
        var += (2 * np.pi * harmonic * (max_rate / 4) * d * d) ** 2
        power = max(abs(ssum) ** 2 - snoise, 0.0) / count**2
        drop = 10 * np.log10(power / typical**2) if power > 0 else float("-inf")
        out.append(Gap(start, end, float(z_abs), float(drop), bool(digital), dphi,
                       abs(dphi) / np.sqrt(var), ((a + 1) * blk, lo * blk),
                       (hi * blk, b * blk)))
    return out


def locate_edge(tr: Track, s: Sums, lo: int, hi: int, *, falling: bool) -> tuple[int, float]:
    """Where in hops [lo, hi] the line stops (``falling``) or starts again: a
    :func:`_changepoint` between the line's phasor (measured over the block beside the range
    where it is present) and nothing."""
    size = tr.u.size
    lo, hi = max(0, lo), min(size, hi)
    ref_a, ref_b = (max(0, lo - s.block), lo) if falling else (hi, min(size, hi + s.block))
    if ref_b - ref_a < 2 or hi <= lo:
        return (lo + hi) // 2, max(0.5, (hi - lo) / 2)
    sm, _ = s.window(ref_a, ref_b)
    mu = complex(sm) / (ref_b - ref_a)
    return _changepoint(tr, s, lo, hi, mu, 0j) if falling else \
        _changepoint(tr, s, lo, hi, 0j, mu)


# --------------------------------------------------------------------------- driver


@dataclass
class Candidate:
    """One candidate edit: a boundary between two hops where the line's phase or frequency
    steps. Frequencies are at the analysed harmonic, relative to ``Baseband.center``."""

    boundary: int
    time: float
    half_width: float  # seconds
    window: float  # seconds per side of the test that found it
    z_phase: float
    z_freq: float
    dphi: float
    f_left: float
    f_right: float
    snr_left: float  # line power over noise power of the window sum
    snr_right: float
    strength: float
    kind: str  # "phase", "frequency" or "gap" (an edge of a span without the line)
    gap: Gap | None = None


@dataclass
class Analysis:
    bb: Baseband
    track: Track
    candidates: list[Candidate]
    gaps: list[Gap]
    windows: tuple[float, ...]
    #: median over the file of the smallest phase step (rad, at the harmonic) the most
    #: sensitive window would flag
    min_phase_jump: float
    #: how fast the tracked frequency moves (mHz per second at the fundamental, 90th percentile)
    pace: float = float("nan")
    #: False when the hum wanders faster than a power grid can (no steps were tested)
    grid_like: bool = True


@dataclass(frozen=True)
class Settings:
    windows: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    z_phase: float = 6.0
    z_freq: float = 6.0
    max_rate: float = 0.01  # Hz/s at the fundamental
    max_pace: float = 5.0  # mHz/s: above it the hum does not follow a grid (see pace_mhz_s)
    freq_min_window: float = 1.9  # shorter half-windows cannot measure frequency usefully
    z_gap: float = 4.0  # sd under half the usual line amplitude for a span to lack the line


def _tests(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
           m: np.ndarray | None = None, cuts: np.ndarray | None = None) -> list[ScaleTest]:
    out = []
    for w in cfg.windows:
        n = max(2, int(round(w * bb.r1)))
        if 2 * n <= bb.b.size or m is not None:
            out.append(scale_test(bb, tr, s, n, harmonic=harmonic, max_rate=cfg.max_rate, m=m,
                                  cuts=cuts))
    return out


def _group(peaks_: list[tuple[float, int, int]]) -> list[list[tuple[float, int, int]]]:
    """Group (strength, boundary, window) peaks of different windows that mark the same point:
    closer than half the shorter window. Strongest first."""
    groups: list[list[tuple[float, int, int]]] = []
    for p in sorted(peaks_, key=lambda p: -p[0]):
        for g in groups:
            if any(abs(q[1] - p[1]) <= min(q[2], p[2]) // 2 for q in g):
                g.append(p)
                break
        else:
            groups.append([p])
    return groups


def _evaluate(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int, m: int,
              half: float, kind: str, cuts: np.ndarray) -> Candidate | None:
    """The candidate at boundary m, its evidence from the strongest window (clipped at the
    other edits): None when no window reaches the threshold any more."""
    best: Candidate | None = None
    for st in _tests(bb, tr, s, cfg, harmonic, np.array([m]), cuts):
        if st.m.size == 0:
            continue
        if kind == "phase":
            strength = float(st.z_phase[0]) / cfg.z_phase
        elif st.n >= cfg.freq_min_window * bb.r1:
            strength = float(st.z_freq[0]) / cfg.z_freq
        else:
            continue
        if np.isfinite(strength) and (best is None or strength > best.strength):
            best = Candidate(
                boundary=m, time=bb.boundary_time(m), half_width=half / bb.r1,
                window=float(st.span[0]), z_phase=float(st.z_phase[0]),
                z_freq=float(st.z_freq[0]), dphi=float(st.dphi[0]), f_left=float(st.f_left[0]),
                f_right=float(st.f_right[0]), snr_left=float(st.snr_left[0]),
                snr_right=float(st.snr_right[0]), strength=strength, kind=kind)
    return best if best is not None and best.strength >= 1.0 else None


def _search(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
            known: list[Candidate], fixed: np.ndarray) -> tuple[list[Candidate], list[ScaleTest]]:
    """New candidates, with windows clipped at the ``known`` edits and the ``fixed`` points
    (edges of spans without the line): phase-step peaks of every window, grouped, located with
    the shortest window that saw each; then frequency-step peaks (long windows) that no phase
    step explains."""
    cuts = np.array(sorted({c.boundary for c in known} | set(fixed.tolist())), np.int64)
    tests = _tests(bb, tr, s, cfg, harmonic, cuts=cuts)
    near = [(c.boundary, max(2 * c.half_width * bb.r1, 0.25 * bb.r1)) for c in known]
    out: list[Candidate] = []
    found = [(float(st.z_phase[j]) / cfg.z_phase, int(st.m[j]), st.n)
             for st in tests for j in peaks(st.z_phase, PRE * cfg.z_phase, GRID)]
    for g in _group(found):
        _, m0, n0 = min(g, key=lambda p: p[2])
        if any(abs(m0 - b) <= d for b, d in near):
            continue
        m, half = locate(tr, s, m0, n0, cuts)
        c = _evaluate(bb, tr, s, cfg, harmonic, m, half, "phase", cuts)
        if c is None:
            # the located boundary lost the evidence (noise): keep the peak itself
            c = _evaluate(bb, tr, s, cfg, harmonic, m0, n0 / 2, "phase", cuts)
        if c is not None:
            out.append(c)
    taken = [(c.boundary, int(round(c.window * bb.r1))) for c in known + out
             if c.kind == "phase"]
    fpeaks = []
    for st in tests:
        if st.n < cfg.freq_min_window * bb.r1:
            continue
        for j in peaks(st.z_freq, PRE * cfg.z_freq, GRID):
            m = int(st.m[j])
            # a window that holds a phase step measures a false slope: explained
            if not any(abs(m - b) <= st.n + n for b, n in taken) and \
                    not any(abs(m - b) <= d for b, d in near):
                fpeaks.append((float(st.z_freq[j]) / cfg.z_freq, m, st.n))
    for g in _group(fpeaks):
        _, m, n = g[0]
        c = _evaluate(bb, tr, s, cfg, harmonic, m, n / 2, "frequency", cuts)
        if c is not None:
            out.append(c)
    return out, tests


def _candidates(bb: Baseband, tr: Track, s: Sums, cfg: Settings, harmonic: int,
                fixed: np.ndarray | None = None) -> tuple[list[Candidate], list[ScaleTest]]:
    """Binary-segmentation style: find candidates, then re-measure each with windows that stop
    at its neighbours (two edits a few seconds apart must not share a window), drop those that
    no longer reach the threshold, and search again between them, until nothing changes."""
    fixed = np.zeros(0, np.int64) if fixed is None else fixed
    accepted: list[Candidate] = []
    first: list[ScaleTest] = []
    for _ in range(MAX_ROUNDS):
        new, tests = _search(bb, tr, s, cfg, harmonic, accepted, fixed)
        first = first or tests
        if not new:
            break
        accepted = sorted(accepted + new, key=lambda c: c.boundary)
        for _ in range(3):
            kept = []
            for c in accepted:
                cuts = np.array([o.boundary for o in accepted if o is not c] + fixed.tolist(),
                                np.int64)
                m, half = c.boundary, c.half_width * bb.r1
                if c.kind == "phase":
                    m, half = locate(tr, s, c.boundary, max(2, int(round(c.window * bb.r1))),
                                     cuts)
                e = _evaluate(bb, tr, s, cfg, harmonic, m, half, c.kind, cuts)
                if e is None and m != c.boundary:
                    e = _evaluate(bb, tr, s, cfg, harmonic, c.boundary, c.half_width * bb.r1,
                                  c.kind, cuts)
                if e is not None:
                    kept.append(e)
            # two candidates located onto one point are one
            kept = sorted(kept, key=lambda c: -c.strength)
            kept = sorted((c for i, c in enumerate(kept)
                           if all(abs(c.boundary - o.boundary) > 1 for o in kept[:i])),
                          key=lambda c: c.boundary)
            stable = [c.boundary for c in kept] == [c.boundary for c in accepted]
            accepted = kept
            if stable:
                break
    return accepted, first


def _gap_candidates(bb: Baseband, tr: Track, s: Sums, found: list[Gap], cfg: Settings,
                    harmonic: int) -> list[Candidate]:
    out = []
    for g in found:
        if g.digital and g.z_phase < cfg.z_phase:
            # exact zeros with the line resuming in phase: a mute, no time removed or added
            # (the digital_silence detector reports the mute itself)
            continue
        # exact zeros: how far the phase moved is the evidence; else that the line vanished
        strength = (g.z_phase / cfg.z_phase if g.digital
                    else min(g.z_absent / cfg.z_gap, GAP_STRENGTH_CAP))
        for rng_, falling in ((g.before, True), (g.after, False)):
            m, half = locate_edge(tr, s, rng_[0] - s.block // 2, rng_[1] + s.block // 2,
                                  falling=falling)
            # the line's side: the window on the other side holds the gap
            n = max(2, min(s.block, g.end - g.start))
            st = scale_test(bb, tr, s, n, harmonic=harmonic, max_rate=cfg.max_rate,
                            m=np.array([m]), cuts=np.array([m - n, m + n]))
            if st.m.size == 0:
                continue
            out.append(Candidate(
                boundary=m, time=bb.boundary_time(m), half_width=half / bb.r1,
                window=float(st.span[0]), z_phase=g.z_phase, z_freq=0.0, dphi=g.dphi,
                f_left=float(st.f_left[0]), f_right=float(st.f_right[0]),
                snr_left=float(st.snr_left[0]), snr_right=float(st.snr_right[0]),
                strength=strength, kind="gap", gap=g))
    return out


def _gap_mask(size: int, found: list[Gap], pad: int) -> np.ndarray:
    """Hops in (or padded around) spans without the line: no track frame may hold one."""
    exclude = np.zeros(size, bool)
    for g in found:
        exclude[max(0, g.before[0] - pad): g.after[1] + pad] = True
    return exclude


def analyse(y: np.ndarray, rate: float, t0: float, line: HumLine,
            cfg: Settings | None = None) -> Analysis:
    """Track the line and test every hop boundary for a phase or frequency step, and look for
    spans where the line vanishes.

    A first pass finds candidates; the track is then re-estimated with the frames around them
    left out (so an edit does not bend the reference it is measured against) and the tests
    repeated: the second pass's candidates are the result.
    """
    cfg = cfg or Settings()
    k = line.harmonic
    bb = baseband(y, rate, t0, line.freq)
    tr = track(bb, k)
    pace = pace_mhz_s(tr.freq, bb.r1, k)
    if pace > cfg.max_pace:
        return Analysis(bb, tr, [], [], cfg.windows, float("nan"), pace, grid_like=False)
    s = sums(bb, tr)
    cands, tests = _candidates(bb, tr, s, cfg, k)
    found = gaps(bb, tr, s, harmonic=k, max_rate=cfg.max_rate, z=cfg.z_gap)
    if cands or found:
        cuts = np.array(sorted({c.boundary for c in cands}
                               | {b for g in found for b in (g.start, g.end)}), np.int64)
        tr = track(bb, k, _gap_mask(bb.b.size, found, max(1, int(round(0.1 * bb.r1)))), cuts)
        s = sums(bb, tr)
        found = gaps(bb, tr, s, harmonic=k, max_rate=cfg.max_rate, z=cfg.z_gap)
        # no test window reaches into a span without the line
        fixed = np.array(sorted({b for g in found for b in (g.before[0], g.after[1])}),
                         np.int64)
        cands, tests = _candidates(bb, tr, s, cfg, k, fixed)
    edges = _gap_candidates(bb, tr, s, found, cfg, k)
    # a step found at a gap's edge is the gap's: keep the gap's account of it
    cands = [c for c in cands
             if not any(g.before[0] - s.block <= c.boundary <= g.after[1] + s.block
                        for g in found)]
    cands = sorted(cands + edges, key=lambda c: c.time)
    min_jump = float("nan")
    for st in tests:
        # |dphi| / sd >= z_phase: the smallest flagged jump is z_phase * sd
        sd = np.abs(st.dphi) / np.maximum(st.z_phase, 1e-9)
        good = np.isfinite(sd) & (st.z_phase > 0)
        if good.any():
            j = float(min(np.pi, cfg.z_phase * np.median(sd[good])))
            min_jump = j if not np.isfinite(min_jump) else min(min_jump, j)
    return Analysis(bb, tr, cands, found, cfg.windows, min_jump, pace)


def pace_mhz_s(freq: np.ndarray, r1: float, harmonic: int, lag: int = 10) -> float:
    """How fast the hum's frequency moves: the 90th percentile of ``|f(t + lag) - f(t)| / lag``
    over one-second means of the track (mHz per second, at the fundamental).

    The ENF-WHU references move by at most 2.2 mHz/s on this measure (median 1.7); the lag of
    10 s keeps estimation noise out of it (at 10 dB SNR it adds under 1 mHz/s, where a one-second
    lag would add 5). A hum that moves faster than ``Settings.max_pace`` comes from a generator
    or is not mains hum, and its wander would read as steps. NaN when the file is shorter than
    ``lag + 1`` seconds (the test is then not made).
    """
    step = max(1, int(round(r1)))
    n = freq.size // step
    if n <= lag:
        return float("nan")
    f = freq[: n * step].reshape(n, step).mean(axis=1)
    d = np.abs(f[lag:] - f[:-lag]) / (lag * harmonic)
    return float(np.quantile(d, 0.9)) * 1e3
