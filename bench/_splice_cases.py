"""Splice benchmark hearings: real speech, room noise and real-ENF hum, edited with exact truth.

A hearing is built as one continuous *original* recording at 16 kHz: utterances from
``../shared/corpus/speech`` (Allison Smith's Asterisk prompts and the four FSDD speakers,
8 kHz, resampled with :func:`scipy.signal.resample_poly`) separated by natural pauses, over
room noise (:func:`auditor.synth.room_noise`; a room is a level and a colour) and, for the
``hum`` cases, mains hum that follows the phase of a real ENF reference recording
(:func:`auditor.synth.reference_phase`, :func:`auditor.synth.hum_from_phase`). Edits are then
made on the original:

``cut``      remove 0.5-30 s (one join);
``insert``   put in 2-20 s of *another recording* (another room or the same room on another
             day, hum from another reference or another stretch of the same one; two joins);
``replace``  overwrite 2-20 s with such material (two joins);
``clean``    no edit (false alarms per hour).

Every join is recorded as the exact sample index in the edited file where the first sample after
the join lies. At most one edit falls in each 2-minute slot so edits never merge. Everything is
deterministic from ``(seed, index)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
RATE = 16000
BUILD_VERSION = 2
SLOT = 120.0  # seconds per edit slot
OPS = ("cut", "insert", "replace", "clean")
#: ENF references left out: 027, 031 and 037 hold glitches of > 0.1 Hz in their 1 s mean
#: frequency (a recorder fault, not grid wander); Grid_A_A1's 60 Hz fundamental is buried in
#: noise (its strongest component is 120 Hz); the 6-60 s clips are too short for a hearing.
EXCLUDED_REFS = frozenset({"027_ref.wav", "031_ref.wav", "037_ref.wav", "Grid_A_A1.wav",
                           "1min_A_P1.wav", "12sec_A_P1.wav", "6sec_A_P1.wav",
                           "6sec_A_P1_2.wav"})
EDGE = 3.0  # seconds of each reference left unused (band-pass edge effects)


def corpus_present() -> bool:
    return (CORPUS / "speech").is_dir() and (CORPUS / "enf-50hz").is_dir()


# ----------------------------------------------------------------------------- sources


@functools.cache
def speakers() -> dict[str, tuple[Path, ...]]:
    """Speech clips by speaker: ``allison`` (Asterisk prompts) and the FSDD speakers."""
    ast = CORPUS / "speech" / "asterisk-en"
    out = {"allison": tuple(p for p in sorted(ast.glob("*.wav"))
                            if "beep" not in p.name and "tone" not in p.name)}
    for name in ("george", "jackson", "lucas", "nicolas"):
        out[name] = tuple(sorted((CORPUS / "speech" / "fsdd").glob(f"*_{name}_*.wav")))
    return out


FADE = 0.015  # seconds of raised-cosine fade at both ends of every clip


@functools.cache
def clip(path: Path) -> np.ndarray:
    """One corpus clip at :data:`RATE`, float32, shape (n,), faded in and out over
    :data:`FADE`: the FSDD clips are trimmed to start and end inside the sound (their first
    10 ms lie only 10-15 dB below the clip's RMS), and a hard edge would be a click that no
    voice in a room makes."""
    import soundfile as sf
    from scipy.signal import resample_poly

    x, sr = sf.read(path, dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    g = np.gcd(RATE, sr)
    y = resample_poly(x, RATE // g, sr // g).astype(np.float32)
    n = min(int(FADE * RATE), y.size // 4)
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)
    y[:n] *= ramp
    y[y.size - n:] *= ramp[::-1]
    return y


@functools.cache
def references() -> tuple[tuple[str, float, float], ...]:
    """Usable ENF references: (path relative to the corpus, nominal Hz, seconds)."""
    import soundfile as sf

    out = []
    for folder, nominal in (("enf-50hz", 50.0), ("enf-60hz", 60.0)):
        for p in sorted((CORPUS / folder).glob("*.wav")):
            if p.name not in EXCLUDED_REFS:
                out.append((f"{folder}/{p.name}", nominal, sf.info(p).duration))
    return tuple(out)


@functools.cache
def ref_phase(rel: str, nominal: float) -> tuple[np.ndarray, int]:
    """Unwrapped fundamental phase of a reference and its rate."""
    import soundfile as sf

    from auditor.synth import reference_phase

    x, sr = sf.read(CORPUS / rel, dtype="float64")
    return reference_phase(x, sr, nominal), sr


# ----------------------------------------------------------------------------- recordings


@dataclass(frozen=True)
class Hum:
    """Mains hum from a stretch of a reference: ``offset`` seconds in, RMS ``level_db`` dBFS."""

    ref: str
    nominal: float
    offset: float
    level_db: float
    harmonics: tuple[tuple[int, float, float], ...]  # (k, relative amplitude, phase rad)

    def reference(self) -> tuple[np.ndarray, int]:
        """The reference's unwrapped fundamental phase and its rate."""
        return ref_phase(self.ref, self.nominal)

    def phase_at(self, sample: int) -> float:
        """Phase (rad) of the fundamental at ``sample`` of the recording it hums in."""
        phase, sr = self.reference()
        t = self.offset + sample / RATE
        return float(np.interp(t, np.arange(phase.size) / sr, phase)) + self.harmonics[0][2]

    def render(self, n: int) -> np.ndarray:
        from auditor.synth import hum_from_phase

        phase, sr = self.reference()
        rel = np.array([a for _, a, _ in self.harmonics])
        scale = 10 ** (self.level_db / 20) * np.sqrt(2.0 / float(np.sum(rel**2)))
        return hum_from_phase(phase, sr, RATE, n, offset=self.offset,
                              amplitudes={k: a * scale for k, a, _ in self.harmonics},
                              phases={k: p for k, _, p in self.harmonics})


@dataclass(frozen=True)
class Recording:
    """What makes one continuous recording: its room, its voices, its hum (or none)."""

    seed: int
    noise_db: float
    colour: float
    speech_db: float
    voices: tuple[str, ...]
    hum: Hum | None

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The recording's first ``n`` samples and its speech mask (bool), both shape (n,)."""
        from auditor.synth import room_noise

        rng = np.random.default_rng(self.seed)
        speech, mask = _speech(rng, n, self.voices, self.speech_db)
        x = speech + room_noise(rng, n, level_db=self.noise_db, colour=self.colour)
        if self.hum is not None:
            x += self.hum.render(n)
        return x, mask


def _speech(rng: np.random.Generator, n: int, voices: tuple[str, ...],
            level_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Utterances of the given voices with 0.3-3 s pauses (sometimes 3-8 s), from a random
    point of the stream; each utterance at ``level_db`` +- 4 dB RMS."""
    lead = int(rng.uniform(0.0, 5.0) * RATE)
    total = n + lead
    out = np.zeros(total, np.float32)
    mask = np.zeros(total, bool)
    pos = int(rng.uniform(0.0, 1.0) * RATE)
    by = speakers()
    while pos < total:
        voice = voices[int(rng.integers(len(voices)))]
        files = by[voice]
        if voice == "allison":
            parts = [clip(files[int(rng.integers(len(files)))])]
        else:  # a string of spoken digits with short gaps
            parts = []
            for _ in range(int(rng.integers(3, 11))):
                parts += [clip(files[int(rng.integers(len(files)))]),
                          np.zeros(int(rng.uniform(0.05, 0.25) * RATE), np.float32)]
        utt = np.concatenate(parts)
        rms = float(np.sqrt(np.mean(utt.astype(np.float64) ** 2))) or 1.0
        gain = 10 ** ((level_db + rng.uniform(-4, 4)) / 20) / rms
        end = min(total, pos + utt.size)
        out[pos:end] = utt[: end - pos] * np.float32(gain)
        mask[pos:end] = True
        pause = rng.uniform(3.0, 8.0) if rng.random() < 0.1 else rng.uniform(0.3, 3.0)
        pos = end + int(pause * RATE)
    return out[lead:], mask[lead:]


def random_hum(rng: np.random.Generator, speech_db: float, need: float, *,
               avoid: tuple[str, float] | None = None) -> Hum:
    """Hum from a random usable reference with room for ``need`` seconds, 25-45 dB below
    speech: fundamental with 2nd, 3rd and 5th harmonics as a court microphone picks them up.
    ``avoid`` (ref, offset): take another reference, or the same one at least 60 s away."""
    refs = [r for r in references() if r[2] - 2 * EDGE >= need]
    sixty = [r for r in refs if r[1] == 60.0]
    if avoid is None and sixty and rng.random() < 0.25:  # a quarter of hearings on a 60 Hz grid
        refs = sixty
    elif avoid is not None:  # the same grid
        refs = [r for r in refs if r[0].split("/")[0] == avoid[0].split("/")[0]]
    if avoid is not None and rng.random() < 0.5:
        same = [r for r in refs if r[0] == avoid[0]]
        refs = same or refs
    elif avoid is not None:
        refs = [r for r in refs if r[0] != avoid[0]] or refs
    rel, nominal, dur = refs[int(rng.integers(len(refs)))]
    lo, hi = EDGE, dur - EDGE - need
    offset = float(rng.uniform(lo, hi))
    if avoid is not None and rel == avoid[0] and abs(offset - avoid[1]) < 60.0:
        offset = lo if avoid[1] - lo > hi - avoid[1] else hi
    harmonics = ((1, 1.0, float(rng.uniform(0, 2 * np.pi))),
                 (2, float(rng.uniform(0.1, 0.6)), float(rng.uniform(0, 2 * np.pi))),
                 (3, float(rng.uniform(0.2, 0.8)), float(rng.uniform(0, 2 * np.pi))),
                 (5, float(rng.uniform(0.0, 0.3)), float(rng.uniform(0, 2 * np.pi))))
    return Hum(rel, nominal, round(offset, 3), speech_db - float(rng.uniform(25, 45)), harmonics)


def random_recording(rng: np.random.Generator, seconds: float, hum: bool, *,
                     like: Recording | None = None) -> Recording:
    """A recording of ``seconds``. With ``like``, another recording to insert from: half the
    time the same room on another day (same levels and hum pick-up, fresh noise), else another
    room 3-10 dB louder or quieter with another noise colour; always other voices, and hum
    from another reference or another stretch of the same one."""
    names = sorted(speakers())
    voices = tuple(sorted(str(v) for v in rng.choice(names, size=int(rng.integers(2, 4)),
                                                     replace=False)))
    same_room = like is not None and rng.random() < 0.5
    if like is not None and same_room:
        noise_db, colour, speech_db = like.noise_db, like.colour, like.speech_db
    else:
        noise_db, colour = float(rng.uniform(-62, -50)), float(rng.uniform(0.6, 0.97))
        speech_db = float(rng.uniform(-28, -20))
        if like is not None:
            noise_db = like.noise_db + float(rng.choice([-1.0, 1.0]) * rng.uniform(3, 10))
    h = None
    if hum:
        avoid = (like.hum.ref, like.hum.offset) if like is not None and like.hum else None
        h = random_hum(rng, speech_db, seconds, avoid=avoid)
        if same_room and like is not None and like.hum is not None:
            h = Hum(h.ref, h.nominal, h.offset, like.hum.level_db, like.hum.harmonics)
    return Recording(int(rng.integers(2**31)), round(noise_db, 2), round(colour, 3),
                     round(speech_db, 2), voices, h)


# ----------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """One edit on the original: at sample ``at`` remove ``removed`` samples and put in the
    first ``inserted`` samples of ``source`` (another recording)."""

    op: str
    at: int
    removed: int
    inserted: int
    where: str
    source: Recording | None = None


def _spans(mask: np.ndarray, lo: int, hi: int, min_len: int) -> list[tuple[int, int]]:
    m = np.concatenate([[False], mask[lo:hi], [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(lo + int(a), lo + int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)
            if b - a >= min_len]


def _place(rng: np.random.Generator, mask: np.ndarray, lo: int, hi: int,
           where: str) -> tuple[int, str]:
    """A sample in [lo, hi) inside speech or inside a pause of at least 0.3 s (0.1 s from its
    ends); uniform, with its real context, when there is none."""
    target = mask if where == "speech" else ~mask
    spans = _spans(target, lo, hi, int((0.05 if where == "speech" else 0.3) * RATE))
    if not spans:
        at = int(rng.integers(lo, hi))
        return at, "speech" if mask[at] else "pause"
    a, b = spans[int(rng.integers(len(spans)))]
    margin = int(0.1 * RATE) if where == "pause" else 0
    return int(rng.integers(a + margin, b - margin)), where


def plan_edits(rng: np.random.Generator, op: str, mask: np.ndarray, hum: bool,
               host: Recording) -> list[Edit]:
    """One edit of kind ``op`` in each 2-minute slot of the original (none for ``clean``)."""
    n = mask.size
    if op == "clean":
        return []
    edits = []
    for s0 in range(int(30 * RATE), n - int(SLOT * RATE), int(SLOT * RATE)):
        where = "speech" if rng.random() < 0.5 else "pause"
        if op == "cut":
            length = int(np.exp(rng.uniform(np.log(0.5), np.log(30.0))) * RATE)
            at, where = _place(rng, mask, s0 + 10 * RATE,
                               s0 + int(SLOT * RATE) - 10 * RATE - length, where)
            edits.append(Edit("cut", at, length, 0, where))
            continue
        length = int(rng.uniform(2.0, 20.0) * RATE)
        at, where = _place(rng, mask, s0 + 10 * RATE, s0 + int(SLOT * RATE) - 10 * RATE - length,
                           where)
        source = random_recording(rng, length / RATE + 6.0, hum, like=host)
        edits.append(Edit(op, at, length if op == "replace" else 0, length, where, source))
    return edits


def enf_jumps(host: Recording, edits: list[Edit]) -> list[float | None]:
    """Per join (in order), the step (rad, wrapped to +-pi) of the mains fundamental's phase
    against its continuation: what an ENF phase cue can see there (None without hum)."""
    out: list[float | None] = []
    h = host.hum
    for e in edits:
        src = e.source.hum if e.source is not None else None
        if h is None:
            out += [None] * (1 if e.source is None else 2)
            continue
        if src is None:
            steps = [h.phase_at(e.at + e.removed) - h.phase_at(e.at)]
        else:
            steps = [src.phase_at(0) - h.phase_at(e.at),
                     h.phase_at(e.at + e.removed) - src.phase_at(e.inserted)]
        out += [round(float(np.angle(np.exp(1j * d))), 4) for d in steps]
    return out


def apply_edits(x: np.ndarray, edits: list[Edit]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The edited recording and its joins (exact sample index of the first sample after each
    join in the edited recording), in order."""
    pieces: list[np.ndarray] = []
    joins: list[dict[str, Any]] = []
    pos = out = 0
    for i, e in enumerate(sorted(edits, key=lambda e: e.at)):
        pieces.append(x[pos:e.at])
        out += e.at - pos
        joins.append({"sample": out, "edit": i, "side": "join" if e.op == "cut" else "start"})
        if e.source is not None:
            other, _ = e.source.render(e.inserted)
            pieces.append(other)
            out += e.inserted
            joins.append({"sample": out, "edit": i, "side": "end"})
        pos = e.at + e.removed
    pieces.append(x[pos:])
    return np.concatenate(pieces), joins


# ----------------------------------------------------------------------------- hearings


@dataclass(frozen=True)
class Case:
    """Hearing number ``index`` of a run: its edit kind, hum or not, and its re-encodings."""

    index: int
    op: str
    hum: bool
    encodes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.index:03d}-{self.op}-{'hum' if self.hum else 'nohum'}"


ENCODINGS = {"mp3": ("mp3", {"acodec": "libmp3lame", "audio_bitrate": "64k"}),
             "aac": ("m4a", {"acodec": "aac", "audio_bitrate": "64k"})}


def compose(seed: int, case: Case, seconds: float
            ) -> tuple[Recording, list[Edit], np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """The hearing in memory: (recording, edits, original, edited, joins)."""
    rng = np.random.default_rng([seed, case.index])
    host = random_recording(rng, seconds, case.hum)
    x, mask = host.render(int(seconds * RATE))
    edits = sorted(plan_edits(rng, case.op, mask, case.hum, host), key=lambda e: e.at)
    y, joins = apply_edits(x, edits)
    return host, edits, x, y, joins


def build(seed: int, case: Case, seconds: float, out: Path) -> dict[str, Any]:
    """Write the hearing's WAV (16-bit) and re-encodings into ``out``; return its truth.

    The truth gives, per file, the joins as sample indices and seconds in *that* file: for a
    re-encoding, shifted by the decoder's measured offset against the WAV.
    """
    import soundfile as sf

    from auditor.media import transcode

    host, edits, _, y, joins = compose(seed, case, seconds)
    for j, step in zip(joins, enf_jumps(host, edits), strict=True):
        j["enf_phase_step"] = step
    wav = out / f"{case.name}.wav"
    sf.write(wav, np.clip(y, -1.0, 1.0), RATE, subtype="PCM_16")
    files = {"wav": {"path": wav.name, "offset": 0}}
    for kind in case.encodes:
        ext, opts = ENCODINGS[kind]
        dst = transcode(wav, out / f"{case.name}.{ext}", options=opts)
        files[kind] = {"path": dst.name, "offset": decoder_offset(y, dst)}
    return {
        "name": case.name, "op": case.op, "hum": case.hum, "rate": RATE, "frames": int(y.size),
        "seconds": round(y.size / RATE, 6), "files": files, "joins": joins,
        "recording": _json(host),
        "edits": [{"op": e.op, "at": e.at, "removed": e.removed, "inserted": e.inserted,
                   "where": e.where, "source": _json(e.source) if e.source else None}
                  for e in edits],
    }


def _json(r: Recording) -> dict[str, Any]:
    out: dict[str, Any] = {"noise_db": r.noise_db, "colour": r.colour, "speech_db": r.speech_db,
                           "voices": list(r.voices), "hum": None}
    if r.hum is not None:
        out["hum"] = {"ref": r.hum.ref, "nominal": r.hum.nominal, "offset": r.hum.offset,
                      "level_db": round(r.hum.level_db, 2),
                      "harmonics": [[k, round(a, 3)] for k, a, _ in r.hum.harmonics]}
    return out


def decoder_offset(ref: np.ndarray, path: Path, max_lag: int = 8192) -> int:
    """Samples by which the decoded ``path`` lags ``ref`` (encoder delay the decoder did not
    remove; 0 when it trims the priming), by cross-correlating 20 s from the middle."""
    from scipy.signal import correlate

    from auditor.media import Decoder, probe

    dec = np.concatenate([b[:, 0] for b in Decoder(probe(path), block_frames=RATE * 60)])
    mid = ref.size // 2
    a = ref[mid: mid + 20 * RATE].astype(np.float64)
    b = dec[mid - max_lag: mid + 20 * RATE + max_lag].astype(np.float64)
    c = correlate(b, a, mode="valid", method="fft")
    return int(np.argmax(c)) - max_lag
