"""Voices, rooms and mains references of the false-alarm benchmark, and their split.

Every source of a benchmark hearing belongs to exactly one split, ``calibration``, ``test`` or
``independent``:
a speaker, a room (noise level, colour and ventilation kind, with an id) and a mains reference
(an ENF recording) are never shared between the two, so a detector tuned on the calibration
split meets new voices, rooms and grids in the test split. Every reported figure comes from
the test split. The assignment is fixed here, in code.

Voices come from ``../shared/corpus`` (Allison Smith, four FSDD speakers) and from Debian
packages that ``bench/fetch_voices.py`` downloads and decodes into ``bench/out/voices/``
(not committed). Kept out of calibration and test, for an independent check that nothing was
tuned on: Debian's ``asterisk-core-sounds-fr/es/ru-*``, ``pocketsphinx-testdata``, FSDD's
``theo`` and ``yweweler``, ENF-WHU ``H1_ref`` 041-130 and pyenf's attack recordings. They make
the ``independent`` split (``bench/fetch_independent.py`` fetches them into
``bench/out/independent/`` and ``bench/out/voices/``); ``calibrate_splice.py`` refuses to fit
on it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
VOICES_DIR = HERE / "out" / "voices"
SPLITS = ("calibration", "test", "independent")
#: splits nothing may be fitted or tuned on
HELD_OUT = ("independent",)
INDEPENDENT_DIR = HERE / "out" / "independent"
FETCH_HINT = ("the extra voices are not in bench/out/voices: run "
              "`.venv/bin/python bench/fetch_voices.py` (apt-get download, about 40 MB; "
              "`apt-get update` first if a package is not found)")
INDEPENDENT_HINT = ("the independent split's material is not in bench/out: run "
                    "`.venv/bin/python bench/fetch_independent.py --help` (Debian packages and "
                    "three GitHub repositories)")


@dataclass(frozen=True)
class ExtraVoice:
    """A voice from a Debian package: where its clips are and what its licence asks."""

    name: str
    package: str
    glob: str  # inside the unpacked package
    input_format: str | None  # ffmpeg demuxer for raw files (g722), else None
    licence: str
    attribution: str
    deb_sha256: str
    skip_words: tuple[str, ...] = ("beep", "tone")
    skip_dirs: tuple[str, ...] = ("silence",)


_AST = "usr/share/asterisk/sounds"
EXTRA = (
    ExtraVoice("carlo", "asterisk-core-sounds-it-g722", f"{_AST}/it_IT_m_Carlo/**/*.g722",
               "g722", "CC BY 3.0",
               "Carlo Flora (http://www.carloflora.com), translated by Silvia Petrin; "
               "asterisk-core-sounds 1.6.1, Debian asterisk-core-sounds-it-g722 1.6.1-1",
               "46b4cf7afc508a5fcfc051b7ea233251c0d195dd4ef83cc4b7facb4c6429b016"),
    ExtraVoice("menardi", "asterisk-prompt-it-menardi-wav", f"{_AST}/it_IT_f_Menardi/**/*.wav",
               None, "CC BY-SA 3.0 IT",
               "voice files by Marco Menardi and Paola Dal Zot, http://www.voip.ammdomus.it; "
               "Debian asterisk-prompt-it-menardi-wav 1:1.4.22+mm20110907-3.1",
               "3094530d98f8758ac275572d59624c41f60969fef883f34f4886d144f3dfeb21"),
    ExtraVoice("esco", "asterisk-prompt-es-co", f"{_AST}/es/**/*.gsm", None, "GPL-2",
               "Avatar Ltda. / July E. Jimenez (http://www.avatar.com.co/); "
               "Debian asterisk-prompt-es-co 0.20070403-2.1",
               "6702696e045514699e87dc8fb70f370717e5df91f821f7bec8dd0df1be008e83"),
    ExtraVoice("armelle", "asterisk-prompt-fr-armelle", f"{_AST}/fr/**/*.gsm", None,
               "BSD-style (Copyright (C) 2006 Michel Gutierrez)",
               "voice actor Armelle Desjardins, copyright 2006 Michel Gutierrez; "
               "Debian asterisk-prompt-fr-armelle 20070613-2.2",
               "162570b1a9b3512a98f06b89f60c7c17cf1b9b52297315adca9a4e5be728bea3"),
    ExtraVoice("gcin-liu", "gcin-voice", "usr/share/gcin-voice/ogg/*/3.ogg", None,
               "GPL-3 or LGPL-3",
               "Mandarin syllables (3.ogg) by Edward Der-Hua Liu, 2014; "
               "Debian gcin-voice 0~20170223-3",
               "6a0353f0294d06f7bd901bada3d5d9eec63b66c2ec029f92da3124d93d45de70"),
    ExtraVoice("gcin-lo", "gcin-voice", "usr/share/gcin-voice/ogg/*/5.ogg", None, "CC BY 3.0",
               "Mandarin syllables (5.ogg), ChionMeilin with the vocal source from Chu Lo; "
               "Debian gcin-voice 0~20170223-3",
               "6a0353f0294d06f7bd901bada3d5d9eec63b66c2ec029f92da3124d93d45de70"),
)


@dataclass(frozen=True)
class Speaker:
    """A voice of the benchmark: how its clips make an utterance and which split it is in.

    ``style`` is ``prompt`` (each clip a phrase; an utterance is 1-3 of them) or ``tokens``
    (each clip a digit or a syllable; an utterance strings 3-12 of them).
    """

    name: str
    split: str
    style: str
    rate: int  # Hz the speech was recorded (or coded) at
    sex: str
    language: str
    source: str


SPEAKERS = (
    Speaker("allison", "calibration", "prompt", 8000, "f", "en", "corpus asterisk-en"),
    Speaker("george", "calibration", "tokens", 8000, "m", "en", "corpus FSDD"),
    Speaker("jackson", "calibration", "tokens", 8000, "m", "en", "corpus FSDD"),
    Speaker("menardi", "calibration", "prompt", 8000, "f", "it", "asterisk-prompt-it-menardi"),
    Speaker("esco", "calibration", "prompt", 8000, "f", "es", "asterisk-prompt-es-co (GSM)"),
    Speaker("gcin-lo", "calibration", "tokens", 44100, "f", "zh", "gcin-voice 5.ogg"),
    Speaker("carlo", "test", "prompt", 16000, "m", "it", "asterisk-core-sounds-it (G.722)"),
    Speaker("lucas", "test", "tokens", 8000, "m", "en", "corpus FSDD"),
    Speaker("nicolas", "test", "tokens", 8000, "m", "en", "corpus FSDD"),
    Speaker("armelle", "test", "prompt", 8000, "f", "fr", "asterisk-prompt-fr-armelle (GSM)"),
    Speaker("gcin-liu", "test", "tokens", 44100, "m", "zh", "gcin-voice 3.ogg"),
    # the independent check (bench/fetch_independent.py); asterisk-core-sounds-es holds
    # es_MX_f_Allison, the calibration split's Allison Smith: fetched, but not a new voice
    Speaker("june", "independent", "prompt", 16000, "f", "fr", "asterisk-core-sounds-fr (G.722)"),
    Speaker("ivrvoice-ru", "independent", "prompt", 16000, "f", "ru",
            "asterisk-core-sounds-ru (G.722)"),
    Speaker("librivox", "independent", "prompt", 16000, "m", "en",
            "pocketsphinx-testdata librivox/"),
    Speaker("sphinx-cards", "independent", "prompt", 16000, "m", "en",
            "pocketsphinx-testdata cards/"),
    Speaker("theo", "independent", "tokens", 8000, "m", "en", "FSDD (GitHub)"),
    Speaker("yweweler", "independent", "tokens", 8000, "m", "en", "FSDD (GitHub)"),
)
BY_NAME = {s.name: s for s in SPEAKERS}
_EXTRA = {v.name: v for v in EXTRA}


def voices_present(split: str = "test") -> bool:
    """Whether ``fetch_voices.py`` (or, for the independent split, ``fetch_independent.py``)
    has decoded every voice the split needs, and its mains references are there."""
    if split in HELD_OUT:
        return (all(any((VOICES_DIR / s.name).glob("*.wav")) for s in speakers(split))
                and all(ref_path(r.rel).is_file() for r in references(split)))
    return all(any((VOICES_DIR / v.name).glob("*.wav")) for v in EXTRA)


def corpus_present() -> bool:
    return (CORPUS / "speech" / "fsdd").is_dir() and (CORPUS / "enf-50hz").is_dir()


@functools.cache
def clips(name: str) -> tuple[Path, ...]:
    """The clip files of one speaker (any rate; :func:`_splice_cases.clip` resamples)."""
    if name == "allison":
        ast = CORPUS / "speech" / "asterisk-en"
        return tuple(p for p in sorted(ast.glob("*.wav"))
                     if "beep" not in p.name and "tone" not in p.name)
    if name in _EXTRA or BY_NAME[name].split in HELD_OUT:
        found = tuple(sorted((VOICES_DIR / name).glob("*.wav")))
        if not found:
            raise FileNotFoundError(INDEPENDENT_HINT if BY_NAME[name].split in HELD_OUT
                                    else FETCH_HINT)
        return found
    return tuple(sorted((CORPUS / "speech" / "fsdd").glob(f"*_{name}_*.wav")))


def speakers(split: str) -> tuple[Speaker, ...]:
    return tuple(s for s in SPEAKERS if s.split == split)


# ----------------------------------------------------------------------------- rooms


@dataclass(frozen=True)
class Room:
    """A room: its noise level (dBFS RMS at the recorder), colour (the one-pole coefficient of
    :func:`auditor.synth.room_noise`) and ventilation kind (``none``, ``hvac``: a low rumble
    that breathes slowly, ``fan``: broadband hiss), and whether it is quiet or a court room
    with ventilation loud enough to set the speech-to-noise ratio."""

    id: str
    split: str
    noise_db: float
    colour: float
    vent: str
    loud: bool


ROOMS = (
    Room("R01", "calibration", -70.0, 0.90, "none", False),
    Room("R02", "test", -68.0, 0.80, "none", False),
    Room("R03", "calibration", -64.0, 0.60, "fan", False),
    Room("R04", "test", -72.0, 0.95, "hvac", False),
    Room("R05", "calibration", -48.0, 0.97, "hvac", True),
    Room("R06", "test", -50.0, 0.93, "hvac", True),
    Room("R07", "calibration", -46.0, 0.70, "fan", True),
    Room("R08", "test", -44.0, 0.65, "fan", True),
    Room("R09", "calibration", -58.0, 0.85, "none", False),
    Room("R10", "test", -60.0, 0.88, "fan", False),
    Room("R11", "calibration", -52.0, 0.50, "none", True),
    Room("R12", "test", -47.0, 0.75, "none", True),
    Room("R13", "independent", -66.0, 0.92, "fan", False),
    Room("R14", "independent", -62.0, 0.55, "none", False),
    Room("R15", "independent", -74.0, 0.98, "hvac", False),
    Room("R16", "independent", -49.0, 0.82, "fan", True),
    Room("R17", "independent", -45.0, 0.96, "hvac", True),
    Room("R18", "independent", -51.0, 0.60, "none", True),
)


def rooms(split: str, *, loud: bool | None = None) -> tuple[Room, ...]:
    return tuple(r for r in ROOMS if r.split == split and (loud is None or r.loud == loud))


# ----------------------------------------------------------------------------- mains references


@dataclass(frozen=True)
class Reference:
    """A mains reference: file under ``../shared/corpus``, nominal frequency, and the harmonic
    its phase is read from (``Grid_A_A1``'s fundamental is buried in noise; its 2nd harmonic,
    read in a 0.1 Hz band and halved, gives a grid track as smooth as ``A_P1``'s)."""

    rel: str
    split: str
    nominal: float
    harmonic: int = 1
    bandwidth: float = 1.0
    #: the grid the recording was made on when it differs from ``nominal``: its phase is read
    #: at that grid and scaled by ``nominal / source_nominal`` (a real grid's wander, carried
    #: to the other grid's line)
    source_nominal: float | None = None


#: ENF-WHU 027, 031 and 037 hold recorder glitches (see ``_splice_cases.EXCLUDED_REFS``)
_BAD_50 = {27, 31, 37}
REFERENCES = tuple(
    Reference(f"enf-50hz/{i:03d}_ref.wav", "test" if i <= 20 else "calibration", 50.0)
    for i in range(1, 41) if i not in _BAD_50
) + (
    Reference("enf-60hz/Grid_A_A1.wav", "test", 60.0, harmonic=2, bandwidth=0.1),
    Reference("enf-60hz/A_P1.wav", "calibration", 60.0),
) + tuple(
    # the independent split: ENF-WHU H1_ref 041-130 (bench/fetch_independent.py). No clean
    # 60 Hz recording is held out (pyenf's attack recordings are 16-34 s of room sound), so
    # its 60 Hz hum follows 101-130's 50 Hz wander scaled by 6/5
    Reference(f"independent/enf-50hz/{i:03d}_ref.wav", "independent",
              50.0 if i <= 100 else 60.0, source_nominal=None if i <= 100 else 50.0)
    for i in range(41, 131)
)


def ref_path(rel: str) -> Path:
    """Where a reference's file is: ``../shared/corpus`` or, for the independent split,
    ``bench/out/independent``."""
    if rel.startswith("independent/"):
        return INDEPENDENT_DIR / rel.split("/", 1)[1]
    return CORPUS / rel


def references(split: str, nominal: float | None = None) -> tuple[Reference, ...]:
    return tuple(r for r in REFERENCES
                 if r.split == split and (nominal is None or r.nominal == nominal))


@functools.cache
def reference_phase(rel: str) -> tuple[object, int, float]:
    """(unwrapped fundamental phase (rad), its rate (Hz), duration (s)) of a reference."""
    import soundfile as sf

    from auditor.synth import reference_phase as phase_of

    ref = next(r for r in REFERENCES if r.rel == rel)
    x, sr = sf.read(ref_path(rel), dtype="float64")
    grid = ref.source_nominal or ref.nominal
    ph = phase_of(x, sr, grid * ref.harmonic, bandwidth=ref.bandwidth) / ref.harmonic
    if ref.source_nominal:
        ph = ph * (ref.nominal / ref.source_nominal)
    return ph, int(sr), x.size / sr


#: a reference's 0.1 s mean frequency this far (Hz) from its 10 s running median is a glitch of
#: the recording (a recorder fault or a burst of interference read as phase), not grid wander:
#: the clean references stay within 0.01 Hz of it; ``Grid_A_A1`` departs by 0.34 Hz at 1070 s
GLITCH_HZ = 0.1
#: seconds either side of a glitch that no hearing's hum may use
GLITCH_GUARD = 2.0


@functools.cache
def glitches(rel: str) -> tuple[tuple[float, float], ...]:
    """Spans (seconds into the reference, guard included) where a reference's phase holds a
    glitch: a hum built across one would hold a real phase step that no edit made, and the
    benchmark would count its detection as a false alarm."""
    import numpy as np

    from auditor.detect.splice.enf.track import running_median

    phase, sr, _ = reference_phase(rel)
    step = max(1, sr // 10)
    f = np.diff(np.asarray(phase)[::step]) / (2 * np.pi * step / sr)
    t = (np.arange(f.size) + 0.5) * step / sr
    bad = t[np.abs(f - running_median(f, 101)) > GLITCH_HZ]
    spans: list[list[float]] = []
    for x in bad:
        if spans and x - spans[-1][1] <= 2 * GLITCH_GUARD:
            spans[-1][1] = float(x)
        else:
            spans.append([float(x), float(x)])
    return tuple((a - GLITCH_GUARD, b + GLITCH_GUARD) for a, b in spans)
