"""Session records: JSON and CSV parsing, validation errors that name field and value."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import SessionError
from auditor.session import load_session
from auditor.session.csvform import session_from_csv, session_to_csv
from auditor.session.record import Session

RECORD: dict[str, Any] = {
    "schema": "auditor.session/1",
    "court": "Almaty district court No. 2",
    "case": "2-123/2026",
    "judge": "Judge A.",
    "secretary": "Secretary B.",
    "start": "2026-03-02T10:00:00+05:00",
    "end": "2026-03-02T12:30:00+05:00",
    "breaks": [
        {
            "start": "2026-03-02T11:00:00+05:00",
            "end": "2026-03-02T11:15:00+05:00",
            "reason": "recess",
        }
    ],
    "recordings": [
        {"file": "part1.wav", "start": "2026-03-02T10:00:04+05:00"},
        {"file": "part2.wav"},
    ],
    "acts": [
        {
            "start": "2026-03-02T10:47:00+05:00",
            "end": "2026-03-02T11:00:00+05:00",
            "reason": "equipment failure",
            "signed_at": "2026-03-02T13:00:00+05:00",
            "signed_by": ["Secretary B.", "Head of office C."],
        }
    ],
    "verdict_in_force": "2026-04-01",
}


def record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(RECORD)
    data.update(changes)
    return data


def test_json_record_parses_every_field() -> None:
    s = Session.from_json(RECORD, base_dir="/cases/2-123")
    plus5 = timezone(timedelta(hours=5))
    assert s.start == datetime(2026, 3, 2, 10, 0, tzinfo=plus5)
    assert s.tz == plus5
    assert s.breaks[0].reason == "recess"
    assert s.recordings[0].start == datetime(2026, 3, 2, 10, 0, 4, tzinfo=plus5)
    assert s.recordings[1].start is None
    assert s.acts[0].signed_by == ("Secretary B.", "Head of office C.")
    assert s.verdict_in_force == date(2026, 4, 1)
    assert s.resolve(s.recordings[0]) == Path("/cases/2-123/part1.wav")
    assert s.case == "2-123/2026"


def test_to_json_round_trips() -> None:
    s = Session.from_json(RECORD)
    again = Session.from_json(json.loads(json.dumps(s.to_json())))
    assert again == s
    assert again.to_json()["recordings"][1] == {"file": "part2.wav", "start": None}


def test_times_in_other_offsets_compare_correctly() -> None:
    # The same instant written in UTC is inside the session.
    data = record(breaks=[{"start": "2026-03-02T06:00:00Z", "end": "2026-03-02T06:15:00+00:00"}])
    s = Session.from_json(data)
    assert s.local(s.breaks[0].start).hour == 11


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"schema": "auditor.session/2"}, r"schema 'auditor.session/2' is not supported"),
        ({"schema": None}, r"schema is missing"),
        ({"start": "2026-03-02T10:00:00"}, r"start 2026-03-02T10:00:00 has no UTC offset"),
        ({"end": "tomorrow"}, r"end tomorrow is not an ISO 8601 time"),
        ({"end": 5}, r"end must be an ISO 8601 time with a UTC offset, got 5"),
        (
            {"end": "2026-03-02T09:00:00+05:00"},
            r"end 2026-03-02T09:00:00\+05:00 is not after start",
        ),
        ({"breaks": {"start": "x"}}, r"breaks must be a list"),
        ({"breaks": ["recess"]}, r"breaks\[0\] must be an object"),
        ({"breaks": [{"start": "2026-03-02T11:00:00+05:00"}]}, r"breaks\[0\].end must be an ISO"),
        ({"verdict_in_force": "01.04.2026"}, r"verdict_in_force '01.04.2026' is not a date"),
        ({"judge": 7}, r"judge must be text, got 7"),
        ({"brakes": []}, r"unknown field 'brakes'"),
        ({"recordings": [{"file": ""}]}, r"recordings\[0\].file is missing"),
        ({"recordings": [{"file": "a.wav", "length": 3}]}, r"recordings\[0\] has unknown field"),
    ],
)
def test_malformed_json_names_field_and_value(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(SessionError, match=match):
        Session.from_json(record(**changes), source="s.json")


def test_time_without_offset_suggests_the_session_offset() -> None:
    data = record(breaks=[{"start": "2026-03-02T11:00:00", "end": "2026-03-02T11:15:00+05:00"}])
    with pytest.raises(SessionError) as err:
        Session.from_json(data, source="s.json")
    text = err.value.diagnostics()
    assert text.startswith("s.json: breaks[0].start 2026-03-02T11:00:00 has no UTC offset")
    assert "write it as 2026-03-02T11:00:00+05:00" in text


def test_break_outside_session() -> None:
    data = record(
        breaks=[{"start": "2026-03-02T12:20:00+05:00", "end": "2026-03-02T12:40:00+05:00"}]
    )
    with pytest.raises(SessionError, match=r"breaks\[0\] .* lies outside the session"):
        Session.from_json(data)


def test_break_ending_before_it_starts() -> None:
    data = record(
        breaks=[{"start": "2026-03-02T11:20:00+05:00", "end": "2026-03-02T11:10:00+05:00"}]
    )
    with pytest.raises(SessionError, match=r"breaks\[0\].end .* is not after breaks\[0\].start"):
        Session.from_json(data)


def test_overlapping_breaks_name_both() -> None:
    data = record(
        breaks=[
            {"start": "2026-03-02T11:00:00+05:00", "end": "2026-03-02T11:15:00+05:00"},
            {"start": "2026-03-02T11:10:00+05:00", "end": "2026-03-02T11:20:00+05:00"},
        ]
    )
    with pytest.raises(SessionError, match=r"breaks\[1\] .* overlaps breaks\[0\]"):
        Session.from_json(data)


def test_recording_declared_twice() -> None:
    data = record(recordings=[{"file": "a.wav"}, {"file": "./a.wav"}])
    with pytest.raises(SessionError, match=r"recordings\[1\].file ./a.wav is declared twice"):
        Session.from_json(data)


def test_act_outside_session_and_bad_signatories() -> None:
    act = dict(RECORD["acts"][0], start="2026-03-02T09:00:00+05:00")
    with pytest.raises(SessionError, match=r"acts\[0\] .* lies outside the session"):
        Session.from_json(record(acts=[act]))
    act = dict(RECORD["acts"][0], signed_by=[1, 2])
    with pytest.raises(SessionError, match=r"acts\[0\].signed_by must be a list of names"):
        Session.from_json(record(acts=[act]))


def test_record_must_be_an_object() -> None:
    with pytest.raises(SessionError, match=r"the session record must be an object, got list"):
        Session.from_json([RECORD])


def test_load_session_json(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(RECORD), encoding="utf-8")
    s = load_session(path)
    assert s.base_dir == tmp_path
    assert s.resolve(s.recordings[0]) == tmp_path / "part1.wav"


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("s.json", "{not json", r"s.json: not valid JSON: .* line 1 column 2"),
        ("s.txt", "{}", r"cannot tell the format of a .txt file"),
        ("s.json", "[]", r"the session record must be an object"),
    ],
)
def test_load_session_bad_files(tmp_path: Path, name: str, content: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SessionError, match=match):
        load_session(path)


def test_load_session_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="session record not found"):
        load_session(tmp_path / "nope.json")


# -- CSV -------------------------------------------------------------------------------------

CSV = """event,start,end,file,reason,signed_at,signed_by,court,case,verdict_in_force
session,2026-03-02T10:00:00+05:00,2026-03-02T12:30:00+05:00,,,,,Almaty district court No. 2,2-123/2026,2026-04-01
break,2026-03-02T11:00:00+05:00,2026-03-02T11:15:00+05:00,,recess,,,,,
recording,2026-03-02T10:00:04+05:00,,part1.wav,,,,,,
recording,,,part2.wav,,,,,,
act,2026-03-02T10:47:00+05:00,2026-03-02T11:00:00+05:00,,equipment failure,2026-03-02T13:00:00+05:00,Secretary B.; Head of office C.,,,
"""  # noqa: E501


def test_csv_matches_json() -> None:
    from_csv = session_from_csv(CSV)
    data = record(judge=None, secretary=None)
    assert from_csv == Session.from_json(data)


def test_csv_round_trip(tmp_path: Path) -> None:
    s = Session.from_json(RECORD)
    path = tmp_path / "s.csv"
    path.write_text(session_to_csv(s), encoding="utf-8")
    assert load_session(path) == s


def test_csv_rows_in_any_order_and_blank_lines() -> None:
    lines = CSV.strip().splitlines()
    shuffled = "\n".join([lines[0], lines[3], "", lines[1], lines[5], lines[2], lines[4]])
    assert session_from_csv(shuffled) == session_from_csv(CSV)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"the CSV session record is empty"),
        ("start,end\n", r"has no 'event' column"),
        ("event,start,colour\n", r"unknown column 'colour'"),
        ("event,start,end\nbreak,x,y\n", r"has no session row"),
        (
            "event,start,end\nsession,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00\n"
            "session,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00\n",
            r"row 3 is a second session row \(the first is row 2\)",
        ),
        ("event,start,end\nrecess,x,y\n", r"row 2 event 'recess' is not one of"),
        (
            "event,start,end\nsession,2026-03-02T10:00:00,2026-03-02T12:00:00+05:00\n",
            r"start \(CSV row 2\) 2026-03-02T10:00:00 has no UTC offset",
        ),
        (
            "event,start,end,file\nsession,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00,\n"
            "break,2026-03-02T11:00:00+05:00,2026-03-02T13:00:00+05:00,\n",
            r"breaks\[0\] \(CSV row 3\) .* lies outside the session",
        ),
        (
            "event,start,end,file\nsession,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00,\n"
            "break,2026-03-02T11:00:00+05:00,2026-03-02T11:10:00+05:00,a.wav\n",
            r"breaks\[0\] \(CSV row 3\) has unknown field 'file'",
        ),
        (
            "event,start,end,file\nsession,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00,\n"
            "recording,,,a.wav\nrecording,,,a.wav\n",
            r"recordings\[1\] \(CSV row 4\).file a.wav is declared twice "
            r"\(also recordings\[0\] \(CSV row 3\)\)",
        ),
        (
            "event,start,end\nsession,2026-03-02T12:00:00+05:00,2026-03-02T10:00:00+05:00\n",
            r"end \(CSV row 2\) .* is not after start",
        ),
        (
            "event,start,end,schema\n"
            "session,2026-03-02T10:00:00+05:00,2026-03-02T12:00:00+05:00,auditor.session/0\n",
            r"schema 'auditor.session/0' is not supported",
        ),
        ("event,start\nsession,a,b,c\n", r"row 2 has 4 cells but the header has 2"),
    ],
)
def test_malformed_csv_names_row_and_field(text: str, match: str) -> None:
    with pytest.raises(SessionError, match=match):
        session_from_csv(text, source="s.csv")


def test_direct_construction_is_validated_too() -> None:
    from auditor.session.record import Break

    aware = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with pytest.raises(SessionError, match=r"^start 2026-03-02T10:00:00 has no UTC offset"):
        Session(start=datetime(2026, 3, 2, 10, 0), end=aware)
    naive_break = Break(datetime(2026, 3, 2, 10, 5), aware + timedelta(minutes=10))
    with pytest.raises(SessionError, match=r"^breaks\[0\].start 2026-03-02T10:05:00 has no UTC"):
        Session(start=aware, end=aware + timedelta(hours=1), breaks=(naive_break,))


def test_record_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"event,start\nsession,\xff\xfe\n")
    with pytest.raises(SessionError, match=r"cannot read the session record"):
        load_session(path)
