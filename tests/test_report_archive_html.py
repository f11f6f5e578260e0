"""An archive audit rendered as HTML keeps its context: sessions, years, and its recordings.

A small archive (one hearing with its session record, logged in a signed ledger) is audited from
its parent folder with a relative root, then rendered by ``auditor report`` from another folder:
the report shows each session's court, case and date, writes years as years, and finds the
recordings under the archive root it records for the audio excerpts.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from auditor.cli import cli

RATE = 8000
COURT = "Almaty District Court"
CASE = "2-1234/2026"


def _run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    return res.output


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("arc")
    hearing = top / "archive" / "court" / "2026" / "case-1"
    hearing.mkdir(parents=True)
    x = np.random.default_rng(7).normal(0.0, 0.05, 30 * RATE)
    x[10 * RATE:12 * RATE] = 0.0  # 2 s of digital silence: a finding with an excerpt
    sf.write(hearing / "hearing-part1.wav", x, RATE, subtype="PCM_16")
    record = {
        "schema": "auditor.session/1", "court": COURT, "case": CASE, "judge": "A. Judge",
        "secretary": "B. Secretary", "start": "2026-03-02T10:00:00+05:00",
        "end": "2026-03-02T10:05:00+05:00", "breaks": [], "acts": [],
        "recordings": [{"file": "hearing-part1.wav", "start": "2026-03-02T10:00:00+05:00"}],
        "verdict_in_force": "2026-04-01",
    }  # fmt: skip
    (hearing / "session.json").write_text(json.dumps(record), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.chdir(top)  # the audit runs beside the archive and records the root as "archive"
    try:
        _run("keygen", "k.key", "--no-encrypt")
        _run("ledger", "init", "l.db", "--signing-key", "k.key")
        rel = "archive/court/2026/case-1/"
        _run("ledger", "add", "l.db", rel + "hearing-part1.wav", "--session",
             rel + "session.json", "--signing-key", "k.key")
        _run("archive", "audit", "archive", "--ledger", "l.db", "--trusted-key", "k.key.pub",
             "--as-of", "2026-05-01", "--format", "json", "-o", "audit.json")
    finally:
        mp.undo()
    report = json.loads((top / "audit.json").read_text(encoding="utf-8"))
    assert report["archive"]["root"] == "archive" and report["session"] is None
    assert any(f["evidence"].get("year") == 2026 for f in report["findings"])
    return top / "audit.json"


def _render(audit: Path, lang: str, where: Path) -> tuple[str, str]:
    out = where / f"audit.{lang}.html"
    mp = pytest.MonkeyPatch()
    mp.chdir(where)  # rendered from elsewhere: nothing resolves against the current folder
    try:
        _run("report", str(audit), "--format", "html", "--lang", lang, "-o", str(out))
    finally:
        mp.undo()
    page = out.read_text(encoding="utf-8")
    text = re.sub(r"(?s)<(head|title)\b.*?</\1>", " ", page)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text.replace("<wbr>", "")))
    return page, " ".join(text.split())


@pytest.mark.parametrize(("lang", "date", "none_given", "not_found"), [
    ("en", "March 2, 2026", "No session record was given",
     "the recording was not found"),
    ("ru", "2 марта 2026 г.", "Протокол судебного заседания не представлен",
     "запись не найдена"),
])
def test_archive_html_keeps_sessions_years_and_recordings(
        audit: Path, tmp_path: Path, lang: str, date: str, none_given: str,
        not_found: str) -> None:
    page, text = _render(audit, lang, tmp_path)
    section = text[text.index("1. "):text.index("2. ", text.index("1. "))]
    assert COURT in section and CASE in section and date in section, section
    assert "court/2026/case-1/hearing-part1.wav" in section
    assert none_given not in text
    assert "2,026" not in text and "2 026" not in text and "2\u00a0026" not in text
    assert re.search(r"\byear 2026\b", text)
    assert not_found not in text
    assert page.count("data:audio/ogg;base64,") >= 1  # the excerpt was read from the archive


def test_a_recording_no_session_declares_is_said_to_be_unchecked(audit: Path,
                                                                 tmp_path: Path) -> None:
    from auditor.report.html import render_html

    report = json.loads(audit.read_text(encoding="utf-8"))
    report["files"].append({**report["files"][0], "path": "court/unsorted/x.wav",
                            "session": None})
    text = re.sub(r"<[^>]+>", "", render_html(report, lang="en", base=audit.parent))
    assert "No session record declares 1 recording" in " ".join(text.split())
    assert "No session record was given" not in text


def test_the_archive_brief_lists_its_sessions_unrecorded_time(audit: Path,
                                                              tmp_path: Path) -> None:
    # the session ran 10:00-10:05 and its recording lasts 30 s: the archive's continuity
    # findings are events of "not recorded" in the brief, as a scan's are, and counted
    _, text = _render(audit, "en", tmp_path)
    brief = text[text.index("In brief"):text.index("Could not be checked")]
    assert "Not recorded" in brief and "the recording stopped before the session closed" in brief
    events = int(re.search(r"Events: (\d+)\.", brief).group(1))
    listed = len(re.findall(r"Findings: \d", brief))
    assert listed == events
