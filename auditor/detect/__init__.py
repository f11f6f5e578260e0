"""Detectors: pure functions ``(DetectorInput, ScanParams) -> list[Finding]``, by name.

All audio detectors read the :class:`~auditor.detect.features.Features` of one streaming pass,
so a recording is decoded once whatever detectors run.
"""

from __future__ import annotations

from collections.abc import Callable

from ..findings import Finding
from .band import format_change
from .base import DetectorInput, ScanParams
from .digital import digital_silence, dropout
from .level import level_jump
from .silence import silence
from .timestamps import timestamp_gap, video_gap
from .video import video_black, video_frozen

__all__ = ["REGISTRY", "Detector", "DetectorInput", "ScanParams", "run_detectors", "VIDEO"]

Detector = Callable[[DetectorInput, ScanParams], list[Finding]]

REGISTRY: dict[str, Detector] = {
    "digital_silence": digital_silence,
    "dropout": dropout,
    "silence": silence,
    "timestamp_gap": timestamp_gap,
    "level_jump": level_jump,
    "format_change": format_change,
    "video_gap": video_gap,
    "video_black": video_black,
    "video_frozen": video_frozen,
}
#: Detectors that need the video stream.
VIDEO = frozenset({"video_gap", "video_black", "video_frozen"})


def run_detectors(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Run the detectors named in ``params.detectors`` (all when empty), in registry order."""
    names = params.detectors or tuple(REGISTRY)
    out: list[Finding] = []
    for name in names:
        out.extend(REGISTRY[name](inp, params))
    return out
