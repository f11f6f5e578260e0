"""Splice cue: enf (placeholder until the cue lands)."""

from __future__ import annotations

from .base import DetectorInput, ScanParams
from .features import StreamAnalyser
from .splice import Cue, CueStatus


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    return {}


def cues(inp: DetectorInput, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    return CueStatus("enf", False, "not implemented"), []
