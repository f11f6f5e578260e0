"""A gated microphone is recognised: its hum and noise floor come and go with speech, and the
cues they would fool say they cannot apply; an open microphone in a room with steady hum is not
taken for one."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write

from auditor.detect import ScanParams
from auditor.scan import scan_file

SR = 16000


def bursts(rng: np.random.Generator, seconds: float,
           turn: tuple[float, float] = (15.0, 30.0)) -> tuple[np.ndarray, np.ndarray]:
    """Turns of speech-like bursts (syllable-modulated harmonics of 1-3 s, 0.3-0.8 s apart) of
    ``turn`` seconds, with 3-6 s between turns; the signal and the mask of each turn's speech
    (turns alternate between two speakers: mask values 1 and 2)."""
    n = int(seconds * SR)
    x = np.zeros(n, np.float32)
    mask = np.zeros(n, np.int8)
    t, who = 1.0, 1
    while t < seconds - 35:
        end = t + rng.uniform(*turn)
        f0 = 110.0 if who == 1 else 190.0
        while t < end:
            d = rng.uniform(1, 3)
            a, b = int(t * SR), int((t + d) * SR)
            tt = np.arange(b - a) / SR
            tone = sum(np.sin(2 * np.pi * k * f0 * tt + rng.uniform(0, 6)) / k
                       for k in range(1, 10))
            env = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * tt), 0, None)
            x[a:b] = 0.05 * tone * env
            mask[a:b] = who
            t += d + rng.uniform(0.3, 0.8)
        t += rng.uniform(3, 6)
        who = 3 - who
    return x, mask


def gate_gain(mask: np.ndarray, hold: float = 1.0) -> np.ndarray:
    """1 while speech lasts and ``hold`` seconds after, else 0 (10 ms ramps)."""
    h = int(hold * SR)
    idx = np.flatnonzero(mask)
    g = np.zeros(mask.size, np.float32)
    if idx.size:
        on = np.zeros(mask.size + 1, np.int64)
        starts = idx[np.r_[True, np.diff(idx) > 1]]
        ends = idx[np.r_[np.diff(idx) > 1, True]] + 1
        for a, b in zip(starts, ends, strict=True):
            on[a] += 1
            on[min(mask.size, b + h)] -= 1
        g = (np.cumsum(on)[:-1] > 0).astype(np.float32)
    ramp = np.ones(int(0.01 * SR), np.float32) / int(0.01 * SR)
    return np.convolve(g, ramp, mode="same")


def hum(seconds: float, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """50 Hz hum and its third harmonic, its frequency wandering like a grid's (+-20 mHz)."""
    n = int(seconds * SR)
    f = 50.0 + np.cumsum(rng.normal(0, 2e-6, n)).clip(-0.02, 0.02)
    ph = 2 * np.pi * np.cumsum(f) / SR
    return (10 ** (level_db / 20) * (np.sin(ph) + 0.5 * np.sin(3 * ph))).astype(np.float32)


@pytest.fixture
def scene(rng):
    """Two speakers taking turns, each on a microphone of its own noise floor (-54 and -60
    dBFS) over a room at -72 dBFS."""
    seconds = 300.0
    speech, mask = bursts(rng, seconds)
    room = rng.normal(0, 10 ** (-72 / 20), speech.size).astype(np.float32)
    mic = (rng.normal(0, 1, speech.size) * np.where(mask == 2, 10 ** (-60 / 20),
                                                    10 ** (-54 / 20))).astype(np.float32)
    return seconds, speech, mask, room, mic


def test_gated_hum_and_floor_make_enf_and_background_not_applicable(tmp_path, scene, rng):
    seconds, speech, mask, room, mic = scene
    g = gate_gain(mask > 0)
    x = speech + room + g * (mic + hum(seconds, -46, rng))
    s = scan_file(write(tmp_path / "gated.wav", x, SR), ScanParams(splice_min_confidence=0.0))
    gate = s.checks["splice_fusion"]["gated_microphone"]
    assert gate["background_comes_and_goes"]
    assert gate["background_changes"] >= 4 and gate["background_floor_db"] < -66
    enf, bgc = s.checks["splice"]["enf"], s.checks["splice"]["background"]
    assert not enf["applicable"] and "comes and goes" in enf["reason"]
    assert not bgc["applicable"] and "gated microphone" in bgc["reason"]
    assert not [f for f in s.findings if f.kind == "splice" and
                ({"enf", "background"} & set(f.evidence["cues"]))]


def test_steady_hum_in_an_open_room_is_not_a_gate(tmp_path, scene, rng):
    seconds, speech, mask, room, mic = scene
    x = speech + room + mic + hum(seconds, -46, rng)
    s = scan_file(write(tmp_path / "open.wav", x, SR), ScanParams(splice_min_confidence=0.0))
    assert "gated_microphone" not in s.checks["splice_fusion"]
    assert s.checks["splice"]["enf"]["applicable"]
    assert s.checks["splice"]["background"]["applicable"]


def test_a_gate_of_the_floor_alone_leaves_the_steady_hum_to_enf(tmp_path, scene, rng):
    # the room's hum goes on through the pauses; only the microphone's own noise is gated
    seconds, speech, mask, room, mic = scene
    x = speech + room + gate_gain(mask > 0) * mic + hum(seconds, -46, rng)
    s = scan_file(write(tmp_path / "floor.wav", x, SR), ScanParams(splice_min_confidence=0.0))
    gate = s.checks["splice_fusion"]["gated_microphone"]
    assert gate["background_comes_and_goes"] and not gate["hum_comes_and_goes"]
    assert s.checks["splice"]["enf"]["applicable"]
    assert not s.checks["splice"]["background"]["applicable"]


def test_one_insertion_from_another_room_is_not_a_gate(tmp_path, rng):
    # two changes of background (out to the other room and back) are an edit's, not a gate's
    seconds = 240.0
    speech, mask = bursts(rng, seconds)
    x = speech + rng.normal(0, 10 ** (-66 / 20), speech.size).astype(np.float32)
    a, b = int(100 * SR), int(125 * SR)
    x[a:b] = speech[a:b] + rng.normal(0, 10 ** (-52 / 20), b - a).astype(np.float32)
    s = scan_file(write(tmp_path / "insert.wav", x, SR), ScanParams(splice_min_confidence=0.0))
    assert "gated_microphone" not in s.checks["splice_fusion"]
    assert s.checks["splice"]["background"]["applicable"]
    times = [f.start for f in s.findings if "background" in f.evidence.get("cues", {})]
    assert any(abs(t - 100) < 1.5 for t in times) and any(abs(t - 125) < 1.5 for t in times)
