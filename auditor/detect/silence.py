"""Acoustic silence: long stretches at the recording's own noise floor (microphones off).

The noise floor is a low percentile of the 50 ms window levels of the whole file, per channel;
a window is silent when it is within ``silence_margin_db`` of that floor. Brief sounds of at
most 0.1 s (a click, a tap) do not end a silent stretch. Windows of digital zeros are left to
the digital-silence detector.
"""

from __future__ import annotations

import numpy as np

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams, channel_label, spans_from_mask

__all__ = ["silence", "noise_floor_db"]

_FLOOR_PERCENTILE = 10.0
_BRIDGE = 0.1


def noise_floor_db(level_db: np.ndarray) -> float:
    """A channel's noise floor (dBFS): the 10th percentile of its finite window levels."""
    finite = level_db[np.isfinite(level_db)]
    return float(np.percentile(finite, _FLOOR_PERCENTILE)) if finite.size else float("-inf")


def _bridge(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of False no longer than ``max_gap`` that lie between runs of True."""
    starts, ends = spans_from_mask(~mask)
    out = mask.copy()
    for s, e in zip(starts, ends, strict=True):
        if e - s <= max_gap and s > 0 and e < mask.size:
            out[s:e] = True
    return out


def silence(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Stretches of at least ``silence_min`` seconds within a few dB of the noise floor."""
    f = inp.features
    level = f.power_db()
    wsec = f.window_seconds
    min_win = max(1, int(np.ceil(params.silence_min / wsec)))
    spans: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for ch in range(f.channels):
        lv = level[:, ch]
        floor = noise_floor_db(lv)
        if not np.isfinite(floor):
            continue
        quiet = np.isfinite(lv) & (lv < floor + params.silence_margin_db)
        quiet = _bridge(quiet, int(_BRIDGE / wsec))
        for s, e in zip(*spans_from_mask(quiet), strict=True):
            if e - s >= min_win:
                inside = lv[s:e][np.isfinite(lv[s:e])]
                spans.setdefault((int(s), int(e)), []).append(
                    (ch, floor, float(np.median(inside)) if inside.size else floor))
    out = []
    whole = level.shape[0]
    for (s, e), chans in sorted(spans.items()):
        t0, t1 = s * wsec, min(e * wsec, f.frames / f.sample_rate)
        dur = t1 - t0
        span = "the whole recording" if s == 0 and e >= whole else f"at {format_time(t0)}"
        out.append(Finding(
            kind="silence", file=inp.label, start=t0, end=t1,
            severity="warning" if dur >= 60 else "info", confidence=0.8, detector="silence",
            message=f"{dur:.1f} s of acoustic silence (no sound above the room's noise floor) "
            f"{span}{channel_label([c for c, _, _ in chans], f.channels)}",
            evidence={"noise_floor_dbfs": round(chans[0][1], 1),
                      "median_level_dbfs": round(chans[0][2], 1),
                      "margin_db": params.silence_margin_db,
                      "channels": [c + 1 for c, _, _ in chans]},
        ))  # fmt: skip
    return out
