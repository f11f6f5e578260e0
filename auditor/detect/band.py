"""Format changes: the band edge (the highest frequency that carries signal) moves mid-file.

A recording keeps one sample rate and one encoder from start to end. A segment that was
resampled from a lower rate, or passed through a lossy encoder, has nothing above its own band
edge (Grigoras, "Statistical tools for multimedia forensics", 2010, on bandwidth analysis). The
edge of each 2-second segment is the lowest frequency above which it lies, on average, 20 dB or
more below the file's median spectrum (a segment without such a drop has the file's own band);
a step of ``band_change`` of the Nyquist frequency between the medians of ``band_context``
seconds either side is a finding.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..findings import Finding, format_time
from .base import DetectorInput, ScanParams

__all__ = ["format_change", "band_edges", "band_steps", "measure_band_edges"]

_DEFICIT_DB = 20.0
_CUTOFFS = np.round(np.arange(0.10, 0.951, 0.05), 2)


#: the last spectra :func:`band_edges` measured and their edges: the format_change detector
#: and the splice detector's band cue (which run side by side) read the same ones
_last: tuple[weakref.ref[np.ndarray], np.ndarray] | None = None
_last_lock = threading.Lock()


def band_edges(spectra: np.ndarray) -> np.ndarray:
    """:func:`measure_band_edges` of ``spectra``, measured once for the same array (a copy of
    the remembered result is returned to a second caller)."""
    global _last
    with _last_lock:
        if _last is not None and _last[0]() is spectra:
            return _last[1].copy()
        edges = measure_band_edges(spectra)
        _last = (weakref.ref(spectra), edges)
        return edges.copy()


def measure_band_edges(spectra: np.ndarray) -> np.ndarray:
    """Band edge (fraction of Nyquist, 0..1) of each segment's mean power spectrum.

    Each segment's spectrum is compared with the file's median spectrum; its edge is the lowest
    cutoff (on a grid of 5% of the band, from 10%) above which it lies on average more than
    ``_DEFICIT_DB`` below the median. A segment with no such cutoff has the file's own band
    (edge 1.0); a segment quieter at every frequency is a level change, not a band change, and
    gets NaN, as do segments without signal.

    Parameters
    ----------
    spectra : np.ndarray, shape (n_segments, n_bins)
        Mean power spectra of the segments.

    Returns
    -------
    np.ndarray, shape (n_segments,)
    """
    nseg = spectra.shape[0]
    if nseg == 0:
        return np.zeros(0)
    alive = spectra.sum(axis=1, dtype=np.float64) > 0
    if not alive.any():
        return np.full(nseg, np.nan)
    # the reference needs every segment at once, so it is taken a few bins at a time; the rest
    # is row by row, in chunks (an 8-hour file's spectra are 30 MB as float64, and the median
    # would copy them again)
    rows, cols = _CHUNK_ROWS, _CHUNK_BINS
    ref = np.concatenate([np.median(_db(spectra[alive, c: c + cols]), axis=0)
                          for c in range(0, spectra.shape[1], cols)])
    edge = np.concatenate([_edges(_db(spectra[i: i + rows]), ref)
                           for i in range(0, nseg, rows)])
    return np.where(alive, edge, np.nan)


#: segments whose band edge is computed at once
_CHUNK_ROWS = 2048
#: frequency bins whose median over the file is taken at once
_CHUNK_BINS = 32


def _db(spectra: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(spectra.astype(np.float64), 1e-30))


def _edges(db: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """:func:`band_edges` of the segments ``db`` (dB) against the reference spectrum ``ref``:
    the edge, or NaN for a level change."""
    nseg = db.shape[0]
    gain = np.clip(db - ref, -60.0, 60.0)
    nb = gain.shape[1]
    top = int(0.97 * (nb - 1))  # leave out the anti-alias roll-off
    cs = np.concatenate([np.zeros((nseg, 1)), np.cumsum(gain, axis=1)], axis=1)
    edge = np.ones(nseg)
    for c in _CUTOFFS[::-1]:  # lowest cutoff wins: go down from the top
        lo = int(c * (nb - 1))
        above = (cs[:, top] - cs[:, lo]) / max(top - lo, 1)
        edge = np.where(above < -_DEFICIT_DB, c, edge)
    lo = int(0.04 * (nb - 1))
    below_idx = np.clip((edge * (nb - 1)).astype(int), lo + 1, nb)
    below = (cs[np.arange(nseg), below_idx] - cs[:, lo]) / np.maximum(below_idx - lo, 1)
    level_change = (edge < 1.0) & (below < -_DEFICIT_DB / 2)
    return np.where(level_change, np.nan, edge)


def _refine(edges: np.ndarray, b: int, ctx: int) -> int:
    """The split near ``b`` that puts most segments on their own side of the mid level."""
    n = edges.shape[0]
    lo, hi = max(ctx, b - ctx), min(n - ctx, b + ctx)
    before = np.nanmedian(edges[b - ctx : b])
    after = np.nanmedian(edges[b : b + ctx])
    mid = (before + after) / 2
    side = np.where(np.isnan(edges), 0.0, np.where((edges > mid) == (after > mid), 1.0, -1.0))
    best, score = b, -np.inf
    for s in range(lo, hi + 1):
        sc = -side[s - ctx : s].sum() + side[s : s + ctx].sum()
        if sc > score:
            best, score = s, sc
    return best


def band_steps(edges: np.ndarray, ctx: int, change: float) -> list[tuple[int, float, float]]:
    """Steps of the band edge between the medians of ``ctx`` segments either side.

    Parameters
    ----------
    edges : np.ndarray, shape (n_segments,)
        From :func:`band_edges` (fraction of Nyquist, NaN where unknown).
    ctx : int
        Segments on each side.
    change : float
        Smallest step kept (fraction of Nyquist).

    Returns
    -------
    list of (segment, before, after)
        The first segment after each step and the median edges before and after it
        (fractions of Nyquist), strongest step first, no two within ``ctx`` segments.
    """
    n = edges.shape[0]
    if n < 2 * ctx:
        return []
    diffs = np.full(n, np.nan)
    rows = sliding_window_view(edges, ctx)  # rows[i] = edges[i:i+ctx]
    # the median of the rows with a value (an all-NaN row is NaN): numpy would warn about
    # those, and silencing it (warnings.catch_warnings) is not safe while other detectors run
    # on other threads
    some = ~np.isnan(rows).all(axis=1)
    med = np.full(rows.shape[0], np.nan)
    med[some] = np.nanmedian(rows[some], axis=1)
    diffs[ctx : n - ctx + 1] = med[ctx:] - med[: n - 2 * ctx + 1]
    out: list[tuple[int, float, float]] = []
    taken: list[int] = []
    mag = np.abs(np.nan_to_num(diffs))
    for b in np.argsort(-mag, kind="stable"):
        if mag[b] < change:
            break
        if any(abs(int(b) - t) < ctx for t in taken):
            continue
        b = _refine(edges, int(b), ctx)
        taken.append(b)
        out.append((b, float(np.nanmedian(edges[b - ctx : b])),
                    float(np.nanmedian(edges[b : b + ctx]))))
    return out


def format_change(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Steps in the band edge, located to one 2-second segment."""
    f = inp.features
    edges = band_edges(f.spectra)
    seg_s = f.spectrum_hop / f.sample_rate
    ctx = max(2, int(round(params.band_context / seg_s)))
    nyq = f.sample_rate / 2
    out: list[Finding] = []
    for b, edge_before, edge_after in band_steps(edges, ctx, params.band_change):
        t = b * seg_s
        before = edge_before * nyq
        after = edge_after * nyq
        out.append(Finding(
            kind="format_change", file=inp.label, start=t, end=t, severity="warning",
            confidence=0.75, detector="format_change",
            message=f"the audio bandwidth changes from {before / 1000:.1f} kHz to "
            f"{after / 1000:.1f} kHz at about {format_time(t)} (±{seg_s:.0f} s): audio with a "
            "different sample rate or encoding from there on",
            evidence={"band_edge_before_hz": round(before), "band_edge_after_hz": round(after),
                      "resolution_s": seg_s},
        ))  # fmt: skip
    return sorted(out, key=lambda x: x.start or 0.0)
