"""Detectors: pure functions ``(DetectorInput, ScanParams) -> list[Finding]``, by name.

All audio detectors read the :class:`~auditor.detect.features.Features` of one streaming pass,
so a recording is decoded once whatever detectors run.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ..findings import Finding
from .band import format_change
from .base import DetectorInput, ScanParams
from .digital import digital_silence, dropout
from .features import Features, StreamAnalyser
from .level import level_jump
from .silence import silence
from .splice import analysers as splice_analysers
from .splice import splice
from .timestamps import timestamp_gap, video_gap
from .video import video_black, video_frozen

__all__ = ["REGISTRY", "STREAMS", "Detector", "DetectorInput", "ScanParams", "run_detectors",
           "cancel_pending",
           "stream_analysers", "VIDEO"]

Detector = Callable[[DetectorInput, ScanParams], list[Finding]]
#: ``(sample_rate, channels, params) -> {name: analyser}`` for a detector's own streaming work
AnalyserFactory = Callable[[int, int, ScanParams], dict[str, StreamAnalyser]]

REGISTRY: dict[str, Detector] = {
    "digital_silence": digital_silence,
    "dropout": dropout,
    "silence": silence,
    "timestamp_gap": timestamp_gap,
    "level_jump": level_jump,
    "format_change": format_change,
    "splice": splice,
    "video_gap": video_gap,
    "video_black": video_black,
    "video_frozen": video_frozen,
}
#: Detectors that measure something of their own during the streaming pass.
STREAMS: dict[str, AnalyserFactory] = {"splice": splice_analysers}
#: Detectors that need the video stream.
VIDEO = frozenset({"video_gap", "video_black", "video_frozen"})


def stream_analysers(sample_rate: int, channels: int,
                     params: ScanParams) -> dict[str, StreamAnalyser]:
    """The streaming analysers the selected detectors need, by name."""
    out: dict[str, StreamAnalyser] = {}
    for name in params.detectors or tuple(REGISTRY):
        if name in STREAMS:
            out.update(STREAMS[name](sample_rate, channels, params))
    return out


#: Detectors that take long enough to run on a thread of their own while the others run.
SLOW = frozenset({"splice"})


def run_detectors(inp: DetectorInput, params: ScanParams) -> list[Finding]:
    """Run the detectors named in ``params.detectors`` (all when empty); their findings in that
    order.

    The :data:`SLOW` ones run on a worker thread while this thread runs the others (numpy
    releases the interpreter lock, so a second core takes part). Detectors are pure functions
    of ``inp``; only the splice detector writes to ``inp.checks``, so the order in which they
    finish changes nothing in the result.
    """
    names = params.detectors or tuple(REGISTRY)
    slow = [n for n in names if n in SLOW] if len(names) > 1 else []
    found: dict[str, list[Finding]] = {}
    # (a pool makes its threads only when given work)
    with ThreadPoolExecutor(max_workers=max(1, len(slow))) as pool:
        try:
            jobs = {n: pool.submit(REGISTRY[n], inp, params) for n in slow}
            for name in names:
                if name not in jobs:
                    found[name] = REGISTRY[name](inp, params)
            for name, job in jobs.items():
                found[name] = job.result()
        except BaseException:
            cancel_pending(inp.features)  # before the pool waits for the slow ones
            raise
    return [f for name in names for f in found[name]]


def cancel_pending(features: Features) -> None:
    """Stop the analyses the streaming pass left under way (the ENF cue's starts as soon as its
    stream ends): the scan failed or was cancelled, and nobody will read them."""
    for result in features.extra.values():
        cancel = getattr(result, "cancel", None)
        if callable(cancel):
            cancel()
