"""Archive audit: an archive with one planted defect of every kind gives exactly those findings."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import speechlike
from conftest_ledger import KEY, ORIGIN, OTHER_KEY

from auditor.archive import audit_archive
from auditor.cli import cli
from auditor.detect import REGISTRY, ScanParams
from auditor.ledger.events import destruction_entry, hold_entry, retention_entry
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger

RATE = 8000
AS_OF = date(2027, 6, 1)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
COURT = "Almaty District Court"

#: (kind, file) of every finding the planted archive must give, and nothing else.
EXPECTED = Counter({
    ("hash_mismatch", "court/2026/altered/d1.wav"): 1,
    ("missing_file", "gone-e1.wav"): 1,
    ("early_destruction", "gone-e1.wav"): 1,
    ("unlogged_file", "court/unsorted/f1.wav"): 1,
    ("early_destruction", "g1.wav"): 1,
    ("early_destruction", "h1.wav"): 1,
    ("retention_overdue", "court/2025/old/j1.wav"): 1,
    ("retention_overdue", "court/2025/no-record/q1.wav"): 1,
    ("unusable_recording", "court/2026/quality/l1-muted.wav"): 1,
    ("unusable_recording", "court/2026/quality/m1-broken.wav"): 1,
    ("unlogged_file", "court/2026/quality/m1-broken.wav"): 1,
    ("unusable_recording", "court/2026/quality/o1-stub.wav"): 1,
    ("missing_segment", None): 1,
    ("act_issue", None): 1,
    ("missing_file", "court/2026/declared/p2.wav"): 1,
})
#: Findings the scan's detectors make inside the muted file (its silence, located).
SCAN_KINDS = {"digital_silence", "silence", "dropout"}
#: Every detector but the splice cues (tuned on real rooms, not on this synthetic speech).
DETECTORS = tuple(d for d in REGISTRY if d != "splice")
PARAMS = ScanParams(detectors=DETECTORS)


def wav(path: Path, seconds: float, seed: int, *, mute: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x = speechlike(rng, int(seconds * RATE), RATE)
    if mute:
        x[int(1.0 * RATE):] = 0.0
    sf.write(path, x, RATE, subtype="PCM_16")
    return path


def session(path: Path, case: str, start: str, seconds: float, files: list[tuple[str, str]],
            verdict: str) -> Path:
    t = datetime.fromisoformat(start)
    record = {
        "schema": "auditor.session/1", "court": COURT, "case": case, "judge": "A. Judge",
        "secretary": "B. Secretary", "start": start,
        "end": (t + timedelta(seconds=seconds)).isoformat(), "breaks": [],
        "recordings": [{"file": f, "start": s} for f, s in files], "acts": [],
        "verdict_in_force": verdict,
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


def log(led: Ledger, path: Path, case: str, minutes: int) -> int:
    return add_recording_at(led, path, key=KEY, now=T0 + timedelta(minutes=minutes),
                            chunk_seconds=10, session={"court": COURT, "case": case})


def event(led: Ledger, entry: object, when: datetime) -> None:
    led.append_at([entry], key=KEY, now=when)  # type: ignore[list-item]


def destroy(rec: int) -> object:
    return destruction_entry(rec, by="archivist", authority="chief of the clerk's office",
                             order="No. 7", authorizer=OTHER_KEY, name="court.example/chief")


def build_archive(root: Path) -> tuple[Path, Path]:
    """The planted archive (``root/archive``) and its ledger; see :data:`EXPECTED`."""
    arc = root / "archive"
    ledger = root / "court.db"
    led = Ledger.create(ledger, key=KEY, origin=ORIGIN, now=T0)
    # clean: a session fully recorded, logged, verdict in force 2027-01-01 (kept until 2028)
    c1 = wav(arc / "court/2026/clean/c1.wav", 20, 1)
    session(arc / "court/2026/clean/session.json", "2-1/2026", "2026-03-02T10:00:00+05:00", 20,
            [("c1.wav", "2026-03-02T10:00:00+05:00")], "2027-01-01")
    log(led, c1, "2-1/2026", 1)
    # altered: logged, then 20-30 s replaced
    d1 = wav(arc / "court/2026/altered/d1.wav", 30, 2)
    log(led, d1, "2-2/2026", 2)
    x, _ = sf.read(d1, dtype="float32")
    x[20 * RATE:] = speechlike(np.random.default_rng(99), x.size - 20 * RATE, RATE)
    sf.write(d1, x, RATE, subtype="PCM_16")
    # missing: logged, retention to 2028, then gone without a destruction entry
    e1 = wav(root / "elsewhere/gone-e1.wav", 5, 3)
    rec = log(led, e1, "2-3/2026", 3)
    event(led, retention_entry(rec, policy="kz-2015", start="2027-01-01", until="2028-01-01"),
          T0 + timedelta(minutes=4))
    # unlogged
    wav(arc / "court/unsorted/f1.wav", 5, 4)
    # destroyed early (retention to 2028, destroyed 2026)
    g1 = wav(root / "elsewhere/g1.wav", 5, 5)
    rec = log(led, g1, "2-4/2026", 5)
    event(led, retention_entry(rec, policy="kz-2015", start="2026-01-01", until="2028-01-01"),
          T0 + timedelta(minutes=6))
    event(led, destroy(rec), T0 + timedelta(days=30))
    # destroyed after its retention, but under a legal hold
    h1 = wav(root / "elsewhere/h1.wav", 5, 6)
    rec = log(led, h1, "2-5/2026", 7)
    event(led, retention_entry(rec, policy="kz-2015", start="2025-06-01", until="2026-06-01"),
          T0 + timedelta(minutes=8))
    event(led, hold_entry(rec, by="appeal court", reason="appeal 3a-1/2026"),
          T0 + timedelta(days=10))
    event(led, destroy(rec), T0 + timedelta(days=200))
    # destroyed lawfully: no finding
    i1 = wav(root / "elsewhere/i1.wav", 5, 7)
    rec = log(led, i1, "2-6/2026", 9)
    event(led, retention_entry(rec, policy="kz-2015", start="2025-06-01", until="2026-06-01"),
          T0 + timedelta(minutes=10))
    event(led, destroy(rec), T0 + timedelta(days=200))
    # kept too long: verdict 2025-01-01, retention ended 2026-01-01
    j1 = wav(arc / "court/2025/old/j1.wav", 10, 8)
    session(arc / "court/2025/old/session.json", "2-7/2025", "2025-03-02T10:00:00+05:00", 10,
            [("j1.wav", "2025-03-02T10:00:00+05:00")], "2025-01-01")
    log(led, j1, "2-7/2025", 11)
    # past retention but under a hold: no finding
    k1 = wav(arc / "court/2025/held/k1.wav", 5, 9)
    rec = log(led, k1, "2-8/2025", 12)
    event(led, retention_entry(rec, policy="kz-2015", start="2025-01-01", until="2026-01-01"),
          T0 + timedelta(minutes=13))
    event(led, hold_entry(rec, by="prosecutor", reason="review"), T0 + timedelta(minutes=14))
    # kept too long, by its ledger retention entry alone (no session record archived)
    q1 = wav(arc / "court/2025/no-record/q1.wav", 5, 15)
    rec = log(led, q1, "2-13/2025", 20)
    event(led, retention_entry(rec, policy="kz-2015", start="2025-01-01", until="2026-01-01"),
          T0 + timedelta(minutes=21))
    # quality: muted (logged), broken (never logged), a stub (logged)
    log(led, wav(arc / "court/2026/quality/l1-muted.wav", 40, 10, mute=True), "2-9/2026", 15)
    broken = arc / "court/2026/quality/m1-broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 10)
    log(led, wav(arc / "court/2026/quality/o1-stub.wav", 0.5, 11), "2-10/2026", 16)
    # continuity: 10 s unrecorded between two files, no act; and a declared file never archived
    n1 = wav(arc / "court/2026/gap/n1.wav", 10, 12)
    n2 = wav(arc / "court/2026/gap/n2.wav", 10, 13)
    session(arc / "court/2026/gap/session.json", "2-11/2026", "2026-03-03T10:00:00+05:00", 30,
            [("n1.wav", "2026-03-03T10:00:00+05:00"), ("n2.wav", "2026-03-03T10:00:20+05:00")],
            "2027-01-01")
    log(led, n1, "2-11/2026", 17)
    log(led, n2, "2-11/2026", 18)
    p1 = wav(arc / "court/2026/declared/p1.wav", 10, 14)
    session(arc / "court/2026/declared/session.json", "2-12/2026", "2026-03-04T10:00:00+05:00",
            10, [("p1.wav", "2026-03-04T10:00:00+05:00"), ("p2.wav", None)], "2027-01-01")
    log(led, p1, "2-12/2026", 19)
    led.close()
    return arc, ledger


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_archive(tmp_path_factory.mktemp("planted"))


def kinds(report: dict) -> Counter:
    return Counter((f["kind"], f["file"]) for f in report["findings"]
                   if f["kind"] not in SCAN_KINDS)  # fmt: skip


def test_planted_defects_give_exactly_those_findings(planted, tmp_path):
    arc, ledger = planted
    result = audit_archive(arc, ledger=ledger, policy="kz-2015", as_of=AS_OF,
                           state=tmp_path / "state.db", params=PARAMS)
    report = result.report
    assert kinds(report) == EXPECTED
    scan_files = {f["file"] for f in report["findings"] if f["kind"] in SCAN_KINDS}
    assert scan_files <= {"court/2026/quality/l1-muted.wav"}
    assert not result.blocking
    by = {(f["kind"], f["file"]): f for f in report["findings"]}
    altered = by[("hash_mismatch", "court/2026/altered/d1.wav")]
    assert (altered["start"], altered["end"]) == (20.0, 30.0)
    assert altered["evidence"]["case"] == "2-2/2026" and altered["evidence"]["chunk"] == 2
    early = by[("early_destruction", "g1.wav")]
    assert early["rule"] == "kz-2015 p.27"
    assert early["evidence"]["retention_end"] == "2028-01-01"
    assert early["evidence"]["destroyed_at"].startswith("2026-04-01")
    assert "legal hold" in by[("early_destruction", "h1.wav")]["message"]
    overdue = by[("retention_overdue", "court/2025/old/j1.wav")]
    assert overdue["evidence"]["verdict_in_force"] == "2025-01-01"
    assert overdue["evidence"]["days_overdue"] == (AS_OF - date(2026, 1, 1)).days
    assert overdue["evidence"]["session"] == "court/2025/old/session.json"
    reasons = {f["file"].rsplit("/", 1)[1]: f["evidence"]["reason"] for f in report["findings"]
               if f["kind"] == "unusable_recording"}
    assert reasons == {"l1-muted.wav": "silent", "m1-broken.wav": "unreadable",
                       "o1-stub.wav": "duration"}
    gap = by[("missing_segment", None)]
    assert gap["wall_start"] == "2026-03-03T10:00:10+05:00"
    assert gap["evidence"]["case"] == "2-11/2026"
    declared = by[("missing_file", "court/2026/declared/p2.wav")]
    assert declared["detector"] == "continuity" and "recording" not in declared["evidence"]
    counts = report["archive"]["counts"]
    assert counts["logged"] == 14 and counts["absent"] == 4 and counts["recordings"] == 12


def test_report_groups_findings_by_case_and_counts_by_court_year_kind(planted, tmp_path):
    arc, ledger = planted
    report = audit_archive(arc, ledger=ledger, policy="kz-2015", as_of=AS_OF,
                           state=tmp_path / "state.db", params=PARAMS).report
    cases = {c["case"]: c for c in report["archive"]["cases"]}
    gap = cases["2-11/2026"]
    (sess,) = gap["sessions"]
    assert sess["record"] == "court/2026/gap/session.json"
    assert sorted(report["findings"][i]["kind"] for i in sess["findings"]) == [
        "act_issue", "missing_segment"]
    grouped = sum(len(c["findings"]) + sum(len(s["findings"]) for s in c["sessions"])
                  for c in report["archive"]["cases"])
    assert grouped == len(report["findings"])
    table = {(r["court"], r["year"], r["kind"]): r["findings"] for r in report["archive"]["table"]}
    assert table[(COURT, "2025", "retention_overdue")] == 1
    assert table[(COURT, "2026", "retention_overdue")] == 1  # logged in 2026, no record
    assert table[(COURT, "2026", "early_destruction")] == 3


def test_as_of_moves_retention(planted, tmp_path):
    arc, ledger = planted
    report = audit_archive(arc, ledger=ledger, policy="kz-2015", as_of=date(2025, 12, 31),
                           state=tmp_path / "state.db", params=PARAMS).report
    found = kinds(report)
    assert ("retention_overdue", "court/2025/old/j1.wav") not in found
    assert found[("early_destruction", "g1.wav")] == 1


def test_cli_json_exit_codes_and_text(planted, tmp_path, monkeypatch):
    arc, ledger = planted
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = tmp_path / "audit.json"
    args = ["archive", "audit", str(arc), "--ledger", str(ledger), "--policy", "kz-2015",
            "--as-of", AS_OF.isoformat(), "--state", str(tmp_path / "s.db"), "-q",
            "--detectors", ",".join(DETECTORS)]
    res = CliRunner().invoke(cli, [*args, "--format", "json", "-o", str(out)])
    assert res.exit_code == 1, res.output
    report = json.loads(out.read_text())
    assert report["schema"] == "auditor.report/1"
    assert report["created"] == "2023-11-14T22:13:20+00:00"
    assert kinds(report) == EXPECTED
    res = CliRunner().invoke(cli, [*args, "--format", "text"])
    assert res.exit_code == 1
    assert "early_destruction" in res.output and "2-11/2026" in res.output
    res = CliRunner().invoke(cli, [*args, "--as-of", "2026-13-01"])
    assert res.exit_code == 2 and "'--as-of': '2026-13-01' does not match" in res.output


def test_bad_inputs_are_errors_naming_the_path(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["archive", "audit", str(tmp_path / "nope"), "--ledger",
                              str(tmp_path / "x.db")])
    assert res.exit_code == 2 and "nope" in res.output
    (tmp_path / "arc").mkdir()
    res = runner.invoke(cli, ["archive", "audit", str(tmp_path / "arc"), "--ledger",
                              str(tmp_path / "x.db")])
    assert res.exit_code == 2 and "no such ledger" in res.output


def test_clean_archive_exits_zero(tmp_path):
    arc = tmp_path / "arc"
    led = Ledger.create(tmp_path / "l.db", key=KEY, origin=ORIGIN, now=T0)
    log(led, wav(arc / "a/one.wav", 10, 1), "1", 1)
    session(arc / "a/s.json", "1", "2026-03-02T10:00:00+05:00", 10,
            [("one.wav", "2026-03-02T10:00:00+05:00")], "2027-01-01")
    led.close()
    res = CliRunner().invoke(cli, ["archive", "audit", str(arc), "--ledger",
                                   str(tmp_path / "l.db"), "--as-of", "2027-06-01", "-q",
                                   "--format", "json", "--policy", "kz-2015",
                                   "--detectors", ",".join(DETECTORS)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["findings"] == []
    assert os.path.exists(tmp_path / "l.audit-state.db")
