"""ENF step tests: at hop boundaries, does the tracked line's phase, frequency or level step
between the windows either side?

Pure numpy on arrays (see :mod:`auditor.detect.splice.enf` for the method). The phase test is
the window-sum comparison of Rodriguez, Apolinario and Biscainho ("Audio authenticity:
detecting ENF discontinuity with high precision phase analysis", IEEE Trans. Inf. Forensics
Security 5(3), 534-543, 2010), each side's phasor the weighted sum of :mod:`.sums`. Hops are
the 10 ms steps of :class:`~auditor.detect.splice.enf.track.Baseband`; boundary ``m`` lies
between hop ``m - 1`` and hop ``m``. The search that runs these tests over a file is
:mod:`auditor.detect.splice.enf.search`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sums import Line, phase_var

#: boundaries tested per window length (a step's peak is about one window wide); a peak on
#: that grid counts from PRE times the threshold, then is measured where it is located
GRID = 4
PRE = 0.8
#: line power over noise power a window sum needs on both sides for a step to be tested
MIN_WINDOW_SNR = 4.0
#: fewest hops a window clipped at another edit may keep
MIN_SIDE = 10
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
#: a change of the line's level smaller than this (dB) is not tested: mains hum drifts in
#: level by a fraction of a decibel over seconds; larger changes that do not stay are speech
#: leaking into the line, which the noise estimate already counts
LEVEL_TOLERANCE_DB = 2.0
#: chi-squared (2 dof) to one-sided normal: ``z^2 = x - JOINT_OFFSET`` matches the tails near
#: the threshold (see joint_z)
JOINT_OFFSET = 4.0
#: the first line's own phase test where a second harmonic may join it (half the threshold)
JOINT_MIN_Z1 = 3.0


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


def _boundaries(n: int, size: int, m: np.ndarray | None, cuts: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The boundaries ``m`` (default: every ``n // GRID`` hops) whose windows hold enough hops,
    with their windows' starts and ends (:func:`_limits`)."""
    if m is None:
        m = np.arange(n, size - n + 1, max(1, n // GRID))
        if cuts is not None and cuts.size:
            # windows clipped at an edit reach closer to the data's ends too
            m = np.arange(MIN_SIDE, size - MIN_SIDE + 1, max(1, n // GRID))
    m = np.asarray(m, np.int64)
    lo, hi = _limits(m, n, size, cuts)
    full = (m - lo >= n) & (hi - m >= n) if cuts is None or not cuts.size else \
        (m - lo >= MIN_SIDE) & (hi - m >= MIN_SIDE)
    return m[full], lo[full], hi[full]


def scale_test(line: Line, n: int, *, max_rate: float, m: np.ndarray | None = None,
               cuts: np.ndarray | None = None, phase_only: bool = False) -> ScaleTest:
    """Phase and frequency step statistics of ``line`` for windows of ``n`` hops each side
    (clipped at ``cuts``), at boundaries ``m`` (default: every ``n // GRID`` hops); with
    ``line.other``, its phase test joins the line's (:func:`joint_z`). With ``phase_only``,
    the frequency and level tests are not made (their fields are NaN)."""
    s, harmonic = line.s, line.harmonic
    m, lo, hi = _boundaries(n, line.tr.u.size, m, cuts)
    sl, nl, sr, nr, dphi, w, snr_l, snr_r, z_phase = _phase_test(line, m, lo, hi)
    if phase_only:
        fl = fr = z_freq = z_level = level_db = np.full(m.size, np.nan)
    else:
        fl, fr, sd_f = _frequencies(line, m, lo, hi)
        allowed = harmonic * max_rate * w
        z_freq = np.where(np.minimum(snr_l, snr_r) >= MIN_WINDOW_SNR,
                          np.maximum(np.abs(fr - fl) - allowed, 0.0) / sd_f, 0.0)
        z_level, level_db = _level_step(sl, nl, s.weight(lo, m), sr, nr, s.weight(m, hi))
        z_level = np.where(np.maximum(snr_l, snr_r) >= MIN_WINDOW_SNR, z_level, 0.0)
    z_other = np.zeros_like(z_phase)
    z_one = z_phase
    if line.other is not None:
        # the other harmonic's baseband has as many hops: the same boundaries and windows
        z_other = _phase_test(line.other, m, lo, hi)[-1]
        z_phase = joint_z(z_one, z_other)
    return ScaleTest(n, m, z_phase, dphi, z_freq, fl, fr, snr_l, snr_r, w, z_level, level_db,
                     z_one, z_other)


def _phase_test(line: Line, m: np.ndarray, lo: np.ndarray, hi: np.ndarray
                ) -> tuple[np.ndarray, ...]:
    """The phase test of ``line`` alone at boundaries ``m`` (windows [lo, m) and [m, hi)):
    the weighted sums either side and their noise variances, the phase step, the span between
    the windows' centres (s), each side's SNR and the step over its standard error."""
    bb, s, harmonic = line.bb, line.s, line.harmonic
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
    var = phase_var(sl, nl) + phase_var(sr, nr) + track_var + wobble**2
    snr_l = np.maximum(np.abs(sl) ** 2 - nl, 0) / np.maximum(nl, 1e-300)
    snr_r = np.maximum(np.abs(sr) ** 2 - nr, 0) / np.maximum(nr, 1e-300)
    # a phase needs the line on both sides (a side without it is a gap's business)
    z_phase = np.where(np.minimum(snr_l, snr_r) >= MIN_WINDOW_SNR,
                       np.abs(dphi) / np.sqrt(var), 0.0)
    return sl, nl, sr, nr, dphi, w, snr_l, snr_r, z_phase


def _frequencies(line: Line, m: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The line's frequency either side of boundaries ``m`` (windows [lo, m) and [m, hi)) and
    the standard error of their difference (Hz, from ``Baseband.center``): the track's mean
    over the window plus the residual slope of ``u`` between its half-windows."""
    bb, s = line.bb, line.s
    nl_, nr_ = m - lo, hi - m
    ph_lo, ph_m, ph_hi = (_start_phase(line.tr.phase, i) for i in (lo, m, hi))
    hl, hr = nl_ // 2, nr_ // 2
    l1, vl1 = s.weighted(m - 2 * hl, m - hl)
    l2, vl2 = s.weighted(m - hl, m)
    r1, vr1 = s.weighted(m, m + hr)
    r2, vr2 = s.weighted(m + hr, m + 2 * hr)
    fl = ((ph_m - ph_lo) / (2 * np.pi * nl_ / bb.r1)
          + np.angle(l2 * np.conj(l1)) / (2 * np.pi * np.maximum(hl, 1) / bb.r1))
    fr = ((ph_hi - ph_m) / (2 * np.pi * nr_ / bb.r1)
          + np.angle(r2 * np.conj(r1)) / (2 * np.pi * np.maximum(hr, 1) / bb.r1))
    kl = bb.r1 / (2 * np.pi * np.maximum(hl, 1))  # rad -> Hz for a half-window lag
    kr = bb.r1 / (2 * np.pi * np.maximum(hr, 1))
    sd_f = np.sqrt((phase_var(l1, vl1) + phase_var(l2, vl2)) * kl**2
                   + (phase_var(r1, vr1) + phase_var(r2, vr2)) * kr**2)
    return fl, fr, sd_f


def _start_phase(phase: np.ndarray, i: np.ndarray) -> np.ndarray:
    """The track's phase at the start of hops ``i``: ``phase[i - 1]``, and 0 for hop 0."""
    return np.where(i > 0, phase[np.maximum(i - 1, 0)], 0.0)


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
