"""Shared test helpers: signals built in code, real speech from ../shared/corpus when present,
the two ffmpeg paths, and bench/ modules imported as its scripts import them."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
BENCH = Path(__file__).resolve().parents[1] / "bench"


def room_noise(rng: np.random.Generator, n: int, level_db: float = -50.0,
               channels: int = 1) -> np.ndarray:
    """Gaussian noise at ``level_db`` dBFS RMS, shape (n,) or (n, channels)."""
    x = rng.normal(0.0, 10 ** (level_db / 20), (n, channels)).astype(np.float32)
    return x[:, 0] if channels == 1 else x


def voiced(n: int, sr: int) -> np.ndarray:
    """A syllable-modulated harmonic signal with smooth pauses, no noise (float32)."""
    t = np.arange(n) / sr
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    tone = sum(np.sin(k * phase) / k for k in range(1, 12))
    # a smooth gate: a hard one would be a real step in the waveform (a click, as an edit makes)
    gate = np.clip(2.0 * np.sin(2 * np.pi * 0.2 * t) + 0.6, 0, 1)
    return (0.1 * tone * np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None) * gate).astype(np.float32)


def speechlike(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """:func:`voiced` over room noise (for when the corpus is absent)."""
    return voiced(n, sr) + room_noise(rng, n, -55)


def write(path: Path, x: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    sf.write(path, x, sr, subtype=subtype)
    return path


def corpus_speech(seconds: float, sr: int = 8000, start: int = 0) -> np.ndarray:
    """Real speech (Asterisk prompts, 8 kHz) concatenated with 0.7 s pauses to ``seconds``."""
    files = sorted((CORPUS / "speech" / "asterisk-en").glob("*.wav"))
    files = [f for f in files if "tone" not in f.name and "beep" not in f.name]
    out, i, n = [], start, int(seconds * sr)
    total = 0
    while total < n:
        x, rate = sf.read(files[i % len(files)], dtype="float32")
        assert rate == sr
        out += [x, np.zeros(int(0.7 * sr), np.float32)]
        total += x.size + int(0.7 * sr)
        i += 1
    return np.concatenate(out)[:n]


def corpus_prompts(seconds: float, sr: int = 16000, start: int = 0,
                   folder: str = "asterisk-en", pattern: str = "*.wav",
                   pause: float = 0.7) -> np.ndarray:
    """Real speech: corpus prompts resampled to ``sr``, with 10 ms fades (no joins of our
    own), ``pause`` seconds between them."""
    from scipy.signal import resample_poly

    files = sorted((CORPUS / "speech" / folder).glob(pattern))
    files = [f for f in files if "tone" not in f.name and "beep" not in f.name]
    out, i, total, n = [], start, 0, int(seconds * sr)
    fade = np.sin(np.linspace(0, np.pi / 2, int(0.01 * sr))) ** 2
    while total < n:
        x, rate = sf.read(files[i % len(files)], dtype="float32")
        x = resample_poly(x, sr, rate).astype(np.float32) if rate != sr else x
        x[: fade.size] *= fade
        x[-fade.size :] *= fade[::-1]
        out += [x, np.zeros(int(pause * sr), np.float32)]
        total += x.size + int(pause * sr)
        i += 1
    return np.concatenate(out)[:n]


def stream_features(x: np.ndarray, sr: int, params, analysers: dict, block: float = 60.0):
    """The Features of a signal streamed through the extractor in ``block``-second blocks."""
    from auditor.detect.features import FeatureExtractor

    x = np.asarray(x, np.float32)
    x = x[:, None] if x.ndim == 1 else x
    fx = FeatureExtractor(sr, x.shape[1], analysers=analysers)
    step = max(1, int(block * sr) // fx.block_multiple) * fx.block_multiple
    for i in range(0, x.shape[0], step):
        fx.update(x[i : i + step])
    return fx.finish()


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present beside this checkout")
    return CORPUS


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20151124)


@pytest.fixture(params=["system", "wheel"])
def ffmpeg_path(request: pytest.FixtureRequest,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with the system ffmpeg+ffprobe, then with the wheel's ffmpeg alone."""
    from auditor.media import ffmpeg_exe

    if request.param == "system":
        if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
            pytest.skip("no system ffmpeg+ffprobe here (CI installs Debian's)")
        monkeypatch.delenv("AUDITOR_FFMPEG", raising=False)
        monkeypatch.delenv("AUDITOR_FFPROBE", raising=False)
    else:
        monkeypatch.setenv("AUDITOR_FFMPEG", "wheel")
        monkeypatch.setenv("AUDITOR_FFPROBE", "none")
    ffmpeg_exe.cache_clear()
    yield request.param
    ffmpeg_exe.cache_clear()


def bench_module(name: str) -> Iterator[ModuleType]:
    """A module of bench/ imported with bench/ on the path (as its scripts run), for a
    fixture to yield."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))
