"""Cases of the compare benchmark: a hearing, copies of it in five formats, edits planted.

The reference is a seeded hearing (``bench/_inputs.Hearing``: real speech from
``../shared/corpus/speech/asterisk-en`` over room noise and mains hum), 16 kHz stereo WAV.
"Another hearing" (insertions and replacements from elsewhere) is the same generator with
another seed: the same voices and prompts, so the copy's foreign audio sounds alike.

Every copy is made by the ``imageio-ffmpeg`` wheel's ffmpeg (the same encoder on every
machine) from a PCM file that holds the edits, and read back through ``auditor.media``.
Everything is written under ``bench/out/compare/``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from _inputs import Hearing

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "compare"
RATE, CHANNELS = 16000, 2
SEED, OTHER_SEED = 2021, 4242
GEN_VERSION = 1

#: copy formats: extension and ffmpeg output options
FORMATS = {
    "mp3-64k": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
    "mp3-32k": ("mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
    "aac-32k": ("m4a", ["-c:a", "aac", "-b:a", "32k"]),
    "opus-24k": ("ogg", ["-c:a", "libopus", "-b:a", "24k"]),
    "mp3-8k-mono": ("mp3", ["-c:a", "libmp3lame", "-b:a", "24k", "-ar", "8000", "-ac", "1"]),
}
EDITS = ("cut", "insert_same", "insert_other", "mute", "replace")
#: unedited copies: plain; trimmed + loudness-normalised + downmixed + resampled; padded
CLEAN = ("none", "processed", "padded", "two_files", "two_references")


@dataclass(frozen=True)
class Planted:
    """One planted edit, in seconds of the copy and of the reference."""

    kind: str
    copy_start: float
    copy_end: float
    ref_start: float
    ref_end: float
    length: float


@dataclass
class Case:
    fmt: str
    name: str
    copies: list[Path]
    references: list[Path]
    planted: list[Planted] = field(default_factory=list)


def wheel_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _write_hearing(path: Path, seconds: float, seed: int) -> Path:
    meta = {"version": GEN_VERSION, "seconds": seconds, "seed": seed, "rate": RATE}
    side = path.with_name(path.name + ".json")
    if path.is_file() and side.is_file() and json.loads(side.read_text()) == meta:
        return path
    frames = int(round(seconds * RATE))
    hearing = Hearing(RATE, CHANNELS, gap=(0, 0), seed=seed)
    tmp = path.with_suffix(".tmp.wav")
    with sf.SoundFile(tmp, "w", samplerate=RATE, channels=CHANNELS, subtype="PCM_16") as snd:
        for blk in hearing.blocks(frames):
            snd.write(blk)
    tmp.replace(path)
    side.write_text(json.dumps(meta))
    return path


def _splice(path: Path, ops: list[tuple[str, float, float]], ref: Path, other: Path) -> Path:
    """Write ``ops`` (("ref"|"other", start, end) or ("zeros", 0, length)) as one WAV."""
    with sf.SoundFile(path, "w", samplerate=RATE, channels=CHANNELS, subtype="PCM_16") as out, \
            sf.SoundFile(ref) as r, sf.SoundFile(other) as o:
        for src, a, b in ops:
            n = int(round((b - a) * RATE))
            if src == "zeros":
                out.write(np.zeros((n, CHANNELS), np.int16))
                continue
            snd = r if src == "ref" else o
            snd.seek(int(round(a * RATE)))
            while n > 0:
                blk = snd.read(min(n, 30 * RATE), dtype="int16", always_2d=True)
                if blk.shape[0] == 0:
                    break
                out.write(blk)
                n -= blk.shape[0]
    return path


def _encode(src: Path, dst: Path, options: list[str], pre: list[str] | None = None) -> Path:
    if dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    tmp = dst.with_name(dst.stem + ".tmp" + dst.suffix)
    subprocess.run([wheel_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    *(pre or []), "-i", str(src), *options, str(tmp)], check=True)
    tmp.replace(dst)
    return dst


def _edit_plan(kind: str, seconds: float, lengths: list[float], other_len: float
               ) -> tuple[list[tuple[str, float, float]], list[Planted]]:
    """Three edits of ``kind`` at 20 %, 50 % and 80 % of the reference."""
    ops: list[tuple[str, float, float]] = []
    planted: list[Planted] = []
    pos_ref = 0.0
    shift = 0.0   # copy time minus reference time
    for frac, length in zip((0.2, 0.5, 0.8), lengths, strict=True):
        at = round(frac * seconds, 2) + 0.37
        ops.append(("ref", pos_ref, at))
        copy_at = at + shift
        if kind == "cut":
            planted.append(Planted("missing_in_copy", copy_at, copy_at, at, at + length, length))
            pos_ref, shift = at + length, shift - length
        elif kind in ("insert_same", "insert_other"):
            if kind == "insert_same":
                src = at - seconds / 3 if at > seconds / 2 else at + seconds / 3
                ops.append(("ref", src, src + length))
            else:
                src = (frac * other_len) % max(1.0, other_len - length)
                ops.append(("other", src, src + length))
            planted.append(Planted("inserted_in_copy", copy_at, copy_at + length, at, at,
                                   length))
            pos_ref, shift = at, shift + length
        else:
            if kind == "mute":
                ops.append(("zeros", 0.0, length))
            else:
                src = (frac * other_len) % max(1.0, other_len - length)
                ops.append(("other", src, src + length))
            planted.append(Planted("altered_in_copy", copy_at, copy_at + length, at,
                                   at + length, length))
            pos_ref = at + length
    ops.append(("ref", pos_ref, seconds))
    return ops, planted


def build_cases(seconds: float, formats: list[str], edits: list[str], clean: list[str],
                lengths: list[float]) -> list[Case]:
    """Generate (or reuse) every input; return the cases in a fixed order."""
    OUT.mkdir(parents=True, exist_ok=True)
    tag = f"{int(seconds)}s"
    ref = _write_hearing(OUT / f"reference-{tag}.wav", seconds, SEED)
    other_len = min(seconds, 600.0)
    other = _write_hearing(OUT / f"other-{int(other_len)}s.wav", other_len, OTHER_SEED)
    cases: list[Case] = []
    pcm: dict[str, tuple[Path, list[Planted]]] = {}
    for n, kind in enumerate(edits):
        lens = [lengths[(n + j) % len(lengths)] for j in range(3)]
        ops, planted = _edit_plan(kind, seconds, lens, other_len)
        path = OUT / f"edited-{kind}-{tag}-{'-'.join(f'{x:g}' for x in lens)}s.wav"
        if not path.is_file() or path.stat().st_mtime < ref.stat().st_mtime:
            _splice(path, ops, ref, other)
        pcm[kind] = (path, planted)
    split = round(0.41 * seconds, 2) + 0.13
    parts: list[Path] = []
    if "two_files" in clean or "two_references" in clean:
        for i, (a, b) in enumerate(((0.0, split), (split, seconds))):
            p = OUT / f"reference-{tag}-part{i + 1}.wav"
            if not p.is_file() or p.stat().st_mtime < ref.stat().st_mtime:
                _splice(p, [("ref", a, b)], ref, other)
            parts.append(p)
    for fmt in formats:
        ext, opts = FORMATS[fmt]
        plain = _encode(ref, OUT / f"copy-{tag}-{fmt}.{ext}", opts)
        for kind in clean:
            if kind == "none":
                cases.append(Case(fmt, kind, [plain], [ref]))
            elif kind == "processed":   # trimmed, normalised, downmixed, resampled
                rate = "8000" if fmt.endswith("8k-mono") else "44100"
                dur = f"{seconds - 0.6:.3f}"
                dst = _encode(ref, OUT / f"copy-{tag}-{fmt}-processed.{ext}",
                              ["-t", dur, "-af", "loudnorm=I=-16", "-ac", "1", *opts,
                               "-ar", rate if not fmt.startswith("opus") else "48000"],
                              pre=["-ss", "0.35"])
                cases.append(Case(fmt, kind, [dst], [ref]))
            elif kind == "padded":
                dst = _encode(ref, OUT / f"copy-{tag}-{fmt}-padded.{ext}",
                              ["-af", "adelay=300:all=1,apad=pad_dur=0.2", *opts])
                cases.append(Case(fmt, kind, [dst], [ref]))
            elif kind == "two_files":
                copies = [_encode(p, OUT / f"copy-{tag}-{fmt}-part{i + 1}.{ext}", opts)
                          for i, p in enumerate(parts)]
                cases.append(Case(fmt, kind, copies, [ref]))
            elif kind == "two_references":
                cases.append(Case(fmt, kind, [plain], parts))
        for kind in edits:
            src, planted = pcm[kind]
            dst = _encode(src, OUT / f"copy-{fmt}-{src.stem}.{ext}", opts)
            cases.append(Case(fmt, kind, [dst], [ref], planted))
    return cases


def planted_json(case: Case) -> list[dict[str, float | str]]:
    return [asdict(p) for p in case.planted]
