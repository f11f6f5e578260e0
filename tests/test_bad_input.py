"""Bad input: a clear message naming the file, exit 2 (or an honest finding), never a traceback."""

import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli
from auditor.errors import MediaError
from auditor.media import transcode
from auditor.scan import scan_file

SR = 16000


def run(*args):
    result = CliRunner().invoke(cli, [*map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


@pytest.fixture
def good(tmp_path, rng):
    return write(tmp_path / "good.wav", speechlike(rng, 5 * SR, SR), SR)


def expect_error(path, pattern, *extra):
    r = run("scan", path, "--format", "json", *extra)
    assert r.exit_code == 2, r.output
    assert str(path) in r.output
    import re

    assert re.search(pattern, r.output), r.output
    assert "what to do" in r.output
    return r


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    expect_error(p, r"empty file \(0 bytes\)")


def test_zero_byte_mp3(tmp_path):
    p = tmp_path / "zero.mp3"
    p.touch()
    expect_error(p, "empty file")


def test_zero_length_audio(tmp_path):
    p = write(tmp_path / "nothing.wav", np.zeros(0, np.float32), SR)
    expect_error(p, "zero-length audio")


def test_truncated_wav_header(tmp_path, good):
    p = tmp_path / "cut header.wav"
    p.write_bytes(good.read_bytes()[:30])
    expect_error(p, "damaged WAV file")


def test_header_claims_more_data_than_exists_is_a_finding(tmp_path, good):
    p = tmp_path / "short.wav"
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    r = run("scan", p, "--format", "json")
    assert r.exit_code == 1
    [f] = [f for f in json.loads(r.output)["findings"] if f["kind"] == "timestamp_gap"]
    assert "truncated" in f["message"] and f["evidence"]["declared_s"] == pytest.approx(5.0)
    assert f["start"] == pytest.approx(2.5, abs=0.01)


def test_text_file_named_wav(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("Minutes of the hearing of 2 March\n" * 20)
    expect_error(p, "not a readable audio/video file")


def test_video_without_audio(tmp_path, good):
    import subprocess

    from auditor.media import ffmpeg_exe

    p = tmp_path / "silent film.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=s=160x120:d=2", "-c:v", "libx264", str(p)], check=True)
    expect_error(p, "video with no audio stream")


def test_nan_and_inf_samples_are_a_finding(tmp_path, rng):
    x = speechlike(rng, 5 * SR, SR)
    x[SR] = np.inf
    x[2 * SR] = np.nan
    p = write(tmp_path / "nan.wav", x, SR, subtype="FLOAT")
    r = run("scan", p, "--format", "json")
    assert r.exit_code == 1
    kinds = [f["kind"] for f in json.loads(r.output)["findings"]]
    assert "invalid_samples" in kinds


def test_unreadable_file(tmp_path, good, monkeypatch):
    # the suite may run as root, where permission bits do not stop reads: inject the fault
    import builtins

    real_open = builtins.open

    def deny(file, *a, **k):
        if str(file) == str(good):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", deny)
    expect_error(good, "cannot read file: Permission denied")


def test_directory(tmp_path):
    expect_error(tmp_path, "is a directory")


def test_missing_file(tmp_path):
    expect_error(tmp_path / "nope.wav", "file not found")


def test_unicode_and_spaces_in_path_work(tmp_path, good):
    p = tmp_path / "дело №2 — заседание.wav"
    p.write_bytes(good.read_bytes())
    r = run("scan", p, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["files"][0]["path"] == str(p)


def test_unfinalised_header_still_being_written(tmp_path, good):
    data = bytearray(good.read_bytes())
    data[4:8] = struct.pack("<I", 0)  # RIFF size not yet written
    pos = data.index(b"data")
    data[pos + 4 : pos + 8] = struct.pack("<I", 0)
    p = tmp_path / "recording-now.wav"
    p.write_bytes(bytes(data))
    expect_error(p, "still being written")


def test_file_growing_during_the_scan(tmp_path, rng):
    p = write(tmp_path / "live.wav", speechlike(rng, 30 * SR, SR), SR)

    def grow(label, done, total):
        with open(p, "ab") as fh:
            fh.write(b"\0" * 3200)

    with pytest.raises(MediaError, match="changed while it was being scanned"):
        scan_file(p, progress=grow)


def test_corrupt_mp3_middle_is_decoded_with_what_remains(tmp_path, good):
    mp3 = transcode(good, tmp_path / "c.mp3", options={"acodec": "libmp3lame"})
    data = bytearray(mp3.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 2000] = b"\xff" * 2000
    mp3.write_bytes(bytes(data))
    r = run("scan", mp3, "--format", "json")
    assert r.exit_code in (0, 1)  # decodes; damage may or may not leave a trace
    assert json.loads(r.output)["files"][0]["decoded_duration"] > 3.0


def test_bad_option_values(tmp_path, good):
    r = run("scan", good, "--silence-min", "-3")
    assert r.exit_code == 2 and "'--silence-min': -3.0 is not in the range x>0" in r.output
    r = run("scan", good, "--detectors", "enf_magic")
    assert r.exit_code == 2 and "unknown detector 'enf_magic'" in r.output
    r = run("scan")
    assert r.exit_code == 2 and "no recordings given" in r.output


def test_one_bad_file_among_good_ones_is_still_exit_2(tmp_path, good):
    bad = tmp_path / "bad.wav"
    bad.write_text("x")
    r = run("scan", good, bad, "--format", "json")
    assert r.exit_code == 2 and "bad.wav" in r.output
