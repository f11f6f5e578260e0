"""The plain-text timeline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from auditor.session.continuity import audit_continuity
from auditor.session.policy_load import load_policy
from auditor.session.record import Session
from auditor.session.render import render_timeline
from auditor.session.timeline import build_coverage

ROW = re.compile(r"^(\S[^\[]*?)\s+\[[ =\-#+x!?]*\]")


@dataclass(frozen=True)
class Info:
    duration: float
    embedded_start: datetime | None = None


def render(width: int = 80) -> str:
    s = Session.from_json(
        {
            "schema": "auditor.session/1",
            "case": "2-123/2026",
            "start": "2026-03-02T10:00:00+05:00",
            "end": "2026-03-02T12:30:00+05:00",
            "breaks": [
                {"start": "2026-03-02T11:00:00+05:00", "end": "2026-03-02T11:15:00+05:00",
                 "reason": "recess"}
            ],
            "recordings": [
                {"file": "part1.wav", "start": "2026-03-02T10:00:00+05:00"},
                {"file": "part2.wav", "start": "2026-03-02T11:15:00+05:00"},
                {"file": "part3.wav", "start": "2026-03-02T12:00:00+05:00"},
            ],
            "acts": [
                {"start": "2026-03-02T10:40:00+05:00", "end": "2026-03-02T11:00:00+05:00",
                 "reason": "power cut", "signed_at": "2026-03-02T13:00:00+05:00",
                 "signed_by": ["A", "B"]}
            ],
        }
    )  # fmt: skip
    covs = [
        build_coverage(s.recordings[0], Info(40 * 60.0), session=s),
        build_coverage(s.recordings[1], Info(45 * 60.0), uncovered=[(600, 900)], session=s),
        build_coverage(s.recordings[2], None, session=s, problem="not found"),
    ]
    findings = audit_continuity(s, covs, load_policy("kz-2015"))
    return render_timeline(s, covs, findings, width=width)


def test_timeline_rows_and_events() -> None:
    text = render()
    lines = text.splitlines()
    assert lines[0] == "session 2-123/2026: 10:00:00–12:30:00 (+05:00), 2 h 30 min"
    rows = {m[1]: line for line in lines if (m := ROW.match(line))}
    assert set(rows) == {"session", "breaks", "part1.wav", "part2.wav", "part3.wav", "not rec."}
    assert all(len(line) <= 80 for line in rows.values() if "MISSING" not in line)
    assert rows["part3.wav"].endswith("MISSING")
    bar = rows["not rec."].split("[", 1)[1]
    assert "?" in bar and "!" in bar
    assert "x" in rows["part2.wav"]
    assert (
        "10:40:00–11:00:00 (+05:00)  NOT RECORDED  20 min, missing_segment; an act explains it"
        in text
    )
    assert "11:00:00–11:15:00 (+05:00)  break         recess" in text
    assert "11:25:00–11:30:00 (+05:00)  NOT RECORDED  5 min, missing_segment; no act" in text
    assert "12:00:00 (+05:00)           MISSING FILE  part3.wav: not found" in text
    assert "[high] early_stop (kz-2015 p.6)" in text


def test_timeline_marks_columns_in_proportion() -> None:
    bar = next(line for line in render(width=160).splitlines() if line.startswith("breaks"))
    inner = bar.split("[", 1)[1].rstrip("]")
    # The break is 15 of 150 minutes: a tenth of the bar.
    assert abs(inner.count("-") - len(inner) / 10) <= 1
    assert inner.index("-") == round(len(inner) * 60 / 150)


def test_crossing_midnight_prints_dates() -> None:
    plus5 = timezone(timedelta(hours=5))
    s = Session(
        start=datetime(2026, 3, 2, 23, 0, tzinfo=plus5),
        end=datetime(2026, 3, 3, 1, 0, tzinfo=plus5),
    )
    text = render_timeline(s, [], [])
    assert text.startswith("session session: 2026-03-02 23:00:00–2026-03-03 01:00:00 (+05:00)")
