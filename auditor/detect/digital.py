"""Digital silence and dropouts: runs of one exact sample value.

A microphone and its converter always produce some noise, so a run of identical samples lasting
10 ms or more is the mark of muted, inserted or generated audio. Short runs of identical values
inside loud signal are dropouts: buffer underruns and lost packets, where the recorder repeated
the last value or wrote zeros (cf. SWGDE, "Best Practices for Digital Audio Authentication",
2018, on digital-silence and dropout examination).
"""

from __future__ import annotations

import numpy as np

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams, channel_label

__all__ = ["digital_silence", "dropout"]

_CLIP = 0.98  # a held value this close to full scale is clipping, not a dropout
_MERGE_GAP = 0.05
_EDGE_STEP = 0.25


def _grouped(rows: list[tuple[int, int, float, int]]) -> list[tuple[int, int, float, list[int]]]:
    """Merge identical (start, length) runs across channels: (start, length, value, channels)."""
    merged: dict[tuple[int, int], tuple[float, list[int]]] = {}
    for start, length, value, ch in rows:
        key = (start, length)
        if key in merged:
            merged[key][1].append(ch)
        else:
            merged[key] = (value, [ch])
    return [(s, n, v, chs) for (s, n), (v, chs) in sorted(merged.items())]


def _value_text(value: float) -> str:
    return "exact zeros" if value == 0.0 else f"a constant sample value ({value:+.6f})"


def digital_silence(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Runs of one exact sample value lasting at least ``digital_silence_min`` seconds."""
    f = inp.features
    sr = f.sample_rate
    min_len = max(2, int(round(params.digital_silence_min * sr)))
    rows = []
    for ch, runs in enumerate(f.runs):
        sel = runs.length >= min_len
        rows += [(int(s), int(n), float(v), ch) for s, n, v in
                 zip(runs.start[sel], runs.length[sel], runs.value[sel], strict=True)]
    out = []
    for start, length, value, chans in _grouped(rows):
        t0, dur = start / sr, length / sr
        at_edge = start == 0 or start + length >= f.frames
        severity = "high" if dur >= 1.0 else ("info" if at_edge else "warning")
        where = " (start of file)" if start == 0 else (
            " (end of file)" if start + length >= f.frames else "")
        out.append(Finding(
            kind="digital_silence", file=inp.label, start=t0, end=t0 + dur,
            severity=severity, confidence=0.99, detector="digital_silence",
            message=f"{dur:.3f} s of digital silence ({_value_text(value)}) at "
            f"{format_time(t0)}{where}{channel_label(chans, f.channels)}",
            evidence={"samples": length, "value": value, "channels": [c + 1 for c in chans],
                      "first_sample": start},
        ))  # fmt: skip
    return out


def dropout(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Short runs of one value inside signal loud enough that such a run cannot be natural.

    A run shorter than ``digital_silence_min`` but at least ``dropout_min`` long counts when the
    windows on both sides are above ``dropout_context_db`` dBFS and the signal steps into or out
    of the run by at least a quarter of the local RMS (a natural flat stretch at low level moves
    by one quantisation step); bursts closer than 50 ms are reported as one dropout.
    """
    f = inp.features
    sr = f.sample_rate
    lo = max(2, int(round(params.dropout_min * sr)))
    hi = max(lo + 1, int(round(params.digital_silence_min * sr)))
    level = f.power_db()
    nwin = level.shape[0]
    rows = []
    for ch, runs in enumerate(f.runs):
        sel = (runs.length >= lo) & (runs.length < hi) & (np.abs(runs.value) < _CLIP)
        starts, lengths, values = runs.start[sel], runs.length[sel], runs.value[sel]
        if not starts.size or not nwin:
            continue
        before = np.clip(starts // f.win - 1, 0, nwin - 1)
        after = np.clip((starts + lengths) // f.win + 1, 0, nwin - 1)
        ctx = np.minimum(level[before, ch], level[after, ch])
        # the run must break into the signal: a step of a quarter of the local RMS at an edge
        ok = (ctx > params.dropout_context_db) & (
            runs.jump[sel] >= _EDGE_STEP * 10 ** (ctx / 20))
        rows += [(int(s), int(n), float(v), ch, float(c)) for s, n, v, c in
                 zip(starts[ok], lengths[ok], values[ok], ctx[ok], strict=True)]
    rows.sort()
    out: list[Finding] = []
    gap = int(_MERGE_GAP * sr)
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1][0] <= rows[j][0] + rows[j][1] + gap:
            j += 1
        burst = rows[i : j + 1]
        start = burst[0][0]
        end = max(r[0] + r[1] for r in burst)
        chans = sorted({r[3] for r in burst})
        held = sum(r[1] for r in burst)
        t0 = start / sr
        what = "dropout" if len(burst) == 1 else f"burst of {len(burst)} dropouts"
        out.append(Finding(
            kind="dropout", file=inp.label, start=t0, end=end / sr, severity="warning",
            confidence=0.9, detector="dropout",
            message=f"{what} ({held / sr * 1000:.1f} ms of {_value_text(burst[0][2])}) inside "
            f"signal at {format_time(t0)}{channel_label(chans, f.channels)}",
            evidence={"runs": len(burst), "held_samples": held,
                      "context_dbfs": round(min(r[4] for r in burst), 1),
                      "channels": [c + 1 for c in chans]},
        ))  # fmt: skip
        i = j + 1
    return out
