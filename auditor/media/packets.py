"""Packet timestamps of a stream, from ffprobe or from ffmpeg's framecrc muxer."""

from __future__ import annotations

import io
import os
import re
import subprocess
from dataclasses import dataclass

import numpy as np

from ..errors import MediaError
from ._ffmpeg import DEMUXERS, RAW_AUDIO, _input_args, ffmpeg_exe, ffprobe_exe
from .probe import MediaInfo


@dataclass(frozen=True)
class PacketTimes:
    """Presentation times and durations (seconds) of a stream's packets, in file order."""

    pts: np.ndarray
    duration: np.ndarray


_FRAMECRC = re.compile(r"^\d+,\s*(-?\d+),\s*(-?\d+),\s*(\d+),", re.M)
_TB = re.compile(r"^#tb \d+: (\d+)/(\d+)", re.M)


def packet_times(info: MediaInfo, stream: str = "a") -> PacketTimes | None:
    """Packet timestamps of the first audio (``"a"``) or video (``"v"``) stream.

    Uses ``ffprobe`` when it is installed, else ffmpeg's ``framecrc`` muxer on a stream copy
    (no decoding), which needs only the ffmpeg binary. Returns None for formats without
    packet timestamps of their own (PCM in WAV, FLAC through libsndfile, raw MP3 and ADTS
    streams, whose demuxer makes timestamps up from frame lengths).
    """
    if stream == "a" and (info.backend == "soundfile" or info.container in RAW_AUDIO):
        return None
    probe_exe = ffprobe_exe()
    if probe_exe is not None:
        return _ffprobe_packets(probe_exe, info.path, stream)
    args = [*_input_args(info.path), "-map", f"0:{stream}:0", "-c", "copy", "-f", "framecrc", "-"]
    try:
        proc = subprocess.run([ffmpeg_exe(), "-loglevel", "error", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=3600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not read packet timestamps: {exc}", path=info.path) from exc
    return _parse_framecrc(proc.stdout.decode("ascii", "replace"))


def _parse_framecrc(text: str) -> PacketTimes | None:
    """Packet times from ffmpeg's ``framecrc`` output (one stream)."""
    tb = _TB.search(text)
    if tb is None:
        return None
    try:  # numpy's C parser: four times faster than the regular expression
        rows = np.loadtxt(io.StringIO(text), delimiter=",", usecols=(1, 2, 3), dtype=np.int64,
                          comments="#", ndmin=2)
    except ValueError:
        rows = np.array(_FRAMECRC.findall(text), dtype=np.int64).reshape(-1, 3)
    unit = int(tb.group(1)) / int(tb.group(2))
    return PacketTimes(pts=rows[:, 1] * unit, duration=rows[:, 2] * unit)



def _ffprobe_packets(exe: str, path: str, stream: str) -> PacketTimes | None:
    cmd = [exe, "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
           "-select_streams", f"{stream}:0", "-show_entries", "packet=pts_time,duration_time",
           "-of", "csv=p=0", "file:" + os.path.abspath(path)]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=3600,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not read packet timestamps: {exc}", path=path) from exc
    rows = [ln.split(",")[:2] for ln in proc.stdout.decode("ascii", "replace").splitlines()]
    vals = [(float(a), float(b)) for a, b in rows if a not in ("", "N/A") and b not in ("", "N/A")]
    if not vals:
        return None
    arr = np.array(vals)
    return PacketTimes(pts=arr[:, 0], duration=arr[:, 1])
