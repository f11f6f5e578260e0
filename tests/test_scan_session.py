"""`auditor scan --session`: continuity findings in the report, bad records are exit 2."""

import json

import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli

SR = 16000


@pytest.fixture
def hearing(tmp_path, rng):
    write(tmp_path / "part1.wav", speechlike(rng, 60 * SR, SR), SR)
    write(tmp_path / "part2.wav", speechlike(rng, 60 * SR, SR), SR)
    record = {
        "schema": "auditor.session/1", "court": "C", "case": "1-1/2026",
        "start": "2026-03-02T23:59:00+05:00", "end": "2026-03-03T00:02:30+05:00",
        "breaks": [],
        "recordings": [{"file": "part1.wav", "start": "2026-03-02T23:59:00+05:00"},
                       {"file": "part2.wav", "start": "2026-03-03T00:01:30+05:00"},
                       {"file": "part3.wav", "start": "2026-03-03T00:02:00+05:00"}],
        "acts": [],
    }  # fmt: skip
    path = tmp_path / "session.json"
    path.write_text(json.dumps(record))
    return path


def test_gap_across_midnight_and_missing_file(hearing):
    r = CliRunner().invoke(cli, ["scan", "--session", str(hearing), "--format", "json"])
    assert r.exit_code == 1, r.output
    rep = json.loads(r.output)
    kinds = sorted(f["kind"] for f in rep["findings"])
    assert "missing_file" in kinds and "missing_segment" in kinds
    [gap] = [f for f in rep["findings"] if f["kind"] == "missing_segment"]
    assert gap["wall_start"].startswith("2026-03-03T00:00:00") and gap["wall_end"].startswith(
        "2026-03-03T00:01:30")
    assert rep["session"]["case"] == "1-1/2026"
    assert rep["tool"]["parameters"]["policy"]["name"] == "generic"
    assert [f["path"] for f in rep["files"]] == ["part1.wav", "part2.wav"]


def test_text_output_shows_the_timeline(hearing):
    r = CliRunner().invoke(cli, ["scan", "--session", str(hearing), "--format", "text",
                                 "--policy", "kz-2015"])
    assert r.exit_code == 1
    assert "NOT RECORDED" in r.output and "kz-2015 p.6" in r.output


@pytest.mark.parametrize("broken,pattern", [
    ({"end": "2026-03-02T23:00:00+05:00"}, "end"),
    ({"start": "2026-03-02T23:59:00"}, "offset"),
    ({"schema": "auditor.session/9"}, "schema"),
])
def test_malformed_record_is_exit_2(hearing, broken, pattern):
    data = json.loads(hearing.read_text())
    data.update(broken)
    hearing.write_text(json.dumps(data))
    r = CliRunner().invoke(cli, ["scan", "--session", str(hearing)])
    assert r.exit_code == 2 and "session.json" in r.output and pattern in r.output
    assert "Traceback" not in r.output


def test_unknown_policy_is_exit_2(hearing):
    r = CliRunner().invoke(cli, ["scan", "--session", str(hearing), "--policy", "kz-1999"])
    assert r.exit_code == 2 and "kz-1999" in r.output
