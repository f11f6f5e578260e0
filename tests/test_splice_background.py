"""Background (room signature) cue: another room is found and located, the same room is quiet."""

import numpy as np
import pytest
from conftest import CORPUS, corpus_prompts, stream_features, voiced, write

from auditor.detect.base import DetectorInput, ScanParams
from auditor.detect.splice import background, waveform
from auditor.scan import scan_file
from auditor.synth import room_noise

SR = 16000
PARAMS = ScanParams()


@pytest.fixture
def talk(rng):
    """``talk(seconds)``: real speech when ../shared/corpus is present, else :func:`voiced`."""
    def make(seconds: float, start: int = 0) -> np.ndarray:
        if (CORPUS / "speech").is_dir():
            return corpus_prompts(seconds, start=start)
        return voiced(int(seconds * SR), SR)
    return make


def features(x: np.ndarray, sr: int = SR, params: ScanParams = PARAMS,
             block: float = 60.0):
    x = np.asarray(x, np.float32)
    channels = 1 if x.ndim == 1 else x.shape[1]
    an = {**background.analysers(sr, channels, params),
          **waveform.analysers(sr, channels, params)}
    return stream_features(x, sr, params, an, block)


def cues(x, sr=SR, params=PARAMS, block=60.0):
    inp = DetectorInput(label="t.wav", info=None, features=features(x, sr, params, block))
    return background.cues(inp, params)


def located(found, truth):
    return [c for c in found if abs(c.time - truth) <= c.uncertainty]


def test_insertion_from_another_room_is_located(talk, rng):
    speech = talk(180)
    x = speech + room_noise(rng, 180 * SR, level_db=-50, colour=0.95)
    other = room_noise(rng, 40 * SR, level_db=-50, colour=0.5)  # same level, whiter
    x[60 * SR : 100 * SR] = speech[60 * SR : 100 * SR] + other
    status, found = cues(x)
    assert status.applicable
    assert len(found) == 2
    for truth, c in zip((60.0, 100.0), found, strict=True):
        assert located([c], truth), (truth, c.time, c.uncertainty)
        assert c.strength > 1.5 and c.uncertainty < 1.0
        assert c.evidence["shape_distance_db"] > 3
        assert c.evidence["background_frames_before"] >= 20
        assert c.evidence["background_frames_after"] >= 20


def test_louder_room_is_located(talk, rng):
    x = talk(150) + room_noise(rng, 150 * SR, level_db=-52, colour=0.95)
    x[70 * SR :] += room_noise(rng, 80 * SR, level_db=-44, colour=0.95)
    _, [c] = cues(x)
    assert located([c], 70.0)
    assert c.evidence["level_after_db"] - c.evidence["level_before_db"] > 5


def test_same_room_with_pauses_slams_coughs_and_clipping_is_quiet(talk, rng):
    from scipy.signal import butter, sosfilt

    n = 240 * SR
    x = np.clip(4 * talk(240), -0.5, 0.5) + room_noise(rng, n, level_db=-50, colour=0.95)
    sos = butter(6, 7000, fs=SR, output="sos")
    t = np.arange(SR // 2) / SR
    for at in (30, 95, 170):  # door slams
        x[at * SR : at * SR + t.size] += sosfilt(sos, rng.normal(0, 0.5, t.size)
                                                 * np.exp(-t / 0.06)).astype(np.float32)
    for at in (55, 130, 200):  # coughs
        x[at * SR : at * SR + t.size] += sosfilt(sos, rng.normal(0, 0.2, t.size)
                                                 * np.hanning(t.size)).astype(np.float32)
    status, found = cues(x)
    assert status.applicable and found == []


def test_slow_drift_of_the_room_is_quiet(talk, rng):
    n = 240 * SR
    t = np.arange(n) / SR
    drift = (10 ** (np.linspace(0, 6, n) / 20)).astype(np.float32)  # +6 dB over 4 minutes
    hum = 0.002 * np.sin(2 * np.pi * np.cumsum(50 + 0.05 * np.sin(2 * np.pi * t / 60)) / SR)
    x = talk(240) + room_noise(rng, n, level_db=-50, colour=0.95) * drift + hum
    assert cues(x)[1] == []


def test_change_of_speaker_in_one_room_is_quiet(corpus, rng):
    # Allison Smith's prompts, then two speakers of the Free Spoken Digit Dataset
    a = corpus_prompts(60)
    b = corpus_prompts(60, folder="fsdd", pattern="*_george_*.wav", pause=0.3)
    c = corpus_prompts(60, folder="fsdd", pattern="*_jackson_*.wav", pause=0.3)
    x = np.concatenate([a, b / np.abs(b).max() * 0.5, c / np.abs(c).max() * 0.5])
    x = x + room_noise(rng, x.size, level_db=-50, colour=0.95)
    assert cues(x)[1] == []


def test_muted_stretch_is_left_to_digital_silence(talk, rng):
    x = talk(120) + room_noise(rng, 120 * SR, level_db=-50, colour=0.95)
    x[50 * SR : 58 * SR] = 0.0
    status, found = cues(x)
    assert status.applicable and found == []


def test_machine_switching_on_is_reported(talk, rng):
    # a documented choice: air conditioning that starts changes the room at a point; only the
    # other cues can tell it from an insertion
    x = talk(120) + room_noise(rng, 120 * SR, level_db=-50, colour=0.95)
    x[60 * SR :] += room_noise(rng, 60 * SR, level_db=-50, colour=0.3)
    _, [c] = cues(x)
    assert located([c], 60.0)


def test_too_short_is_not_applicable(talk, rng):
    status, found = cues(talk(15) + room_noise(rng, 15 * SR, level_db=-50))
    assert not status.applicable and found == []
    assert "lasts 15.0 s" in status.reason and status.evidence["duration_s"] == 15.0


def test_too_little_background_is_not_applicable(rng):
    x = np.zeros(90 * SR, np.float32)
    x[40 * SR : 45 * SR] = room_noise(rng, 5 * SR, level_db=-50)  # 5 s of sound, the rest muted
    status, found = cues(x)
    assert not status.applicable and found == []
    assert status.reason.startswith("only ") and status.evidence["background_s"] < 8


def test_same_cues_whatever_the_block_size(talk, rng):
    x = talk(120) + room_noise(rng, 120 * SR, level_db=-50, colour=0.95)
    x[60 * SR :] += room_noise(rng, 60 * SR, level_db=-47, colour=0.2)
    a, b = cues(x, block=60.0), cues(x, block=0.73)
    assert a == b and len(a[1]) == 1


def test_scan_reports_the_cue_and_its_status(tmp_path, talk, rng):
    speech = talk(120)
    x = speech + room_noise(rng, 120 * SR, level_db=-50, colour=0.95)
    x[60 * SR :] = speech[60 * SR :] + room_noise(rng, 60 * SR, level_db=-45, colour=0.3)
    # every candidate reported: one cue alone is below the default threshold, which is chosen
    # for at most 0.5 false alarms per hour (tests/test_splice_fusion.py)
    scan = scan_file(write(tmp_path / "r.wav", x, SR),
                     ScanParams(detectors=("splice",), splice_min_confidence=1e-6))
    assert scan.checks["splice"]["background"]["applicable"] is True
    hits = [f for f in scan.findings if "background" in f.evidence["cues"]]
    assert [round(f.evidence["cues"]["background"]["time"]) for f in hits] == [60]


def test_unedited_real_speech_is_quiet(corpus, rng):
    # the false-alarm measurement: 20 minutes of real speech in one room
    x = corpus_prompts(1200) + room_noise(rng, 1200 * SR, level_db=-55, colour=0.95)
    status, found = cues(x)
    assert status.applicable and found == []
