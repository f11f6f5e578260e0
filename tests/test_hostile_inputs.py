"""Hostile and absurd session records and policy files: each gives a clear error.

Every case here once ended in an internal error (a Python exception's name on stderr) or was
rendered without complaint; each now names the file, the field and what to do, with exit 2.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import speechlike, write
from conftest_hostile import SR, probe_result, record, run, save

from auditor.errors import InputError, SessionError
from auditor.session import Recording, Session, build_coverage, load_session, start_from_name
from auditor.session.csvform import session_from_csv

# --- session records -------------------------------------------------------------------------


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_deeply_nested_session_json_is_a_session_error(tmp_path: Path, opening: str) -> None:
    path = tmp_path / "deep.json"
    close = "]" if opening == "[" else "}"
    path.write_text(opening * 100_000 + "1" + close * 100_000, encoding="utf-8")
    with pytest.raises(SessionError, match=r"deep\.json: .*nested too deeply") as err:
        load_session(path)
    assert err.value.hint


def test_huge_integer_in_session_json_is_a_session_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    text = json.dumps(record(breaks=[])).replace('"breaks": []', '"breaks": ' + "9" * 5000)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SessionError, match=r"huge\.json: not valid JSON: .*digits"):
        load_session(path)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "0001-01-01T00:00:00+05:00", "end": "0001-01-01T02:00:00+05:00"}, "start"),
        ({"start": "9999-12-31T20:00:00-05:00", "end": "9999-12-31T23:00:00-05:00"}, "start"),
        ({"end": "9999-12-31T23:59:59+05:00"}, "end"),
        ({"recordings": [{"file": "part1.wav", "start": "9999-12-31T23:59:59+14:00"}]},
         r"recordings\[0\]\.start"),
        ({"acts": [{"start": "2026-03-02T10:10:00+05:00", "end": "2026-03-02T10:20:00+05:00",
                    "signed_at": "0001-01-01T00:00:00+00:00"}]}, r"acts\[0\]\.signed_at"),
        ({"verdict_in_force": "9999-12-31"}, "verdict_in_force"),
    ],
)
def test_absurd_dates_are_a_session_error(tmp_path: Path, changes: dict, field: str) -> None:
    path = save(tmp_path / "s.json", record(**changes))
    with pytest.raises(SessionError, match=rf"s\.json: {field} .* outside the years 1900.2199"):
        load_session(path)


def test_scan_with_a_year_one_session_is_exit_2_naming_the_field(tmp_path: Path, rng) -> None:
    write(tmp_path / "part1.wav", speechlike(rng, 2 * SR, SR), SR)
    path = save(tmp_path / "s.json", record(
        start="0001-01-01T00:00:00+05:00", end="0001-01-01T02:00:00+05:00", breaks=[],
        recordings=[{"file": "part1.wav", "start": "0001-01-01T00:00:00+05:00"}]))
    r = run("scan", "--session", path, "--format", "json")
    assert r.exit_code == 2, r.output
    assert "s.json: start 0001-01-01T00:00:00+05:00 is outside the years" in r.output
    assert "what to do" in r.output


@pytest.mark.parametrize("field", ["court", "case", "judge", "secretary"])
@pytest.mark.parametrize("value", [5, 1e308, ["x"], {"a": 1}, True])
def test_wrong_types_in_text_fields(tmp_path: Path, field: str, value: Any) -> None:
    path = save(tmp_path / "s.json", record(**{field: value}))
    with pytest.raises(SessionError, match=rf"s\.json: {field} must be text"):
        load_session(path)


@pytest.mark.parametrize("field", ["breaks", "recordings", "acts"])
@pytest.mark.parametrize("value", ["recess", 5, {"start": "x"}])
def test_strings_where_lists_are_expected(tmp_path: Path, field: str, value: Any) -> None:
    path = save(tmp_path / "s.json", record(**{field: value}))
    with pytest.raises(SessionError, match=rf"s\.json: {field} must be a list"):
        load_session(path)


def test_a_huge_wrong_value_gives_a_short_message(tmp_path: Path) -> None:
    path = save(tmp_path / "s.json", record(case=list(range(1_000_000))))
    with pytest.raises(SessionError, match=r"case must be text, got \[0, 1, 2") as err:
        load_session(path)
    assert len(err.value.diagnostics()) < 400


def test_nan_and_infinity_are_not_times(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(record()).replace('"2026-03-02T12:30:00+05:00"', "NaN"))
    with pytest.raises(SessionError, match=r"s\.json: end must be an ISO 8601 time.*got nan"):
        load_session(path)


def test_over_long_text_is_a_session_error(tmp_path: Path) -> None:
    path = save(tmp_path / "s.json", record(case="x" * 100_000))
    with pytest.raises(SessionError, match=r"s\.json: case is 100000 characters long"):
        load_session(path)


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("a\x00b.wav", r"recordings\[0\]\.file .*NUL"),
        ("x" * 5000 + ".wav", r"recordings\[0\]\.file is 5004 characters long"),
        ("d/" * 3000 + "a.wav", r"recordings\[0\]\.file is 6005 characters long"),
        ("y" * 300 + ".wav", r"recordings\[0\]\.file has a part of 304 bytes"),
    ],
)
def test_file_names_no_file_system_holds(tmp_path: Path, name: str, pattern: str) -> None:
    path = save(tmp_path / "s.json", record(recordings=[{"file": name}]))
    with pytest.raises(SessionError, match=pattern):
        load_session(path)


def test_scan_of_a_record_declaring_a_nul_file_name_is_exit_2(tmp_path: Path) -> None:
    path = save(tmp_path / "s.json", record(recordings=[{"file": "a\x00b.wav"}]))
    r = run("scan", "--session", path, "--format", "json")
    assert r.exit_code == 2, r.output
    assert "recordings[0].file" in r.output


def test_a_50_mb_session_record_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"schema": "auditor.session/1", "case": "')
        fh.write("x" * (50 * 2**20))
        fh.write('"}')
    with pytest.raises(SessionError, match=r"big\.json: the file is 50\.0 MB; a session record"):
        load_session(path)


def test_non_utf8_bytes_are_a_session_error(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"event,start,end\nsession,\xff\xfe,\n")
    with pytest.raises(SessionError, match=r"s\.csv: cannot read the session record.*utf-8"):
        load_session(path)


def test_csv_with_a_column_named_twice_is_a_session_error() -> None:
    text = ("event,start,end,start\n"
            "session,2026-03-02T10:00:00+05:00,2026-03-02T12:30:00+05:00,1999-01-01T00:00Z\n")
    with pytest.raises(SessionError, match=r"s\.csv: the header names the column 'start' twice"):
        session_from_csv(text, source="s.csv")


def test_csv_with_odd_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("event,start,end\n"
                    "session,2026-03-02T10:00:00+05:00,2026-03-02T12:30:00+05:00\n"
                    "\n,,\nbreak\n", encoding="utf-8")
    with pytest.raises(SessionError, match=r"breaks\[0\] \(CSV row 5\)\.start must be an ISO"):
        load_session(path)
    path.write_text('event,start,end,file\nsession,2026-03-02T10:00:00+05:00,'
                    '2026-03-02T12:30:00+05:00,\nrecording,,,"' + "a" * 200_000 + '"\n')
    with pytest.raises(SessionError, match=r"s\.csv: not valid CSV: field larger"):
        load_session(path)


def test_a_file_name_with_year_one_gives_no_start() -> None:
    tz = timezone(timedelta(hours=5))
    pattern = ["%Y%m%d_%H%M%S"]
    assert start_from_name("00010101_000000.wav", tz=tz, patterns=pattern) is None
    assert start_from_name("20260302_100004.wav", tz=tz, patterns=pattern) == datetime(
        2026, 3, 2, 10, 0, 4, tzinfo=tz)



def test_an_absurd_embedded_start_is_not_used_as_the_start() -> None:
    session = Session.from_json(record(breaks=[], recordings=[]))
    end_of_time = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    cov = build_coverage(Recording("20260302_100004.wav"), probe_result(embedded_start=end_of_time),
                         session=session)
    assert cov.start_source == "filename"
    assert cov.claimed is not None


@pytest.mark.parametrize("duration", [float("inf"), float("nan"), 1e300])
def test_an_absurd_duration_is_an_input_error(duration: float) -> None:
    session = Session.from_json(record(breaks=[], recordings=[]))
    with pytest.raises(InputError, match=r"x\.wav: .*duration"):
        build_coverage(Recording("x.wav", session.start), probe_result(duration=duration),
                       session=session)




# --- policy files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("[" * 100_000 + "]" * 100_000, r"p\.json: the JSON is nested too deeply"),
        ('{"extends": "generic", "retention": {"years": ' + "9" * 5000 + "}}",
         r"p\.json: not valid JSON: .*digits"),
        ('{"extends": "generic", "name": "x", "tolerances": {"min_gap_s": 1e999}}',
         r"p\.json: tolerances\.min_gap_s must be a number >= 0, got inf; at most 1e\+09"),
        ('{"extends": "generic", "name": "x", "retention": {"from": "verdict_in_force", '
         '"years": 10000000000}}',
         r"p\.json: retention\.years must be a whole number >= 0, got 10+; at most 1000"),
    ],
)
def test_hostile_policy_files_are_a_session_error(tmp_path: Path, text: str,
                                                  pattern: str) -> None:
    from auditor.session import load_policy

    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SessionError, match=pattern):
        load_policy(path)


