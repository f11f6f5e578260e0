"""The false-alarm benchmark's split and stress hearings: disjoint splits, gates that follow
speech, hearings that are the same every time they are built."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bench_module

RATE = 16000


@pytest.fixture
def vo():  # type: ignore[no-untyped-def]
    yield from bench_module("_voices")


@pytest.fixture
def st():  # type: ignore[no-untyped-def]
    yield from bench_module("_stress_cases")


@pytest.fixture
def hum():  # type: ignore[no-untyped-def]
    yield from bench_module("_stress_hum")


@pytest.fixture
def voices(corpus: Path, vo):  # type: ignore[no-untyped-def]
    if not vo.voices_present():
        pytest.skip(vo.FETCH_HINT)
    return vo


def test_splits_are_disjoint_in_speaker_room_and_reference(vo) -> None:
    for items, key in ((vo.SPEAKERS, "name"), (vo.ROOMS, "id"), (vo.REFERENCES, "rel")):
        by = {s: {getattr(x, key) for x in items if x.split == s} for s in vo.SPLITS}
        assert by["calibration"] and by["test"] and by["independent"]
        for a, b in (("calibration", "test"), ("calibration", "independent"),
                     ("test", "independent")):
            assert not by[a] & by[b], (key, a, b)
        assert len({getattr(x, key) for x in items}) == len(items)
    # a room is its noise: no two rooms of different splits are the same room under two ids
    sig = {(r.noise_db, r.colour, r.vent): r.split for r in vo.ROOMS}
    assert len(sig) == len(vo.ROOMS)
    # both grids on both sides; at least one voice recorded at 16 kHz or more on each side
    for s in vo.SPLITS:
        assert {r.nominal for r in vo.references(s)} == {50.0, 60.0}
        assert any(v.rate >= 16000 for v in vo.speakers(s))


def test_the_independent_check_material_is_never_used_for_calibration_or_test(vo) -> None:
    names = {s.name for s in vo.SPEAKERS if s.split not in vo.HELD_OUT}
    assert not names & {"theo", "yweweler", "june", "ivrvoice-ru", "librivox", "sphinx-cards"}
    packages = {v.package for v in vo.EXTRA}
    assert not any(p.startswith(("asterisk-core-sounds-fr", "asterisk-core-sounds-es",
                                 "asterisk-core-sounds-ru", "pocketsphinx")) for p in packages)
    for r in vo.REFERENCES:
        assert "attack" not in r.rel.lower()
        if r.split in vo.HELD_OUT:
            assert r.rel.startswith("independent/enf-50hz/")
            assert 41 <= int(Path(r.rel).name[:3]) <= 130
        else:
            assert r.rel.startswith(("enf-50hz/", "enf-60hz/"))
            if r.rel.startswith("enf-50hz/"):
                assert 1 <= int(Path(r.rel).name[:3]) <= 40


def test_a_gate_opens_with_speech_and_closes_after_hold_and_release(st) -> None:
    mask = np.zeros(4 * RATE, bool)
    mask[RATE: 2 * RATE] = True
    g = st.gate(mask, depth_db=20.0, attack=0.01, hold=0.2, release=0.1)
    assert g.shape == mask.shape
    assert np.allclose(g[: RATE], 0.1)  # closed: 20 dB down
    assert np.all(g[RATE + int(0.01 * RATE): int(2.2 * RATE)] == 1.0)  # open, then held
    assert np.allclose(g[int(2.31 * RATE):], 0.1)  # released
    assert np.all(np.diff(g[int(2.2 * RATE): int(2.3 * RATE)]) <= 0)  # a smooth release
    shut = st.gate(mask, depth_db=120.0, attack=0.01, hold=0.2, release=0.1)
    assert shut[: RATE].max() < 1e-5


def test_a_gated_microphones_hum_starts_and_stops_with_its_speech(voices, st) -> None:
    rng = np.random.default_rng(7)
    sc_ = st.scene(rng, "test", "gated", 60.0)
    parts = sc_.render_parts(60 * RATE)
    checked = 0
    for v, m, hum in zip(sc_.voices, parts["voice_mask"], parts["mic_hum"], strict=True):
        if v.mic is None or v.mic.hum is None or m.sum() < RATE:
            continue
        # where the gate must be shut: farther than hold + release from this voice's speech
        reach = int((v.mic.hold + v.mic.release + 0.01) * RATE)
        near = np.convolve(m.astype(float), np.ones(2 * reach + 1), mode="same") > 0
        on = float(np.sqrt(np.mean(hum[m] ** 2)))
        assert on == pytest.approx(10 ** (v.mic.hum.level_db / 20), rel=0.35)
        if (~near).sum() > RATE:
            off = float(np.sqrt(np.mean(hum[~near] ** 2)))
            assert 20 * np.log10(off / on) <= -v.mic.depth_db + 0.5
        checked += 1
    assert checked >= 1


def test_a_built_case_is_the_same_from_its_seed(voices, st) -> None:
    a = st.compose(st.Case("test", "distance", 5, 20.0))
    b = st.compose(st.Case("test", "distance", 5, 20.0))
    c = st.compose(st.Case("test", "distance", 6, 20.0))
    assert a[0] == b[0] and np.array_equal(a[2], b[2])
    assert a[0] != c[0]
    # only the split's voices, rooms and references are in it
    scene = a[0]
    assert {v.name for v in scene.voices} <= {s.name for s in voices.speakers("test")}
    assert scene.room in {r.id for r in voices.rooms("test")}
    assert scene.hum is None or scene.hum.ref in {r.rel for r in voices.references("test")}


def test_an_edited_case_records_its_joins(voices, st) -> None:
    scene, edits, y, joins = st.compose(st.Case("test", "insert", 1000, 160.0))
    assert len(edits) == 1 and len(joins) == 2
    assert y.size == 160 * RATE + edits[0].inserted
    assert all(j["enf_phase_step"] is not None for j in joins)


def test_no_hearing_hum_crosses_a_glitch_of_its_reference(corpus: Path, vo, hum) -> None:  # type: ignore[no-untyped-def]
    # Grid_A_A1 holds a recorder glitch near 1070 s (a real 1 rad phase step no edit made)
    (g,) = vo.glitches("enf-60hz/Grid_A_A1.wav")
    assert g[0] < 1069.8 and 1070.4 < g[1] < 1075.0
    assert vo.glitches("enf-60hz/A_P1.wav") == ()
    need = 450.0
    spans = hum._clear_offsets("enf-60hz/Grid_A_A1.wav", hum.EDGE, 1800.0 - hum.EDGE - need, need)
    assert spans == [(hum.EDGE, g[0] - need), (g[1], 1800.0 - hum.EDGE - need)]
    rng = np.random.default_rng(7)
    for _ in range(200):
        h = hum.pick_hum(rng, "test", -50.0, need, nominal=60.0)
        assert h.offset + need <= g[0] or h.offset >= g[1]
    # a clean reference: the offset is the draw itself, as before the guard
    assert hum._place(123.4, 3.0, 500.0, [(3.0, 500.0)]) == 123.4
