"""ENF hum search: which mains line a recording holds, and how strongly.

Every line ``k * f0`` (``f0`` 50 or 60 Hz, ``k`` 1..7) is measured in segments spread over the
file; the cue follows the strongest line of the nominal whose own harmonics are strongest, and
may join a second harmonic's phase test to it. Pure numpy on arrays;
:mod:`auditor.detect.splice.enf` documents the method, :mod:`auditor.detect.splice.enf.track`
follows the chosen line. ``y`` is the mono mix low-passed and decimated to 1.2-2.4 kHz (rate
``r``, :mod:`auditor.detect.splice.enf.decimate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decimate import PASS_EDGE, Parts

#: nominal mains frequencies and the harmonics searched
NOMINALS = (50.0, 60.0)
MAX_HARMONIC = 7
#: largest deviation (Hz, at the fundamental) of a grid from its nominal frequency searched
MAX_DEVIATION = 0.25


@dataclass(frozen=True)
class HumLine:
    """One candidate mains line: nominal, harmonic, SNR (dB in a 1 Hz band), peak frequency."""

    nominal: float
    harmonic: int
    snr_db: float
    freq: float  # median peak frequency (Hz, at the harmonic)

    @property
    def center(self) -> float:
        return self.nominal * self.harmonic


@dataclass(frozen=True)
class HumScan:
    """What :func:`measure` finds: the lines, and per line what the grid test reads.

    ``seg_snr`` and ``seg_freq`` (shape ``(len(lines), segments)``) are each segment's SNR
    (linear, 1 Hz) and peak frequency (Hz at the harmonic, interpolated between bins) over
    segments of ``seg_seconds``; ``quiet_snr`` and ``speech_snr`` (shape ``(len(lines),)``,
    linear, 1 Hz, NaN where there are no such frames) are each line's SNR in the short frames
    without speech and in those with it, of which there are ``quiet_frames`` and
    ``speech_frames``, each ``frame_seconds`` long.
    """

    lines: list[HumLine]
    seg_snr: np.ndarray
    seg_freq: np.ndarray
    seg_seconds: float
    quiet_snr: np.ndarray
    speech_snr: np.ndarray
    quiet_frames: int
    speech_frames: int
    frame_seconds: float


def hum_lines(y: np.ndarray | Parts, rate: float, *, max_segments: int = 240,
              segment_seconds: float = 8.0) -> list[HumLine]:
    """SNR of every candidate mains line (50/60 Hz, harmonics 1..7) in ``y``.

    The signal is cut into up to ``max_segments`` segments of ``segment_seconds`` spread over
    the file; in each, the Hann-windowed periodogram's strongest bin within
    ``k * (f0 +- MAX_DEVIATION)`` and its two neighbours either side give the line's power, and
    the median of the bins 1-6 Hz beyond that search band (divided by ln 2: periodogram bins of
    noise are exponential) the noise per bin. The segment's SNR is line power over noise power
    in 1 Hz; the file's is the median over segments, so intermittent speech does not count.
    """
    return measure(y, rate, max_segments=max_segments, segment_seconds=segment_seconds).lines


#: the short frames in which speech activity and the hum's presence are read (seconds,
#: rounded to a power of two of samples), and how close to the file's floor (its 5th
#: percentile of frame level, lines left out) a frame without speech is, or how far over it
#: one with speech
FRAME_SECONDS = 0.8
QUIET_DB = 3.0
SPEECH_DB = 10.0


def measure(y: np.ndarray | Parts, rate: float, *, max_segments: int = 240,
            segment_seconds: float = 8.0, nominals: tuple[float, ...] = NOMINALS,
            frames: bool = True) -> HumScan:
    """:func:`hum_lines`' lines, with what the grid test (:mod:`.grid`) reads of each.

    Per segment, the line's SNR and its peak frequency (the strongest bin refined by a parabola
    through the log powers of it and its neighbours). The same segments are cut into frames of
    about :data:`FRAME_SECONDS`; a frame's level (its mean periodogram between 40 Hz and the
    pass band's edge, the bins near every multiple of 50 and 60 Hz left out) against the
    file's floor says whether someone speaks in it, and each line's SNR is that of the median
    frame without speech (and with it), against the noise beside the line in their mean
    periodogram.

    ``nominals`` limits the lines to those grids' (a grid given by the user: the other
    grid's lines and the frames, which only the test of an ``auto`` grid reads, are not
    measured; the lines measured are the same either way), and ``frames=False`` leaves the
    frames out (``quiet_snr`` and ``speech_snr`` are then NaN, with no frames).
    """
    n = y.size
    seg = int(min(2 ** int(np.log2(max(segment_seconds * rate, 2))), n))
    empty = np.zeros((0, 0))
    if seg < 16:
        return HumScan([], empty, empty, 0.0, np.zeros(0), np.zeros(0), 0, 0, 0.0)
    count = int(min(max_segments, max(1, n // seg)))
    starts = np.linspace(0, n - seg, count).astype(np.int64)
    if isinstance(y, Parts):
        x = np.empty((count, seg), np.float32)
        for row, a in zip(x, starts, strict=True):
            y.span(a, a + seg, out=row)
    else:
        x = np.lib.stride_tricks.sliding_window_view(y, seg)[starts]
    win = np.hanning(seg + 2)[1:-1].astype(np.float32)
    spec = np.fft.rfft(x * win, axis=1)
    p = spec.real**2 + spec.imag**2
    df = rate / seg
    top = min(0.45 * rate, PASS_EDGE + 6.0)
    out: list[HumLine] = []
    seg_snr, seg_freq = [], []
    for f0 in nominals:
        for k in range(1, MAX_HARMONIC + 1):
            h = k * f0
            dev = k * MAX_DEVIATION + df
            if h + dev + 6.0 > top:
                break
            lo, hi = int(np.floor((h - dev) / df)), int(np.ceil((h + dev) / df)) + 1
            band = p[:, lo:hi]
            imax = np.argmax(band, axis=1) + lo
            rows = np.arange(count)[:, None]
            peak = p[rows, np.clip(imax[:, None] + np.arange(-2, 3), 0, p.shape[1] - 1)].sum(1)
            f1 = np.r_[np.arange(int((h - dev - 6) / df), int((h - dev - 1) / df)),
                       np.arange(int(np.ceil((h + dev + 1) / df)),
                                 int(np.ceil((h + dev + 6) / df)))]
            noise = np.median(p[:, f1], axis=1) / np.log(2.0) + 1e-30
            snr = df * np.maximum(peak - 5 * noise, 0.0) / noise
            med = float(np.median(snr))
            out.append(HumLine(f0, k, round(10 * np.log10(max(med, 1e-3)), 2),
                               float(np.median(imax)) * df))
            seg_snr.append(snr)
            seg_freq.append(_refined(p, imax) * df)
    if frames:
        quiet, speech, nq, ns, fs = _frames(x, rate, out)
    else:
        quiet = speech = np.full(len(out), np.nan)
        nq = ns = 0
        fs = 0.0
    return HumScan(out, np.array(seg_snr).reshape(len(out), count),
                   np.array(seg_freq).reshape(len(out), count), seg / rate, quiet, speech,
                   nq, ns, fs)


def _refined(p: np.ndarray, imax: np.ndarray) -> np.ndarray:
    """Each row's peak bin ``imax`` refined by a parabola through the log powers around it."""
    rows = np.arange(p.shape[0])
    i = np.clip(imax, 1, p.shape[1] - 2)
    a, b, c = (np.log(p[rows, i + d] + 1e-30) for d in (-1, 0, 1))
    den = a - 2 * b + c
    delta = np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0)
    return i + np.clip(delta, -0.5, 0.5)


def _frames(x: np.ndarray, rate: float, lines: list[HumLine]
            ) -> tuple[np.ndarray, np.ndarray, int, int, float]:
    """Each line's SNR (linear, 1 Hz) in the frames without speech and in those with it."""
    seg = x.shape[1]
    size = int(min(seg, 2 ** int(round(np.log2(max(FRAME_SECONDS * rate, 16))))))
    m = seg // size
    frames = np.asarray(x[:, : m * size]).reshape(-1, size)
    win = np.hanning(size + 2)[1:-1].astype(np.float32)
    spec = np.fft.rfft(frames * win, axis=1)
    q = spec.real**2 + spec.imag**2
    df = rate / size
    f = np.arange(q.shape[1]) * df
    top = min(0.45 * rate, PASS_EDGE)
    near = np.zeros(f.size, bool)
    for f0 in NOMINALS:
        for h in np.arange(f0, top + f0, f0):
            near |= np.abs(f - h) <= 2 * df + 1.0
    band = (f >= 40.0) & (f <= top) & ~near
    level = q[:, band].mean(axis=1) if band.any() else q.mean(axis=1)
    valid = level > 1e-6 * max(float(np.median(level)), 1e-30)
    floor = float(np.percentile(level[valid], 5)) if valid.any() else 0.0
    quiet = valid & (level <= floor * 10 ** (QUIET_DB / 10))
    speech = valid & (level >= floor * 10 ** (SPEECH_DB / 10))
    nan = np.full(len(lines), np.nan)
    snrs = []
    for mask in (quiet, speech):
        if not mask.any():
            snrs.append(nan)
            continue
        sub = q[mask]
        mean = sub.mean(axis=0)
        out = []
        for ln in lines:
            h, dev = ln.center, ln.harmonic * MAX_DEVIATION
            lo, hi = int(np.floor((h - dev) / df)) - 1, int(np.ceil((h + dev) / df)) + 1
            gap = 2 * df + dev
            side = ((np.abs(f - h) >= gap) & (np.abs(f - h) <= gap + 8.0) & (f <= top)
                    & ~(near & (np.abs(f - h) > 2 * df + 1.0)))  # not another line's bins
            noise = float(np.median(mean[side])) + 1e-30 if side.any() else 1e-30
            # the median frame's: a line in a minority of the frames (a gate opening) is not
            # present in them
            excess = float(np.median(sub[:, lo: hi + 1].sum(axis=1))) - (hi + 1 - lo) * noise
            out.append(df * max(excess, 0.0) / noise)
        snrs.append(np.array(out))
    return snrs[0], snrs[1], int(quiet.sum()), int(speech.sum()), size / rate


def best_line(lines: list[HumLine]) -> HumLine | None:
    """The strongest line of the nominal whose own (unshared) harmonics are strongest.

    A line both nominals share (300 Hz is 6 x 50 and 5 x 60) cannot tell the grids apart, so
    the nominal is chosen on the others; the harmonic is then the best of that nominal's.
    """
    if not lines:
        return None
    shared = {ln.center for ln in lines if any(o.center == ln.center and o.nominal != ln.nominal
                                                for o in lines)}
    own = [ln for ln in lines if ln.center not in shared] or lines
    nominal = max(own, key=lambda ln: ln.snr_db).nominal
    return max((ln for ln in lines if ln.nominal == nominal), key=lambda ln: ln.snr_db)


#: a second harmonic joins the line's phase test when it carries at least this fraction of
#: the line's phase information (SNR times harmonic squared: a step of dphi at the
#: fundamental is k dphi at harmonic k): from there the joint test is the stronger at the
#: threshold (``joint_z``: z2^2 must exceed 4 when z1 is 6, a fraction of 0.11)
SECOND_MIN_SHARE = 0.25


def second_line(lines: list[HumLine], line: HumLine, min_snr_db: float) -> HumLine | None:
    """The harmonic of ``line``'s nominal (other than ``line``'s) with the most phase
    information, when it carries at least :data:`SECOND_MIN_SHARE` of ``line``'s and is
    itself usable (``min_snr_db``, the cue's own floor)."""
    def info(ln: HumLine) -> float:
        return 10 ** (ln.snr_db / 10) * ln.harmonic**2

    others = [ln for ln in lines if ln.nominal == line.nominal and ln.harmonic != line.harmonic
              and ln.snr_db >= min_snr_db]
    if not others:
        return None
    best = max(others, key=info)
    return best if info(best) >= SECOND_MIN_SHARE * info(line) else None
