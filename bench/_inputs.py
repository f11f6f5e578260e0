"""Benchmark inputs: deterministic court-room recordings with planted defects, cached."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "speech" / "asterisk-en"
GEN_VERSION = 2
SEED = 2015
GAP_SECONDS = 15.0
BLACK_SECONDS = 3.0
MIN_FREE_GB = 15.0
TOLERANCE = 0.010  # digital silence must be located to +-10 ms


# ----------------------------------------------------------------------------- signal


def _speech_clips() -> list[Path]:
    return sorted(CORPUS.glob("*.wav")) if CORPUS.is_dir() else []


def _read(src: _Speech | _Bursts, n: int, piece: Callable[[], np.ndarray],
          pause_s: tuple[float, float]) -> np.ndarray:
    """The next ``n`` samples of an endless stream of ``piece()``, each followed by a pause of
    ``pause_s`` seconds (uniform), from ``src``'s buffer, rate and generator."""
    parts, have = [], 0
    while have < n:
        if src.buf.size == 0:
            pause = np.zeros(int(src.rng.uniform(*pause_s) * src.rate), np.float32)
            src.buf = np.concatenate([piece(), pause])
        take = src.buf[: n - have]
        src.buf = src.buf[take.size :]
        parts.append(take)
        have += take.size
    return np.concatenate(parts)


class _Speech:
    """An endless, seeded stream of utterances separated by pauses of 0.5-3 s, at ``rate``.

    Utterances are corpus clips resampled to ``rate`` one at a time (so memory holds one clip),
    or, without the corpus, voiced bursts: harmonics of a gliding 90-220 Hz pitch under a
    4-6 Hz syllable envelope.
    """

    def __init__(self, rate: int, rng: np.random.Generator) -> None:
        self.rate = rate
        self.rng = rng
        self.clips = _speech_clips()
        self.buf = np.zeros(0, np.float32)

    def _utterance(self) -> np.ndarray:
        if self.clips:
            import soundfile as sf
            from scipy.signal import resample_poly

            x, sr = sf.read(self.clips[int(self.rng.integers(len(self.clips)))], dtype="float32")
            if x.ndim > 1:
                x = x.mean(axis=1)
            g = np.gcd(self.rate, sr)
            y = resample_poly(x, self.rate // g, sr // g).astype(np.float32)
            return y * np.float32(0.8 / max(1e-3, float(np.abs(y).max())))
        n = int(self.rng.uniform(1.0, 4.0) * self.rate)
        t = np.arange(n) / self.rate
        f0 = self.rng.uniform(90, 220) * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t))
        phase = 2 * np.pi * np.cumsum(f0) / self.rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 12))
        env = np.sin(np.pi * t * self.rng.uniform(4, 6)) ** 2 * np.hanning(n)
        return (0.25 * voice * env).astype(np.float32)

    def read(self, n: int) -> np.ndarray:
        return _read(self, n, self._utterance, (0.5, 3.0))


class _Bursts:
    """An endless, seeded stream of noise bursts at syllable rate, at ``rate``.

    Phrases of 1-4 s of white noise under a ``sin^2`` envelope of 4-6 Hz (a syllable's pace),
    each phrase at its own level (-20 to -10 dBFS), separated by pauses of 0.3-1.5 s. Noise
    that swells and fades several times a second is the hardest input for the waveform cue's
    screening: every 4 ms block's residual peak differs from its neighbours'.
    """

    def __init__(self, rate: int, rng: np.random.Generator) -> None:
        self.rate = rate
        self.rng = rng
        self.buf = np.zeros(0, np.float32)

    def _phrase(self) -> np.ndarray:
        n = int(self.rng.uniform(1.0, 4.0) * self.rate)
        t = np.arange(n) / self.rate
        env = np.sin(np.pi * t * self.rng.uniform(4.0, 6.0)) ** 2
        level = 10 ** (self.rng.uniform(-20.0, -10.0) / 20)
        noise = self.rng.standard_normal(n, dtype=np.float32)
        return (level * env * noise).astype(np.float32)

    def read(self, n: int) -> np.ndarray:
        return _read(self, n, self._phrase, (0.3, 1.5))


class Hearing:
    """A seeded, streamed court recording: speech, room noise, mains hum and one digital gap.

    Channel 1 carries the speech at full level, further channels at 0.7 with their own noise
    (another microphone in the same room). Room noise is brown-ish at about -50 dBFS; the hum
    is 50 Hz (+ harmonics) whose frequency wanders like a grid's. Samples ``gap`` (a
    ``(first, count)`` pair) are exact zeros on every channel. With ``bursts=True`` the voice is
    :class:`_Bursts` (noise bursts at syllable rate) instead of speech.
    """

    def __init__(self, rate: int, channels: int, *, gap: tuple[int, int], seed: int = SEED,
                 bursts: bool = False):
        from scipy.signal import lfilter_zi

        self.rate, self.channels, self.gap = rate, channels, gap
        self.rng = np.random.default_rng(seed)
        voice = _Bursts if bursts else _Speech
        self.speech: _Speech | _Bursts = voice(rate, np.random.default_rng(seed + 1))
        self.zi = [lfilter_zi([1.0], [1.0, -0.95]) * 0.0 for _ in range(channels)]
        self.phase = 0.0
        self.dfreq = 0.0
        self.pos = 0

    def block(self, n: int) -> np.ndarray:
        """The next ``n`` frames as int16, shape ``(n, channels)``."""
        from scipy.signal import lfilter

        speech = self.speech.read(n)
        # the grid frequency drifts slowly: a random walk sampled every 10 ms, clipped, moving
        # about 1.5 mHz per second as interconnected grids do (so the ENF cue runs in full)
        steps = max(1, n // (self.rate // 100))
        walk = (self.dfreq + np.cumsum(self.rng.normal(0, 1.5e-4, steps))).clip(-0.05, 0.05)
        self.dfreq = float(walk[-1])
        freq = 50.0 + np.repeat(walk, -(-n // steps))[:n]
        phase = self.phase + 2 * np.pi * np.cumsum(freq) / self.rate
        self.phase = float(phase[-1] % (2 * np.pi))
        s, c = np.sin(phase), np.cos(phase)
        hum = (0.004 * s + 0.003 * s * c + 0.001 * (3 * s - 4 * s**3)).astype(np.float32)
        out = np.empty((n, self.channels), np.int16)
        for ch in range(self.channels):
            white = self.rng.standard_normal(n, dtype=np.float32)
            brown, self.zi[ch] = lfilter([1.0], [1.0, -0.95], white, zi=self.zi[ch])
            x = np.float32(10 ** (-50 / 20) / 3.2) * brown.astype(np.float32)
            x += np.float32(10 ** (-66 / 20)) * white
            x += hum
            x += speech * np.float32(1.0 if ch == 0 else 0.7)
            np.clip(x * 32767.0, -32768, 32767, out=x)
            out[:, ch] = np.rint(x)
        a, b = max(self.gap[0], self.pos), min(self.gap[0] + self.gap[1], self.pos + n)
        if a < b:
            out[a - self.pos : b - self.pos] = 0
        self.pos += n
        return out

    def blocks(self, frames: int, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
        step = int(block_seconds * self.rate)
        for start in range(0, frames, step):
            yield self.block(min(step, frames - start))


# ----------------------------------------------------------------------------- inputs


def ffmpeg() -> str:
    from auditor.media import ffmpeg_exe

    return ffmpeg_exe()


def gap_for(seconds: float) -> tuple[float, float]:
    """Where the digital gap is planted: at 40% of the recording plus 1.35 s, 15 s long."""
    return round(0.4 * seconds) + 1.35, GAP_SECONDS


def _fresh(path: Path, meta: dict[str, Any], sources: tuple[Path, ...] = ()) -> bool:
    side = path.with_name(path.name + ".json")
    if not path.is_file() or not side.is_file():
        return False
    if json.loads(side.read_text()) != meta:
        return False
    return all(path.stat().st_mtime >= s.stat().st_mtime for s in sources)


def _done(path: Path, tmp: Path, meta: dict[str, Any]) -> Path:
    tmp.replace(path)
    path.with_name(path.name + ".json").write_text(json.dumps(meta))
    return path


def make_wav(out: Path, seconds: float, rate: int, channels: int, *,
             bursts: bool = False) -> Path:
    """Generate (or reuse) a hearing WAV, streamed in 30 s chunks through soundfile; with
    ``bursts``, noise bursts at syllable rate over the hum instead of speech."""
    import soundfile as sf

    kind = "bursts" if bursts else "hearing"
    path = out / f"{kind}-{rate // 1000}k-{channels}ch-{int(seconds)}s.wav"
    g0, glen = gap_for(seconds)
    meta = {"version": GEN_VERSION, "seed": SEED, "seconds": seconds, "rate": rate,
            "channels": channels, "gap": [g0, glen],
            "speech": "bursts" if bursts else bool(_speech_clips())}
    if _fresh(path, meta):
        return path
    print(f"  generating {path.name} ...", flush=True)
    t0 = time.perf_counter()
    frames = int(round(seconds * rate))
    hearing = Hearing(rate, channels, gap=(int(round(g0 * rate)), int(round(glen * rate))),
                      bursts=bursts)
    tmp = path.with_suffix(".tmp.wav")
    fmt = "RF64" if frames * channels * 2 >= 2**32 - 64 else "WAV"
    with sf.SoundFile(tmp, "w", samplerate=rate, channels=channels, subtype="PCM_16",
                      format=fmt) as snd:
        for blk in hearing.blocks(frames):
            snd.write(blk)
    print(f"  ... {time.perf_counter() - t0:.0f} s", flush=True)
    return _done(path, tmp, meta)


def make_lossy(out: Path, wav: Path, kind: str) -> Path:
    """64 kbit/s MP3 (libmp3lame) or AAC in M4A (ffmpeg's aac encoder) made from ``wav``."""
    ext, codec = {"mp3": ("mp3", "libmp3lame"), "aac": ("m4a", "aac")}[kind]
    path = wav.with_suffix("." + ext)
    meta = {"version": GEN_VERSION, "source": wav.name, "codec": codec, "bitrate": "64k"}
    if _fresh(path, meta, (wav,)):
        return path
    print(f"  encoding {path.name} ...", flush=True)
    tmp = path.with_name(path.stem + ".tmp." + ext)
    subprocess.run([ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-i", str(wav), "-c:a", codec, "-b:a", "64k", str(tmp)], check=True)
    return _done(path, tmp, meta)


def black_for(seconds: float) -> tuple[float, float]:
    """Where the black picture is planted: 3 s from 1/3 of the recording plus 0.52 s."""
    start = round(seconds / 3) + 0.52
    return start, start + BLACK_SECONDS


def make_video(out: Path, seconds: float) -> Path:
    """1280x720 25 fps H.264 (testsrc2) + 48 kHz stereo AAC (tone over pink noise), with black."""
    path = out / f"hearing-720p-{int(seconds)}s.mp4"
    b0, b1 = black_for(seconds)
    meta = {"version": GEN_VERSION, "seconds": seconds, "black": [b0, b1]}
    if _fresh(path, meta):
        return path
    print(f"  generating {path.name} ...", flush=True)
    t0 = time.perf_counter()
    tmp = path.with_name(path.stem + ".tmp.mp4")
    video = (f"testsrc2=size=1280x720:rate=25:duration={seconds},"
             f"drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{b0},{b1})'")
    audio = (f"sine=frequency=220:sample_rate=48000:duration={seconds},volume=0.3[s];"
             f"anoisesrc=color=pink:amplitude=0.02:sample_rate=48000:seed={SEED}"
             f":duration={seconds}[n];[s][n]amix=inputs=2:normalize=0,"
             f"aformat=channel_layouts=stereo")
    subprocess.run([ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-g", "50", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
                    "-shortest", str(tmp)], check=True)
    print(f"  ... {time.perf_counter() - t0:.0f} s", flush=True)
    return _done(path, tmp, meta)
