"""Container time: gaps in packet timestamps, and a declared duration the audio does not fill.

A recorder writes packets with presentation timestamps; time that was cut out, or never
recorded, leaves a jump in them that no player shows (it simply plays on). The same check on
the video stream finds dropped frames. A WAV header that declares more samples than the file
holds is a truncated recording.
"""

from __future__ import annotations

import numpy as np

from ..findings import Finding, format_time
from ..media import RAW_AUDIO
from .base import DetectorInput, ScanParams

__all__ = ["timestamp_gap", "video_gap"]

#: Samples in the longest frame of an elementary audio stream (MPEG-1 Layer III: 1152).
_LONGEST_FRAME = 1152
#: A hold of the first picture up to this long is the encoder's or muxer's start-up delay
#: (B-frame reordering; AVI's empty chunk for interleaving), not lost video.
_STARTUP_HOLD = 0.5


def _jumps(pts: np.ndarray, dur: np.ndarray, tol: float) -> list[tuple[int, float]]:
    """(index of the packet after the jump, size in s) where pts departs from pts+duration.

    MP4 muxers stretch the duration of the packet before a jump to cover it, so a duration far
    above the typical one is replaced by the typical one.
    """
    order = np.argsort(pts, kind="stable")
    p, d = pts[order], dur[order]
    typical = float(np.median(d)) if d.size else 0.0
    d = np.where(d > 1.5 * typical, typical, d)
    gap = p[1:] - (p[:-1] + d[:-1])
    idx = np.flatnonzero(np.abs(gap) > tol)
    return [(int(order[i + 1]), float(gap[i])) for i in idx]


def timestamp_gap(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Audio packet-timestamp jumps, truncation, and container/decoded duration mismatch."""
    info, f = inp.info, inp.features
    out: list[Finding] = []
    decoded = f.frames / f.sample_rate
    explained = 0.0
    pk = inp.audio_packets
    if pk is not None and pk.pts.size > 1:
        typical = float(np.median(pk.duration)) if pk.duration.size else 0.0
        tol = max(params.timestamp_tolerance, 0.5 * typical)
        for i, gap in _jumps(pk.pts, pk.duration, tol):
            at = float(pk.pts[i]) - max(gap, 0.0)
            explained += gap
            if gap > 0:
                msg = (f"{gap:.3f} s of time missing from the recording at {format_time(at)}: "
                       "the container's timestamps jump forward (audio cut out or never "
                       "recorded; players do not show it)")
            else:
                msg = (f"the container's timestamps go back by {-gap:.3f} s at "
                       f"{format_time(at)}: audio overlaps or was re-joined there")
            out.append(Finding(
                kind="timestamp_gap", file=inp.label, start=at, end=at + max(gap, 0.0),
                severity="high" if abs(gap) >= 1.0 else "warning", confidence=0.97,
                detector="timestamp_gap", message=msg,
                evidence={"gap_s": round(gap, 6), "packet": i, "pts_s": round(float(pk.pts[i]), 6),
                          "tolerance_s": round(tol, 6)},
            ))  # fmt: skip
    if info.declared_duration is not None and info.declared_duration > decoded:
        missing = info.declared_duration - decoded
        out.append(Finding(
            kind="timestamp_gap", file=inp.label, start=decoded, end=info.declared_duration,
            severity="high", confidence=0.99, detector="timestamp_gap",
            message=f"the file is truncated: its header declares {info.declared_duration:.3f} s "
            f"but only {decoded:.3f} s of audio are present ({missing:.3f} s missing at the end)",
            evidence={"declared_s": round(info.declared_duration, 6),
                      "decoded_s": round(decoded, 6)},
        ))  # fmt: skip
    elif np.isfinite(info.duration):
        residual = info.duration - decoded - explained
        tol = max(params.duration_tolerance, 0.005 * info.duration)
        if info.container in RAW_AUDIO:
            # an elementary stream's duration is the sum of its frames, which some ffmpeg
            # versions count with the encoder's delay and padding (LAME: up to two frames)
            tol = max(tol, info.start_time + 2 * _LONGEST_FRAME / info.sample_rate)
        if abs(residual) > tol:
            more = residual > 0
            out.append(Finding(
                kind="timestamp_gap", file=inp.label, start=decoded if more else info.duration,
                end=info.duration if more else decoded, severity="warning", confidence=0.8,
                detector="timestamp_gap",
                message=f"the container says {info.duration:.3f} s but {decoded:.3f} s of audio "
                f"decode: {abs(residual):.3f} s {'missing' if more else 'more than declared'}",
                evidence={"container_s": round(info.duration, 6), "decoded_s": round(decoded, 6),
                          "explained_by_gaps_s": round(explained, 6)},
            ))  # fmt: skip
    return out


def video_gap(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Frame-timestamp gaps in the video stream: dropped frames or missing time."""
    pk = inp.video_packets
    if pk is None or pk.pts.size < 3:
        return []
    p = np.sort(pk.pts)
    step = np.diff(p)
    frame = float(np.median(step))
    if frame <= 0:
        return []
    idx = np.flatnonzero(step > params.video_gap_factor * frame)
    out = []
    for i in idx:
        t0, gap = float(p[i]) + frame, float(step[i]) - frame
        if i == 0 and gap <= _STARTUP_HOLD:
            continue
        lost = int(round(step[i] / frame)) - 1
        out.append(Finding(
            kind="video_gap", file=inp.label, start=t0, end=t0 + gap,
            severity="high" if gap >= 1.0 else "warning", confidence=0.95, detector="video_gap",
            message=f"{gap:.3f} s of video missing at {format_time(t0)} (about {lost} frames "
            "dropped)",
            evidence={"frame_interval_s": round(frame, 6), "gap_s": round(gap, 6),
                      "frames_missing": lost},
        ))  # fmt: skip
    return out
