"""Policies: shipped profiles, citations, user files validated like session records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import SessionError
from auditor.session.policy import RULES, Retention
from auditor.session.policy_load import load_policy, profile_names


def test_both_profiles_ship_as_data() -> None:
    assert {"kz-2015", "generic"} <= set(profile_names())
    for name in ("kz-2015", "generic"):
        policy = load_policy(name)
        assert policy.name == name
        assert set(policy.rules) == set(RULES)


def test_kz_2015_cites_the_guidelines() -> None:
    kz = load_policy("kz-2015")
    assert kz.ref("continuity") == "kz-2015 p.6"
    assert kz.ref("suspension") == "kz-2015 p.19"
    assert kz.ref("act_partial") == "kz-2015 p.17"
    assert kz.ref("act_late") == "kz-2015 pp.17-18"
    assert kz.ref("act_signatures") == "kz-2015 p.18"
    assert kz.ref("retention") == "kz-2015 p.27"
    assert "deliberation room" in kz.rule("continuity").text
    assert kz.tolerances.act_min_signatories == 2
    assert kz.retention.years == 1
    assert "6001-15-7-6/486" in kz.source


def test_generic_rules_are_named_by_id() -> None:
    assert load_policy("generic").ref("overlap") == "generic overlap"


def test_retention_until() -> None:
    kz = load_policy("kz-2015")
    assert kz.retention.until(date(2026, 4, 1)) == date(2027, 4, 1)
    assert kz.retention.until(date(2028, 2, 29)) == date(2029, 2, 28)
    assert Retention("verdict_in_force", months=13, days=2).until(date(2026, 12, 31)) == date(
        2028, 2, 2
    )


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_user_policy_extends_a_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "schema": "auditor.policy/1",
            "name": "almaty-2",
            "extends": "kz-2015",
            "tolerances": {"min_gap_s": 30},
            "rules": {"overlap": {"severity": "high"}},
            "file_name_patterns": ["rec_%Y%m%d-%H%M%S"],
        },
    )
    policy = load_policy(path)
    assert policy.name == "almaty-2"
    assert policy.tolerances.min_gap_s == 30
    assert policy.tolerances.start_grace_s == 60
    assert policy.rule("overlap").severity == "high"
    assert policy.rule("overlap").cite == "p.19"
    assert policy.ref("continuity") == "almaty-2 p.6"
    assert policy.name_patterns == ("rec_%Y%m%d-%H%M%S",)
    assert policy.path == str(path)


def test_full_user_policy_round_trips(tmp_path: Path) -> None:
    data = load_policy("kz-2015").to_json()
    data["name"] = "copy"
    assert load_policy(write(tmp_path, data)).to_json() == data


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"schema": "auditor.policy/9"}, r"schema 'auditor.policy/9' is not supported"),
        ({"name": "my court"}, r"name must be a short identifier"),
        ({"tolerances": {"min_gap_s": -1}}, r"tolerances.min_gap_s must be a number >= 0, got -1"),
        ({"tolerances": {"min_gap_s": "2"}}, r"tolerances.min_gap_s must be a number"),
        ({"tolerances": {"min_gap": 2}}, r"tolerances has unknown field 'min_gap'"),
        ({"rules": {"continuity": {"severity": "fatal"}}}, r"rules.continuity.severity 'fatal'"),
        ({"rules": {"continuity": {"enabled": "no"}}}, r"rules.continuity.enabled must be true"),
        ({"rules": {"contiuity": {}}}, r"rules has unknown field 'contiuity'"),
        ({"retention": {"years": 1.5}}, r"retention.years must be a whole number"),
        ({"retention": {"from": "filing"}}, r"retention.from 'filing' is not supported"),
        ({"file_name_patterns": ["%Y%m%d"]}, r"file_name_patterns: .* does not give H, M, S"),
        ({"extends": "kz-2016"}, r"extends 'kz-2016' is not a shipped profile"),
        ({"colour": "red"}, r"the policy has unknown field 'colour'"),
    ],
)
def test_malformed_user_policy(tmp_path: Path, change: dict[str, Any], match: str) -> None:
    data = {"schema": "auditor.policy/1", "name": "mine", "extends": "generic", **change}
    with pytest.raises(SessionError, match=match):
        load_policy(write(tmp_path, data))


def test_policy_missing_a_rule(tmp_path: Path) -> None:
    data = load_policy("generic").to_json()
    del data["rules"]["act_late"]
    with pytest.raises(SessionError, match=r"rules.act_late must be an object"):
        load_policy(write(tmp_path, data))


def test_unknown_profile_lists_the_shipped_ones() -> None:
    with pytest.raises(SessionError) as err:
        load_policy("kz-2051")
    assert "no policy profile or file named 'kz-2051'" in str(err.value)
    assert "kz-2015" in str(err.value) and "generic" in str(err.value)


def test_policy_not_json(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(SessionError, match=r"p.json: not valid JSON"):
        load_policy(path)
