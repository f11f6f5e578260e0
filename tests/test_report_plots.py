"""The excerpt pictures: a known signal drawn, the spectrogram PNG decoded and its pixels read."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from auditor.report.plots import SPEC_H, WIDTH, picture

SECONDS = 8.0
SPEECH = (0.0, 3.0)  # harmonic bursts over faint noise
ZEROS = (3.0, 4.5)  # exact digital zeros
# 4.5 s to the end: noise only


def _signal(sr: int) -> np.ndarray:
    """Speech-like bursts (130-170 Hz voice, 30 harmonics falling 6 dB/octave, 4 syllables/s),
    then exact zeros, then noise about 50 dB below full scale; seeded."""
    rng = np.random.default_rng(20)
    t = np.arange(int(SECONDS * sr)) / sr
    f0 = 150 + 20 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    k = np.arange(1, 31)[:, None]
    voice = np.sum(np.sin(k * phase) / k * (k * f0 < 0.45 * sr), axis=0)
    syllables = (np.sin(2 * np.pi * 4 * t) > -0.2).astype(float)
    x = 0.003 * rng.standard_normal(t.size)
    x += np.where(t < SPEECH[1], 0.2 * voice * syllables, 0.0)
    x[(t >= ZEROS[0]) & (t < ZEROS[1])] = 0.0
    return x.astype(np.float32)


def _syllable_on(t: np.ndarray) -> np.ndarray:
    """Column times well inside a burst (the window is 32 ms)."""
    return np.sin(2 * np.pi * 4 * t) > 0.5


def _draw(sr: int, mark: tuple[float, float]) -> tuple[str, bytes, np.ndarray]:
    svg = picture(_signal(sr), sr, t0=0.0, mark=mark).svg
    found = re.search(r'href="data:image/png;base64,([^"]+)"', svg)
    assert found, "no embedded PNG"
    png = base64.b64decode(found.group(1))
    with Image.open(io.BytesIO(png)) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
    assert pixels.shape == (SPEC_H, WIDTH, 3)
    return svg, png, pixels


def _columns(span: tuple[float, float], margin: float = 0.05) -> np.ndarray:
    t = (np.arange(WIDTH) + 0.5) * SECONDS / WIDTH
    return (t > span[0] + margin) & (t < span[1] - margin)


def test_spectrogram_has_many_colours() -> None:
    _, _, pixels = _draw(16000, mark=(6.0, 6.0))
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 50, f"{len(colours)} distinct colours"


@pytest.mark.parametrize("sr", [16000, 48000])
def test_speech_stands_out_from_exact_zeros_and_noise(sr: int) -> None:
    _, _, pixels = _draw(sr, mark=(6.0, 6.0))
    ink = 255 - pixels.mean(axis=2)  # 0 = white, 255 = black
    t = (np.arange(WIDTH) + 0.5) * SECONDS / WIDTH
    band = slice(SPEC_H - int(SPEC_H * 4000 / (sr / 2)), SPEC_H)  # 0-4 kHz, the voice
    speech = ink[band][:, _columns(SPEECH) & _syllable_on(t)]
    zeros = pixels[:, _columns(ZEROS)]
    noise = ink[:, _columns((4.5, 5.9))]
    # exact zeros: one flat colour, the lightest (the floor); noise is speckled, above the floor
    assert (zeros == 255).all(), f"exact zeros drawn as {np.unique(zeros.reshape(-1, 3), axis=0)}"
    assert noise.mean() > 10 and noise.std() > 5, (noise.mean(), noise.std())
    # the voice's harmonics: far darker than the zeros, and darker than the noise
    assert speech.mean() > 60, f"speech ink {speech.mean():.1f} (zeros 0)"
    assert np.percentile(speech, 90) > noise.mean() + 80
    if sr <= 16000:  # a row (73 Hz) is finer than the harmonics' spacing: they are lines
        assert speech.std() > 30


def _red_columns(pixels: np.ndarray) -> np.ndarray:
    """Columns tinted red from top to bottom (red well above green and blue in every row)."""
    r, g, b = (pixels[..., i] for i in range(3))
    return ((r - g > 30) & (r - b > 30)).all(axis=0)


def test_finding_span_is_marked_where_the_finding_is() -> None:
    svg, _, pixels = _draw(16000, mark=ZEROS)
    red = _red_columns(pixels)
    want = _columns(ZEROS, margin=0.0)
    edges = np.flatnonzero(want)[[0, -1]]
    near_edge = np.abs(np.arange(WIDTH)[:, None] - edges).min(axis=1) <= 1
    assert red.any(), "no marked column"
    assert (red == want)[~near_edge].all(), np.flatnonzero(red != want)
    # under the tint the zeros are still one flat colour; the outline spans both panels
    assert len(np.unique(pixels[:, _columns(ZEROS)].reshape(-1, 3), axis=0)) == 1
    outline = re.search(r'<rect x="([\d.]+)" y="0" width="([\d.]+)" height="180" fill="none"', svg)
    assert outline and abs(float(outline.group(1)) - 180) <= 1
    assert abs(float(outline.group(2)) - 90) <= 1


def test_an_instant_is_one_marked_column() -> None:
    _, _, pixels = _draw(16000, mark=(6.0, 6.0))
    assert np.flatnonzero(_red_columns(pixels)).tolist() == [360]


def test_same_excerpt_same_bytes_without_metadata() -> None:
    svg, png, _ = _draw(16000, mark=ZEROS)
    assert _draw(16000, mark=ZEROS)[0] == svg
    chunks, at = [], 8
    while at < len(png):
        size = int.from_bytes(png[at:at + 4], "big")
        chunks.append(png[at + 4:at + 8].decode("ascii"))
        at += size + 12
    assert set(chunks) <= {"IHDR", "PLTE", "IDAT", "IEND"}, chunks
    assert len(png) < 30000, f"{len(png)} bytes"


@pytest.mark.parametrize("n", [0, 1, 300])
def test_short_excerpts_draw(n: int) -> None:
    x = np.full(n, 0.1, np.float32)
    svg = picture(x, 16000, t0=1.0, mark=(1.0, 1.01)).svg
    png = base64.b64decode(re.search(r"base64,([^\"]+)", svg).group(1))  # type: ignore[union-attr]
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (WIDTH, SPEC_H)
