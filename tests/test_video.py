"""Video checks: frame-timestamp gaps, black and frozen picture, in the same decode as the audio."""

import subprocess

import pytest

from auditor.media import ffmpeg_exe
from auditor.scan import scan_file


def make(path, vf, af="anoisesrc=d=30:r=16000:a=0.02", extra=()):
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
           "testsrc2=s=320x240:r=25:d=30", "-f", "lavfi", "-i", af, "-vf", vf,
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", *extra, str(path)]
    subprocess.run(cmd, check=True)
    return path


def test_black_picture(tmp_path):
    p = make(tmp_path / "black.mp4", "geq=lum='if(between(T,5,9),16,lum(X,Y))':cb=128:cr=128")
    [black] = [f for f in scan_file(p).findings if f.kind == "video_black"]
    assert black.start == pytest.approx(5.0, abs=0.1) and black.end == pytest.approx(9.0, abs=0.1)


def test_black_shorter_than_minimum_is_not_reported(tmp_path):
    p = make(tmp_path / "b.mp4", "geq=lum='if(between(T,5,6),16,lum(X,Y))':cb=128:cr=128")
    assert [f for f in scan_file(p).findings if f.kind == "video_black"] == []


def test_frozen_picture(tmp_path):
    # 10 s of moving picture, then 15 s of one held frame, then moving again
    p = tmp_path / "frozen.mp4"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error",
           "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=10",
           "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=25:d=15",
           "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=5",
           "-f", "lavfi", "-i", "anoisesrc=d=30:r=16000:a=0.02",
           "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]",
           "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", str(p)]
    subprocess.run(cmd, check=True)
    scan = scan_file(p)
    [fr] = [f for f in scan.findings if f.kind == "video_frozen"]
    assert fr.start == pytest.approx(10.0, abs=0.2) and fr.end == pytest.approx(25.0, abs=0.3)


def test_dropped_frames_are_a_video_gap(tmp_path):
    p = tmp_path / "gap.mkv"
    import imageio_ffmpeg

    # one encoder on every machine (ffmpeg 5.1 delays Matroska's video by AAC's priming)
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error",
           "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=20",
           "-f", "lavfi", "-i", "anoisesrc=d=20:r=16000:a=0.02",
           "-vf", "select='not(between(t,8,10))'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(p)]
    subprocess.run(cmd, check=True)
    scan = scan_file(p)
    [g] = [f for f in scan.findings if f.kind == "video_gap"]
    assert g.start == pytest.approx(8.0, abs=0.05) and g.end == pytest.approx(10.04, abs=0.1)
    assert g.evidence["frames_missing"] == pytest.approx(50, abs=2)


def test_clean_video_has_no_video_findings(tmp_path):
    p = make(tmp_path / "clean.mp4", "null")
    assert [f for f in scan_file(p).findings if f.kind.startswith("video")] == []
