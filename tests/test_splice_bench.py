"""The splice benchmark's hearing builder: the truth it records is where the edits are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import bench_module


@pytest.fixture
def sc(corpus: Path):  # type: ignore[no-untyped-def]
    yield from bench_module("_splice_cases")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))


def test_cut_truth_is_sample_exact(sc) -> None:  # type: ignore[no-untyped-def]
    _, edits, x, y, joins = sc.compose(7, sc.Case(0, "cut", True), 400.0)
    assert len(edits) == 3 and all(e.op == "cut" for e in edits)
    assert y.size == x.size - sum(e.removed for e in edits)
    for e, j in zip(edits, joins, strict=True):
        s = j["sample"]
        assert _same(y[s - 800: s], x[e.at - 800: e.at])
        assert _same(y[s: s + 800], x[e.at + e.removed: e.at + e.removed + 800])
        assert 0.5 * sc.RATE <= e.removed <= 30 * sc.RATE
    starts = [j["sample"] for j in joins]
    assert np.all(np.diff(starts) >= 30 * sc.RATE)  # edits never merge


@pytest.mark.parametrize("op", ["insert", "replace"])
def test_insert_and_replace_truth_is_sample_exact(sc, op: str) -> None:  # type: ignore[no-untyped-def]
    host, edits, x, y, joins = sc.compose(11, sc.Case(1, op, op == "replace"), 280.0)
    assert len(edits) == 2 and len(joins) == 4
    grow = sum(e.inserted - e.removed for e in edits)
    assert y.size == x.size + grow
    for k, e in enumerate(edits):
        a, b = joins[2 * k]["sample"], joins[2 * k + 1]["sample"]
        assert b - a == e.inserted and 2 * sc.RATE <= e.inserted <= 20 * sc.RATE
        other, _ = e.source.render(e.inserted)
        assert _same(y[a:b], other)
        assert _same(y[a - 400: a], x[e.at - 400: e.at])
        assert _same(y[b: b + 400], x[e.at + e.removed: e.at + e.removed + 400])
        assert e.removed == (e.inserted if op == "replace" else 0)
        # another recording: its own noise, and another stretch of mains history when hummed
        assert e.source.seed != host.seed
        if op == "replace":
            assert host.hum is not None and e.source.hum is not None
            assert e.source.hum.nominal == host.hum.nominal
            assert (e.source.hum.ref != host.hum.ref
                    or abs(e.source.hum.offset - host.hum.offset) >= 60.0)
        else:
            assert host.hum is None and e.source.hum is None


def test_clean_has_no_joins_and_is_deterministic(sc) -> None:  # type: ignore[no-untyped-def]
    _, edits, x, y, joins = sc.compose(3, sc.Case(2, "clean", False), 150.0)
    assert edits == [] and joins == [] and _same(x, y)
    again = sc.compose(3, sc.Case(2, "clean", False), 150.0)[3]
    assert _same(y, again)
    other = sc.compose(4, sc.Case(2, "clean", False), 150.0)[3]
    assert not _same(y[: 10 * sc.RATE], other[: 10 * sc.RATE])


def test_written_files_match_truth(sc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = sc.Case(5, "cut", True, ("mp3",))
    _, _, _, y, joins = sc.compose(5, case, 160.0)
    truth = sc.build(5, case, 160.0, tmp_path)
    wav, rate = sf.read(tmp_path / truth["files"]["wav"]["path"], dtype="float32")
    assert rate == sc.RATE and wav.size == truth["frames"] == y.size
    assert np.max(np.abs(wav - np.clip(y, -1, 1))) <= 1.0 / 32767
    assert [j["sample"] for j in truth["joins"]] == [j["sample"] for j in joins]
    # ffmpeg's MP3 decoder removes the encoder's priming: the joins stay where they are
    assert truth["files"]["mp3"]["offset"] == 0
    assert (tmp_path / truth["files"]["mp3"]["path"]).stat().st_size > 100_000


@pytest.fixture
def sm():  # type: ignore[no-untyped-def]
    yield from bench_module("_splice_metrics")


def _groups(rng: np.random.Generator, n: int) -> tuple[list[dict], list[bool]]:
    """Candidates whose truth follows a known logistic law of the waveform strength."""
    groups, labels = [], []
    for _ in range(n):
        s = float(np.exp(rng.uniform(-1.0, 2.5)))
        g = {"time": 0.0, "strengths": {"waveform": s}}
        if rng.random() < 0.3:
            g["strengths"]["background"] = float(np.exp(rng.uniform(0, 1)))
        logit = -2.0 + 2.0 * np.log(s) + 1.0 * ("background" in g["strengths"])
        groups.append(g)
        labels.append(bool(rng.random() < 1 / (1 + np.exp(-logit))))
    return groups, labels


def test_calibration_fit_is_calibrated_on_held_out(sm, rng) -> None:  # type: ignore[no-untyped-def]
    train, ytrain = _groups(rng, 4000)
    test, ytest = _groups(rng, 4000)
    cal = sm.fit_calibration(train, ytrain, meta={"train_seed": 1})
    assert cal.version.startswith("splice-cal-") and cal.fitted["groups"] == 4000
    probs = [sm.group_confidence(g["strengths"], cal) for g in test]
    rel = sm.reliability(probs, ytest)
    assert rel["ece"] < 0.04 and rel["brier"] < 0.2
    flat = sm.reliability([float(np.mean(ytrain))] * len(ytest), ytest)
    assert rel["brier"] < flat["brier"] - 0.03  # it learned something


def test_score_counts(sm) -> None:  # type: ignore[no-untyped-def]
    g = [{"time": 10.02, "uncertainty": 0.01, "strengths": {"waveform": 5.0},
          "cue_times": {"waveform": 10.02}},
         {"time": 50.0, "uncertainty": 0.3, "strengths": {"background": 5.0},
          "cue_times": {"background": 50.0}},
         {"time": 90.0, "uncertainty": 0.3, "strengths": {"background": 0.01},
          "cue_times": {"background": 90.0}}]
    rec = {"seconds": 1800.0, "truth": [10.0, 70.0], "groups": g,
           "checks": {"enf": {"applicable": False}}}
    m = sm.score([rec], threshold=0.5, tol=0.5, cal=None)
    assert (m["joins"], m["found"], m["findings"], m["false"]) == (2, 1, 2, 1)
    assert m["recall"] == 0.5 and m["precision"] == 0.5 and m["false_per_hour"] == 2.0
    assert m["loc_err_median"] == pytest.approx(0.02, abs=1e-6)
    assert m["enf_applicable"] == 0.0
    assert m["cues"]["waveform"]["recall"] == 0.5 and m["cues"]["background"]["precision"] == 0.0


@pytest.fixture
def bound(corpus: Path):  # type: ignore[no-untyped-def]
    yield from bench_module("bound_splice")


def test_innovation_of_a_join_in_ar1_noise(bound, rng) -> None:  # type: ignore[no-untyped-def]
    """The ideal click test reads a planted innovation of 8 standard deviations as about 8,
    and an untouched sample of the same noise as a usual one."""
    from scipy.signal import lfilter

    c = 0.9
    e = rng.normal(0.0, 1.0, 16000)
    x = lfilter([1.0], [1.0, -c], e)
    j = 8000
    x[j] = c * x[j - 1] + 8.0
    assert bound._innovation_z(x, j, c) == pytest.approx(8.0, rel=0.1)
    assert bound._innovation_z(x, 4000, c) == pytest.approx(abs(e[4000]), abs=0.1)


def test_ideal_phase_test_scales_with_the_step(bound) -> None:  # type: ignore[no-untyped-def]
    """At every true join of a cut hearing, the ideal score is the step over one noise level:
    a step of 1 rad or more is found for certain; each score is the join's own step over an
    error of 0.01-0.08 rad (this hum is 29 dB over the noise in 1 Hz; 4-8 s windows)."""
    out = bound.join_bounds(7, bound.sc.Case(0, "cut", True), 400.0, 6.0)
    assert out["snr_db"] is not None and out["snr_db"] > 8.0
    assert len(out["joins"]) == 3
    for j in out["joins"]:
        sd = abs(j["step"]) / j["z_ideal"]
        assert 0.01 < sd < 0.08, j
        if abs(j["step"]) >= 1.0:
            assert j["p_found"] == pytest.approx(1.0)
        assert j["p_any"] >= j["p_found"]


class _SteadyHum:
    """A hum of one exact frequency (what :func:`bound_splice._mean_freq` reads of a side)."""

    def __init__(self, freq: float, rate: int) -> None:
        self.freq, self.rate = freq, rate

    def phase_at(self, sample: float) -> float:
        return 2 * np.pi * self.freq * sample / self.rate


def test_ideal_frequency_test_needs_more_than_the_grids_own_change(bound, rng) -> None:  # type: ignore[no-untyped-def]
    """Two sides at the same frequency score under zero (no change, less the grid's own); a
    step of 0.2 Hz, ten times the largest change a 50 Hz grid makes between adjacent 4 s
    windows, scores far above the threshold on a clean 30 dB hum; a step just at that largest
    change scores about zero. The allowance grows with the window (the grid wanders further)."""
    from auditor.detect.splice import enf
    from auditor.detect.splice.enf import hum
    from auditor.detect.splice.enf import stats as st
    from auditor.detect.splice.enf import track as trk
    from auditor.detect.splice.enf.sums import Line, sums

    rate, sc = 16000, bound.sc
    t = np.arange(60 * rate) / rate
    x = 0.01 * np.sin(2 * np.pi * 50.0 * t) + _white_noise(rng, t.size)
    an = enf.EnfAnalyser(rate, 1)
    an.update(x[:, None].astype(np.float32), 0)
    sig = an.finish()
    line = hum.best_line(hum.hum_lines(sig.y, sig.rate))
    assert line is not None and line.nominal == 50.0
    bb = trk.baseband(sig.y.span(0, None), sig.rate, sig.t0, line.freq)
    tr = trk.track(bb, line.harmonic)
    ctx = Line(bb, tr, sums(bb, tr), line.harmonic)
    m, n, none = bb.b.size // 2, int(round(4.0 * bb.r1)), np.zeros(0, np.int64)
    t = st.scale_test(ctx, n, max_rate=0.01, m=np.array([m]))
    allow = bound._natural(50.0, 4.0, 4.0)
    assert 0.002 < allow < 0.1
    assert bound._natural(50.0, 1.0, 1.0) < bound._natural(50.0, 2.0, 2.0) < allow

    def z(df: float) -> float:
        side = (_SteadyHum(50.0, sc.RATE), 10 * sc.RATE, _SteadyHum(50.0 + df, sc.RATE), 0)
        return float(bound._frequency_z(bb, t, m, n, none, line.harmonic, side, 50.0,
                                        bound._natural))

    assert z(0.0) < 0.0
    assert z(0.2) > 12.0
    assert abs(z(allow)) < 0.5


def _white_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """White noise 30 dB under a 0.01 amplitude line in 1 Hz at 16 kHz."""
    return rng.normal(0.0, 0.01 / np.sqrt(2.0) * np.sqrt(8000.0) * 10 ** (-30 / 20), n)


def test_join_hums_pair_each_join_with_its_two_sides(bound) -> None:  # type: ignore[no-untyped-def]
    """A cut joins the host to itself further on; an insertion's start joins the host to the
    source's first sample, its end the source's last to the host after the removed span."""
    sc = bound.sc
    for op in ("cut", "insert"):
        host, edits, _, _, joins = sc.compose(2015, sc.Case(1, op, True), 400.0)
        sides = bound._join_hums(host, edits)
        assert edits and len(sides) == len(joins) == len(edits) * (1 if op == "cut" else 2)
        e = edits[0]
        if op == "cut":
            assert sides[0] == (host.hum, e.at, host.hum, e.at + e.removed)
        else:
            assert sides[0] == (host.hum, e.at, e.source.hum, 0)
            assert sides[1] == (e.source.hum, e.inserted, host.hum, e.at + e.removed)
