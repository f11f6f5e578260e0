"""ENF narrow band and frequency track of one mains line (the line is chosen by
:mod:`auditor.detect.splice.enf.hum`, the streaming decimation is
:mod:`auditor.detect.splice.enf.decimate`).

Pure numpy on arrays; :mod:`auditor.detect.splice.enf` documents the method and
:mod:`auditor.detect.splice.enf.steps` tests the tracked line for edits. The track follows
Grigoras ("Digital audio recording analysis: the Electric Network Frequency (ENF) Criterion",
Int. J. Speech, Language and the Law 12(1), 63-76, 2005). Notation: ``y`` is the mono mix
low-passed and decimated to 1.2-2.4 kHz (rate ``r``); ``b`` the complex baseband of one mains
harmonic, one value per 10 ms hop; ``u`` is ``b`` with the phase of the tracked frequency
removed, a constant phasor wherever the recording is continuous.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .decimate import kaiser_lowpass, kaiser_order, single_thread
from .hum import MAX_DEVIATION

#: hop of the harmonic's baseband (seconds)
HOP_SECONDS = 0.01
#: the baseband low-pass: pass +-BASE_PASS Hz, stop beyond BASE_STOP Hz by BASE_STOP_DB
BASE_PASS = 14.0
BASE_STOP = 45.0
BASE_STOP_DB = 55.0
#: a grid's usual pace (Hz/s at the fundamental): how fast the track's error grows where it
#: is held flat beyond its outer frames (the ENF-WHU traces move by ~1.5 mHz in a second)
GRID_PACE = 0.002


# --------------------------------------------------------------------------- baseband


@dataclass
class Baseband:
    """Complex baseband of one line: ``b[m]`` sums hop ``m`` of ``y`` against ``exp(-2j pi
    center t)`` (a DFT of the hop at the line's frequency). ``t0`` is the time of the first
    sample of hop 0; hops are ``hop`` samples of ``y`` (rate ``rate``)."""

    b: np.ndarray
    rate: float  # of y
    hop: int
    t0: float
    center: float

    @property
    def r1(self) -> float:
        return self.rate / self.hop

    def boundary_time(self, m: float) -> float:
        """Time (s) of the boundary just before hop ``m`` (between two samples of ``y``)."""
        return self.t0 + (m * self.hop - 0.5) / self.rate


def baseband(y: np.ndarray, rate: float, t0: float, center: float) -> Baseband:
    """Heterodyne ``y`` by ``center`` and decimate to one value per 10 ms hop.

    The low-pass is a Kaiser FIR passing +-``BASE_PASS`` Hz (the noise offsets and the line's
    wander) and stopping beyond ``BASE_STOP`` Hz by ``BASE_STOP_DB``: speech partials tens of
    hertz from the line, 30-50 dB above the hum, must neither alias into the band nor leak
    into window sums. Polyphase: output m is ``sum_k kern[k] . Y[m - k]`` with ``Y`` the hops
    of ``y``, as one (2K x hop) by (hop x M) matrix product.
    """
    hop, rows, n, e = _kernel(rate, center)
    m = y.size // hop
    with single_thread():
        p = e @ y[: m * hop].reshape(m, hop).T  # (2 rows, m): BLAS streams over y once
    re, im = p[0].astype(np.float64), p[rows].astype(np.float64)
    for r_ in range(1, rows):
        re[r_:] += p[r_, : m - r_]
        im[r_:] += p[rows + r_, : m - r_]
    b = (re + 1j * im) * _turns(center * hop / rate, m)
    # output m is centred on y sample mH + H-1 - (n-1)/2, i.e. (n - H)/2 samples before the
    # hop's own centre: shift t0 so that hop m still reads as y[mH, mH + H)
    return Baseband(b, rate, hop, t0 - (n - hop) / (2 * rate), center)


@lru_cache(maxsize=4)
def _kernel(rate: float, center: float) -> tuple[int, int, int, np.ndarray]:
    """The hop, rows, filter length and (2 rows, hop) polyphase matrix of :func:`baseband` (real
    parts of the kernel's rows, then imaginary parts). Read-only and, like :func:`_turns`, made
    once for a recording's pieces (see the package), which share the line and mostly a length."""
    hop = max(1, int(round(rate * HOP_SECONDS)))
    numtaps, beta = kaiser_order(BASE_STOP_DB, (BASE_STOP - BASE_PASS) / (rate / 2))
    rows = max(1, -(-numtaps // hop))
    n = rows * hop
    g = kaiser_lowpass(n, (BASE_PASS + BASE_STOP) / 2, beta, rate)
    # output m: sum over l of g[l] y[mH + H-1 - l] exp(-2j pi c (mH + H-1 - l) / rate);
    # with l = kH + H-1-i: row k, column i of the hop matrix (y[(m-k)H + i])
    k = np.arange(rows)[:, None]
    i = np.arange(hop)[None, :]
    lag = k * hop + hop - 1 - i
    kern = g[lag] * np.exp(-2j * np.pi * center * (i - k * hop) / rate)  # (rows, hop)
    e = np.concatenate([kern.real, kern.imag]).astype(np.float32)  # (2 rows, hop)
    e.flags.writeable = False
    return hop, rows, n, e


@lru_cache(maxsize=4)
def _turns(step: float, m: int) -> np.ndarray:
    """``exp(-2j pi step j)`` for hops ``j < m``: the heterodyne's phase at each hop."""
    out = np.exp(-2j * np.pi * step * np.arange(m))
    out.flags.writeable = False
    return out


def csum(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.size + 1, x.dtype)
    out[0] = 0
    np.cumsum(x, out=out[1:])
    return out


#: seconds between the track's frames (stft_track's default step)
FRAME_STEP = 1.0
#: hops each side over which the power near the line is averaged for a track weight
QUIET_HALF = 12


def quiet_weights(b: np.ndarray) -> np.ndarray:
    """Weight of each hop of a baseband in the track's frames: the file's median local power
    near the line over the hop's own (its mean ``|b|^2`` over ``QUIET_HALF`` hops each side),
    at most 1. Where speech floods the band the hop counts for less, as in the step tests'
    weighted sums; the weights are real, so the frame's magnitude spectrum stays symmetric
    about the line and its interpolated peak unbiased."""
    if b.size == 0:
        return np.ones(0)
    power = local_power(b, QUIET_HALF)
    typical = float(np.median(power))
    if typical <= 0:
        return np.ones(b.size)
    return typical / np.maximum(power, typical)


def local_power(b: np.ndarray, half: int) -> np.ndarray:
    """Mean ``|b|^2`` over ``half`` hops each side of each hop (fewer at the edges)."""
    return box_sum(b.real**2 + b.imag**2, half) / (2 * half + 1)


def box_sum(x: np.ndarray, half: int) -> np.ndarray:
    """Centred moving sum over 2*half+1 samples (shorter at the edges): ``c[min(i + half + 1,
    n)] - c[max(i - half, 0)]`` of the cumulative sum ``c``, taken by slices (the same
    differences; gathers through index arrays took three times as long)."""
    return box_diff(csum(x), half)


def box_diff(c: np.ndarray, half: int) -> np.ndarray:
    """:func:`box_sum` of the samples whose cumulative sum (size n + 1) is ``c``."""
    n = c.size - 1
    if n <= 2 * half + 1:
        idx = np.arange(n)
        return c[np.minimum(idx + half + 1, n)] - c[np.maximum(idx - half, 0)]
    out = np.empty(n, c.dtype)
    np.subtract(c[2 * half + 1:], c[: n - 2 * half], out=out[half: n - half])
    np.subtract(c[half + 1: 2 * half + 1], c[0], out=out[:half])
    np.subtract(c[n], c[n - 2 * half: n - half], out=out[n - half:])
    return out


def fill(values: np.ndarray, good: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` over the positions where ``good`` is False."""
    if good.all() or not good.any():
        return values if good.all() else np.zeros_like(values)
    idx = np.arange(values.size)
    return np.interp(idx, idx[good], values[good])


# --------------------------------------------------------------------------- tracking


@dataclass
class Track:
    """Smooth frequency track of a line and the baseband with its phase removed.

    ``freq[m]`` is the line's offset (Hz) from ``Baseband.center`` at hop ``m``; ``phase`` its
    integral (radians, at the hop's centre); ``u = b * exp(-1j * phase)``; ``freq_sd`` the
    standard error of ``freq``.
    """

    freq: np.ndarray
    phase: np.ndarray
    u: np.ndarray
    freq_sd: np.ndarray


def _peak(fr: np.ndarray, r2: float, nfft: int, reach: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolated spectral peak of each Hann frame (rows of ``fr``, baseband at ``r2`` Hz)
    within +-``reach`` Hz: (frequency, peak power, peak over noise per bin)."""
    nf = fr.shape[1]
    nfft = max(nfft, 4 * nf)
    p = np.abs(np.fft.fft(fr * np.hanning(nf + 2)[1:-1], nfft, axis=1)) ** 2
    freqs = np.fft.fftfreq(nfft, 1 / r2)
    search = np.flatnonzero(np.abs(freqs) <= reach)
    search = search[np.argsort(freqs[search])]
    outside = np.flatnonzero((np.abs(freqs) > reach + 0.5) & (np.abs(freqs) <= reach + 3.0))
    rows = np.arange(fr.shape[0])
    noise = (np.median(p[:, outside], axis=1) / np.log(2.0) if outside.size
             else np.full(rows.size, 1e-300))
    i = np.clip(np.argmax(p[:, search], axis=1), 1, max(1, search.size - 2))
    nb = search[np.clip(np.stack([i - 1, i, i + 1], axis=1), 0, search.size - 1)]
    la, lb, lc = np.log(p[rows[:, None], nb] + 1e-300).T
    den = la - 2 * lb + lc
    delta = np.where(den < 0, 0.5 * (la - lc) / np.where(den < 0, den, -1.0), 0.0)
    f = freqs[search[i]] + np.clip(delta, -1.0, 1.0) * (r2 / nfft)
    peak = p[rows, search[i]]
    return f, peak, peak / np.maximum(noise, 1e-300)


@dataclass(frozen=True)
class Framing:
    """How :func:`stft_track` frames the line: ``frame``-second Hann frames every ``step``
    seconds, zero-padded to at least ``nfft`` bins; a frame counts when its peak is at least
    ``min_snr`` times its noise per bin; a running median over ``median`` kept frames."""

    frame: float = 4.0
    step: float = FRAME_STEP
    nfft: int = 128
    min_snr: float = 2.0
    median: int = 7


FRAMING = Framing()

Fit = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Frames:
    """The line's baseband summed to about 10 Hz, and the peak of each of its frames."""

    b10: np.ndarray  # the weighted baseband summed over ``dec`` hops (rate ``r2``)
    dec: int
    r2: float
    reach: float  # Hz either side of the line's centre where the peak is searched
    nf: int  # samples of b10 per frame
    starts: np.ndarray  # first sample of b10 of each frame
    freq: np.ndarray  # each frame's interpolated peak (Hz from the line's centre)
    peak: np.ndarray  # the peak's power
    ok: np.ndarray  # frames kept: over the noise, at the usual level, no excluded hop


def frame_peaks(bb: Baseband, harmonic: int, framing: Framing = FRAMING) -> Frames:
    """Every frame's interpolated peak over the whole baseband, and which frames count before
    any hop is excluded: what every track of the baseband reads (:func:`track`'s ``peaks``)."""
    size = bb.b.size
    dec = max(1, int(round(bb.r1 / 10)))
    m = size // dec
    r2 = bb.r1 / dec
    reach = harmonic * MAX_DEVIATION + 0.2
    b10 = (bb.b[: m * dec] * quiet_weights(bb.b[: m * dec])).reshape(m, dec).sum(axis=1)
    nf = min(m, max(4, int(round(framing.frame * r2))))
    hs = max(1, int(round(framing.step * r2)))
    starts = np.arange(0, max(m - nf, 0) + 1, hs)
    if m >= 4 and starts.size:
        fr = np.lib.stride_tricks.sliding_window_view(b10, nf)[starts]
        f_all, peak, snr = _peak(fr, r2, framing.nfft, reach)
        ok = (snr >= framing.min_snr) & (peak >= 0.05 * np.median(peak))
    else:
        f_all = peak = np.zeros(0)
        ok = np.zeros(0, bool)
    return Frames(b10, dec, r2, reach, nf, starts, f_all, peak, ok)


def _one_estimate(fr: Frames, lo: int, hi: int, harmonic: int, framing: Framing) -> Fit:
    """A segment (hops [lo, hi)) too short for a frame: one estimate over its whole length, if
    it holds the line at its usual level (else NaN: the caller interpolates across it)."""
    a, b = -(-lo // fr.dec), hi // fr.dec
    f1 = np.array([np.nan])
    if b - a >= 4:
        f_one, p_one, s_one = _peak(fr.b10[a:b][None, :], fr.r2, framing.nfft, fr.reach)
        usual = float(np.median(fr.peak)) * (b - a) / fr.nf if fr.peak.size else 0.0
        if s_one[0] >= framing.min_snr and p_one[0] >= 0.05 * usual:
            f1 = f_one
    return np.array([(lo + hi) / 2]), f1, np.full(1, 0.02 * harmonic)


def running_median(x: np.ndarray, size: int) -> np.ndarray:
    """Running median of ``size`` values, the ends extended with the edge values: the window of
    ``i`` is ``x[i - size // 2 : i + size - size // 2]`` and, for an even ``size``, the upper of
    the two middle values is taken (what ``scipy.ndimage.median_filter(x, size,
    mode="nearest")`` gives, without importing scipy.ndimage: 0.3 s of a scan's start-up)."""
    padded = np.pad(x, (size // 2, size - size // 2 - 1), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)
    return np.partition(windows, size // 2, axis=1)[:, size // 2]


def stft_track(bb: Baseband, harmonic: int, *, cuts: np.ndarray | None = None,
               exclude: np.ndarray | None = None, framing: Framing = FRAMING,
               peaks: Frames | None = None) -> tuple[list[tuple[int, int]], list[Fit]]:
    """Frame-wise interpolated spectral peak of the line (Grigoras 2005), robustly smoothed.

    The baseband, each hop weighted by :func:`quiet_weights`, is summed to 10 Hz; each
    ``framing.frame``-second Hann frame, every ``framing.step`` seconds,
    is zero-padded and the strongest bin within ``harmonic * MAX_DEVIATION + 0.2`` Hz refined by
    a parabola through the log magnitudes of it and its neighbours. Frames whose peak is under
    ``framing.min_snr`` times the frame's noise per bin or far below the file's usual line
    level (a gap), or that hold an ``exclude``d hop, are dropped; a running median over
    ``framing.median`` kept frames rejects speech partials. The recording is tracked segment by
    segment between the edit points in ``cuts`` (hops): no frame or median crosses an edit, and
    a segment too short for a frame gets one estimate over its whole length.

    ``peaks``: the baseband's :func:`frame_peaks` with ``framing``, if read already. Returns the
    segments (hop ranges) and, for each, the frame centres (hops), the smoothed frequency (Hz
    from ``bb.center``) and its standard error (Hz).
    """
    size = bb.b.size
    median = framing.median
    edges = [0] + sorted({int(c) for c in (cuts if cuts is not None else [])
                          if 0 < c < size}) + [size]
    segments = list(zip(edges[:-1], edges[1:], strict=True))
    fr = peaks if peaks is not None else frame_peaks(bb, harmonic, framing)
    if exclude is not None and exclude.any() and fr.ok.size:
        m = fr.b10.size
        ex = np.concatenate([[0], np.cumsum(exclude[: m * fr.dec].reshape(m, fr.dec).any(axis=1))])
        fr = replace(fr, ok=fr.ok & ((ex[fr.starts + fr.nf] - ex[fr.starts]) == 0))
    out: list[Fit] = []
    # the file's usual scatter of kept frames about their running median: a short segment's
    # few frames can agree by chance, and its track is no surer than half the usual
    kept = fr.freq[fr.ok]
    usual_spread = (float(np.median(np.abs(kept - running_median(kept, median)))) * 1.4826
                    if kept.size >= 2 * median else 0.0)
    for lo, hi in segments:
        inside = np.flatnonzero(fr.ok & (fr.starts * fr.dec >= lo)
                                & ((fr.starts + fr.nf) * fr.dec <= hi))
        if inside.size == 0:
            out.append(_one_estimate(fr, lo, hi, harmonic, framing))
            continue
        f = fr.freq[inside]
        size_m = min(median, f.size)
        smooth = running_median(f, size_m)
        # scatter of the kept frames about the smooth track -> standard error of the median
        spread = np.maximum(running_median(np.abs(f - smooth), max(size_m, 15)) * 1.4826,
                            0.5 * usual_spread)
        centre = (fr.starts[inside] + fr.nf / 2) * fr.dec
        out.append((centre.astype(np.float64), smooth, spread * 1.2533 / np.sqrt(size_m)))
    return segments, out


def track(bb: Baseband, harmonic: int, exclude: np.ndarray | None = None,
          cuts: np.ndarray | None = None, peaks: Frames | None = None) -> Track:
    """Smooth frequency track of the line (segment by segment between ``cuts``) and the
    baseband with its phase removed (``peaks``: the baseband's :func:`frame_peaks`, if read)."""
    size = bb.b.size
    segments, fits = stft_track(bb, harmonic, cuts=cuts, exclude=exclude, peaks=peaks)
    freq = np.full(size, np.nan)
    sd = np.empty(size)
    for (lo, hi), (centre, f, e) in zip(segments, fits, strict=True):
        pos = np.arange(lo, hi) + 0.5
        if np.isfinite(f).all():
            freq[lo:hi] = np.interp(pos, centre, f)
        # beyond the outer frames the track is held flat while the grid drifts on, and
        # between frames further apart than their step (frames left out) it runs straight
        near = _nearest(pos, centre)
        inside = (pos > centre[0]) & (pos < centre[-1])
        drift = np.where(inside, np.maximum(near - FRAME_STEP * bb.r1 / 2, 0), near)
        sd[lo:hi] = np.interp(pos, centre, e) + harmonic * GRID_PACE * drift / bb.r1
    # a segment without the line (a gap): the frequency runs straight across it
    good = np.isfinite(freq)
    freq = fill(np.where(good, freq, 0.0), good)
    phase = np.cumsum(2 * np.pi * freq / bb.r1)
    return Track(freq, phase, _derotate(bb.b, phase), np.maximum(sd, 1e-4 * harmonic))


def _nearest(pos: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Distance from each of the sorted ``pos`` to the nearest of the sorted ``centre``."""
    # i = np.searchsorted(centre, pos), with a search per centre instead of one per position
    below = np.searchsorted(pos, centre, side="right")
    i = np.repeat(np.arange(centre.size + 1), np.diff(below, prepend=0, append=pos.size))
    left = np.abs(pos - centre[np.maximum(i - 1, 0)])
    right = np.abs(centre[np.minimum(i, centre.size - 1)] - pos)
    return np.minimum(left, right)


def _derotate(b: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """``b * exp(-1j * phase)`` (the phase wrapped first: cos and sin of huge angles lose
    precision)."""
    rot = np.mod(phase, 2 * np.pi)
    return b * _conj_unit(rot)


def _conj_unit(rot: np.ndarray) -> np.ndarray:
    """``cos(rot) - 1j * sin(rot)`` in place (real ``cos``, imaginary ``0 - sin``: the same values,
    zeros' signs too), a fresh temporary for the product to be computed in, as the expression's."""
    out = np.empty(rot.shape, np.complex128)
    out.real = np.cos(rot)
    np.subtract(0.0, np.sin(rot), out=out.imag)
    return out


def follow(bb: Baseband, tr: Track, ratio: float) -> Track:
    """The track ``tr`` of one harmonic carried to another harmonic's baseband ``bb`` (centred
    ``ratio`` times as high): frequency, phase and error scale by ``ratio``. One grid drives
    every harmonic, so the first line's track removes the other's phase as well."""
    phase = tr.phase * ratio
    return Track(tr.freq * ratio, phase, _derotate(bb.b, phase), tr.freq_sd * ratio)
