"""``auditor stats``: a study's tables from many reports, checked against what was planted."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import speechlike

from auditor.cli import cli
from auditor.findings import Finding
from auditor.report.csv_stats import findings_csv
from auditor.report.model import build_report, dumps

RATE = 8000
COURTS = ("Almaty District Court", "Astana City Court", "Shymkent Court No. 2")
DETECTORS = "digital_silence,dropout,timestamp_gap"


def table(folder: Path, name: str) -> list[dict[str, str]]:
    text = (folder / f"{name}.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def run(*args: str) -> object:
    return CliRunner().invoke(cli, ["stats", *args])


# --- the demo ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "hearing"
    r = CliRunner().invoke(cli, ["demo", str(out)])
    assert r.exit_code in (0, 1), r.output
    return out


def test_demo_tables_count_what_the_demo_planted(demo, tmp_path):
    r = run(str(demo / "report.json"), "-o", str(tmp_path / "study"))
    assert r.exit_code == 0, r.output
    study = tmp_path / "study"
    truth = json.loads((demo / "truth.json").read_text())["planted"]
    session = json.loads((demo / "session.json").read_text())
    report = json.loads((demo / "report.json").read_text())
    # the planted unrecorded spans: 4 s of digital zeros, 12 s of missing packets, and the
    # session's end after the last recording stops
    stop = next(p for p in truth if p["kind"] == "early_stop")
    tail = (datetime.fromisoformat(session["end"])
            - datetime.fromisoformat(stop["wall_start"])).total_seconds()
    inside = sum(p["end"] - p["start"] for p in truth
                 if p["kind"] in ("digital_silence", "timestamp_gap"))
    gaps = [p for p in truth if p["kind"] in ("missing_segment", "early_stop")]
    (row, total) = table(study, "unrecorded")
    assert row["court"] == session["court"] and row["year"] == session["start"][:4]
    assert (row["hearings"], row["hearings_unrecorded"], row["share_unrecorded"]) == ("1", "1",
                                                                                        "1.0")
    assert int(row["unrecorded_spans"]) == len(gaps) == 3
    assert float(row["unrecorded_minutes"]) == pytest.approx((inside + tail) / 60, abs=1e-3)
    assert float(row["minutes_without_act"]) == float(row["unrecorded_minutes"])  # no acts
    breaks = sum((datetime.fromisoformat(b["end"]) - datetime.fromisoformat(b["start"]))
                 .total_seconds() for b in session["breaks"])
    whole = (datetime.fromisoformat(session["end"])
             - datetime.fromisoformat(session["start"])).total_seconds()
    assert float(row["scheduled_minutes"]) == pytest.approx((whole - breaks) / 60, abs=1e-3)
    assert total["court"] == "(all)" and total["unrecorded_minutes"] == row["unrecorded_minutes"]
    counts = {r["kind"]: int(r["findings"]) for r in table(study, "findings")}
    assert counts == dict(Counter(f["kind"] for f in report["findings"]))
    assert {p["kind"] for p in truth} <= set(counts)
    acts = table(study, "acts")[0]
    assert (acts["acts"], acts["hearings_acts_known"], acts["spans_without_act"]) == ("0", "1",
                                                                                        "3")
    (inp,) = table(study, "inputs")
    import hashlib
    assert inp["sha256"] == hashlib.sha256((demo / "report.json").read_bytes()).hexdigest()
    page = (study / "index.html").read_text(encoding="utf-8")
    assert inp["sha256"] in page and "auditor 0." in page and "<svg" in page


# --- 20 generated hearings ---------------------------------------------------------------------

def _at(day: str, seconds: float) -> str:
    return (datetime.fromisoformat(f"{day}T10:00:00+05:00") + timedelta(seconds=seconds)
            ).isoformat()


def _session(court: str, case: str, day: str, seconds: float, *, files=(), acts=(),
             breaks=()) -> dict:
    return {"schema": "auditor.session/1", "court": court, "case": case, "judge": "A. Judge",
            "secretary": "B. Secretary", "start": _at(day, 0), "end": _at(day, seconds),
            "breaks": [{"start": _at(day, a), "end": _at(day, b), "reason": "recess"}
                       for a, b in breaks],
            "recordings": [{"file": f, "start": _at(day, s)} for f, s in files],
            "acts": [{"start": _at(day, a), "end": _at(day, b), "reason": "equipment failure",
                      "signed_at": _at(day, b + 60), "signed_by": ["B. Secretary"]}
                     for a, b in acts]}  # fmt: skip


def scanned(folder: Path, court: str, case: str, day: str, *, act: bool, seed: int) -> Path:
    """A real scan: part 1 (20 s) holds 4 s of digital zeros at 8-12 s; part 2 (10 s) starts
    10 s after part 1 ends; the session is 30 s... plus the 10 s gap: 40 s, all unrecorded
    time 4 + 10 s; with ``act`` an act covers the 10 s gap between the files."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    one = speechlike(rng, 20 * RATE, RATE)
    one[8 * RATE:12 * RATE] = 0.0
    sf.write(folder / "part1.wav", one, RATE, subtype="PCM_16")
    sf.write(folder / "part2.wav", speechlike(rng, 10 * RATE, RATE), RATE, subtype="PCM_16")
    record = _session(court, case, day, 40, files=[("part1.wav", 0), ("part2.wav", 30)],
                      acts=[(20, 30)] if act else [])
    (folder / "session.json").write_text(json.dumps(record), encoding="utf-8")
    out = folder / "report.json"
    r = CliRunner().invoke(cli, ["scan", "--session", str(folder / "session.json"), "--policy",
                                 "kz-2015", "--detectors", DETECTORS, "--format", "json",
                                 "-o", str(out), "-q"])
    assert r.exit_code == 1, r.output
    return out


def synthetic(folder: Path, court: str, case: str, day: str, gaps: list[tuple[float, float]],
              acts: list[tuple[float, float]], silences: int) -> Path:
    """A report as ``auditor scan --session`` writes it (contract ``auditor.report/1``): a
    1-hour session with a recess, ``gaps`` as missing_segment findings (explained when inside
    an act, with an act_issue when not) and ``silences`` digital_silence findings."""
    folder.mkdir(parents=True)
    record = _session(court, case, day, 3600, files=[("a.wav", 0)], acts=acts,
                      breaks=[(1800, 2400)])
    findings = []
    for a, b in gaps:
        explained = any(x <= a and b <= y for x, y in acts)
        wall = {"wall_start": _at(day, a), "wall_end": _at(day, b)}
        findings.append(Finding("missing_segment", "a.wav", a, b, "warning" if explained
                                else "high", 0.9, "continuity", "not recorded",
                                {"explained_by_act": "full" if explained else "none"}, **wall))
        if not explained:
            findings.append(Finding("act_issue", "a.wav", a, b, "high", 0.9, "continuity",
                                    "no act", {}, **wall))
    findings += [Finding("digital_silence", "a.wav", 100.0 * i, 100.0 * i + 2, "high", 1.0,
                         "digital_silence", "zeros") for i in range(silences)]
    files = [{"path": "a.wav", "sha256": "ab" * 32, "duration": 3000.0, "sample_rate": 8000,
              "channels": 1, "codec": "pcm_s16le", "container": "wav"}]
    report = build_report(files=files, findings=findings, parameters={}, session=record,
                          created=datetime.fromisoformat("2027-01-01T00:00:00+00:00"))
    out = folder / "report.json"
    out.write_text(dumps(report), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def hearings(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict]:
    """20 hearings (3 scanned for real, 17 synthetic) and what was planted in each."""
    root = tmp_path_factory.mktemp("hearings")
    rng = np.random.default_rng(20)
    paths, planted = [], []
    for i in range(20):
        court, day = COURTS[i % 3], f"{2025 + i % 2}-0{1 + i % 9}-1{i % 10}"
        case = f"2-{100 + i}/{day[:4]}"
        if i < 3:
            act = i == 1
            paths.append(scanned(root / f"h{i:02d}", court, case, day, act=act, seed=i))
            planted.append({"court": court, "year": day[:4], "unrecorded": 14.0,
                            "without_act": 4.0 if act else 14.0, "spans": 2, "acts": int(act),
                            "act_s": 10.0 if act else 0.0, "kinds": None})
            continue
        n = int(rng.integers(0, 3))
        gaps = [(60.0 + 300 * k, 60.0 + 300 * k + float(rng.integers(5, 120))) for k in range(n)]
        acts = [gaps[0]] if n and rng.random() < 0.5 else []
        silences = int(rng.integers(0, 3))
        paths.append(synthetic(root / f"h{i:02d}", court, case, day, gaps, acts, silences))
        free = [g for g in gaps if g not in acts]
        kinds = Counter({"missing_segment": n, "act_issue": len(free),
                         "digital_silence": silences})
        planted.append({"court": court, "year": day[:4], "unrecorded": sum(b - a for a, b in gaps),
                        "without_act": sum(b - a for a, b in free), "spans": n,
                        "acts": len(acts), "act_s": sum(b - a for a, b in acts), "kinds": kinds})
    return paths, {"hearings": planted}


def test_twenty_hearings_tables_match_what_was_planted(hearings, tmp_path):
    paths, truth = hearings
    planted = truth["hearings"]
    out = tmp_path / "study"
    r = run(*map(str, paths), "-o", str(out))
    assert r.exit_code == 0, r.output
    # unrecorded time, per court and year
    rows = {(r["court"], r["year"]): r for r in table(out, "unrecorded")}
    groups: dict[tuple[str, str], list[dict]] = {}
    for p in planted:
        groups.setdefault((p["court"], p["year"]), []).append(p)
    assert set(rows) == {*groups, ("(all)", "(all)")}
    for key, ps in [*groups.items(), (("(all)", "(all)"), planted)]:
        row = rows[key]
        hit = sum(p["unrecorded"] > 0 for p in ps)
        assert int(row["hearings"]) == len(ps) and int(row["hearings_unrecorded"]) == hit
        assert float(row["share_unrecorded"]) == pytest.approx(hit / len(ps), abs=1e-4)
        assert int(row["unrecorded_spans"]) == sum(p["spans"] for p in ps)
        assert float(row["unrecorded_minutes"]) == pytest.approx(
            sum(p["unrecorded"] for p in ps) / 60, abs=2e-3)
        assert float(row["minutes_without_act"]) == pytest.approx(
            sum(p["without_act"] for p in ps) / 60, abs=2e-3)
    assert 0 < int(rows[("(all)", "(all)")]["hearings_unrecorded"]) < 20
    # acts per court
    acts = {r["court"]: r for r in table(out, "acts")}
    for court in COURTS:
        ps = [p for p in planted if p["court"] == court]
        assert int(acts[court]["acts"]) == sum(p["acts"] for p in ps)
        assert int(acts[court]["hearings_with_acts"]) == sum(p["acts"] > 0 for p in ps)
        assert float(acts[court]["act_minutes"]) == pytest.approx(
            sum(p["act_s"] for p in ps) / 60, abs=2e-3)
    assert int(acts["(all)"]["acts"]) == sum(p["acts"] for p in planted) > 0
    # findings per court, year and kind (the synthetic hearings, where every finding is planted)
    counts = {(r["court"], r["year"], r["kind"]): int(r["findings"])
              for r in table(out, "findings")}
    expected: Counter[tuple[str, str, str]] = Counter()
    for p in planted[3:]:
        for kind, n in p["kinds"].items():
            expected[(p["court"], p["year"], kind)] += n
    scans = json.loads(paths[0].read_text())["findings"]
    assert {f["kind"] for f in scans} >= {"digital_silence", "missing_segment", "act_issue"}
    for (court, year, kind), n in counts.items():
        real = sum(1 for i, p in enumerate(planted[:3]) if (p["court"], p["year"]) == (court, year)
                   for f in json.loads(paths[i].read_text())["findings"] if f["kind"] == kind)
        assert n == expected[(court, year, kind)] + real, (court, year, kind)
    assert len(table(out, "hearings")) == 20
    assert [r["report"] for r in table(out, "inputs")] == sorted(map(str, paths))
    # the same reports, in another order, give the same bytes
    again = tmp_path / "again"
    assert run(*map(str, reversed(paths)), "-o", str(again)).exit_code == 0
    for f in out.iterdir():
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_an_unreadable_report_is_named_and_the_others_counted(hearings, tmp_path):
    paths, _ = hearings
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "auditor.report/1", "findings": [', encoding="utf-8")
    bad = tmp_path / "bad-field.json"
    data = json.loads(paths[5].read_text())
    data["findings"][0]["severity"] = "critical"
    bad.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "study"
    r = run(*map(str, paths[:4]), str(broken), str(bad), str(tmp_path / "absent.json"),
            "-o", str(out))
    assert r.exit_code == 2
    assert f"{broken}: not a JSON report" in r.output
    assert f"{bad}: findings[0].severity 'critical' is not one of" in r.output
    assert f"{tmp_path / 'absent.json'}: cannot read the report" in r.output
    assert "4 of 7 reports counted, 4 hearings" in r.output
    status = {Path(r["report"]).name: r["status"] for r in table(out, "inputs")}
    assert status["broken.json"].startswith("not counted: not a JSON report")
    assert status["report.json"] == "counted"
    assert len(table(out, "hearings")) == 4
    assert "broken.json" in (out / "index.html").read_text(encoding="utf-8")


def test_a_hearing_given_twice_is_counted_once(hearings, tmp_path):
    paths, _ = hearings
    copy = tmp_path / "copy.json"
    copy.write_bytes(paths[3].read_bytes())
    out = tmp_path / "study"
    assert run(str(paths[3]), str(copy), str(paths[3]), "-o", str(out)).exit_code == 0
    assert len(table(out, "hearings")) == 1
    status = {r["report"]: r["status"] for r in table(out, "inputs")}
    assert "already counted from" in status[str(copy)]


def test_page_is_self_contained(hearings, tmp_path):
    paths, _ = hearings
    out = tmp_path / "study"
    assert run(*map(str, paths), "-o", str(out)).exit_code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert page.count("<svg") == 4  # kinds; share, minutes and acts per court
    assert page.count("<rect") >= 3 + 3 * 3 and all(f">{c}</text>" in page for c in COURTS)


def test_output_never_overwrites_an_input(hearings, tmp_path):
    paths, _ = hearings
    out = tmp_path / "study"
    assert run(str(paths[3]), "-o", str(out)).exit_code == 0
    assert run(str(paths[4]), "-o", str(out)).exit_code == 0  # a study is made again in place
    before = (out / "findings.csv").read_bytes()
    r = run(str(paths[4]), str(out / "findings.csv"), "-o", str(out))
    assert r.exit_code == 2 and "the output is also an input" in r.output
    assert (out / "findings.csv").read_bytes() == before
    r = run(str(paths[4]), "-o", str(paths[4]))
    assert r.exit_code == 2 and "is a file" in r.output
    assert json.loads(paths[4].read_text())["schema"] == "auditor.report/1"


# --- archive reports ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def archive_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive audit of one session with 10 s unrecorded between its two files."""
    from conftest_ledger import KEY, ORIGIN
    from test_archive_audit import AS_OF, PARAMS, T0, log, session, wav

    from auditor.archive import audit_archive
    from auditor.ledger.store import Ledger
    from auditor.report.model import dumps as dump_report

    root = tmp_path_factory.mktemp("archive")
    arc = root / "archive"
    led = Ledger.create(root / "court.db", key=KEY, origin=ORIGIN, now=T0)
    n1 = wav(arc / "gap/n1.wav", 10, 12)
    n2 = wav(arc / "gap/n2.wav", 10, 13)
    session(arc / "gap/session.json", "2-11/2026", "2026-03-03T10:00:00+05:00", 30,
            [("n1.wav", "2026-03-03T10:00:00+05:00"), ("n2.wav", "2026-03-03T10:00:20+05:00")],
            "2027-01-01")
    log(led, n1, "2-11/2026", 1)
    log(led, n2, "2-11/2026", 2)
    led.close()
    report = audit_archive(arc, ledger=root / "court.db", policy="kz-2015", as_of=AS_OF,
                           state=root / "state.db", params=PARAMS).report
    out = root / "audit.json"
    out.write_text(dump_report(report), encoding="utf-8")
    return out


def test_archive_csv_keeps_court_case_and_date(archive_report, tmp_path):
    from test_archive_audit import COURT

    out = tmp_path / "findings.csv"
    r = CliRunner().invoke(cli, ["report", str(archive_report), "--format", "csv", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")[1:], newline="")))
    gap = [r for r in rows if r["kind"] in ("missing_segment", "act_issue")]
    assert len(gap) == 2
    for row in gap:
        assert (row["court"], row["case"], row["session_date"]) == (COURT, "2-11/2026",
                                                                     "2026-03-03")
    summary = out.with_name("findings.summary.csv").read_text(encoding="utf-8")
    assert f"{COURT},2026,missing_segment,1" in summary
    report = json.loads(archive_report.read_text())
    assert findings_csv([report]) == out.read_bytes().decode("utf-8")


def test_stats_reads_archive_reports(archive_report, tmp_path):
    from test_archive_audit import COURT

    out = tmp_path / "study"
    assert run(str(archive_report), "-o", str(out)).exit_code == 0
    (row, _total) = table(out, "unrecorded")
    assert (row["court"], row["year"], row["hearings"], row["unrecorded_spans"]) == (
        COURT, "2026", "1", "1")
    assert float(row["unrecorded_minutes"]) == pytest.approx(10 / 60, abs=1e-3)
    assert row["scheduled_minutes"] == ""  # an archive report holds no breaks
    acts = table(out, "acts")[0]
    assert (acts["hearings"], acts["hearings_acts_known"]) == ("1", "0")
    (inp,) = table(out, "inputs")
    assert inp["type"] == "archive" and inp["hearings"] == "1"


def test_a_partly_explained_gap_counts_only_its_uncovered_piece(tmp_path):
    from auditor.report.stats import read_study, study_tables

    day = "2026-05-05"
    record = _session(COURTS[0], "2-9/2026", day, 3600, files=[("a.wav", 0)], acts=[(100, 150)])
    gap = {"wall_start": _at(day, 100), "wall_end": _at(day, 200)}
    findings = [
        Finding("missing_segment", None, None, None, "high", 0.9, "continuity", "gap",
                {"explained_by_act": "partial"}, **gap),
        Finding("act_issue", None, None, None, "high", 0.9, "continuity", "piece",
                {"gap_start": gap["wall_start"], "gap_end": gap["wall_end"]},
                wall_start=_at(day, 150), wall_end=_at(day, 200)),
    ]
    path = tmp_path / "r.json"
    path.write_text(dumps(build_report(files=[], findings=findings, parameters={},
                                       session=record)), encoding="utf-8")
    (row, _) = study_tables(read_study([path]))["unrecorded"]
    assert (row["unrecorded_minutes"], row["minutes_without_act"]) == (round(100 / 60, 3),
                                                                        round(50 / 60, 3))
