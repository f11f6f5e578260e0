"""Verify a copy of a recording: align it with its reference and say what differs.

A party's copy (an MP3, a disc) never has the reference's bytes; what matters is whether it
holds the same audio. :func:`compare_fingerprints` aligns the copy's fingerprint with the
reference's (:mod:`.fingerprint`: Haitsma and Kalker 2002, 32-bit sub-fingerprints every
20 ms; :mod:`.align`: a piecewise-constant offset path) and reports what is missing from,
inserted into and altered in the copy, with times in both files (:mod:`.edits`).

The reference side is a :class:`Fingerprint`, a small versioned value (about 1.75 KB per
minute: :meth:`Fingerprint.to_bytes` / :meth:`Fingerprint.from_bytes`, base64 and JSON too),
so it can come from a recording (:func:`fingerprint_reference`) or be stored and loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace

from ._fpformat import FORMAT_VERSION, METHOD, Fingerprint
from .align import AlignParams, Segment, fine_offset
from .align import align as align_path
from .edits import Comparison, Edit, find_edits
from .fingerprint import HOP, REFERENCE_STRIDE, fingerprint_files, fingerprint_signal

__all__ = ["Fingerprint", "FORMAT_VERSION", "METHOD", "AlignParams", "Segment", "Comparison",
           "Edit", "REFERENCE_STRIDE", "fingerprint_reference", "fingerprint_copy",
           "fingerprint_files", "fingerprint_signal", "compare_fingerprints", "align_path"]


def fingerprint_reference(paths: Iterable[str | os.PathLike[str]], *,
                          stride: int = REFERENCE_STRIDE,
                          progress: Callable[[str, float, float], None] | None = None,
                          timer: dict[str, float] | None = None) -> Fingerprint:
    """The storable fingerprint of a reference recording (one file, or its parts in order).

    With the default stride 8 (a sub-fingerprint every 0.16 s) :meth:`Fingerprint.to_bytes`
    takes about 1.75 KB per minute of speech (base64 a third more); stride 10 (every 0.2 s)
    takes about 1.4 KB, under 2 KB per minute even in base64, and places boundaries a little
    less precisely (bench/bench_compare.py).
    """
    return fingerprint_files(paths, stride=stride, progress=progress, timer=timer)


def fingerprint_copy(paths: Iterable[str | os.PathLike[str]], *,
                     progress: Callable[[str, float, float], None] | None = None,
                     timer: dict[str, float] | None = None) -> Fingerprint:
    """The fingerprint of a copy (one file, or several played in order): every 20 ms."""
    return fingerprint_files(paths, stride=1, progress=progress, timer=timer)


def compare_fingerprints(reference: Fingerprint, copy: Fingerprint, *,
                         params: AlignParams | None = None, min_span: float = 0.75,
                         timing: dict[str, float] | None = None) -> Comparison:
    """Align ``copy`` (stride 1) with ``reference`` (any stride) and classify the differences.

    Differences shorter than ``min_span`` seconds are not reported (a copy trimmed or padded by
    a few hundred milliseconds at either end has no finding). ``timing`` receives the seconds
    spent aligning (``align_s``, CPU seconds) and the number of whole-reference searches.
    """
    import time

    t0 = time.process_time()
    params = params or AlignParams()
    segs, usable = align_path(reference, copy, params, timing)
    result = find_edits(segs, n_frames=copy.words.size, copy_duration=copy.duration,
                        reference_duration=reference.duration, min_span=min_span,
                        drift_hops=params.drift_hops, usable=usable,
                        reference_stride=reference.stride)
    first = next((g for g in segs if g.offset is not None), None)
    if first is not None:   # the overall offset to a fraction of the 20 ms hop
        fine = fine_offset(reference, copy, first, usable)
        result = replace(result, offset=result.offset + (fine - (first.offset or 0)) * HOP)
    if timing is not None:
        timing["align_s"] = timing.get("align_s", 0.0) + time.process_time() - t0
    return result
