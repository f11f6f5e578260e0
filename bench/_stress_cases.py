"""Unedited stress hearings and edited hearings for the false-alarm benchmark.

Every hearing is 16 kHz mono, built deterministically from ``(seed, index)`` out of one split's
voices, rooms and mains references (``_voices.py``). Unedited kinds (``STRESS``):

``gated``     each voice speaks through its own gated microphone or automatic-mixer channel,
              which carries that microphone's own noise floor and hum (the hearing's grid at
              its own phase and level, or another stretch or the other grid's hum): they open
              and close with its speech (attack 2-20 ms, hold 0.1-0.5 s, release 50-500 ms;
              fully closed, or 10-25 dB down as an automatic mixer leaves it);
``snr``       a court room whose ventilation sets the noise: speech 25-35 dB over it, with hum;
``quiet``     a quiet room (speech 40 dB or more over the noise), with hum;
``tonal``     machine tones near 50, 60, 100 or 120 Hz (fan, projector, PC) that do not follow
              the grid: steady, or drifting slowly; with the grid's hum or without;
``nohum``     no hum at all;
``distance``  three or four speakers 0.5-5 m from the microphone: level, reverberation
              (exponential noise tail, RT60 0.3-0.9 s) and low-pass filtering by distance.

Edited kinds (``EDITED``): ``cut`` (0.5-30 s removed) and ``insert`` (2-20 s of another
recording put in), one edit per 2-minute slot, placed as ``_splice_cases.py`` places them, in a
``quiet`` or ``snr`` room with hum; the exact sample of every join is the truth.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import Any

import _splice_cases as sc  # noqa: E402 - bench/ is on sys.path when run as a script
import _voices as vo  # noqa: E402
import numpy as np
from _stress_hum import Hum, grid_of, pick_hum  # noqa: E402

RATE = sc.RATE
BUILD_VERSION = 2
STRESS = ("gated", "snr", "quiet", "tonal", "nohum", "distance")
EDITED = ("cut", "insert")


# ----------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class Mic:
    """A gated microphone (or automatic-mixer channel): its own noise and hum pass only while
    the gate is open; closed, they are ``depth_db`` down (120: a gate shut)."""

    noise_db: float
    colour: float
    hum: Hum | None
    depth_db: float
    attack: float
    hold: float
    release: float


@dataclass(frozen=True)
class Voice:
    """One talker as the recorder hears them."""

    name: str
    level_db: float  # utterance RMS (dBFS) at the recorder, before the +-3 dB per utterance
    rt60: float = 0.0  # s, 0 = dry
    direct_db: float = 0.0  # direct-to-reverberant ratio (dB)
    lowpass: float = 0.0  # Hz, 0 = none
    mic: Mic | None = None


@dataclass(frozen=True)
class Tone:
    """A machine tone: ``freq`` Hz drifting by ``drift`` Hz over ``period`` s, 2nd harmonic at
    ``second`` of the fundamental; RMS ``level_db``."""

    freq: float
    drift: float
    period: float
    phase: float
    level_db: float
    second: float


@dataclass(frozen=True)
class Scene:
    """What makes one continuous recording; :meth:`render` makes its samples."""

    seed: int
    kind: str
    room: str
    noise_db: float
    colour: float
    vent: str
    voices: tuple[Voice, ...]
    hum: Hum | None
    tones: tuple[Tone, ...] = field(default=())

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` samples (float64) and the speech mask (bool), both shape (n,)."""
        parts = self.render_parts(n)
        return parts["mix"], parts["mask"]

    def render_parts(self, n: int) -> dict[str, Any]:
        """Every part: ``mix``, ``mask``; per voice ``speech``/``voice_mask``/``gate``/
        ``mic_hum``/``mic_noise`` (lists, one per voice; None where it has no mic)."""
        from auditor.synth import room_noise

        rng = np.random.default_rng(self.seed)
        tracks, masks = _speech(rng, n, self.voices)
        mix = np.zeros(n)
        out: dict[str, Any] = {"speech": [], "voice_mask": masks, "gate": [], "mic_hum": [],
                               "mic_noise": []}
        for v, y, m in zip(self.voices, tracks, masks, strict=True):
            y = _place_voice(rng, y, v)
            mix += y
            out["speech"].append(y)
            if v.mic is None:
                out["gate"].append(None)
                out["mic_hum"].append(None)
                out["mic_noise"].append(None)
                continue
            g = gate(m, depth_db=v.mic.depth_db, attack=v.mic.attack, hold=v.mic.hold,
                     release=v.mic.release)
            noise = room_noise(rng, n, level_db=v.mic.noise_db, colour=v.mic.colour) * g
            hum = v.mic.hum.render(n) * g if v.mic.hum is not None else np.zeros(n)
            mix += noise + hum
            out["gate"].append(g)
            out["mic_hum"].append(hum)
            out["mic_noise"].append(noise)
        mix += room_noise(rng, n, level_db=self.noise_db, colour=self.colour)
        mix += _vent(rng, n, self.vent, self.noise_db)
        if self.hum is not None:
            mix += self.hum.render(n)
        t = np.arange(n) / RATE
        for tone in self.tones:
            f = tone.freq + tone.drift * np.sin(2 * np.pi * t / tone.period + tone.phase)
            ph = 2 * np.pi * np.cumsum(f) / RATE + tone.phase
            amp = 10 ** (tone.level_db / 20) * np.sqrt(2.0 / (1 + tone.second**2))
            mix += amp * (np.cos(ph) + tone.second * np.cos(2 * ph + 1.0))
        out["mix"] = mix
        out["mask"] = np.any(masks, axis=0) if masks else np.zeros(n, bool)
        return out


def gate(mask: np.ndarray, *, depth_db: float, attack: float, hold: float,
         release: float) -> np.ndarray:
    """Gain (0..1) of a gate keyed by ``mask``: opens over ``attack`` s at each speech onset,
    stays open ``hold`` s after it ends (gaps shorter than that never close it), then closes
    over ``release`` s to ``-depth_db`` dB. Raised-cosine ramps. Shape (n,)."""
    n = mask.size
    floor = 10 ** (-depth_db / 20)
    g = np.full(n, floor)
    spans = sc._spans(mask, 0, n, 1)
    merged: list[list[int]] = []
    h = int(hold * RATE)
    for a, b in spans:
        if merged and a <= merged[-1][1] + h:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    na, nr = max(1, int(attack * RATE)), max(1, int(release * RATE))
    up = floor + (1 - floor) * 0.5 * (1 - np.cos(np.pi * np.arange(na) / na))
    down = floor + (1 - floor) * 0.5 * (1 + np.cos(np.pi * np.arange(nr) / nr))
    for a, b in merged:
        e = min(n, b + h)
        g[a:e] = 1.0
        g[a: min(n, a + na)] = up[: min(n, a + na) - a]
        g[e: min(n, e + nr)] = np.maximum(g[e: min(n, e + nr)], down[: min(n, e + nr) - e])
    return g


def _utterance(rng: np.random.Generator, name: str) -> np.ndarray:
    files = vo.clips(name)
    style = vo.BY_NAME[name].style
    parts: list[np.ndarray] = []
    count = int(rng.integers(1, 4)) if style == "prompt" else int(rng.integers(3, 13))
    gap = (0.15, 0.5) if style == "prompt" else (0.05, 0.25)
    for i in range(count):
        if i:
            parts.append(np.zeros(int(rng.uniform(*gap) * RATE), np.float32))
        parts.append(sc.clip(files[int(rng.integers(len(files)))]))
    return np.concatenate(parts)


def _speech(rng: np.random.Generator, n: int, voices: tuple[Voice, ...]
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Turns of the voices, one at a time (1-3 utterances a turn, 0.2-1.2 s apart; 0.5-3 s
    between turns, one in ten 3-8 s): per voice its track and speech mask, shape (n,)."""
    tracks = [np.zeros(n) for _ in voices]
    masks = [np.zeros(n, bool) for _ in voices]
    if not voices:
        return tracks, masks
    pos = int(rng.uniform(0.5, 3.0) * RATE)
    who = int(rng.integers(len(voices)))
    while pos < n:
        v = voices[who]
        for _ in range(int(rng.integers(1, 4))):
            utt = _utterance(rng, v.name).astype(np.float64)
            rms = float(np.sqrt(np.mean(utt**2))) or 1.0
            utt *= 10 ** ((v.level_db + rng.uniform(-3, 3)) / 20) / rms
            end = min(n, pos + utt.size)
            tracks[who][pos:end] = utt[: end - pos]
            masks[who][pos:end] = np.abs(utt[: end - pos]) > 0
            pos = end + int(rng.uniform(0.2, 1.2) * RATE)
            if pos >= n:
                break
        pos += int((rng.uniform(3.0, 8.0) if rng.random() < 0.1 else rng.uniform(0.5, 3.0))
                   * RATE)
        if len(voices) > 1:
            who = (who + int(rng.integers(1, len(voices)))) % len(voices)
    return tracks, masks


def _place_voice(rng: np.random.Generator, y: np.ndarray, v: Voice) -> np.ndarray:
    """Reverberation (exponential noise tail after the direct sound) and distance low-pass."""
    from scipy.signal import butter, fftconvolve, sosfilt

    if v.rt60 > 0:
        m = int(v.rt60 * RATE)
        t = np.arange(m) / RATE
        tail = rng.normal(0, 1, m) * np.exp(-6.91 * t / v.rt60)
        tail[: int(0.003 * RATE)] = 0.0  # the first reflections arrive after the direct sound
        tail *= 10 ** (-v.direct_db / 20) / np.sqrt(np.sum(tail**2))
        h = tail
        h[0] = 1.0
        wet = fftconvolve(y, h)[: y.size]
        y = wet * np.sqrt(np.sum(y**2) / max(np.sum(wet**2), 1e-20))
    if v.lowpass > 0:
        y = sosfilt(butter(2, v.lowpass, fs=RATE, output="sos"), y)
    return y


def _vent(rng: np.random.Generator, n: int, kind: str, level_db: float) -> np.ndarray:
    """Ventilation: ``hvac`` a rumble below 150 Hz that breathes (0.05-0.2 Hz, 10-25 %),
    ``fan`` a broadband hiss, both about ``level_db`` - 3 dB; ``none`` nothing."""
    from scipy.signal import butter, sosfilt

    if kind == "none":
        return np.zeros(n)
    x = rng.normal(0, 1, n)
    if kind == "hvac":
        x = sosfilt(butter(2, 150.0, fs=RATE, output="sos"), x)
        t = np.arange(n) / RATE
        x *= 1 + rng.uniform(0.1, 0.25) * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t
                                                  + rng.uniform(0, 2 * np.pi))
    return x * 10 ** ((level_db - 3) / 20) / max(float(np.std(x)), 1e-12)


# ----------------------------------------------------------------------------- scenes


def _voices(rng: np.random.Generator, split: str, k: int) -> list[str]:
    names = [s.name for s in vo.speakers(split)]
    return sorted(str(v) for v in rng.choice(names, size=k, replace=False))


def _room(rng: np.random.Generator, split: str, loud: bool | None) -> vo.Room:
    rs = vo.rooms(split, loud=loud)
    return rs[int(rng.integers(len(rs)))]


def scene(rng: np.random.Generator, split: str, kind: str, seconds: float) -> Scene:
    """A random scene of ``kind`` (a STRESS kind, or ``host`` for an edited hearing)."""
    need = seconds + 1.0
    grid = grid_of(rng)
    seed = int(rng.integers(2**31))
    if kind == "gated":
        room = _room(rng, split, None)
        names = _voices(rng, split, int(rng.integers(2, 5)))
        speech_db = float(rng.uniform(-28, -20))
        base = pick_hum(rng, split, 0.0, need, nominal=grid)
        voices = []
        for name in names:
            hum_db = speech_db - float(rng.uniform(20, 40))
            u = rng.random()
            if u < 0.5:  # the hearing's grid, this microphone's own phase and harmonics
                h = pick_hum(rng, split, hum_db, need, nominal=grid)
                h = Hum(base.ref, base.nominal, base.offset, hum_db, h.harmonics)
            elif u < 0.8:  # hum of another recording on the same grid
                h = pick_hum(rng, split, hum_db, need, nominal=grid)
            else:  # the other grid's hum (a voice recorded elsewhere)
                h = pick_hum(rng, split, hum_db, need, nominal=110.0 - grid)
            full = rng.random() < 0.5
            mic = Mic(round(float(rng.uniform(-66, -48)), 2), round(float(rng.uniform(0.4, 0.97)),
                                                                     3),
                      h, 120.0 if full else round(float(rng.uniform(10, 25)), 1),
                      round(float(rng.uniform(0.002, 0.02)), 4),
                      round(float(rng.uniform(0.1, 0.5)), 3),
                      round(float(rng.uniform(0.05, 0.5)), 3))
            voices.append(Voice(name, round(speech_db + float(rng.uniform(-4, 4)), 2), mic=mic))
        bed = room.noise_db - float(rng.uniform(10, 20))
        hum = (pick_hum(rng, split, speech_db - float(rng.uniform(40, 50)), need, nominal=grid)
               if rng.random() < 0.3 else None)
        return Scene(seed, kind, room.id, round(bed, 2), room.colour, "none", tuple(voices), hum)
    if kind == "distance":
        room = _room(rng, split, None)
        names = _voices(rng, split, int(rng.integers(3, 5)))
        speech_db = float(rng.uniform(-24, -18))
        rt60 = float(rng.uniform(0.3, 0.9))
        voices = []
        for name in names:
            d = float(np.exp(rng.uniform(np.log(0.5), np.log(5.0))))
            voices.append(Voice(name, round(speech_db - 20 * np.log10(d / 0.5), 2),
                                round(rt60, 3), round(12.0 - 20 * np.log10(d / 0.5), 2),
                                round(float(8000 / (1 + d)), 1) if d > 1.5 else 0.0))
        hum = pick_hum(rng, split, speech_db - float(rng.uniform(25, 45)), need, nominal=grid)
        return Scene(seed, kind, room.id, room.noise_db, room.colour, room.vent, tuple(voices),
                     hum)
    loud = {"snr": True, "quiet": False}.get(kind)
    room = _room(rng, split, loud)
    names = _voices(rng, split, int(rng.integers(2, 4)))
    noise_db = room.noise_db
    if kind == "snr":
        speech_db = room.noise_db + float(rng.uniform(25, 35))
    elif kind == "quiet":
        speech_db = float(rng.uniform(-28, -20))
        noise_db = min(room.noise_db, speech_db - 40.0)
    else:
        speech_db = float(rng.uniform(-28, -20))
    voices = tuple(Voice(n, round(speech_db + float(rng.uniform(-3, 3)), 2)) for n in names)
    with_hum = kind in ("snr", "quiet", "host") or (kind == "tonal" and rng.random() < 0.6)
    hum = (pick_hum(rng, split, speech_db - float(rng.uniform(25, 45)), need, nominal=grid)
           if with_hum else None)
    tones: list[Tone] = []
    if kind == "tonal":
        for _ in range(int(rng.integers(1, 4))):
            centre = float(rng.choice([50.0, 60.0, 100.0, 120.0]))
            off = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 3.0))
            drifting = rng.random() < 0.5
            tones.append(Tone(round(centre + off, 3),
                              round(float(rng.uniform(0.05, 0.5)), 3) if drifting else 0.0,
                              round(float(rng.uniform(60, 600)), 1),
                              round(float(rng.uniform(0, 2 * np.pi)), 3),
                              round(speech_db - float(rng.uniform(25, 45)), 2),
                              round(float(rng.uniform(0.0, 0.5)), 3)))
    return Scene(seed, kind, room.id, round(noise_db, 2), room.colour, room.vent, voices, hum,
                 tuple(tones))


def source_like(rng: np.random.Generator, split: str, host: Scene, seconds: float) -> Scene:
    """Another recording to insert from: half the time the same room on another day (same
    noise, hum pick-up and speech level; fresh noise), else another room of the split; always
    other voices, hum from another reference of the same grid or the same one 60 s away."""
    names = [s.name for s in vo.speakers(split) if s.name not in {v.name for v in host.voices}]
    names = names or [s.name for s in vo.speakers(split)]
    k = min(len(names), int(rng.integers(1, 3)))
    chosen = sorted(str(v) for v in rng.choice(names, size=k, replace=False))
    speech_db = host.voices[0].level_db
    assert host.hum is not None
    avoid = (host.hum.ref, host.hum.offset)
    if rng.random() < 0.5:
        noise_db, colour, vent, room = host.noise_db, host.colour, host.vent, host.room
        h = pick_hum(rng, split, host.hum.level_db, seconds, nominal=host.hum.nominal,
                     avoid=avoid)
        h = Hum(h.ref, h.nominal, h.offset, host.hum.level_db, host.hum.harmonics)
    else:
        r = _room(rng, split, None)
        noise_db, colour, vent, room = r.noise_db, r.colour, r.vent, r.id
        speech_db = float(rng.uniform(-28, -20))
        h = pick_hum(rng, split, speech_db - float(rng.uniform(25, 45)), seconds,
                     nominal=host.hum.nominal, avoid=avoid)
    voices = tuple(Voice(n, round(speech_db + float(rng.uniform(-3, 3)), 2)) for n in chosen)
    return Scene(int(rng.integers(2**31)), "source", room, noise_db, colour, vent, voices, h)


def plan_edits(rng: np.random.Generator, op: str, mask: np.ndarray, host: Scene,
               split: str) -> list[sc.Edit]:
    """One ``cut`` or ``insert`` in each 2-minute slot, placed as ``_splice_cases`` does."""
    n = mask.size
    slot = int(sc.SLOT * RATE)
    edits = []
    for s0 in range(int(30 * RATE), n - slot, slot):
        where = "speech" if rng.random() < 0.5 else "pause"
        if op == "cut":
            length = int(np.exp(rng.uniform(np.log(0.5), np.log(30.0))) * RATE)
        else:
            length = int(rng.uniform(2.0, 20.0) * RATE)
        at, where = sc._place(rng, mask, s0 + 10 * RATE, s0 + slot - 10 * RATE - length, where)
        if op == "cut":
            edits.append(sc.Edit("cut", at, length, 0, where))
        else:
            src = source_like(rng, split, host, length / RATE + 6.0)
            edits.append(sc.Edit("insert", at, 0, length, where, src))  # type: ignore[arg-type]
    return edits


# ----------------------------------------------------------------------------- hearings


@dataclass(frozen=True)
class Case:
    """Hearing ``index`` of a split: a STRESS kind (unedited) or an EDITED kind."""

    split: str
    kind: str
    index: int
    seconds: float

    @property
    def name(self) -> str:
        return f"{self.split[:3]}-{self.index:03d}-{self.kind}"

    @property
    def edited(self) -> bool:
        return self.kind in EDITED


def seed_of(split: str) -> int:
    """The fixed seed of a split (the splits never share a seed either)."""
    return {"calibration": 19_001, "test": 19_002, "independent": 19_003}[split]


def compose(case: Case) -> tuple[Scene, list[sc.Edit], np.ndarray, list[dict[str, Any]]]:
    """The hearing in memory: (scene, edits, edited samples, joins)."""
    rng = np.random.default_rng([seed_of(case.split), case.index])
    host = scene(rng, case.split, "host" if case.edited else case.kind, case.seconds)
    x, mask = host.render(int(case.seconds * RATE))
    if not case.edited:
        return host, [], x, []
    edits = sorted(plan_edits(rng, case.kind, mask, host, case.split), key=lambda e: e.at)
    y, joins = sc.apply_edits(x, edits)
    for j, step in zip(joins, sc.enf_jumps(host, edits), strict=True):  # type: ignore[arg-type]
        j["enf_phase_step"] = step
    return host, edits, y, joins


def describe(s: Scene) -> dict[str, Any]:
    """A scene as JSON (every parameter that made it)."""
    return asdict(s)


@functools.cache
def _plan_kinds() -> tuple[str, ...]:
    # per 8 hearings: every stress kind once, plus a second gated and tonal hearing
    return ("gated", "snr", "quiet", "tonal", "nohum", "distance", "gated", "tonal")


def plan(split: str, hours: float, seconds: float) -> list[Case]:
    """Unedited hearings for ``hours`` of audio, then edited ones for a third of that (half
    cuts, half insertions), in a fixed order."""
    kinds = _plan_kinds()
    n = max(len(kinds), round(hours * 3600 / seconds))
    cases = [Case(split, kinds[i % len(kinds)], i, seconds) for i in range(n)]
    m = max(2, round(hours * 3600 / seconds / 3))
    cases += [Case(split, EDITED[i % 2], 1000 + i, seconds) for i in range(m)]
    return cases
