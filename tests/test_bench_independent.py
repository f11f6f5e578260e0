"""The independent check's split: held-out material only, fetched and verified by git blob ids,
and never fitted on (``calibrate_splice.py`` refuses it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import bench_module, write


@pytest.fixture
def vo():  # type: ignore[no-untyped-def]
    yield from bench_module("_voices")


@pytest.fixture
def cal():  # type: ignore[no-untyped-def]
    yield from bench_module("calibrate_splice")


@pytest.fixture
def fi():  # type: ignore[no-untyped-def]
    yield from bench_module("fetch_independent")


def test_the_independent_split_has_its_own_voices_rooms_and_references(vo) -> None:
    assert "independent" in vo.SPLITS and "independent" in vo.HELD_OUT
    names = {s.name for s in vo.speakers("independent")}
    assert names == {"june", "ivrvoice-ru", "librivox", "sphinx-cards", "theo", "yweweler"}
    rooms = vo.rooms("independent")
    assert {r.id for r in rooms} == {f"R{i}" for i in range(13, 19)}
    assert {r.loud for r in rooms} == {True, False}
    refs = vo.references("independent")
    assert len(refs) == 90
    assert {int(Path(r.rel).name[:3]) for r in refs} == set(range(41, 131))
    # 60 Hz hum follows a real (50 Hz) grid's wander, scaled: no clean 60 Hz recording is held
    sixty = vo.references("independent", 60.0)
    assert sixty and all(r.source_nominal == 50.0 for r in sixty)
    assert vo.ref_path(refs[0].rel) == vo.INDEPENDENT_DIR / "enf-50hz" / "041_ref.wav"
    assert vo.ref_path("enf-50hz/001_ref.wav") == vo.CORPUS / "enf-50hz" / "001_ref.wav"


def test_a_60_hz_reference_of_the_split_is_its_50_hz_phase_times_six_fifths(vo) -> None:
    ref = vo.references("independent", 60.0)[0]
    if not vo.ref_path(ref.rel).is_file():
        pytest.skip(vo.INDEPENDENT_HINT)
    import soundfile as sf

    from auditor.synth import reference_phase

    phase, sr, _ = vo.reference_phase(ref.rel)
    x, _ = sf.read(vo.ref_path(ref.rel), dtype="float64")
    assert np.allclose(phase, reference_phase(x, sr, 50.0) * 1.2)
    f = np.diff(np.asarray(phase)[:: sr]) / (2 * np.pi)  # mean frequency per second
    assert abs(float(np.median(f)) - 60.0) < 0.1


def _records(case: str) -> list[dict[str, object]]:
    return [{"case": case, "kind": "quiet", "edited": False, "encoding": "wav",
             "seconds": 450.0, "truth": [], "splice": []}]


def test_calibration_refuses_to_fit_on_the_independent_split(cal, tmp_path: Path) -> None:
    ok = {"split": "calibration", "records": _records("cal-000-quiet")}
    cal.refuse_held_out("calibration", ok)  # the calibration split is fitted on
    with pytest.raises(cal.HeldOutError, match="held-out"):
        cal.refuse_held_out("independent", ok)
    with pytest.raises(cal.HeldOutError):  # a file that says so itself
        cal.refuse_held_out("calibration", {"split": "independent", "records": []})
    with pytest.raises(cal.HeldOutError):  # independent hearings under another file name
        cal.refuse_held_out("calibration", {"split": "calibration",
                                            "records": _records("ind-003-tonal")})
    (tmp_path / "splice-fa-calibration.json").write_text(json.dumps(
        {"split": "calibration", "records": _records("ind-003-tonal")}))
    assert cal.main(["--out", str(tmp_path)]) == 2
    with pytest.raises(cal.HeldOutError):
        cal.load(tmp_path, "calibration", fitting=True)
    assert len(cal.load(tmp_path, "calibration")) == 1  # reading it to report is allowed


def test_a_git_blob_id_is_gits_own(fi) -> None:
    # `printf 'hello\n' | git hash-object --stdin`, and the empty blob
    assert fi.blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert fi.blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def test_git_files_are_copied_at_the_pinned_commit_and_checked(fi, tmp_path: Path) -> None:
    work = tmp_path / "w"
    (work / "attack recordings").mkdir(parents=True)
    (work / "attack recordings" / "a.wav").write_bytes(b"RIFF-one")
    (work / "attack recordings" / "notes.txt").write_text("not selected")
    _git(tmp_path, "init", "-q", str(work))
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "one")
    first = _git(work, "rev-parse", "HEAD")
    (work / "attack recordings" / "a.wav").write_bytes(b"RIFF-two, later")
    _git(work, "commit", "-q", "-am", "two")
    bare = tmp_path / "bare.git"
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    blob = fi.blob_id(b"RIFF-one")
    src = fi.GitSource("pyenf", "someone/repo", first, ("attack recordings/*.wav",), "MIT",
                       "x", fi.listing_digest([("attack recordings/a.wav", blob)]))
    rec = fi.fetch_git(src, bare, tmp_path / "out")
    assert rec["status"] == "ok" and rec["files"] == 1
    assert (tmp_path / "out" / "a.wav").read_bytes() == b"RIFF-one"  # the pinned commit's
    assert not (tmp_path / "out" / "notes.txt").exists()
    # a listing other than the pinned one is reported, not passed over
    other = fi.GitSource("pyenf", "someone/repo", first, src.paths, "MIT", "x", "0" * 64)
    assert "differs" in str(fi.fetch_git(other, bare, tmp_path / "o2")["status"])
    # no clone, or a clone without the commit: said, and nothing written
    assert "not fetched" in str(fi.fetch_git(src, None, tmp_path / "o3")["status"])
    gone = fi.GitSource("pyenf", "someone/repo", "1" * 40, src.paths, "MIT", "x", "")
    assert "lacks commit" in str(fi.fetch_git(gone, bare, tmp_path / "o4")["status"])
    assert not (tmp_path / "o3").exists() and not (tmp_path / "o4").exists()


def test_an_attacked_copys_span_is_where_it_differs_from_its_original(tmp_path: Path) -> None:
    gen = bench_module("scan_attack_pairs")
    pairs = next(gen)
    try:
        sr = 8000
        a = np.random.default_rng(3).normal(0, 0.1, 4 * sr)
        b = a.copy()
        b[int(1.5 * sr): int(2.5 * sr)] = a[: sr]  # a second of the start pasted at 1.5 s
        write(tmp_path / "o.wav", a, sr)
        write(tmp_path / "x.wav", b, sr)
        lo, hi = pairs.tampered_span(tmp_path / "o.wav", tmp_path / "x.wav")
        assert abs(lo - 1.5) < 0.01 and abs(hi - 2.5) < 0.01
        assert pairs.tampered_span(tmp_path / "o.wav", tmp_path / "o.wav") is None
    finally:
        gen.close()
