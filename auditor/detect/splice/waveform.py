"""Splice cue: a discontinuity of the waveform at one sample, or a change of bandwidth.

A butt splice joins two stretches of audio end to start. Unless the editor matched value and
slope, the waveform jumps at the join: a click that no microphone produces, because everything
that passed a microphone and an anti-alias filter is smooth at the scale of a sample (Cooper,
"Detecting butt-spliced edits in forensic digital audio recordings", AES 39th International
Conference, 2010). The second difference ``r[n] = x[n] - 2 x[n-1] + x[n-2]`` (the residual of
the linear predictor ``2 x[n-1] - x[n-2]``) turns a step into a pair of spikes ``+A, -A`` and a
change of slope into one spike, while it suppresses the low frequencies where speech has its
energy. A click is a sample where ``|r|`` stands out three ways: ``waveform_click_ratio`` times
its local robust scale (``median |r| / 0.6745`` over the 16 ms before *and* the 16 ms after,
excluding the three samples around it), ``_ISOLATION`` times every other peak of ``|r|`` in those
32 ms (voiced speech has a glottal pulse every period: a splice has no peer), and
``_ISOLATION`` times the residual 2 to 14 samples away (a sharp sound that passed an anti-alias
filter rings; a digital jump does not). Sounds that start sharply (a plosive, a cough, a door
slam) raise the residual after their onset, so they stay quiet. On 35 minutes of real speech
(five speakers, 16 kHz, each under room noise at -55 and -65 dBFS) no sample passes; joins in
loud speech that jump by 0.2 of full scale or more are found 85% of the time, by 0.1-0.2 about
half the time (a join where the two sides happen to meet is invisible to any such test).
Below 16 kHz speech itself changes at the scale of a sample and the click test does not apply.

The second difference misses a join where one side is much louder than the other (room noise
in a pause, then speech from mid-word): the loud side's own residual is as large as the jump.
So every candidate is also tested by linear prediction (:mod:`auditor.detect.splice._lpc`; Vaseghi &
Rayner 1990, Godsill & Rayner 1998): an order-12 predictor fitted on the 16 ms before the
point must fail to predict the first sample after it, and one fitted on the 16 ms after, run
backwards, must fail to predict the last sample before it, each by ``waveform_click_ratio``
times that side's own robust prediction error and ``_LPC_ISOLATION`` times every other error
of that side (a glottal pulse has peers). A voice or a sound that starts in the room passes
only the first test, because its first samples are small. The streaming pass also sends to be
measured any block that stands ``_ONE_SIDE`` times above the blocks on *one* side of it. On the
splice benchmark (seed 2015) the prediction test raised one false click in 7.4 hours of clean
hearings (strength 1.1) and 35 minutes of real speech stay quiet; the benchmark's speech was
recorded at 8 kHz, though, so its upper band is empty, which makes it easier to predict than
full-band speech. Stretches that reach ``_FULL_SCALE`` are not tested: clipping is not linear.

The streaming pass (:mod:`auditor.detect.splice.clicks`) screens 4 ms blocks by their largest
``|r|`` against the blocks 8-16 ms around them and measures only the few that stand out,
keeping each candidate's sample, peak, local scales and 32 samples of context. Runs of
identical samples near a candidate (a clipped flat top, a dropout, an exact-zero mute) mark it
as the work of the ``dropout`` / ``digital_silence`` detectors or of clipping: it is not
reported here.

Band-limit changes (a span encoded with a lower bandwidth inserted into the file) are the
steps of :func:`auditor.detect.band.band_edges`, located to a frame of the background
analyser (100 ms) by :mod:`auditor.detect.splice.waveform_band`.
"""

from __future__ import annotations

import numpy as np

from ..base import DetectorInput, ScanParams
from ..features import StreamAnalyser
from .clicks import CONTEXT as _CONTEXT
from .clicks import ClickAnalyser, Clicks
from .cue import Cue, CueStatus
from .waveform_band import band_cues

__all__ = ["Clicks", "ClickAnalyser", "analysers", "cues", "click_cues", "near_isolation"]

_ISOLATION = 2.5  # a click's peak over its peers (see click_cues)
_MIN_RATE = 16000  # below it speech itself changes at the scale of a sample
_LPC_ISOLATION = 3.5  # a prediction error's peak over its side's other errors (click_cues)


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    """The click analyser (the band cue reads the spectra and the background frames)."""
    return {"waveform": ClickAnalyser(sample_rate, channels, params.waveform_click_ratio)}


def _flat(context: np.ndarray) -> np.ndarray:
    """Whether each row holds three identical consecutive samples, shape (n,)."""
    same = context[:, 1:] == context[:, :-1]
    return (same[:, :-1] & same[:, 1:]).any(axis=1)


def _near_runs(samples: np.ndarray, inp: DetectorInput, reach: int) -> np.ndarray:
    """Whether each sample lies within ``reach`` samples of a constant run on any channel."""
    near = np.zeros(samples.shape[0], bool)
    for runs in inp.features.runs:
        if not runs.start.size:
            continue
        order = np.argsort(runs.start, kind="stable")
        starts, ends = runs.start[order], (runs.start + runs.length)[order]
        last_end = np.maximum.accumulate(ends)
        i = np.searchsorted(starts, samples + reach, side="right") - 1
        near |= (i >= 0) & (last_end[np.maximum(i, 0)] >= samples - reach)
    return near


def near_isolation(context: np.ndarray) -> np.ndarray:
    """Residual peak over the largest residual 2 to 14 samples away, from the kept context.

    A digital jump is one sample (a value step gives the pair ``+A, -A``); a sharp sound that
    passed an anti-alias filter rings for several samples. Shape (n,).
    """
    x = context.astype(np.float64)
    r = x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2]  # r[:, k] is the residual at sample + k - 14
    c = _CONTEXT - 2
    other = np.concatenate([np.abs(r[:, : c - 1]), np.abs(r[:, c + 2 :])], axis=1)
    return np.abs(r[:, c]) / np.maximum(other.max(axis=1), 1e-12)


def click_cues(clicks: Clicks, inp: DetectorInput, params: ScanParams) -> tuple[list[Cue], int]:
    """Butt-splice clicks: candidates above the thresholds that no other detector explains.

    A click must stand ``waveform_click_ratio`` times above the residual's robust scale on both
    sides, ``_ISOLATION`` times above every other residual peak within 16 ms (a glottal pulse
    has peers one period away) and ``_ISOLATION`` times above the residual 2 to 14 samples
    from it (no ringing). ``strength`` is the weakest of the three margins.
    Returns the cues and how many candidates were set aside as clipping, dropouts or mutes.
    """
    sr = clicks.sample_rate
    second = np.minimum(np.minimum(clicks.ratio / params.waveform_click_ratio,
                                   clicks.isolation / _ISOLATION),
                        near_isolation(clicks.context) / _ISOLATION)
    lp = clicks.lpc
    predicted = np.where(clicks.clipped, 0.0, np.minimum(
        np.minimum(lp[:, 0], lp[:, 1]) / params.waveform_click_ratio,
        np.minimum(lp[:, 2], lp[:, 3]) / _LPC_ISOLATION))
    margin = np.maximum(second, predicted)
    above = margin >= 1.0
    mid = clicks.context[:, _CONTEXT // 2 : _CONTEXT * 3 // 2]  # 8 samples either side
    other = _flat(mid) | _near_runs(clicks.sample, inp, int(0.002 * sr))
    out = []
    for i in np.flatnonzero(above & ~other):
        s = int(clicks.sample[i])
        x = clicks.context[i]
        by_lpc = bool(predicted[i] > second[i])
        if by_lpc:
            s += int(clicks.lpc_offset[i])
        out.append(Cue(
            cue="waveform", time=round(s / sr, 6), strength=float(margin[i]),
            uncertainty=round(max(0.001, 2.0 / sr), 6), sample=s,
            evidence={
                "type": "click", "residual_ratio": round(float(clicks.ratio[i]), 2),
                "isolation": round(float(clicks.isolation[i]), 2),
                "residual_peak": round(float(clicks.peak[i]), 5),
                "residual_scale_before": round(float(clicks.scale_before[i]), 6),
                "residual_scale_after": round(float(clicks.scale_after[i]), 6),
                "step": round(float(x[_CONTEXT] - x[_CONTEXT - 1]), 5),
                "test": "linear_prediction" if by_lpc else "second_difference",
                "prediction_error_ratio_before": round(float(lp[i, 0]), 2),
                "prediction_error_ratio_after": round(float(lp[i, 1]), 2),
                "prediction_isolation": round(float(min(lp[i, 2], lp[i, 3])), 2),
            },
        ))  # fmt: skip
    return out, int((above & other).sum())


def cues(inp: DetectorInput, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    """Butt-splice clicks and band-limit change points."""
    clicks = inp.features.extra.get("waveform")
    if not isinstance(clicks, Clicks):
        return CueStatus("waveform", False, "the waveform was not measured"), []
    if inp.features.power.size == 0:
        return CueStatus("waveform", False, "the recording is too short to measure"), []
    if not (inp.features.power > 0).any():
        return CueStatus("waveform", False, "the recording holds no signal (all samples are "
                         "zero)"), []
    evidence: dict[str, object]
    if clicks.sample_rate >= _MIN_RATE:
        found, explained = click_cues(clicks, inp, params)
        evidence = {"clicks": len(found), "clicks_explained_by_clipping_or_dropouts": explained}
    else:
        found = []
        evidence = {"clicks": 0, "clicks_not_applicable": f"at {clicks.sample_rate} Hz speech "
                    f"itself changes at the scale of a sample (the click test needs "
                    f"{_MIN_RATE} Hz)"}
    band, band_status = band_cues(inp, params)
    evidence.update(band_status)
    return (CueStatus("waveform", True, evidence=evidence),
            sorted(found + band, key=lambda c: c.time))
