"""Real recordings from ../shared/corpus: real speech over room noise and a real ENF hum.

Clean hearings give no findings; planted defects are found to the stated tolerance.
"""

import numpy as np
import pytest
import soundfile as sf
from conftest import CORPUS, write

from auditor.media import transcode
from auditor.scan import scan_file

SR = 8000


def hearing(seconds: float, seed: int = 1) -> np.ndarray:
    """Asterisk speech, pauses of room noise, a hum following a real 50 Hz ENF trace."""
    from scipy.signal import resample_poly

    rng = np.random.default_rng(seed)
    files = sorted((CORPUS / "speech" / "asterisk-en").glob("*.wav"))
    files = [f for f in files if "tone" not in f.name and "beep" not in f.name]
    n = int(seconds * SR)
    speech = np.zeros(n, np.float32)
    pos = int(0.5 * SR)
    for f in rng.permutation(files):
        x, rate = sf.read(f, dtype="float32")
        if pos + x.size >= n:
            break
        speech[pos : pos + x.size] = x
        pos += x.size + int(rng.uniform(0.3, 2.5) * SR)
    enf, enf_rate = sf.read(CORPUS / "enf-50hz" / "001_ref.wav", dtype="float32")
    hum = resample_poly(enf[: int(seconds * enf_rate) + 1], SR // enf_rate, 1)[:n]
    hum *= 10 ** (-45 / 20) / np.std(hum)
    noise = rng.normal(0, 10 ** (-58 / 20), n).astype(np.float32)
    return speech + hum.astype(np.float32) + noise


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present beside this checkout")
    d = tmp_path_factory.mktemp("corpus")
    return write(d / "hearing.wav", hearing(480.0), SR)


def test_clean_real_hearing_has_no_findings(clean):
    scan = scan_file(clean)
    assert scan.findings == [], [f.message for f in scan.findings]


@pytest.mark.parametrize("codec", [{"acodec": "libmp3lame", "audio_bitrate": "64k"},
                                   {"acodec": "aac", "audio_bitrate": "48k"}])
def test_clean_real_hearing_after_lossy_encoding_has_no_findings(clean, tmp_path, codec):
    # encoded by the wheel's ffmpeg on every machine, read by the ffmpeg in use: ffmpeg 5.1's
    # AAC encoder at 48 kbit/s makes this hearing give a false background-cue splice at 248.2 s
    # (a splice false alarm, not a reading difference: both ffmpeg paths read it alike)
    import imageio_ffmpeg

    out = transcode(clean, tmp_path / ("h.mp3" if codec["acodec"] == "libmp3lame" else "h.m4a"),
                    options=codec, exe=imageio_ffmpeg.get_ffmpeg_exe())
    scan = scan_file(out)
    assert scan.findings == [], [f.message for f in scan.findings]


def test_planted_defects_in_real_hearing(clean, tmp_path):
    x, _ = sf.read(clean, dtype="float32")
    planted = {"digital_silence": [(61.25, 0.5), (200.0, 15.0)], "dropout": [(123.456, 0.004)]}
    for start, dur in planted["digital_silence"]:
        x[int(start * SR) : int(start * SR) + int(round(dur * SR))] = 0.0
    a = int(123.456 * SR)
    x[a : a + 32] = x[a - 1]  # 4 ms sample-and-hold
    scan = scan_file(write(tmp_path / "edited.wav", x, SR))
    got = {k: [(f.start, f.end - f.start) for f in scan.findings if f.kind == k]
           for k in planted}
    for kind, spans in planted.items():
        assert len(got[kind]) == len(spans), (kind, got[kind])
        for (s, d), (gs, gd) in zip(spans, got[kind], strict=True):
            assert abs(gs - s) <= 0.010 and abs(gd - d) <= 0.010
    assert {f.kind for f in scan.findings} == set(planted)


def test_time_cut_from_real_hearing_container(clean, tmp_path):
    import imageio_ffmpeg

    # one encoder on every machine (ffmpeg 5.1 writes AAC's priming into Matroska undeclared,
    # delaying the whole file by a frame), read by the ffmpeg in use
    out = transcode(clean, tmp_path / "gap.mkv", options={"acodec": "aac"},
                    audio_filter="asetnsamples=n=1024:p=0,"
                    "asetpts='if(gte(T,100),PTS+7.5/TB,PTS)'",
                    exe=imageio_ffmpeg.get_ffmpeg_exe())
    [f] = [f for f in scan_file(out).findings if f.kind == "timestamp_gap"]
    assert f.start == pytest.approx(100.0, abs=0.15) and f.end - f.start == pytest.approx(7.5,
                                                                                          abs=0.15)
