"""Align a copy's fingerprint with a reference's: a piecewise-constant offset path.

1. **Candidate offsets, coarse to fine.** The copy is read in blocks of 6.4 s. Each block is
   first tried at the offsets already found (and 8 hops either side: a slowly drifting clock);
   only a block that none of them explains is searched for over the whole reference, by
   cross-correlating 16 of its 32 bit planes with the reference's through the FFT (at every
   other 20 ms phase of the reference's 0.16 s grid), then refined to the 20 ms hop and
   checked on all 32 bits by its bit error rate (BER).
2. **The path.** A Viterbi pass over the copy in steps of one reference word (0.16 s) chooses,
   for every step, one candidate offset or "unmatched" (audio of the copy that is not the
   reference's at that place). Each step costs the bit errors of the copy's sub-fingerprint
   against the reference's at that offset; unmatched costs a fixed ``unmatched_ber``; changing
   offset costs ``switch_bits`` and entering or leaving unmatched ``gap_bits``. Reference words
   whose frame is quiet (``quiet_db`` under the reference's loud frames: pauses, room noise
   that lossy coders may not keep) cost the same in every state, so they vote for nothing,
   unless the copy kept that noise (the quiet words' median BER at the main offset is under
   ``quiet_kept_ber``). A copy ``level_db`` quieter or louder than the reference at a place
   (after the files' overall gain) counts as different there whatever its bits (a mute, or
   speech over a pause).
3. **Boundaries** lie midway between the last sub-fingerprint of one state and the first of
   the next, on the 20 ms grid of the copy (a cut's two offsets are each known to 20 ms, so a
   missing or inserted length is known to that too). Where the path changed state inside a
   stretch in which both states cost the same (a pause), the change is moved to where the
   unmasked bit errors of the two states cross, or, when they cannot tell, to the middle of
   the stretch, whose length is kept as the boundary's uncertainty.

The method follows Haitsma and Kalker 2002 (matching by bit error rate); the path is the
usual dynamic programming over offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

from ._fpformat import Fingerprint
from .fingerprint import HOP
from .path import best_path

__all__ = ["AlignParams", "Segment", "align", "fine_offset", "word_errors"]


@dataclass(frozen=True)
class AlignParams:
    """Parameters of the alignment (recorded in every report)."""

    block_s: float = 6.4
    accept_ber: float = 0.30
    unmatched_ber: float = 0.36
    switch_bits: float = 100.0
    gap_bits: float = 8.0
    quiet_db: float = 30.0
    drift_hops: int = 8
    level_db: float = 25.0
    quiet_kept_ber: float = 0.2

    def to_json(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Segment:
    """A run of the path: copy frames ``[start, end)`` (20 ms hops, fractional at a boundary)
    at ``offset`` hops (reference frame = copy frame + offset), or unmatched (``None``).
    ``start_spread``/``end_spread``: seconds of silence around a boundary where no evidence
    placed it (it was put in the middle); 0 where the bits placed it."""

    start: float
    end: float
    offset: int | None
    ber: float
    start_spread: float = 0.0
    end_spread: float = 0.0

    @property
    def ref_start(self) -> float:
        assert self.offset is not None
        return self.start + self.offset

    @property
    def ref_end(self) -> float:
        assert self.offset is not None
        return self.end + self.offset


def _informative(ref: Fingerprint, quiet_db: float) -> np.ndarray:
    level = ref.loudness.astype(np.float32) / 2 - 120
    if level.size == 0:
        return np.zeros(0, bool)
    return level > np.percentile(level, 95) - quiet_db


def word_errors(copy: np.ndarray, ref: np.ndarray, stride: int, offsets: np.ndarray,
                steps: np.ndarray) -> np.ndarray:
    """Bit errors, shape ``(len(offsets), len(steps))``, -1 where no word is comparable.

    At step ``k`` and offset ``d`` the copy's frame ``k * stride + (-d mod stride)`` meets the
    reference's word ``(frame + d) / stride``.
    """
    d = offsets[:, None]
    frame = steps[None, :] * stride + (-d) % stride
    j = (frame + d) // stride
    ok = (frame < copy.size) & (j >= 0) & (j < ref.size)
    diff = copy[np.where(ok, frame, 0)] ^ ref[np.where(ok, j, 0)]
    return np.where(ok, np.bitwise_count(diff).astype(np.int16), np.int16(-1))


class _Searcher:
    """Where in the whole reference a block of the copy fits: FFT cross-correlation of the
    ±1 bit planes (quiet reference words weigh 0), every phase of the reference grid."""

    def __init__(self, ref: Fingerprint, informative: np.ndarray, block: int) -> None:
        self.ref = ref
        self.block = block
        n = ref.words.size
        self.n_fft = scipy.fft.next_fast_len(n + block)
        planes = self._planes(ref.words) * informative[:, None]
        self.ref_f = scipy.fft.rfft(planes, self.n_fft, axis=0)
        self.count_f = scipy.fft.rfft(informative.astype(np.float32), self.n_fft)

    #: the search correlates every other bit, at every other 20 ms phase (then refined)
    BITS = np.arange(0, 32, 2, dtype=np.uint32)

    @classmethod
    def _planes(cls, words: np.ndarray) -> np.ndarray:
        bits = (words[:, None] >> cls.BITS) & np.uint32(1)
        return bits.astype(np.float32) * 2 - 1

    def best(self, copy: np.ndarray, first_step: int, steps: int) -> tuple[int, float]:
        """The offset (hops) and BER that best explain ``steps`` steps from ``first_step``."""
        s = self.ref.stride
        best = (0, 1.0)
        for phase in range(0, s, 2):
            frames = first_step * s + phase + s * np.arange(steps)
            frames = frames[frames < copy.size]
            if frames.size < max(2, steps // 2):
                continue
            ones = scipy.fft.rfft(np.ones(frames.size, np.float32), self.n_fft)
            count = scipy.fft.irfft(np.conj(ones) * self.count_f, self.n_fft)
            cf = scipy.fft.rfft(self._planes(copy[frames]), self.n_fft, axis=0)
            corr = scipy.fft.irfft((np.conj(cf) * self.ref_f).sum(axis=1), self.n_fft)
            nb = float(self.BITS.size)
            agree = corr / np.maximum(count, 1.0)          # per word: nb * (1 - 2 BER)
            agree[count < max(4.0, 0.3 * frames.size)] = -nb
            lag = int(np.argmax(agree))
            ber = (nb - agree[lag]) / (2 * nb)
            if ber < best[1]:
                lag = lag - self.n_fft if lag > self.n_fft - steps else lag
                # copy frame first*s + phase + s*t meets reference word t + lag
                best = (s * (lag - first_step) - phase, float(ber))
        return best


def _candidates(copy: np.ndarray, ref: Fingerprint, informative: np.ndarray,
                params: AlignParams, timing: dict[str, float]) -> list[int]:
    import time

    s = ref.stride
    n_steps = -(-copy.size // s)
    block = max(8, int(round(params.block_s / (0.02 * s))))
    found: list[int] = []
    searcher: _Searcher | None = None
    quiet_val = np.int16(-2)
    for first in range(0, n_steps, block):
        steps = np.arange(first, min(n_steps, first + block))
        if found:
            near = np.unique(np.concatenate(
                [np.arange(d - params.drift_hops, d + params.drift_hops + 1) for d in found]))
            err = word_errors(copy, ref.words, s, near, steps)
            j = (steps[None, :] * s + (-near[:, None]) % s + near[:, None]) // s
            quiet = ~informative[np.clip(j, 0, informative.size - 1)]
            err = np.where(quiet & (err >= 0), quiet_val, err)
            valid = err >= 0
            n = valid.sum(axis=1)
            ber = np.where(n >= max(4, steps.size // 4),
                           np.where(valid, err, 0).sum(axis=1) / np.maximum(n, 1) / 32, 1.0)
            if ber.min() < params.accept_ber:
                d = int(near[int(np.argmin(ber))])
                if d not in found:
                    found.append(d)
                continue
        t0 = time.perf_counter()
        if searcher is None:
            searcher = _Searcher(ref, informative, block)
        d, ber_g = searcher.best(copy, first, steps.size)
        if ber_g < 0.4:     # refine the phase on every bit
            near = np.arange(d - 2, d + 3)
            err = word_errors(copy, ref.words, s, near, steps)
            valid = err >= 0
            mean = np.where(valid, err, 0).sum(axis=1) / np.maximum(valid.sum(axis=1), 1) / 32
            d, ber_g = int(near[int(np.argmin(mean))]), float(mean.min())
        timing["searches"] = timing.get("searches", 0) + 1
        timing["search_s"] = timing.get("search_s", 0.0) + time.perf_counter() - t0
        if ber_g < params.accept_ber and d not in found:
            found.append(d)
    return sorted(found)


def align(ref: Fingerprint, copy: Fingerprint, params: AlignParams | None = None,
          timing: dict[str, float] | None = None) -> tuple[list[Segment], np.ndarray]:
    """The copy as a list of segments, each at one offset into the reference or unmatched,
    and which reference words could show a difference (loud ones, and quiet ones when the
    copy kept their noise).

    ``copy`` must have stride 1 (every 20 ms); ``ref`` any stride. ``timing`` receives the
    number of whole-reference searches and their seconds.
    """
    params = params or AlignParams()
    if copy.stride != 1:
        raise ValueError("the copy's fingerprint must have stride 1")
    timing = timing if timing is not None else {}
    s = ref.stride
    informative = _informative(ref, params.quiet_db)
    words = copy.words
    n_steps = -(-words.size // s)
    whole = [Segment(0.0, float(words.size), None, 0.5)]
    if n_steps == 0 or ref.words.size == 0:
        return whole, informative
    offsets = np.array(_candidates(words, ref, informative, params, timing), np.int64)
    unmatched = params.unmatched_ber * 32
    if offsets.size == 0:
        return whole, informative
    steps = np.arange(n_steps)
    err = word_errors(words, ref.words, s, offsets, steps).astype(np.float32)
    frame = steps[None, :] * s + (-offsets[:, None]) % s
    j = np.clip((frame + offsets[:, None]) // s, 0, informative.size - 1)
    # levels: a copy much quieter (muted) or much louder (sound over a pause) than the
    # reference at that place differs whatever its bits say
    ref_db = ref.loudness.astype(np.float32) / 2 - 120
    copy_db = copy.loudness.astype(np.float32) / 2 - 120
    gain = float(np.percentile(copy_db, 90) - np.percentile(ref_db, 90))
    delta = copy_db[np.clip(frame, 0, copy_db.size - 1)] - ref_db[j] - gain
    level = np.abs(delta) >= params.level_db
    quiet = ~informative[j]
    # quiet words count too when the copy kept the room noise (its bits then match)
    main = int(np.argmin(np.where(err >= 0, err, 16).mean(axis=1)))
    kept = (err[main] >= 0) & quiet[main] & ~level[main]
    usable = bool(kept.any()) and float(np.median(err[main][kept])) < params.quiet_kept_ber * 32
    if usable:
        informative = np.ones_like(informative)
        quiet = np.zeros_like(quiet)
    neutral = quiet & ~level
    cost = np.where(err < 0, 16.0, np.where(level, np.maximum(err, 16.0),
                                            np.where(neutral, unmatched, err))).T
    states = _one_unmatched_run(best_path(cost, unmatched, params.switch_bits,
                                          params.gap_bits), offsets.size)
    change, spread = _refine(states, offsets.size, err.T, neutral.T, unmatched)
    return _segments(states, change, spread * s * HOP, offsets, err, neutral, s,
                     words.size), informative


def _one_unmatched_run(states: np.ndarray, k: int) -> np.ndarray:
    """Unmatched steps all take the offset of the match before them (of the first match, at
    the start): a stretch of unmatched audio is one run, whatever offset the path passed
    through while in it."""
    n = states.size
    matched = states < k
    if not matched.any():
        return np.full(n, k, states.dtype)
    last = np.maximum.accumulate(np.where(matched, np.arange(n), -1))
    first = int(np.argmax(matched))
    prev = np.where(last >= 0, states[np.maximum(last, 0)], states[first])
    return np.where(matched, states, prev + k)


def _refine(states: np.ndarray, k: int, err: np.ndarray, quiet: np.ndarray,
            unmatched: float, reach: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Move each change of state across the quiet steps around it (where the path had no
    evidence) to where the unmasked bit errors say the two states meet; to the middle of the
    quiet stretch when they cannot tell (a pause whose noise the coder did not keep)."""
    change = np.flatnonzero(np.diff(states)) + 1
    out = change.copy()
    spread = np.zeros(change.size)
    for n, c in enumerate(change):
        a, b = int(states[c - 1]), int(states[c])
        lo_lim = change[n - 1] + 1 if n else 1
        hi_lim = change[n + 1] - 1 if n + 1 < change.size else states.size - 1
        # the stretch around the change where both states cost the same (unmatched, or a
        # matched state on a neutral step): the path had no evidence there
        every = np.ones(quiet.shape[0], bool)
        tie = (quiet[:, a] if a < k else every) & (quiet[:, b] if b < k else every)
        lo, hi = c, c
        while lo - 1 >= max(lo_lim, c - reach) and tie[lo - 1]:
            lo -= 1
        while hi + 1 <= min(hi_lim, c + reach) and tie[hi]:
            hi += 1
        if hi == lo:
            continue
        span = np.arange(lo - 1, hi + 1)
        ea = err[span, a % k].astype(np.float64) if a < k else np.full(span.size, unmatched)
        eb = err[span, b % k].astype(np.float64) if b < k else np.full(span.size, unmatched)
        ea, eb = np.where(ea < 0, 16.0, ea), np.where(eb < 0, 16.0, eb)
        # change at span[i]: steps before it in a, from it on in b (i = 1..len-1)
        total = np.concatenate([[0], np.cumsum(ea)])[1:-1] + np.cumsum(eb[::-1])[::-1][1:]
        mid = (lo + hi) // 2
        best = int(np.argmin(total)) + 1
        gain = total[mid - span[0] - 1] - total[best - 1]
        out[n] = span[best] if gain > 10.0 else mid
        spread[n] = 0.0 if gain > 10.0 else hi - lo
    return out, spread


def _segments(states: np.ndarray, change: np.ndarray, spread: np.ndarray, offsets: np.ndarray,
              err: np.ndarray, quiet: np.ndarray, s: int, n_frames: int) -> list[Segment]:
    k = offsets.size
    run_states = states[np.concatenate([[0], np.flatnonzero(np.diff(states)) + 1])]
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [states.size]])
    runs: list[tuple[int, int, int | None, float]] = []
    for a, b, st in zip(starts, ends, run_states.tolist(), strict=True):
        d = int(offsets[st % k])
        first = a * s + (-d) % s
        last = (b - 1) * s + (-d) % s
        e, q = err[st % k, a:b], quiet[st % k, a:b]
        use = (e >= 0) & ~q
        ber = float(e[use].mean() / 32) if use.any() else 0.5
        runs.append((first, last, d if st < k else None, ber))
    out = []
    for n, (first, last, off, ber) in enumerate(runs):
        start = 0.0 if n == 0 else (runs[n - 1][1] + first) / 2
        end = float(n_frames) if n == len(runs) - 1 else (last + runs[n + 1][0]) / 2
        out.append(Segment(float(start), float(end), off, ber,
                           float(spread[n - 1]) if n else 0.0,
                           float(spread[n]) if n < spread.size else 0.0))
    return out


def fine_offset(ref: Fingerprint, copy: Fingerprint, seg: Segment, informative: np.ndarray,
                max_steps: int = 2000) -> float:
    """The offset of a matched segment to a fraction of a hop (hops).

    The bit error rate grows about linearly with the misalignment within a hop either side
    (a V): from the errors at the segment's offset ``d`` and at ``d - 1``, ``d + 1``, the
    V's vertex is ``d + (e(d-1) - e(d+1)) / (2 (max(e(d-1), e(d+1)) - e(d)))``.
    """
    assert seg.offset is not None
    s = ref.stride
    d = seg.offset
    first = int(np.ceil(seg.start / s)) + 1
    last = min(int(seg.end // s) - 1, first + max_steps)
    if last - first < 10:
        return float(d)
    steps = np.arange(first, last)
    near = np.array([d - 1, d, d + 1])
    err = word_errors(copy.words, ref.words, s, near, steps).astype(np.float64)
    j = np.clip((steps[None, :] * s + (-near[:, None]) % s + near[:, None]) // s, 0,
                informative.size - 1)
    use = (err >= 0) & informative[j]
    if use.sum(axis=1).min() < 10:
        return float(d)
    e = np.array([err[i][use[i]].mean() for i in range(3)])
    rise = max(e[0], e[2]) - e[1]
    if rise <= 0:
        return float(d)
    return float(d + np.clip((e[0] - e[2]) / (2 * rise), -0.5, 0.5))
