"""`auditor demo` finds exactly the defects it planted, and nothing else."""

import json

from click.testing import CliRunner

from auditor.cli import cli
from auditor.demo import PLANTED, match_planted


def test_demo_finds_exactly_what_was_planted(tmp_path):
    r = CliRunner().invoke(cli, ["demo", str(tmp_path / "d")])
    assert r.exit_code == 1, r.output
    assert "NOT FOUND" not in r.output
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    pairs = match_planted(report, tolerance=0.02)
    assert all(hit is not None for _, hit in pairs)
    # nothing else, apart from the act issues that accompany each unexplained gap
    others = [f for f in report["findings"] if f not in [h for _, h in pairs]]
    assert {f["kind"] for f in others} == {"act_issue"}
    assert len(others) == sum(1 for p in PLANTED if "wall_start" in p)
    assert report["session"]["case"] == "2-1234/2026"
