"""Black and frozen picture, from ffmpeg's ``blackdetect`` and ``freezedetect`` filters.

The filters run in the same ffmpeg pass that decodes the audio, on a 160-pixel-wide copy of the
picture, so the video costs one decode. Thresholds: a frame is black when 98% of its pixels are
below 10% luminance; frozen when it differs from the previous one by less than -60 dB.
"""

from __future__ import annotations

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams

__all__ = ["video_black", "video_frozen"]


def video_black(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Spans of black picture lasting at least ``video_black_min`` seconds."""
    ev = inp.video_events
    if ev is None:
        return []
    return [Finding(
        kind="video_black", file=inp.label, start=a, end=b,
        severity="warning", confidence=0.9, detector="video_black",
        message=f"{b - a:.1f} s of black picture at {format_time(a)} (camera covered, off or "
        "disconnected)",
        evidence={"duration_s": round(b - a, 3), "min_duration_s": params.video_black_min},
    ) for a, b in ev.black if b - a >= params.video_black_min]  # fmt: skip


def video_frozen(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Spans of an unchanging picture lasting at least ``video_frozen_min`` seconds."""
    ev = inp.video_events
    if ev is None:
        return []
    return [Finding(
        kind="video_frozen", file=inp.label, start=a, end=b,
        severity="warning", confidence=0.8, detector="video_frozen",
        message=f"{b - a:.1f} s of frozen picture at {format_time(a)} (the same frame repeated: "
        "the camera stopped or the picture was replaced by a still)",
        evidence={"duration_s": round(b - a, 3), "min_duration_s": params.video_frozen_min},
    ) for a, b in ev.frozen if b - a >= params.video_frozen_min]  # fmt: skip
