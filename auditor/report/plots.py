"""Pictures of the audio around a finding: waveform envelope and spectrogram, as inline SVG.

The waveform is a min/max envelope drawn as an SVG path; the spectrogram is a short-time Fourier
transform (Hann window, 50 % overlap; Allen & Rabiner, "A unified approach to short-time Fourier
analysis and synthesis", Proc. IEEE 65(11), 1977) in dB, coloured with the perceptually uniform
*viridis* map (van der Walt & Smith, 2015) and embedded as an 8-bit indexed PNG (RFC 2083)
written here with zlib. Both are pure functions of the samples, so the same excerpt gives the
same bytes, and they render in a browser and in print without any plotting library.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["Picture", "picture", "png_indexed", "spectrogram_db", "viridis"]

WIDTH = 480  # image columns (and SVG user units) of the time axis
WAVE_H = 70
SPEC_H = 110
AXIS_H = 18
_VIRIDIS = (  # 9 anchors of matplotlib's viridis, sRGB 0..255
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
)


def viridis() -> np.ndarray:
    """The viridis colour map as a ``(256, 3)`` uint8 palette."""
    anchors = np.asarray(_VIRIDIS, dtype=np.float64)
    pos = np.linspace(0.0, len(anchors) - 1.0, 256)
    rgb = np.stack([np.interp(pos, np.arange(len(anchors)), anchors[:, c]) for c in range(3)], 1)
    return np.round(rgb).astype(np.uint8)


def png_indexed(pixels: np.ndarray, palette: np.ndarray) -> bytes:
    """Encode an 8-bit palette PNG (RFC 2083, colour type 3).

    Parameters
    ----------
    pixels
        uint8, shape ``(height, width)``: palette indices, first row at the top.
    palette
        uint8, shape ``(k, 3)`` with ``k <= 256``.
    """
    h, w = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = np.hstack([np.zeros((h, 1), np.uint8), pixels.astype(np.uint8)])  # filter 0 per row
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", palette.astype(np.uint8).tobytes())
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + chunk(b"IEND", b""))


def spectrogram_db(x: np.ndarray, sample_rate: int, *, columns: int = WIDTH,
                   rows: int = SPEC_H) -> np.ndarray:
    """Power spectrogram in dB, resampled to an image grid.

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
        float64, shape ``(rows, columns)``, dB re full scale, top row = Nyquist.
    """
    nfft = 1 << max(7, int(np.ceil(np.log2(sample_rate * 0.032))))
    hop = nfft // 2
    if x.size < nfft:
        x = np.pad(x, (0, nfft - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, nfft)[::hop]
    window = np.hanning(nfft).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2 / (np.sum(window) ** 2 / 4)
    db = 10 * np.log10(power.T + 1e-12)  # (bins, frames)
    fi = np.minimum((np.arange(rows) + 0.5) * db.shape[0] / rows, db.shape[0] - 1).astype(int)
    ti = np.minimum((np.arange(columns) + 0.5) * db.shape[1] / columns,
                    db.shape[1] - 1).astype(int)
    return np.asarray(db[np.ix_(fi[::-1], ti)], dtype=np.float64)


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
    db = spectrogram_db(x, sample_rate)
    top = float(db.max()) if db.size else 0.0
    # 80 dB in 32 colour steps of 2.5 dB: enough to read, and compresses several times better
    steps = np.clip((db - (top - 80.0)) / 2.5, 0, 31).astype(np.uint8)
    idx = (steps * 255 // 31).astype(np.uint8)
    png = base64.b64encode(png_indexed(idx, viridis())).decode("ascii")
    h = WAVE_H + SPEC_H + AXIS_H

    def xpos(t: float) -> float:
        return float(np.clip((t - t0) / dur * WIDTH, 0, WIDTH))

    a, b = xpos(mark[0]), xpos(mark[1])
    shade = (f'<rect x="{a:.1f}" y="0" width="{max(b - a, 1.5):.1f}" height="{WAVE_H + SPEC_H}" '
             'fill="#d62728" fill-opacity="0.25" stroke="#d62728" stroke-width="1"/>')
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
           f'preserveAspectRatio="none" href="data:image/png;base64,{png}"/>'
           f"{shade}{''.join(ticks)}</svg>")
    return Picture(svg=svg)
