"""What every detector receives, its parameters, and the helpers they share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..media import MediaInfo, PacketTimes, VideoEvents
from .features import Features

__all__ = ["ScanParams", "DetectorInput", "spans_from_mask", "channel_label", "GRIDS",
           "GRID_FROM_OPTION"]

#: the grid's nominal frequency: 50 or 60 Hz, or measured from the hum ("auto")
GRIDS = ("50", "60", "auto")
#: ``ScanParams.grid_from`` when the command line gave the grid (it then overrides the session
#: record and the policy)
GRID_FROM_OPTION = "--grid"


@dataclass(frozen=True)
class ScanParams:
    """Every tunable of a scan, recorded in the report so anyone can reproduce it.

    Times are in seconds, levels in dB.
    """

    digital_silence_min: float = 0.010
    dropout_min: float = 0.001
    dropout_context_db: float = -60.0
    silence_min: float = 30.0
    silence_margin_db: float = 6.0
    level_jump_db: float = 12.0
    dc_jump: float = 0.02
    level_context: float = 30.0
    band_change: float = 0.2
    band_context: float = 20.0
    timestamp_tolerance: float = 0.02
    duration_tolerance: float = 0.1
    video_gap_factor: float = 1.8
    video_black_min: float = 2.0
    video_frozen_min: float = 10.0
    # splice: fusion (auditor/detect/splice.py)
    splice_min_confidence: float = 0.0089  # the calibration table's report threshold
    # splice: ENF cue (auditor/detect/enf.py)
    enf_min_snr_db: float = 8.0
    enf_z: float = 6.0
    enf_max_rate: float = 0.01
    enf_max_pace: float = 5.0
    # the grid's nominal frequency (GRIDS) and where it came from: GRID_FROM_OPTION, "session
    # record", "policy NAME" or "default" (auditor.scan.grid_params sets both)
    grid: str = "auto"
    grid_from: str = "default"
    # splice: background cue (auditor/detect/background.py)
    background_context: float = 10.0
    background_distance_db: float = 2.0
    # splice: waveform cue (auditor/detect/waveform.py)
    waveform_click_ratio: float = 8.0
    waveform_band_context: float = 10.0
    block_seconds: float = 60.0
    detectors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.grid not in GRIDS:
            raise InputError(f"grid must be one of {', '.join(GRIDS)}, got {self.grid!r}",
                             hint="the grid's nominal frequency in Hz, or auto to measure it")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["detectors"] = list(self.detectors)
        return out


@dataclass(frozen=True)
class DetectorInput:
    """One decoded recording, as the detectors see it.

    ``label`` is the file name as the user gave it (it goes into every finding).
    """

    label: str
    info: MediaInfo
    features: Features
    audio_packets: PacketTimes | None = None
    video_packets: PacketTimes | None = None
    video_events: VideoEvents | None = None
    decoder_warnings: list[str] = field(default_factory=list)
    #: what each check could and could not establish on this file (for example "ENF: not
    #: applicable, hum SNR 2.1 dB"); detectors add to it and it goes into the report's file entry
    checks: dict[str, Any] = field(default_factory=dict)


def spans_from_mask(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of each run of True in a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return edges[0::2], edges[1::2]


def channel_label(channels: list[int], total: int) -> str:
    """'on channel 2', 'on channels 1 and 2', or 'on all channels' (1-based for people)."""
    if total == 1:
        return ""
    if len(channels) == total:
        return " on all channels"
    names = [str(c + 1) for c in channels]
    if len(names) == 1:
        return f" on channel {names[0]}"
    return " on channels " + ", ".join(names[:-1]) + " and " + names[-1]
