"""Splice cue: the electric network frequency (ENF) breaks its continuity.

Mains-powered equipment leaves hum at the grid frequency (50 or 60 Hz) and its harmonics in a
recording. The grid's frequency wanders by a few hundredths of a hertz, slowly (the ENF-WHU
references move by at most about 7 mHz in a second), and its phase is continuous: it is the
integral of the frequency. A cut removes the phase the grid advanced over the removed time; an
insertion brings another moment's (or another grid's) phase and frequency. Grigoras ("Digital
audio recording analysis: the Electric Network Frequency (ENF) Criterion", Int. J. Speech,
Language and the Law 12(1), 63-76, 2005) follows the hum's frequency frame by frame; Rodriguez,
Apolinario and Biscainho ("Audio authenticity: detecting ENF discontinuity with high precision
phase analysis", IEEE Trans. Inf. Forensics Security 5(3), 534-543, 2010) showed that the phase
of the hum, measured over a few mains cycles on a narrow band around the nominal frequency,
shows an edit as a step. This cue does both:

1. **Streaming** (:class:`EnfAnalyser`): the mono mix is low-passed to 430 Hz (Kaiser FIR,
   60 dB) and decimated by ``rate // 1200`` (to 1.2-1.4 kHz for 8-96 kHz input; lower rates
   are kept as they are) with a polyphase matrix product, the filter state carried across
   blocks. It is kept as 16-bit integers with a scale per block (:class:`~.decimate.Parts`):
   at most 10 MB per hour of audio, whatever the input rate.
2. **Which hum** (:func:`~.hum.hum_lines`): every line ``k * f0`` (``f0`` 50 or 60 Hz,
   ``k`` 1..7) is measured in up to 240 segments of about 7 s: the Hann periodogram's peak within
   ``k * (f0 +- 0.25 Hz)`` against the median of the bins 1-6 Hz beyond (noise per bin). Its SNR
   is the line's power over the noise power in a 1 Hz band, the median over segments (speech in
   some segments does not count). The nominal is chosen on lines the grids do not share (300 Hz
   is 6 x 50 and 5 x 60), the harmonic is the nominal's strongest line. Under
   ``enf_min_snr_db`` (8 dB) the cue is *not applicable*, with the SNR measured: no hum is
   never "no edit found". On the splice benchmark, files without hum read at most -1.3 dB;
   below 8 dB the phase of a 2 s window sum is no longer near-Gaussian, and the noisy 60 Hz
   reference Grid_A_A1 (6.7 dB) gave a false 2.5 rad step.
3. **Narrow band and track** (:mod:`.track`): a complex Kaiser FIR (+-14 Hz, 55 dB beyond
   45 Hz) takes the line to a baseband ``b`` with one value per 10 ms hop; speech partials tens
   of hertz away, 30-50 dB over the hum, stay out. The line's frequency is tracked
   Grigoras-style: 4 s Hann frames every second, the peak refined by a parabola through its log
   magnitudes, a running median over 7 frames against speech partials; frames far under the
   usual line level (a gap) are dropped. Each hop counts in its frames by the file's median
   power near the line over its own (0.25 s each side), at most 1: a voice's low partial 40 dB
   over the hum pulls an unweighted frame's peak a quarter of a hertz off, a weighted one a few
   millihertz (real weights keep the frame's magnitude spectrum symmetric about the line, so
   the interpolated peak stays unbiased). ``u = b exp(-i phase)``, with ``phase`` the integral
   of the track, is a constant phasor wherever the recording is continuous.
4. **Steps** (:func:`~.stats.scale_test`): at every hop boundary, for windows of ``W`` =
   0.5, 1, 2 and 4 s each side, the window sums ``S_L``, ``S_R`` of ``u`` give

       dphi = arg(S_R conj(S_L))
       z_phase = |dphi| / sqrt(var_L + var_R + (2 pi sd_f)^2 W min(W, 2 s) + (k 0.01 W^0.6)^2)

   where ``var = N / (2 (|S|^2 - N))`` is the variance of a phasor sum's angle with noise
   variance ``N`` (measured in 0.5 s blocks at twelve offsets 2-12 Hz from the line, nulls of
   the window, so speech near the line counts as the noise it is). The sums weight each hop by
   the inverse of its noise (its block's, or its own local power over 0.25 s when larger:
   the minimum-variance estimate of a constant phasor, Kay 1993), so a window half in loud
   speech reads about as well as its quiet half alone; ``sd_f`` the track's error
   over the windows (a frequency error biases ``dphi`` by ``2 pi df W`` while it keeps its
   sign, about 2 s: on real-ENF hum under white noise at 12-40 dB, ``(2 pi sd_f W)^2``
   overstated the spread of ``dphi`` at 4 s by a factor of two; the grid's own
   curvature cancels in symmetric windows) and the last term the grid's phase wobble no track
   follows, measured on the references with no noise at all (harmonic ``k``). The frequency each
   side is the track's mean plus the residual slope of ``u`` between half-windows; ``z_freq`` is
   the step less what the grid can do in ``W`` seconds (``enf_max_rate``, Hz/s at the
   fundamental, times ``k``) over its standard error, for ``W`` >= 2 s only. Both windows must
   hold the line (window SNR >= 4). A peak of ``z_phase`` or ``z_freq`` at or above ``enf_z`` is
   a candidate. When another harmonic of the same hum carries at least a quarter of the line's
   phase information (SNR times ``k^2``: a step ``dphi`` at the fundamental is ``k dphi`` at
   harmonic ``k``) and is itself over the hum floor, its baseband is demodulated with the
   line's track scaled to it and its ``z_phase`` joins the line's:
   ``sqrt(z1^2 + z2^2 - 4)`` (chi-squared with 2 degrees of freedom, matched to one normal
   test's tail at 6), only where the line itself sees 3 standard errors (a speech partial on
   the harmonic alone raises nothing); the evidence gives both. As in binary segmentation,
   candidates are re-measured with windows that stop at their neighbours (two edits seconds
   apart must not share a window) and searched for again between them; then the track is
   re-estimated segment by segment between the edits (no frame or median crosses one; beyond a
   segment's outer frames its error grows at a grid's pace), leaving out the frames within half
   a window of every boundary where a window's phase test reached half the threshold (a frame
   across a step reads a frequency between the two sides', and the track bent by it absorbs
   part of the step: a 0.5 rad step at 20 dB read as 0.2-0.35 rad in 4 s windows; across
   frames left out the track runs straight and its error grows at a grid's pace), and
   everything is measured again.
5. **Hum that vanishes** (:func:`~.locate.gaps`): a span whose line amplitude lies 4
   standard errors under half the file's median, between 0.5 s blocks where the line is
   clearly present: an insert without hum, or a replacement. The phase across it is measured too
   (the frequency interpolated across the span, plus the error an unknown grid wander adds). A
   span of exact zeros over which the phase resumes in step is a mute with no time removed: the
   ``digital_silence`` detector reports the mute and this cue stays quiet; if the hum comes back
   out of step, time went missing under the mute and the cue says so.
6. **Hum at another level** (:func:`~.stats.scale_test`, ``z_level``): the line's
   amplitude either side, ``sqrt(|S|^2 - N) / n`` per hop, for the 2 and 4 s windows; a step
   of more than ``LEVEL_TOLERANCE_DB`` (2 dB) beyond it, over its standard error
   ``sqrt(N / 2) / n``, at or above ``enf_z`` where no phase or frequency step explains it, is a
   ``level_step`` candidate. Material from another room on the same grid can carry the same
   phase (a replacement of exactly the removed time) but is picked up at another level. A
   device switched on near the microphone steps the level too (the README says so): the
   evidence names the kind, ``level_step``, so a reader can weigh it.
7. **Where** (:func:`~.locate.locate`): maximum-likelihood change point of the phasor's
   mean (Hinkley, "Inference about the change-point in a sequence of random variables",
   Biometrika 57(1), 1-17, 1970), each hop weighted by its own noise. When the change point
   lands at the edge of the searched span (a window test peaks anywhere on the plateau before
   a join where one side's hum is much louder) the span is doubled, up to three times.
   ``uncertainty`` is 5 x ``noise per hop / |step per hop|^2`` hops (at least 5 ms), which
   held 96 % of the errors in simulation. At a usual hum SNR (20 dB in 1 Hz) a 1 rad step is
   located to about +-30 ms; a strong hum's, to a hop.

``strength`` is ``z / enf_z`` for a phase, frequency or level step, ``z_absent / 4`` for the
edges of a vanished line (capped at 10), and the phase ``z`` across a span of exact zeros.
Measured while setting the thresholds: hum driven by the 40 ENF-WHU references (7.5 h) under
real speech and room noise, and the 41 raw 50/60 Hz reference recordings themselves (55-85 dB
SNR), gave no false alarm, and the seven half-cycle slips those references really hold (027,
031, 037) were all found. On 300 simulated edit points (cuts, insertions and replacements, with
and without hum, 13-28 dB hum SNR under speech) 94-100 % of phase steps of 1 rad or more were
found, 33-57 % of those of 0.3-1 rad, none under 0.3 rad; located to 4 ms (median), 95 % within
32 ms.

What it cannot see: a cut whose phase step lands near a multiple of 2 pi (a cut of a whole
number of mains cycles: at 50.00 Hz any multiple of 20 ms) while the frequency either side
differs by less than the grid itself moves. As the phase a cut removes is uniform over
[0, 2 pi), a fraction ``min_phase_jump / pi`` of random cuts is invisible;
``checks["splice"]["enf"]`` reports that fraction for the file (``undetectable_cut_fraction``),
from the smallest step the tests would flag at the file's median noise. Nor is hum that does not
follow a grid (a generator's, or a synthetic walk much faster than a grid) a fair witness: its
wander can read as steps. ``frequency_pace_mhz_s`` in the same check says how fast the tracked
frequency moved (grids: about 1-2 mHz/s; 3-5 under speech noise).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...base import DetectorInput, ScanParams
from ...features import StreamAnalyser
from ..cue import Cue, CueStatus
from . import decimate as dec
from . import grid, hum, steps
from .search import Candidate, Settings
from .track import Baseband

__all__ = ["EnfSignal", "EnfAnalyser", "AnalysisCancelled", "analysers", "cues", "MIN_SECONDS"]

CUE = "enf"
#: shortest recording the cue analyses (seconds): two 0.5 s windows and a track frame
MIN_SECONDS = 2.0


@dataclass(frozen=True)
class EnfSignal:
    """What the streaming pass keeps: the mono mix low-passed and decimated.

    ``y.span(j, j + 1)`` is the filtered signal at time ``t0 + j / rate`` seconds (the filter's
    delay is taken out); ``sample_rate`` and ``frames`` describe the decoded input.
    """

    y: dec.Parts
    rate: float
    t0: float
    sample_rate: int
    frames: int
    #: the cue's result for ``early_params``, under way since the stream ended (see
    #: :class:`EnfAnalyser`); :func:`cues` with other parameters analyses afresh
    early: Future[tuple[CueStatus, list[Cue]]] | None = field(default=None, compare=False,
                                                              repr=False)
    early_params: ScanParams | None = None
    #: set by :meth:`cancel`: the early analysis stops at its next piece
    stop: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def cancel(self) -> None:
        """Stop the analysis under way (the scan failed or was cancelled): it ends before its
        next piece, and its result, if anyone asks, is :class:`AnalysisCancelled`."""
        self.stop.set()


class AnalysisCancelled(Exception):
    """The ENF analysis was stopped by :meth:`EnfSignal.cancel`."""


class EnfAnalyser:
    """Low-pass and decimate the mono mix block by block (:class:`StreamAnalyser`).

    With ``params``, :meth:`finish` also starts the cue's analysis (:func:`cues`) on a thread
    of its own at once: it needs nothing but this signal, so it runs while the other
    analysers and detectors are still at work (it is the longest part of a scan after the
    decoding). :func:`cues` then waits for that result.
    """

    def __init__(self, sample_rate: int, channels: int, params: ScanParams | None = None):
        self.sample_rate = sample_rate
        self._dec = dec.design_decimation(sample_rate, max(1, channels))
        self._state = dec.Decimator(self._dec, compact=True)
        self._params = params
        self.frames = 0

    def update(self, block: np.ndarray, start: int) -> None:
        self._state.update(block)
        self.frames += block.shape[0]

    def finish(self) -> EnfSignal:
        y = self._state.finish_parts()
        sig = EnfSignal(y, self.sample_rate / self._dec.factor, self._dec.t0,
                        self.sample_rate, self.frames)
        if self._params is None:
            return sig
        early: Future[tuple[CueStatus, list[Cue]]] = Future()
        sig = replace(sig, early=early, early_params=self._params)
        threading.Thread(target=_run_early, args=(early, sig, self._params), daemon=True,
                         name="auditor-enf").start()
        return sig


def _run_early(fut: Future[tuple[CueStatus, list[Cue]]], sig: EnfSignal,
               params: ScanParams) -> None:
    try:
        fut.set_result(_analyse(sig, params))
    except BaseException as exc:  # noqa: BLE001 - handed over by fut.result()
        fut.set_exception(exc)


def analysers(sample_rate: int, channels: int, params: ScanParams) -> dict[str, StreamAnalyser]:
    return {CUE: EnfAnalyser(sample_rate, channels, params)}


def _r(x: float, digits: int) -> float | None:
    return round(float(x), digits) if math.isfinite(x) else None


def _db(x: float) -> float | None:
    return _r(10 * math.log10(x), 1) if x > 0 else None


def cues(inp: DetectorInput, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    """Whether the file's mains hum can be followed, and every point where it breaks."""
    sig = inp.features.extra.get(CUE)
    if not isinstance(sig, EnfSignal):
        return CueStatus(CUE, False, "the ENF analyser did not run"), []
    if sig.early is not None and sig.early_params == params:
        return sig.early.result()
    return _analyse(sig, params)


def _analyse(sig: EnfSignal, params: ScanParams) -> tuple[CueStatus, list[Cue]]:
    duration = sig.frames / sig.sample_rate if sig.sample_rate else 0.0
    if duration < MIN_SECONDS:
        return CueStatus(CUE, False, f"too short to follow mains hum ({duration:.1f} s; needs "
                         f"{MIN_SECONDS:.0f} s)", {"duration_s": round(duration, 3)}), []
    # a grid that is given needs only its own lines: not the other grid's, nor the frames
    # only the test of an "auto" grid reads (grid.py)
    fixed = params.grid != "auto"
    scan = hum.measure(sig.y, sig.rate, frames=not fixed,
                       nominals=(float(params.grid),) if fixed else hum.NOMINALS)
    choice = grid.choose_line(scan, grid=params.grid,
                              given_by=params.grid_from, min_snr_db=params.enf_min_snr_db)
    lines, line = choice.lines, choice.line
    if line is None and choice.reason:
        return CueStatus(CUE, False, choice.reason, choice.evidence()), []
    if line is None:
        return CueStatus(CUE, False, f"sample rate {sig.sample_rate} Hz is too low to hold "
                         "mains hum"), []
    base = {"snr_db": _r(line.snr_db, 1), "nominal_hz": line.nominal, "harmonic": line.harmonic,
            **choice.evidence()}
    if line.snr_db < params.enf_min_snr_db:
        return CueStatus(CUE, False, f"no usable mains hum: the strongest line, "
                         f"{line.center:g} Hz, is {line.snr_db:.1f} dB over the noise in 1 Hz "
                         f"(needs {params.enf_min_snr_db:g} dB){choice.note()}",
                         {**base, "min_snr_db": params.enf_min_snr_db}), []
    cfg = Settings(z_phase=params.enf_z, z_freq=params.enf_z, max_rate=params.enf_max_rate,
               max_pace=params.enf_max_pace)
    second = hum.second_line(lines, line, params.enf_min_snr_db)
    parts = _analyse_in_pieces(sig, line, cfg, duration, second, sig.stop)
    if not all(a.grid_like for a in parts):
        an = max(parts, key=lambda a: a.pace)
        return CueStatus(CUE, False, f"the hum at {line.center:g} Hz does not follow a power "
                         f"grid: its frequency moves {an.pace:.1f} mHz per second (grids: under "
                         f"{params.enf_max_pace:g}); it comes from a generator or is not mains "
                         "hum, so its phase cannot show edits",
                         {**base, "frequency_pace_mhz_s": _r(an.pace, 1),
                          "max_pace_mhz_s": params.enf_max_pace}), []
    jumps = [a.min_phase_jump for a in parts if math.isfinite(a.min_phase_jump)]
    min_jump = float(np.median(jumps)) if jumps else float("nan")
    paces = [a.pace for a in parts if math.isfinite(a.pace)]
    pace = max(paces) if paces else float("nan")
    k = line.harmonic
    status = CueStatus(CUE, True, evidence={
        **base,
        "frequency_hz": _r(line.freq / k, 4),
        "lines_snr_db": {f"{ln.center:g}": _r(ln.snr_db, 1) for ln in lines
                         if ln.nominal == line.nominal},
        # how fast the tracked frequency moves (90th percentile, per second, at the
        # fundamental): grids stay near 1-2 mHz/s (3-5 with speech noise); far more is hum
        # that does not follow a grid (a generator), and its wander can read as steps
        "frequency_pace_mhz_s": _r(pace, 1),
        "min_phase_jump_rad": _r(min_jump, 2),
        "undetectable_cut_fraction": _r(min(1.0, min_jump / math.pi), 2),
        "hum_gaps": sum(a.gaps for a in parts),
        # the harmonic whose phase test joins the first's (None: no other is strong enough)
        "second_harmonic": second.harmonic if second is not None else None,
    })
    return status, [c for a in parts for c in a.cues]


@dataclass(frozen=True)
class _Piece:
    """What one piece's analysis leaves (its arrays are dropped as soon as it is done)."""

    grid_like: bool
    pace: float
    min_phase_jump: float
    gaps: int
    cues: list[Cue]


#: the hum is analysed in pieces of at most this many seconds (each with PIECE_MARGIN more on
#: both sides, and keeping only the steps inside its own piece), so the analysis's memory does
#: not grow with the recording: every test window is at most 4 s and the track is local (15
#: minutes: an 8-hour 48 kHz stereo scan peaks at 393 MB, 412 MB with 30-minute pieces)
PIECE_SECONDS = 900.0
PIECE_MARGIN = 60.0
#: pieces analysed at once (on as many threads)
PIECE_THREADS = 2


def _analyse_in_pieces(sig: EnfSignal, line: hum.HumLine, cfg: Settings,
                       duration: float, second: hum.HumLine | None = None,
                       stop: threading.Event | None = None) -> list[_Piece]:
    """:func:`steps.analyse` over consecutive pieces of the decimated hum, each keeping the
    steps inside the span of file time it owns; one piece's arrays at a time. A piece that
    starts after ``stop`` is set raises :class:`AnalysisCancelled` instead."""
    n = sig.y.size
    piece = int(PIECE_SECONDS * sig.rate)
    margin = int(PIECE_MARGIN * sig.rate)
    if n <= piece + 2 * margin:
        spans = [(0, n, -math.inf, math.inf)]
    else:
        spans = [(max(0, a - margin), min(n, a + piece + margin),
                  -math.inf if a == 0 else sig.t0 + a / sig.rate,
                  math.inf if a + piece >= n else sig.t0 + (a + piece) / sig.rate)
                 for a in range(0, n, piece)]
    k2 = second.harmonic if second is not None else None

    def one(span: tuple[int, int, float, float]) -> _Piece:
        if stop is not None and stop.is_set():
            raise AnalysisCancelled("the ENF analysis was cancelled")
        lo, hi, own_lo, own_hi = span
        a = steps.analyse(sig.y.span(lo, hi), sig.rate, sig.t0 + lo / sig.rate, line, cfg,
                          second)
        return _Piece(a.grid_like, a.pace, a.min_phase_jump, len(a.gaps),
                      [_cue(c, a.bb, line, duration, k2) for c in a.candidates
                       if own_lo <= c.time < own_hi])

    if len(spans) == 1:
        return [one(spans[0])]
    # the pieces are independent: PIECE_THREADS at a time (numpy releases the interpreter
    # lock), each piece's result in its place
    with ThreadPoolExecutor(max_workers=PIECE_THREADS) as pool:
        return list(pool.map(one, spans))


def _cue(c: Candidate, bb: Baseband, line: hum.HumLine, duration: float,
         second: int | None = None) -> Cue:
    k = line.harmonic
    f_before = (bb.center + c.f_left) / k
    f_after = (bb.center + c.f_right) / k
    snr = (max(c.snr_left, c.snr_right) if c.kind == "gap" else min(c.snr_left, c.snr_right))
    evidence: dict[str, Any] = {
        "kind": {"phase": "phase_step", "frequency": "frequency_step", "level": "level_step",
                 "gap": "hum_gap"}[c.kind],
        "nominal_hz": line.nominal,
        "harmonic": k,
        "snr_db": _db(snr / c.window),
        "window_s": _r(c.window, 2),
        "phase_jump_rad": _r(c.dphi, 3),
        "z_phase": _r(c.z_phase, 2),
        "freq_before_hz": _r(f_before, 4),
        "freq_after_hz": _r(f_after, 4),
        "freq_jump_hz": _r(f_after - f_before, 4),
        "z_freq": _r(c.z_freq, 2),
        "level_change_db": _r(c.level_db, 1),
        "z_level": _r(c.z_level, 2),
    }
    if second is not None and c.kind == "phase":
        # the phase test joined two harmonics: each one's own part
        evidence["z_phase_second_harmonic"] = _r(c.z_other, 2)
        evidence["second_harmonic"] = second
    if c.gap is not None:
        g = c.gap
        evidence.update({
            "gap_s": _r((g.end - g.start) / bb.r1, 2),
            "hum_drop_db": _r(g.drop_db, 1),
            "exact_zeros": g.digital,
            "z_phase": _r(g.z_phase, 2),
            "phase_consistent": bool(g.z_phase < 3.0),
        })
        # the frequency either side of a gap is not measured at its edge
        for key in ("freq_before_hz", "freq_after_hz", "freq_jump_hz", "z_freq",
                    "level_change_db", "z_level"):
            evidence.pop(key)
    return Cue(cue=CUE, time=round(min(max(c.time, 0.0), duration), 4),
               strength=round(c.strength, 3), uncertainty=round(c.half_width, 4),
               evidence=evidence)
