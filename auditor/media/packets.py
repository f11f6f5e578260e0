"""Packet timestamps of a stream, from ffprobe or from ffmpeg's framecrc muxer."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MediaError, ToolError
from ._ffmpeg import RAW_AUDIO, _input_args, ffmpeg_exe, ffprobe_exe
from ._ffprobe import ffprobe_json, integer
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

    Uses ``ffprobe``'s JSON when ffprobe is installed, else ffmpeg's ``framecrc`` muxer on a
    stream copy (no decoding), which needs only the ffmpeg binary. Times are seconds from the
    first decoded audio sample (``info.start_time``), the timeline of every finding; a packet
    without a presentation time (B-frames in AVI) takes its decoding time. Returns None for
    formats without packet timestamps of their own (PCM in WAV, FLAC through libsndfile, raw
    MP3 and ADTS streams, whose demuxer makes timestamps up from frame lengths).
    """
    if stream == "a" and (info.backend == "soundfile" or info.container in RAW_AUDIO):
        return None
    probe_exe = ffprobe_exe()
    if probe_exe is not None:
        found = _ffprobe_packets(probe_exe, info.path, stream)
    else:
        # -copyts: the container's own times, as ffprobe gives them (without it ffmpeg shifts
        # them to start at zero and closes MPEG-TS jumps over 10 s as "discontinuities")
        args = ["-copyts", *_input_args(info.path), "-map", f"0:{stream}:0", "-c", "copy",
                "-f", "framecrc", "-"]
        try:
            proc = subprocess.run([ffmpeg_exe(), "-loglevel", "error", *args],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=3600,
                                  check=False)
        except OSError as exc:
            raise ToolError(f"could not run ffmpeg: {exc}",
                            hint="check the ffmpeg installation") from exc
        except subprocess.TimeoutExpired as exc:
            raise MediaError(f"could not read packet timestamps: {exc}", path=info.path) from exc
        found = _parse_framecrc(proc.stdout.decode("ascii", "replace"))
    if found is None or not info.start_time:
        return found
    return PacketTimes(pts=found.pts - info.start_time, duration=found.duration)


def _parse_framecrc(text: str) -> PacketTimes | None:
    """Packet times from ffmpeg's ``framecrc`` output (one stream).

    framecrc is a test muxer with a fixed line format (``stream, dts, pts, duration, size,
    crc``) and the one packet listing ffmpeg writes without ffprobe.
    """
    tb = _TB.search(text)
    if tb is None:
        return None
    try:  # numpy's C parser: four times faster than the regular expression
        rows = np.loadtxt(io.StringIO(text), delimiter=",", usecols=(1, 2, 3), dtype=np.int64,
                          comments="#", ndmin=2)
    except ValueError:
        rows = np.array(_FRAMECRC.findall(text), dtype=np.int64).reshape(-1, 3)
    if rows.shape[0] == 0:
        return None
    unit = int(tb.group(1)) / int(tb.group(2))
    return PacketTimes(pts=rows[:, 1] * unit, duration=rows[:, 2] * unit)


def _ffprobe_packets(exe: str, path: str, stream: str) -> PacketTimes | None:
    """Packet times from ffprobe's JSON: integer timestamps in the stream's time base."""
    data = ffprobe_json(exe, path, ["-select_streams", f"{stream}:0",
                                    "-show_entries", "stream=time_base:packet=pts,dts,duration"])
    streams = data.get("streams") or []
    base = str(streams[0].get("time_base", "")) if streams and isinstance(streams[0], dict) else ""
    try:
        num, den = (int(v) for v in base.split("/"))
        unit = num / den
    except (ValueError, ZeroDivisionError):
        return None
    packets = data.get("packets") or []
    found = _whole(packets) or _each(packets)
    if found is None:
        return None
    pts, dur = found
    unknown = dur < 0
    if unknown.any():  # Matroska omits some blocks' durations: the typical one stands in
        known = dur[~unknown]
        dur = np.where(unknown, int(np.median(known)) if known.size else 0, dur)
    return PacketTimes(pts=pts * unit, duration=dur * unit)


def _whole(packets: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Every packet's ``pts`` and ``duration`` at once, when every packet has both (what
    ffprobe writes for almost every file: a 2 h AAC file has 112,000 packets); else None,
    and :func:`_each` reads them one by one."""
    try:
        pts = np.array([pk["pts"] for pk in packets], dtype=np.int64)
        dur = np.array([pk["duration"] for pk in packets], dtype=np.int64)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return (pts, dur) if pts.size else None


def _each(packets: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Packet times one by one: a packet without a presentation time takes its decoding time,
    one without either is left out, and an unknown duration is -1."""
    rows = []
    for pk in packets:
        if not isinstance(pk, dict):
            continue
        t = integer(pk.get("pts"))
        t = integer(pk.get("dts")) if t is None else t
        if t is not None:
            d = integer(pk.get("duration"))
            rows.append((t, -1 if d is None else d))
    if not rows:
        return None
    arr = np.array(rows, dtype=np.int64)
    return arr[:, 0], arr[:, 1]
