"""Pictures of the audio around a finding: waveform envelope and spectrogram, as inline SVG.

The waveform is a min/max envelope drawn as an SVG path. The spectrogram is a short-time Fourier
transform (:class:`scipy.signal.ShortTimeFFT`, 32 ms Hann window, one frame per image column;
Allen & Rabiner, "A unified approach to short-time Fourier analysis and synthesis", Proc. IEEE
65(11), 1977) in dB, drawn in grey as printed sonagrams are (white = quiet, black = loud, 1 dB
a step over the loudest 80 dB; exact digital zeros are white) and encoded by Pillow as an 8-bit
palette PNG. The finding's span is tinted red in the image itself, so it reads the same on screen
and on paper. Both pictures are pure functions of the samples: the PNG carries no time stamp or
text chunk, so the same excerpt gives the same bytes.

SciPy's signal package and Pillow are imported when a picture is drawn, never at import: a scan
that renders no report does not load them.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np

__all__ = ["Picture", "picture", "spectrogram_db", "spectrogram_png",
           "DB_RANGE", "MARK_RGB"]

WIDTH = 480  # image columns (and SVG user units) of the time axis
WAVE_H = 70
SPEC_H = 110
AXIS_H = 18
#: dB below the loudest bin that are drawn; quieter is white. One grey level per dB.
DB_RANGE = 80
#: The colour of the finding's span (also the SVG shade over the waveform).
MARK_RGB = (214, 39, 40)
_MARK_ALPHA = 0.3


def spectrogram_db(x: np.ndarray, sample_rate: int, *, columns: int = WIDTH,
                   rows: int = SPEC_H) -> np.ndarray:
    """Power spectrogram in dB re full scale, on an image grid.

    Parameters
    ----------
    x
        float32, shape ``(n,)``, mono samples.
    sample_rate
        Hz.
    columns, rows
        Output size: time columns (left to right) and frequency rows (0 Hz at the bottom row).

    Returns
    -------
    numpy.ndarray
        float64, shape ``(rows, columns)``, dB re full scale (a full-scale sine is 0 dB), top row
        = Nyquist. Each column is the frame centred on it (frames are one column apart); each
        row is the loudest FFT bin of its band, so narrow harmonics stay visible. A frame of
        exact zeros is ``-inf``.
    """
    from scipy.signal import ShortTimeFFT
    from scipy.signal.windows import hann

    nfft = 1 << max(7, int(np.ceil(np.log2(sample_rate * 0.032))))
    n = max(x.size, 1)
    hop = max(1, n // columns)
    sft = ShortTimeFFT(hann(nfft, sym=False), hop=hop, fs=sample_rate, scale_to="magnitude")
    frames = -(-n // hop)
    padded = np.pad(np.asarray(x, np.float64), (0, max(0, nfft - x.size)))
    power = 4.0 * sft.spectrogram(padded, p0=0, p1=frames)  # (bins, frames); sine of amp. 1 -> 1
    edges = (np.arange(rows) * power.shape[0]) // rows
    bands = np.maximum.reduceat(power, edges, axis=0)
    at = np.minimum(np.round((np.arange(columns) + 0.5) * n / columns / hop).astype(int),
                    frames - 1)
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(bands[::-1][:, at])
    return np.asarray(db, dtype=np.float64)


def spectrogram_png(db: np.ndarray, *, marked: np.ndarray) -> bytes:
    """Draw a dB image as a grey palette PNG, the marked columns tinted red.

    Parameters
    ----------
    db
        float, shape ``(rows, columns)``: :func:`spectrogram_db`.
    marked
        bool, shape ``(columns,)``: the finding's columns.

    Returns
    -------
    bytes
        A PNG (Pillow, maximum compression, no text or time chunks): ``DB_RANGE + 1`` greys from
        white (``DB_RANGE`` dB or more below the loudest bin, or exact zeros) to black (the
        loudest), and the same greys under a red tint for the marked columns.
    """
    from PIL import Image

    finite = db[np.isfinite(db)]
    top = float(finite.max()) if finite.size else 0.0
    level = np.clip(np.nan_to_num(db - (top - DB_RANGE), neginf=0.0), 0, DB_RANGE)
    index = np.round(level).astype(np.uint8)
    index[:, marked] += DB_RANGE + 1
    grey = 255.0 - np.arange(DB_RANGE + 1) * 255.0 / DB_RANGE
    plain = np.repeat(grey[:, None], 3, axis=1)
    tinted = plain * (1 - _MARK_ALPHA) + np.asarray(MARK_RGB, np.float64) * _MARK_ALPHA
    image = Image.fromarray(index)  # "L"; putpalette makes it "P" and keeps the indices
    image.putpalette(np.round(np.vstack([plain, tinted])).astype(np.uint8).tobytes(), "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class Picture:
    """The SVG of one excerpt: waveform above spectrogram, the finding's span shaded."""

    svg: str


def _ticks(t0: float, t1: float) -> list[float]:
    span = max(t1 - t0, 1e-6)
    step = next(s for s in (1, 2, 5, 10, 30, 60, 1e9) if span / s <= 8)
    first = np.ceil(t0 / step) * step
    return [float(v) for v in np.arange(first, t1 + 1e-9, step)]


def _clock(seconds: float) -> str:
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def picture(x: np.ndarray, sample_rate: int, *, t0: float, mark: tuple[float, float]
            ) -> Picture:
    """Draw an excerpt: min/max waveform, spectrogram (0 Hz to Nyquist), time axis.

    Parameters
    ----------
    x
        float32, shape ``(n,)``: the excerpt's mono samples.
    sample_rate
        Hz.
    t0
        Where the excerpt starts in the file (s); the axis shows file time.
    mark
        The finding's span in file seconds (start, end), shaded; an instant is a line.

    The picture holds no words, so one drawing serves every report language; ticks fall on
    whole seconds (``HH:MM:SS``).
    """
    n = max(x.size, 1)
    dur = n / sample_rate
    cols = np.minimum((np.arange(n) * WIDTH) // n, WIDTH - 1)
    lo = np.zeros(WIDTH, np.float32)
    hi = np.zeros(WIDTH, np.float32)
    if x.size:
        lo = np.minimum.reduceat(x, np.searchsorted(cols, np.arange(WIDTH)).clip(0, n - 1))
        hi = np.maximum.reduceat(x, np.searchsorted(cols, np.arange(WIDTH)).clip(0, n - 1))
    mid = WAVE_H / 2
    ys_hi = mid - np.clip(hi, -1, 1) * (mid - 2)
    ys_lo = mid - np.clip(lo, -1, 1) * (mid - 2)
    pts = [f"{i},{y:.1f}" for i, y in enumerate(ys_hi)] + [
        f"{i},{y:.1f}" for i, y in reversed(list(enumerate(ys_lo + 0.6)))]
    h = WAVE_H + SPEC_H + AXIS_H

    def xpos(t: float) -> float:
        return float(np.clip((t - t0) / dur * WIDTH, 0, WIDTH))

    a, b = xpos(mark[0]), xpos(mark[1])
    centres = np.arange(WIDTH) + 0.5
    marked = (centres >= a) & (centres <= b)
    marked[min(int(a), WIDTH - 1)] = True  # an instant is one column
    png = spectrogram_png(spectrogram_db(x, sample_rate), marked=marked)
    href = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    red = "#{:02x}{:02x}{:02x}".format(*MARK_RGB)
    w = max(b - a, 1.5)
    shade = (f'<rect x="{a:.1f}" y="0" width="{w:.1f}" height="{WAVE_H}" fill="{red}" '
             f'fill-opacity="{_MARK_ALPHA}"/><rect x="{a:.1f}" y="0" width="{w:.1f}" '
             f'height="{WAVE_H + SPEC_H}" fill="none" stroke="{red}" stroke-width="1"/>')
    ticks = []
    for t in _ticks(t0, t0 + dur):
        px = xpos(t)
        anchor = "start" if px < 22 else "end" if px > WIDTH - 22 else "middle"
        ticks.append(f'<line x1="{px:.1f}" y1="{WAVE_H + SPEC_H}" x2="{px:.1f}" '
                     f'y2="{WAVE_H + SPEC_H + 4}" stroke="#333"/>'
                     f'<text x="{px:.1f}" y="{h - 2}" font-size="9" text-anchor="{anchor}">'
                     f"{_clock(t)}</text>")
    svg = (f'<svg class="excerpt" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" '
           'aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
           f'<rect width="{WIDTH}" height="{WAVE_H}" fill="#f7f7f7"/>'
           f'<line x1="0" y1="{mid}" x2="{WIDTH}" y2="{mid}" stroke="#bbb" stroke-width="0.5"/>'
           f'<polygon points="{" ".join(pts)}" fill="#1f4e79"/>'
           f'<image x="0" y="{WAVE_H}" width="{WIDTH}" height="{SPEC_H}" '
           f'preserveAspectRatio="none" href="{href}"/>'
           f"{shade}{''.join(ticks)}</svg>")
    return Picture(svg=svg)
