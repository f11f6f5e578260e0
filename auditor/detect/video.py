"""Black and frozen picture, from ffmpeg's ``blackdetect`` and ``freezedetect`` filters.

The filters run in the same ffmpeg pass that decodes the audio, on a 160-pixel-wide copy of the
picture, so the video costs one decode. Thresholds: a frame is black when 98% of its pixels are
below 10% luminance; frozen when it differs from the previous one by less than -60 dB.
"""

from __future__ import annotations

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams

__all__ = ["video_black", "video_frozen"]


def _spans(inp: DetectorInput, spans: list[tuple[float, float]], *, kind: str,
           min_s: float, confidence: float, what: str) -> list[Finding]:
    """One finding per span of at least ``min_s`` seconds."""
    return [Finding(
        kind=kind, file=inp.label, start=a, end=b, severity="warning", confidence=confidence,
        detector=kind, message=f"{b - a:.1f} s of {what.format(at=format_time(a))}",
        evidence={"duration_s": round(b - a, 3), "min_duration_s": min_s},
    ) for a, b in spans if b - a >= min_s]  # fmt: skip


def video_black(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Spans of black picture lasting at least ``video_black_min`` seconds."""
    ev = inp.video_events
    if ev is None:
        return []
    return _spans(inp, ev.black, kind="video_black", min_s=params.video_black_min,
                  confidence=0.9,
                  what="black picture at {at} (camera covered, off or disconnected)")


def video_frozen(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Spans of an unchanging picture lasting at least ``video_frozen_min`` seconds."""
    ev = inp.video_events
    if ev is None:
        return []
    return _spans(inp, ev.frozen, kind="video_frozen", min_s=params.video_frozen_min,
                  confidence=0.8,
                  what="frozen picture at {at} (the same frame repeated: the camera stopped or "
                  "the picture was replaced by a still)")
