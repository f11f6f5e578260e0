"""Waveform cue: butt-splice clicks to the sample and band-limited spans; quiet on real sound."""

import numpy as np
import pytest
from conftest import CORPUS, corpus_prompts, stream_features, voiced, write
from scipy.signal import butter, resample_poly, sosfilt

from auditor.detect.base import DetectorInput, ScanParams
from auditor.detect.splice import background, waveform
from auditor.media._ffmpeg import ffmpeg_exe
from auditor.scan import scan_file
from auditor.synth import room_noise

SR = 16000
PARAMS = ScanParams()


@pytest.fixture
def talk(rng):
    """``talk(seconds)``: real speech in a quiet room (corpus), else :func:`voiced`."""
    def make(seconds: float, sr: int = SR) -> np.ndarray:
        n = int(seconds * sr)
        speech = corpus_prompts(seconds, sr) if (CORPUS / "speech").is_dir() else voiced(n, sr)
        return speech + room_noise(rng, n, level_db=-55, colour=0.95)
    return make


def cues(x, sr=SR, params=PARAMS, block=60.0):
    x = np.asarray(x, np.float32)
    channels = 1 if x.ndim == 1 else x.shape[1]
    an = {**background.analysers(sr, channels, params),
          **waveform.analysers(sr, channels, params)}
    feats = stream_features(x, sr, params, an, block)
    return waveform.cues(DetectorInput(label="t.wav", info=None, features=feats), params)


def clicks(found):
    return [c for c in found if c.evidence["type"] == "click"]


def butt_spliced(x: np.ndarray, cuts: list[float], skip: float = 0.7) -> tuple[np.ndarray, list]:
    """Cut at least ``skip`` seconds out after the first loud sample past each time, joining
    two loud stretches mid-waveform: the join steps by 40% of the signal's peak level (the
    99.5th percentile of ``|x|``) or more. Returns the signal and the joins (samples)."""
    env = np.convolve(np.abs(x), np.ones(160) / 160, "same")
    step = 0.4 * np.percentile(np.abs(x), 99.5)
    parts, joins, cur, out_len = [], [], 0, 0
    for t in cuts:
        a = int(t * SR) + int(np.flatnonzero(env[int(t * SR) :] > 0.05)[0])
        b = a + int(skip * SR)
        b += int(np.flatnonzero((env[b:] > 0.05) & (np.abs(x[b:] - x[a - 1]) > step))[0])
        parts.append(x[cur:a])
        out_len += a - cur
        joins.append(out_len)
        cur = b
    parts.append(x[cur:])
    return np.concatenate(parts), joins


def test_butt_splices_located_to_the_sample(talk):
    y, joins = butt_spliced(talk(120), [20.0, 50.0, 80.0])
    status, found = cues(y)
    assert status.applicable
    got = clicks(found)
    assert len(got) == len(joins)
    for c, j in zip(got, joins, strict=True):
        assert abs(c.sample - j) <= 1 and abs(c.time - j / SR) <= c.uncertainty <= 0.002
        assert c.strength >= 1 and c.evidence["isolation"] >= 2
    # the same joins are found whatever the decode block, one on a block's edge
    again = clicks(cues(y, block=joins[1] / SR / 3)[1])
    assert [c.sample for c in again] == [c.sample for c in got]


def test_band_limited_span_start_and_end(talk):
    x = talk(120)
    x[40 * SR : 80 * SR] = resample_poly(resample_poly(x[40 * SR : 80 * SR], 1, 2), 2, 1)
    _, found = cues(x)
    band = [c for c in found if c.evidence["type"] == "band_limit"]
    assert [round(c.time) for c in band] == [40, 80]
    for c, truth in zip(band, (40.0, 80.0), strict=True):
        assert abs(c.time - truth) <= c.uncertainty <= 0.5
    assert band[0].evidence["band_edge_after_hz"] < 4500 < band[0].evidence["band_edge_before_hz"]
    # the span was pasted in: where its first or last sample jumps, that is a click too
    assert {c.sample for c in clicks(found)} <= {40 * SR, 80 * SR}


def test_clipping_slams_coughs_are_quiet(talk, rng):
    x = talk(180)
    sos = butter(6, 7000, fs=SR, output="sos")
    t = np.arange(SR // 2) / SR
    for at in (20, 70, 120):  # door slams and coughs, each starting abruptly
        x[at * SR : at * SR + t.size] += sosfilt(sos, rng.normal(0, 0.5, t.size)
                                                 * np.exp(-t / 0.06)).astype(np.float32)
        at += 25
        x[at * SR : at * SR + t.size] += sosfilt(sos, rng.normal(0, 0.2, t.size)
                                                 * np.hanning(t.size) ** 0.3).astype(np.float32)
    for y in (x, np.clip(4 * x, -0.5, 0.5), np.clip(8 * x, -1.0, 1.0)):
        status, found = cues(y)
        assert status.applicable and found == []


def test_dropouts_and_mutes_are_left_to_their_detectors(talk):
    x = talk(120)
    loud = np.flatnonzero(np.abs(x) > 0.5 * np.abs(x).max())  # where the jumps are largest
    for at in (30, 60, 90):
        a = loud[np.searchsorted(loud, at * SR)]
        x[a : a + 48] = 0.0  # lost packets
    a = loud[np.searchsorted(loud, 100 * SR)]
    x[a : a + 48] = x[a - 1]  # sample and hold
    a = loud[np.searchsorted(loud, 40 * SR)]
    x[a : a + 2 * SR] = 0.0  # a muted stretch
    status, found = cues(x)
    assert found == []
    assert status.evidence["clicks_explained_by_clipping_or_dropouts"] >= 1


@pytest.mark.parametrize("codec,ext", [("libmp3lame", "mp3"), ("aac", "m4a")])
def test_unedited_lossy_file_is_quiet(tmp_path, talk, codec, ext):
    import subprocess

    src = write(tmp_path / "src.wav", talk(180), SR)
    out = tmp_path / f"lossy.{ext}"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(src), "-c:a",
                    codec, "-b:a", "32k", str(out)], check=True)
    scan = scan_file(out, ScanParams(detectors=("splice",)))
    status = scan.checks["splice"]["waveform"]
    assert status["applicable"] and status["clicks"] == 0 and status["band_limit_changes"] == 0
    assert not [f for f in scan.findings if "waveform" in f.evidence["cues"]]


def test_scan_finds_the_join(tmp_path, talk):
    y, [join] = butt_spliced(talk(60), [30.0])
    # every candidate reported: one cue alone is below the default threshold, which is chosen
    # for at most 0.5 false alarms per hour (tests/test_splice_fusion.py)
    scan = scan_file(write(tmp_path / "b.wav", y, SR),
                     ScanParams(detectors=("splice",), splice_min_confidence=1e-6))
    assert scan.checks["splice"]["waveform"]["clicks"] == 1
    [f] = [f for f in scan.findings if "waveform" in f.evidence["cues"]]
    assert abs(f.evidence["cues"]["waveform"]["time"] - join / SR) <= 0.001


def test_stereo_is_mixed(talk):
    y, joins = butt_spliced(talk(60), [30.0])
    _, found = cues(np.stack([y, 0.5 * y], axis=1))
    assert [c.sample for c in clicks(found)] == pytest.approx(joins, abs=1)


def test_clicks_not_applicable_at_8_khz(talk):
    y = talk(40, sr=8000)
    status, found = cues(y, sr=8000)
    assert status.applicable and clicks(found) == []
    assert status.evidence["clicks_not_applicable"].startswith("at 8000 Hz")


def test_silent_file_is_not_applicable():
    status, found = cues(np.zeros(30 * SR, np.float32))
    assert not status.applicable and found == [] and "no signal" in status.reason


def test_unedited_real_speech_is_quiet(corpus, rng):
    # the false-alarm measurement: 20 minutes of real speech, and 15 of four other speakers
    x = corpus_prompts(1200) + room_noise(rng, 1200 * SR, level_db=-55, colour=0.95)
    assert cues(x)[1] == []
    y = corpus_prompts(900, folder="fsdd", pause=0.3)
    assert cues(y + room_noise(rng, y.size, level_db=-55, colour=0.95))[1] == []


def test_lpc_fit_recovers_a_known_autoregressive_model(rng):
    # x[n] = 1.6 x[n-1] - 0.8 x[n-2] + e[n]: a resonance, as a formant is
    from scipy.signal import lfilter

    from auditor.detect.splice import _lpc

    x = lfilter([1.0], [1.0, -1.6, 0.8], rng.standard_normal((3, 8192)), axis=1)
    a = _lpc.fit(x, order=2)
    assert np.allclose(a, [1.0, -1.6, 0.8], atol=0.03)
    # white noise: nothing to predict
    assert np.allclose(_lpc.fit(rng.standard_normal((3, 8192)), order=4)[:, 1:], 0, atol=0.05)


def test_lpc_join_scores_a_planted_join_and_not_a_plain_sample(rng):
    from scipy.signal import lfilter

    from auditor.detect.splice import _lpc

    c, span = 400, 256
    x = lfilter([1.0], [1.0, -0.9], rng.standard_normal((200, 2 * c)), axis=1)
    z_b, z_a, iso_b, iso_a = _lpc.join_scores(x, c, span)
    # no join: each side's error at the point is one more draw of that side's errors
    assert 0.4 < np.median(z_b) < 1.2 and 0.4 < np.median(z_a) < 1.2
    assert np.mean(np.minimum(z_b, z_a) > 8) == 0
    # the same rows with everything from the join on shifted by 20 standard deviations
    y = x.copy()
    y[:, c:] += 20.0 * np.std(x)
    z_b, z_a, iso_b, iso_a = _lpc.join_scores(y, c, span)
    assert np.all(np.minimum(z_b, z_a) > 8) and np.all(np.minimum(iso_b, iso_a) > 2)


def pause_then_speech(talk, rng, fade: int = 0) -> tuple[np.ndarray, int]:
    """20 s of the room's quiet noise, then real speech from a loud sample mid-word (faded in
    over ``fade`` samples); and where the speech starts."""
    x = talk(60)
    env = np.convolve(np.abs(x), np.ones(160) / 160, "same")
    loud = int(np.flatnonzero((env > 0.05) & (np.abs(x) > 0.3 * np.abs(x).max()))[40])
    quiet = room_noise(rng, 20 * SR, level_db=-55, colour=0.95)
    tail = x[loud:].copy()
    tail[:fade] *= np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
    return np.concatenate([quiet, tail]), quiet.size


def test_join_of_a_pause_to_loud_speech_is_found_by_prediction(talk, rng):
    # an insertion that starts mid-word: the room's quiet noise, then speech at full level.
    # The second difference cannot see it (speech's own residual after the join is as large);
    # each side's linear predictor can.
    y, join = pause_then_speech(talk, rng)
    found = clicks(cues(y)[1])
    assert len(found) == 1
    c = found[0]
    assert abs(c.sample - join) <= 1
    assert c.evidence["test"] == "linear_prediction"
    assert min(c.evidence["prediction_error_ratio_before"],
               c.evidence["prediction_error_ratio_after"]) >= PARAMS.waveform_click_ratio


def test_speech_that_starts_in_the_room_is_quiet(talk, rng):
    # the same speech, faded in over 5 ms as a voice starts (and so not a join): nothing
    y, _ = pause_then_speech(talk, rng, fade=80)
    assert clicks(cues(y)[1]) == []


def test_speech_clipped_for_a_sample_or_two_is_quiet(talk):
    # a loud speaker, 0.2% of samples cut off at full scale, mostly for only a sample or two:
    # too short for the clipping detector's flat tops, and a predictor cannot follow the cut.
    # Not a join (without the full-scale guard, two such peaks pass the prediction test).
    x = talk(300)
    y = np.clip(x / np.percentile(np.abs(x), 99.8), -1.0, 1.0)
    assert clicks(cues(y)[1]) == []


def test_clipped_speech_after_mp3_is_quiet(tmp_path, talk):
    # a clipped speaker (0.5% of samples), then MP3 at 64 kbit/s: the codec rounds each flat
    # top to a few loud samples below full scale, which the prediction test must leave alone
    import subprocess

    x = talk(300)
    src = write(tmp_path / "src.wav", np.clip(x / np.percentile(np.abs(x), 99.5), -1, 1), SR)
    out = tmp_path / "clipped.mp3"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(src), "-c:a",
                    "libmp3lame", "-b:a", "64k", str(out)], check=True)
    scan = scan_file(out, ScanParams(detectors=("splice",)))
    assert scan.checks["splice"]["waveform"]["clicks"] == 0
