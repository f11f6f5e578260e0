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
    n = y.size
    seg = int(min(2 ** int(np.log2(max(segment_seconds * rate, 2))), n))
    if seg < 16:
        return []
    count = int(min(max_segments, max(1, n // seg)))
    starts = np.linspace(0, n - seg, count).astype(np.int64)
    if isinstance(y, Parts):
        x = np.stack([y.span(a, a + seg) for a in starts])
    else:
        x = np.lib.stride_tricks.sliding_window_view(y, seg)[starts]
    win = np.hanning(seg + 2)[1:-1].astype(np.float32)
    spec = np.fft.rfft(x * win, axis=1)
    p = spec.real**2 + spec.imag**2
    df = rate / seg
    top = min(0.45 * rate, PASS_EDGE + 6.0)
    out: list[HumLine] = []
    for f0 in NOMINALS:
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
    return out


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
