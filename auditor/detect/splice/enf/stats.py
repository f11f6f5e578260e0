"""ENF statistics: window sums of the tracked line, step tests, change points, spans without it.

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method). Hops are the 10 ms steps
of :class:`~auditor.detect.splice.enf.track.Baseband`; boundary ``m`` lies between hop ``m - 1`` and
hop ``m``. The driver that runs these tests over a file is :mod:`auditor.detect.splice.enf.steps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decimate import single_thread
from .track import Baseband, Track, box_sum, csum, local_power

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
#: how long (s) the track's frequency error keeps its sign: between window centres ``w`` s apart
#: it moves the phase difference by ``2 pi sd sqrt(w min(w, TRACK_TIME))``, less than
#: ``2 pi sd w`` (an error of one sign all along) where ``w`` is longer
TRACK_TIME = 2.0
#: seconds per block over which the noise near the line is measured
NOISE_BLOCK = 0.5
#: location half-width = LOCATE_K * (noise variance per hop) / |step per hop|^2 (hops)
LOCATE_K = 5.0
#: strength of a vanished-line edge is capped here (the absence is certain beyond it)
GAP_STRENGTH_CAP = 10.0
#: a change of the line's level smaller than this (dB) is not tested: mains hum drifts in
#: level by a fraction of a decibel over seconds; larger changes that do not stay are speech
#: leaking into the line, which the noise estimate already counts
LEVEL_TOLERANCE_DB = 2.0
#: chi-squared (2 dof) to one-sided normal: ``z^2 = x - JOINT_OFFSET`` matches the tails near
#: the threshold (see joint_z)
JOINT_OFFSET = 4.0
#: the first line's own phase test where a second harmonic may join it (half the threshold)
JOINT_MIN_Z1 = 3.0
#: hops each side of a hop over which its local power is averaged for its weight in the window
#: sums (0.25 s: a door's thump near the line lasts about that; fewer hops would make the
#: weights depend on the hop's own noise, and the reported noise of a sum fall short of its
#: true noise: by 2.5 times with 2 hops, 9 % with 12, in tests/test_splice_enf_stats.py)
POWER_HALF = 12


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

    The step tests read *weighted* sums (:meth:`weighted`): each hop weighted by the inverse of
    its noise variance (its block's, or its own local power over ``POWER_HALF`` hops each side
    when larger), the minimum-variance estimate of a constant phasor in noise of known,
    changing variance (Kay, "Fundamentals of Statistical Signal Processing: Estimation
    Theory", 1993, 6.5). A window half in loud speech and half in a pause then reads about as
    well as the pause alone, where a plain sum drowns in the speech.
    """

    u: np.ndarray  # cumulative sum of u, size + 1
    noise: np.ndarray  # cumulative noise variance, size + 1
    block: int  # hops per noise block
    block_sum: np.ndarray  # sum of u over each block
    block_noise: np.ndarray  # noise variance of that sum
    sd2: np.ndarray  # cumulative squared standard error of the track (Hz^2), size + 1
    uw: np.ndarray  # cumulative sum of w u, size + 1
    w: np.ndarray  # cumulative sum of the weights w, size + 1
    w2v: np.ndarray  # cumulative sum of w^2 var (the noise variance of the sum of w u)
    #: another harmonic of the same hum whose phase test joins this one's (see scale_test)
    other: Harmonic | None = None

    def window(self, a: np.ndarray | int, b: np.ndarray | int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Sum of u over hops [a, b) and the variance of its noise."""
        return self.u[b] - self.u[a], self.noise[b] - self.noise[a]

    def weighted(self, a: np.ndarray | int, b: np.ndarray | int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Sum of ``w u`` over hops [a, b) and the variance of its noise, ``sum w^2 var``
        (the line's amplitude per hop is that sum over :meth:`weight`)."""
        return self.uw[b] - self.uw[a], self.w2v[b] - self.w2v[a]

    def weight(self, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
        """Sum of the weights over hops [a, b)."""
        return self.w[b] - self.w[a]


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
    # weights in units of the typical variance; a block of exact zeros (a mute) holds no
    # evidence and weighs nothing. A hop's noise is its block's, or its own scatter about its
    # neighbours when larger (a partial gliding through the line within a block); its weight
    # also falls with its local power (a transient near the line, loud for a few hops of a
    # block whose mean it barely moves, is not a phasor to trust)
    typical = float(np.median(per_hop[per_hop > 0])) if np.any(per_hop > 0) else 1.0
    hop_var = np.maximum(var, _scatter(u))
    power = local_power(u, POWER_HALF)
    w = np.where(hop_var > 1e-12 * typical,
                 typical / np.maximum(np.maximum(hop_var, power), 1e-300), 0.0)
    return Sums(csum(u), csum(var), blk, bsum, per_hop * blk, csum(tr.freq_sd**2),
                csum(u * w), csum(w), csum(w * w * hop_var))


@dataclass
class Harmonic:
    """A second harmonic ``k`` of the hum, its phase removed with the first line's track
    scaled to it (:func:`~.track.follow`), and its sums."""

    bb: Baseband
    tr: Track
    s: Sums
    k: int


def _scatter(u: np.ndarray) -> np.ndarray:
    """Each hop's squared distance from the mean of the 5 hops about it, averaged over 5 hops:
    the local variance of ``u``, which a steady line does not raise."""
    local = np.abs(u - box_sum(u, 2) / 5) ** 2
    return box_sum(local, 2) / 5


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
    z_level: np.ndarray  # level step beyond LEVEL_TOLERANCE_DB over its standard error
    level_db: np.ndarray  # line level right of the boundary over left (dB)
    z_one: np.ndarray  # the phase test of this line alone (z_phase joins the other harmonic's)
    z_other: np.ndarray  # the other harmonic's phase test (zeros without one)


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
    sl, nl = s.weighted(lo, m)
    sr, nr = s.weighted(m, hi)
    dphi = np.angle(sr * np.conj(sl))
    # centres of the two windows are (nl_ + nr_) / 2 hops apart: a frequency error df of the
    # track biases the phase difference by 2 pi df times that
    w = (nl_ + nr_) / 2 / bb.r1
    # the track's error over both windows (RMS), not just at the boundary
    fsd = np.sqrt((s.sd2[hi] - s.sd2[lo]) / np.maximum(hi - lo, 1))
    # what no track follows: the grid's own phase wobble between two windows (measured)
    wobble = harmonic * GRID_WOBBLE * w**GRID_WOBBLE_EXP
    track_var = (2 * np.pi * fsd) ** 2 * w * np.minimum(w, TRACK_TIME)
    var = _phase_var(sl, nl) + _phase_var(sr, nr) + track_var + wobble**2
    snr_l = np.maximum(np.abs(sl) ** 2 - nl, 0) / np.maximum(nl, 1e-300)
    snr_r = np.maximum(np.abs(sr) ** 2 - nr, 0) / np.maximum(nr, 1e-300)
    # a phase needs the line on both sides (a side without it is a gap's business)
    z_phase = np.where(np.minimum(snr_l, snr_r) >= MIN_WINDOW_SNR,
                       np.abs(dphi) / np.sqrt(var), 0.0)
    # frequency each side: the track's mean over the window plus the residual slope of u
    ph = np.concatenate([[0.0], tr.phase])  # ph[m]: phase at the start of hop m
    hl, hr = nl_ // 2, nr_ // 2
    l1, vl1 = s.weighted(m - 2 * hl, m - hl)
    l2, vl2 = s.weighted(m - hl, m)
    r1, vr1 = s.weighted(m, m + hr)
    r2, vr2 = s.weighted(m + hr, m + 2 * hr)
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
    z_level, level_db = _level_step(sl, nl, s.weight(lo, m), sr, nr, s.weight(m, hi))
    z_level = np.where(np.maximum(snr_l, snr_r) >= MIN_WINDOW_SNR, z_level, 0.0)
    z_other = np.zeros_like(z_phase)
    z_one = z_phase
    if s.other is not None:
        o = s.other
        z_other = scale_test(o.bb, o.tr, o.s, n, harmonic=o.k, max_rate=max_rate, m=m,
                             cuts=cuts).z_phase
        z_phase = joint_z(z_one, z_other)
    return ScaleTest(n, m, z_phase, dphi, z_freq, fl, fr, snr_l, snr_r, w, z_level, level_db,
                     z_one, z_other)


def joint_z(z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    """Two independent phase tests (two harmonics) as one: ``z1^2 + z2^2`` is chi-squared with
    two degrees of freedom where nothing steps, and ``sqrt(z1^2 + z2^2 - 4)`` has the tail of one
    standard normal test there (``exp(-x / 2) = 2 Q(z)`` near ``z = 6``: 2e-9 both).

    Only where the first line itself sees a step of ``JOINT_MIN_Z1`` standard errors: a higher
    harmonic shares its band with more speech, whose partials can sit on the line for a window
    and step its phase alone. Elsewhere, and where the harmonic sees nothing (masked, or a step
    of a whole turn at it), the first line's test stands as it is."""
    joint = np.sqrt(np.maximum(z1 * z1 + z2 * z2 - JOINT_OFFSET, 0.0))
    return np.where(z1 >= JOINT_MIN_Z1, np.maximum(z1, joint), z1)


def _level_step(sl: np.ndarray, nl: np.ndarray, cl: np.ndarray, sr: np.ndarray,
                nr: np.ndarray, cr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far the line's amplitude steps between two windows (sums ``s``, noise variances
    ``n``, sums of the hops' weights ``c``: hop counts for a plain sum), in standard errors
    beyond :data:`LEVEL_TOLERANCE_DB`; and the step in dB.

    The amplitude per hop is ``sqrt(|S|^2 - N) / c`` (the noise's power taken out of the
    sum's); its standard error ``sqrt(N / 2) / c`` (the in-phase part of complex Gaussian noise
    of variance ``N``). Another recording's hum is picked up at another level: an insertion
    from another room, or with no hum of its own, steps the level where the phase may not step.
    """
    cl, cr = np.maximum(cl, 1e-12), np.maximum(cr, 1e-12)
    al = np.sqrt(np.maximum(np.abs(sl) ** 2 - nl, 0.0)) / cl
    ar = np.sqrt(np.maximum(np.abs(sr) ** 2 - nr, 0.0)) / cr
    vl = (nl / 2) / cl**2
    vr = (nr / 2) / cr**2
    tol = 10 ** (LEVEL_TOLERANCE_DB / 20)
    up = ar >= al
    excess = np.where(up, ar - tol * al, al - tol * ar)
    var = np.where(up, vr + tol**2 * vl, vl + tol**2 * vr)
    z = np.maximum(excess, 0.0) / np.sqrt(np.maximum(var, 1e-300))
    with np.errstate(divide="ignore"):
        db = 20 * np.log10(np.maximum(ar, 1e-300) / np.maximum(al, 1e-300))
    return z, np.clip(db, -99.0, 99.0)


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
    # (floored: a hop of exact zeros would otherwise swamp the sum's precision)
    floor = 1e-4 * max(abs(mu_r - mu_l) ** 2, 1e-300)
    var = np.maximum(np.maximum(np.diff(s.noise[lo: hi + 1]), _scatter(seg)), floor)
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
    either end of that span (never across another edit in ``cuts``).

    A change point found at the span's very edge means the step lies beyond it (a window test
    peaks anywhere in a plateau when one side's line is much louder than the other's): the span
    is then doubled, up to three times.
    """
    size = tr.u.size
    h = max(1, n // 2)
    lims = _limits(np.array([m0]), 10 * n, size, cuts)
    lo_lim, hi_lim = int(lims[0][0]), int(lims[1][0])
    found = (m0, n / 2)
    for _ in range(4):
        lo, hi = max(lo_lim + 2, m0 - h), min(hi_lim - 2, m0 + h)
        la, rb = max(lo_lim, lo - n), min(hi_lim, hi + n)
        if lo - la < 2 or rb - hi < 2 or hi <= lo:
            return found
        sl, _ = s.weighted(la, lo)
        sr, _ = s.weighted(hi, rb)
        wl, wr = float(s.weight(la, lo)), float(s.weight(hi, rb))
        if wl <= 0 or wr <= 0:
            return found
        found = _changepoint(tr, s, lo, hi, complex(sl) / wl, complex(sr) / wr)
        if lo + 1 < found[0] < hi - 1:
            break
        h *= 2
    return found


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
