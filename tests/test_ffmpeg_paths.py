"""The two ways users have ffmpeg, tested side by side on the same files.

* ``system``: the distribution's ``ffmpeg`` with ``ffprobe`` (Debian 12 ships 5.1): probing and
  packet times come from ffprobe's JSON.
* ``wheel``: only the ``imageio-ffmpeg`` wheel's ffmpeg, no ffprobe: probing from ffmpeg's report
  of its input, packet times from its ``framecrc`` muxer.

Test files are encoded by the wheel's ffmpeg on every machine, so that the same bytes are read
on both paths; what differs is only the reading.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from auditor.cli import cli
from auditor.media import decode_blocks, packet_times, probe
from auditor.scan import scan_file


def wheel_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode(args: list[str]) -> None:
    subprocess.run([wheel_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory):
    """5.000 s of seeded noise at 48 kHz (float), the reference the encodings are held to."""
    rng = np.random.default_rng(7)
    x = (0.1 * rng.standard_normal(5 * 48000)).astype(np.float32)
    p = tmp_path_factory.mktemp("src") / "noise.wav"
    sf.write(p, x, 48000, subtype="FLOAT")
    return p, x


def lag(y: np.ndarray, x: np.ndarray) -> int:
    """Samples by which ``y`` trails ``x`` (cross-correlation of a stretch in the middle)."""
    seg = y[24000:26000]
    scores = [float(np.dot(seg, x[24000 + o : 26000 + o])) for o in range(-3000, 3000)]
    return int(np.argmax(scores)) - 3000


@pytest.mark.parametrize("ext,codec", [("m4a", "aac"), ("mp4", "aac"), ("mka", "libopus"),
                                       ("opus", "libopus"), ("mp3", "libmp3lame")])
def test_lossy_audio_decodes_to_the_source_samples(ffmpeg_path, noise_wav, tmp_path, ext, codec):
    # ffmpeg 5.1 keeps AAC's end padding in MP4 (640 samples here) and its ffprobe's CSV broke the
    # packet reader: the edit list is applied on every path, so the samples are the source's
    src, x = noise_wav
    out = tmp_path / f"n.{ext}"
    encode(["-i", str(src), "-c:a", codec, str(out)])
    info = probe(out)
    y = np.concatenate(list(decode_blocks(out, block_frames=1 << 16, info=info)))[:, 0]
    assert (y.size, lag(y, x)) == (x.size, 0)
    assert scan_file(out).decoded_duration == pytest.approx(5.0, abs=1e-9)


def test_aac_m4a_scans_from_the_command_line(ffmpeg_path, tmp_path):
    # the report of issue 17: `auditor scan x.m4a` was an internal error with ffprobe 5.1
    out = tmp_path / "x.m4a"
    encode(["-f", "lavfi", "-i", "sine=f=440:d=5", "-c:a", "aac", str(out)])
    res = CliRunner().invoke(cli, ["scan", str(out), "--format", "json", "--detectors",
                                   "timestamp_gap,digital_silence,dropout"])
    assert res.exit_code == 0, res.output
    assert '"decoded_duration": 5.0,' in res.output and "internal error" not in res.output


@pytest.mark.parametrize("ext", ["m4a", "mkv", "ts"])
def test_time_gap_is_found_at_the_same_time_on_both_paths(ffmpeg_path, tmp_path, ext):
    # 12 s cut from the container at 32.000 s (frame 500 of 1024 samples at 16 kHz). MPEG-TS
    # starts its clock at 1.4 s, which the packet times are measured from, and ffmpeg closes
    # its jumps over 10 s unless told not to; it cannot declare AAC's priming, so the decoded
    # audio, and the gap in it, come one frame (64 ms) later there
    src = tmp_path / "s.wav"
    rng = np.random.default_rng(3)
    sf.write(src, (0.05 * rng.standard_normal(60 * 16000)).astype(np.float32), 16000)
    out = tmp_path / f"g.{ext}"
    encode(["-i", str(src), "-af", "asetnsamples=n=1024:p=0,"
            "asetpts='if(gte(T,32),PTS+12/TB,PTS)'", "-c:a", "aac", str(out)])
    gaps = [f for f in scan_file(out).findings if f.kind == "timestamp_gap" and f.end > f.start]
    at = 32.0 + (1024 / 16000 if ext == "ts" else 0.0)
    assert [(round(g.start, 3), round(g.end - g.start, 3)) for g in gaps] == [(at, 12.0)]


def test_mp3_encoder_delay_is_not_a_gap(ffmpeg_path, tmp_path):
    # an MP3 made from a complete 8 kHz WAV: ffmpeg 5.1 says 3.17 s (delay and padding frames
    # counted), 3.000 s decode; that is not 0.17 s missing
    src = tmp_path / "a.wav"
    t = np.arange(3 * 8000) / 8000
    sf.write(src, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 8000)
    out = tmp_path / "a.mp3"
    encode(["-i", str(src), str(out)])
    kinds = [f.kind for f in scan_file(out).findings]
    assert "timestamp_gap" not in kinds


def test_truncated_mp3_is_still_a_gap(ffmpeg_path, tmp_path):
    # the allowance for encoder delay must not hide a file cut short: a third of the frames
    # dropped from a 30 s MP3 whose Xing header still counts them all
    src = tmp_path / "a.wav"
    rng = np.random.default_rng(5)
    sf.write(src, (0.05 * rng.standard_normal(30 * 16000)).astype(np.float32), 16000)
    out = tmp_path / "a.mp3"
    encode(["-i", str(src), "-b:a", "32k", str(out)])
    data = out.read_bytes()
    out.write_bytes(data[: 2 * len(data) // 3])
    gaps = [f for f in scan_file(out).findings if f.kind == "timestamp_gap"]
    assert gaps and gaps[0].end - gaps[0].start == pytest.approx(10.0, abs=0.5)


def test_avi_start_up_hold_is_not_a_video_gap(ffmpeg_path, tmp_path):
    # ffmpeg's AVI muxer writes an empty chunk for its first interleave: a held first picture
    out = tmp_path / "v.avi"
    encode(["-f", "lavfi", "-i", "testsrc=d=5:r=25", "-f", "lavfi", "-i", "sine=d=5",
            "-c:v", "mpeg4", "-c:a", "libmp3lame", "-shortest", str(out)])
    assert [f for f in scan_file(out).findings if f.kind == "video_gap"] == []


def test_ffprobe_packets_survive_side_data(tmp_path):
    # ffprobe 5.1's CSV writes an empty line after a packet with side data (the AAC priming
    # packet's skip-samples): the JSON reader takes every packet, the first included
    if shutil.which("ffprobe") is None:
        pytest.skip("no ffprobe here (CI installs Debian's)")
    out = tmp_path / "x.m4a"
    encode(["-f", "lavfi", "-i", "sine=f=440:d=5", "-c:a", "aac", str(out)])
    pk = packet_times(probe(out), "a")
    assert pk is not None
    assert pk.pts.size == 217 and pk.pts[0] == pytest.approx(-1024 / 44100)
    assert pk.duration[-1] == pytest.approx(340 / 44100)  # the edit list's last partial frame


@pytest.mark.parametrize("frames,rate,match", [
    (1, 44100, r"lasts 0\.0 ms: no check applies"),
    (400_000, 1, r"sample rate of 1 Hz"),
])  # fmt: skip
def test_absurd_wav_is_exit_2_not_a_pass(tmp_path, frames, rate, match):
    # a 1-sample WAV passed with "every check ran" and "all samples are zero" (its sample is
    # 1132); a WAV declaring 1 Hz became a 4.4 h recording with hundreds of level jumps
    p = tmp_path / "odd.wav"
    x = np.full(frames, 1132, dtype=np.int16)
    sf.write(p, x, rate, subtype="PCM_16")
    res = CliRunner().invoke(cli, ["scan", str(p), "--format", "json"])
    assert res.exit_code == 2
    assert "odd.wav" in res.output
    assert __import__("re").search(match, res.output), res.output
