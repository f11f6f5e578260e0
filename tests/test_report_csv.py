"""CSV statistics: one row per finding, counts per court/year/kind, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import cli
from auditor.report.csv_stats import ROW_FIELDS, findings_csv, safe_cell, summary_csv


def _finding(kind: str, start: float, message: str, file: str | None = "a.wav") -> dict:
    return {"kind": kind, "file": file, "start": start, "end": start + 1.0, "wall_start": None,
            "wall_end": None, "severity": "high", "confidence": 0.9, "detector": kind,
            "rule": None, "message": message, "evidence": {}}


def _report(court: str, day: str, findings: list[dict]) -> dict:
    return {
        "schema": "auditor.report/1", "created": "2026-11-01T00:00:00+00:00",
        "tool": {"name": "auditor", "version": "0.1.0", "parameters": {}},
        "files": [{"path": "a.wav", "sha256": "ab" * 32, "duration": 60.0}],
        "session": {"court": court, "case": "2-1/2026", "start": f"{day}T10:00:00+05:00"},
        "findings": findings, "summary": {"findings": len(findings)},
    }


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_rows_quote_commas_quotes_newlines_and_cyrillic() -> None:
    msg = 'gap, "quoted"\nsecond line — Қазақ'
    rows = _read(findings_csv([_report("Суд №1, г. Астана", "2026-03-02",
                                       [_finding("dropout", 40.0, msg)])]))
    assert list(rows[0]) == list(ROW_FIELDS)
    assert rows[0]["message"] == msg and rows[0]["court"] == "Суд №1, г. Астана"
    assert rows[0]["sha256"] == "ab" * 32 and rows[0]["session_date"] == "2026-03-02"
    assert float(rows[0]["start"]) == 40.0 and rows[0]["wall_start"] == ""


def test_formula_injection_is_neutralised() -> None:
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd"]
    report = _report("=cmd|' /C calc'!A0", "2026-03-02",
                     [_finding("dropout", 1.0, e, file=e) for e in evil])
    rows = _read(findings_csv([report]))
    for row, e in zip(rows, evil, strict=True):
        assert row["message"] == "'" + e and row["file"] == "'" + e
        assert row["court"].startswith("'=")
    assert safe_cell(-1.5) == -1.5 and safe_cell("a=b") == "a=b" and safe_cell(None) == ""
    summary = _read(summary_csv([report]))
    assert summary[0]["court"].startswith("'=")


def test_summary_counts_per_court_year_and_kind() -> None:
    a = _report("Court A", "2025-12-30", [_finding("dropout", 1, "x"), _finding("dropout", 2, "y"),
                                          _finding("splice", 3, "z")])
    b = _report("Court A", "2026-01-05", [_finding("dropout", 1, "x")])
    c = _report("Court B", "2026-01-05", [_finding("missing_segment", 1, "x")])
    rows = _read(summary_csv([a, b, c]))
    got = {(r["court"], r["year"], r["kind"]): int(r["count"]) for r in rows}
    assert got == {("Court A", "2025", "dropout"): 2, ("Court A", "2025", "splice"): 1,
                   ("Court A", "2026", "dropout"): 1, ("Court B", "2026", "missing_segment"): 1}
    assert len(_read(findings_csv([a, b, c]))) == 5


def test_cli_writes_rows_and_summary(tmp_path: Path) -> None:
    src = tmp_path / "r.json"
    src.write_text(json.dumps(_report("Court A", "2026-03-02",
                                      [_finding("dropout", 1, "x"), _finding("dropout", 5, "y")])))
    out = tmp_path / "stats.csv"
    r = CliRunner().invoke(cli, ["report", str(src), "--format", "csv", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert len(_read(out.read_text(encoding="utf-8"))) == 2
    summary = _read((tmp_path / "stats.summary.csv").read_text(encoding="utf-8"))
    assert summary == [{"court": "Court A", "year": "2026", "kind": "dropout", "count": "2"}]
    r = CliRunner().invoke(cli, ["report", str(src), "--format", "csv"])
    assert r.exit_code == 2 and "needs -o" in r.output
