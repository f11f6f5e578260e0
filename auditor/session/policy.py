"""Continuity and retention policies, as data files (``auditor.policy/1``).

A policy gives the tolerances of the continuity audit, the retention period, and for each rule
its severity and the citation of the provision it enforces. Two profiles ship with the package
(``profiles/kz-2015.json`` and ``profiles/generic.json``); a user writes their own file in the same
format, or starts from a profile with ``"extends": "kz-2015"`` and overrides only what differs.

Format::

    {
      "schema": "auditor.policy/1",
      "name": "my-court",                  # used in every finding's "rule" ("my-court p.6")
      "extends": "kz-2015",                # optional: start from this profile
      "title": "...", "source": "...",     # what the policy is, for reports
      "tolerances": {
        "start_grace_s": 60,               # recording may begin this late without a finding
        "end_grace_s": 60,                 # ... and stop this early
        "break_grace_s": 60,               # ... and stop/resume this far from a break's bounds
        "min_gap_s": 2,                    # shorter unrecorded spans are not findings
        "overlap_min_s": 1,                # shorter overlaps of two files are not findings
        "timestamp_tolerance_s": 5,        # embedded start vs the record
        "act_tolerance_s": 60,             # an act's bounds may be off by this much (acts
                                           # are written to the minute)
        "act_signing_max_delay_h": 24,     # an act signed later than this after the session end
        "act_min_signatories": 2           # fewer signatures on an act is a finding
      },
      "retention": {"from": "verdict_in_force", "years": 1, "months": 0, "days": 0},
      "file_name_patterns": ["%Y%m%d_%H%M%S"],   # optional; see auditor.session.names
      "rules": {"continuity": {"severity": "high", "cite": "p.6", "text": "...",
                               "enabled": true}, ...}
    }

The rules are listed in :data:`RULES`. An unrecorded span that an act fully explains is still a
``missing_segment`` (the hearing was not recorded), under the rule ``continuity_explained`` whose
severity is lower; an unrecorded span with no act adds an ``act_issue`` under ``suspension``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SessionError
from ..findings import SEVERITIES
from ._parse import show
from .names import DEFAULT_NAME_PATTERNS, compile_name_pattern

__all__ = [
    "POLICY_SCHEMA",
    "RULES",
    "Policy",
    "Retention",
    "Rule",
    "Tolerances",
    "load_policy",
    "profile_names",
]

POLICY_SCHEMA = "auditor.policy/1"

#: Rule id -> what it checks (the finding kind it produces).
RULES: Mapping[str, str] = {
    "continuity": "missing_segment: session time not recorded, outside breaks, no act for it",
    "continuity_explained": "missing_segment: session time not recorded, an act explains it",
    "late_start": "late_start: recording began after the session opened",
    "early_stop": "early_stop: recording ended before the session closed",
    "overlap": "overlap: two files claim the same time",
    "missing_file": "missing_file: a declared recording is absent or unreadable",
    "timestamp_mismatch": "timestamp_mismatch: an embedded start contradicts the record",
    "suspension": "act_issue: an unrecorded span with no act",
    "act_partial": "act_issue: an act covers only part of the span it explains",
    "act_late": "act_issue: an act signed long after the session, or before the failure",
    "act_signatures": "act_issue: an act without its signing time or enough signatures",
    "act_contradicted": "act_issue: an act for time the recordings cover",
    "retention": "early_destruction / retention_overdue (archive audit)",
}

_TOLERANCE_FIELDS = (
    "start_grace_s",
    "end_grace_s",
    "break_grace_s",
    "min_gap_s",
    "overlap_min_s",
    "timestamp_tolerance_s",
    "act_tolerance_s",
    "act_signing_max_delay_h",
    "act_min_signatories",
)
#: Bounds that keep every tolerance and retention period representable as a time span.
_MAX_TOLERANCE = 1e9
_MAX_RETENTION = {"years": 1000, "months": 12000, "days": 366000}
_TOP = frozenset(
    {
        "schema",
        "name",
        "extends",
        "title",
        "source",
        "tolerances",
        "retention",
        "file_name_patterns",
        "rules",
    }
)


@dataclass(frozen=True)
class Tolerances:
    """How far reality may differ from the record before it is a finding (seconds unless named)."""

    start_grace_s: float
    end_grace_s: float
    break_grace_s: float
    min_gap_s: float
    overlap_min_s: float
    timestamp_tolerance_s: float
    act_tolerance_s: float
    act_signing_max_delay_h: float
    act_min_signatories: int


@dataclass(frozen=True)
class Retention:
    """How long recordings are kept: a period counted from ``from_`` (``verdict_in_force``)."""

    from_: str
    years: int = 0
    months: int = 0
    days: int = 0

    def until(self, start: date) -> date:
        """The first day recordings may be destroyed, counting the period from ``start``.

        Parameters
        ----------
        start
            The date the period starts (e.g. the verdict entered into force).

        Returns
        -------
        date
            ``start`` plus the period; the 29th of February maps to the 28th in other years.
        """
        month0 = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month0 // 12, month0 % 12 + 1
        day = start.day
        while True:
            try:
                shifted = date(year, month, day)
                break
            except ValueError:
                day -= 1
        return shifted + timedelta(days=self.days)


@dataclass(frozen=True)
class Rule:
    """One rule: its severity, the provision it cites, and that provision's text."""

    id: str
    severity: str
    cite: str
    text: str
    enabled: bool = True


@dataclass(frozen=True)
class Policy:
    """A validated policy (see the module's documentation for the file format)."""

    name: str
    title: str
    source: str
    tolerances: Tolerances
    retention: Retention
    rules: Mapping[str, Rule]
    name_patterns: tuple[str, ...] = DEFAULT_NAME_PATTERNS
    path: str | None = None

    def rule(self, rule_id: str) -> Rule:
        """The rule ``rule_id`` (one of :data:`RULES`)."""
        return self.rules[rule_id]

    def ref(self, rule_id: str) -> str:
        """What a finding's ``rule`` field says: ``"kz-2015 p.6"``, or ``"generic continuity"``."""
        cite = self.rules[rule_id].cite
        return f"{self.name} {cite}" if cite else f"{self.name} {rule_id}"

    @classmethod
    def from_json(cls, data: object, *, source: str | None = None) -> Policy:
        """Parse and validate an ``auditor.policy/1`` object (``extends`` already resolved).

        Raises
        ------
        SessionError
            Naming the field and the offending value.
        """
        obj = _object(data, "the policy", _TOP, source)
        if obj.get("schema") != POLICY_SCHEMA:
            raise SessionError(
                f"schema {obj.get('schema')!r} is not supported",
                path=source,
                hint=f'this version reads "schema": "{POLICY_SCHEMA}"',
            )
        name = obj.get("name")
        if not isinstance(name, str) or not name.strip() or " " in name:
            raise SessionError(
                f"name must be a short identifier without spaces, got {name!r}",
                path=source,
                hint='e.g. "name": "almaty-city-court"',
            )
        tol = _object(obj.get("tolerances"), "tolerances", frozenset(_TOLERANCE_FIELDS), source)
        values: dict[str, float] = {}
        for key in _TOLERANCE_FIELDS:
            value = tol.get(key)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= _MAX_TOLERANCE
            ):
                raise SessionError(
                    f"tolerances.{key} must be a number >= 0, got {show(value)}; "
                    f"at most {_MAX_TOLERANCE:g} is accepted",
                    path=source,
                    hint=f"set tolerances.{key}",
                )
            values[key] = float(value)
        ret = _object(
            obj.get("retention"),
            "retention",
            frozenset({"from", "years", "months", "days"}),
            source,
        )
        if ret.get("from") != "verdict_in_force":
            raise SessionError(
                f"retention.from {ret.get('from')!r} is not supported",
                path=source,
                hint='write "from": "verdict_in_force"',
            )
        period = {}
        for key, most in _MAX_RETENTION.items():
            value = ret.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
                raise SessionError(
                    f"retention.{key} must be a whole number >= 0, got {show(value)}; "
                    f"at most {most} is accepted",
                    path=source,
                )
            period[key] = value
        patterns = obj.get("file_name_patterns", list(DEFAULT_NAME_PATTERNS))
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise SessionError(
                f"file_name_patterns must be a list of patterns, got {patterns!r}", path=source
            )
        for pattern in patterns:
            try:
                compile_name_pattern(pattern)
            except SessionError as exc:
                raise SessionError(
                    f"file_name_patterns: {exc.what}", path=source, hint=exc.hint
                ) from None
        raw_rules = _object(obj.get("rules"), "rules", frozenset(RULES), source)
        rules = {}
        for rule_id in RULES:
            where = f"rules.{rule_id}"
            item = _object(
                raw_rules.get(rule_id),
                where,
                frozenset({"severity", "cite", "text", "enabled"}),
                source,
            )
            severity = item.get("severity")
            if severity not in SEVERITIES:
                raise SessionError(
                    f"{where}.severity {severity!r} is not one of {', '.join(SEVERITIES)}",
                    path=source,
                )
            for key in ("cite", "text"):
                if not isinstance(item.get(key, ""), str):
                    raise SessionError(
                        f"{where}.{key} must be text, got {item.get(key)!r}", path=source
                    )
            enabled = item.get("enabled", True)
            if not isinstance(enabled, bool):
                raise SessionError(
                    f"{where}.enabled must be true or false, got {enabled!r}", path=source
                )
            rules[rule_id] = Rule(
                rule_id, severity, item.get("cite", ""), item.get("text", ""), enabled
            )
        return cls(
            name=name,
            title=str(obj.get("title", name)),
            source=str(obj.get("source", "")),
            tolerances=Tolerances(
                **{k: values[k] for k in _TOLERANCE_FIELDS if k != "act_min_signatories"},
                act_min_signatories=int(values["act_min_signatories"]),
            ),
            retention=Retention(from_="verdict_in_force", **period),
            rules=rules,
            name_patterns=tuple(patterns),
            path=source,
        )

    def to_json(self) -> dict[str, Any]:
        """The policy as a self-contained ``auditor.policy/1`` object (for report parameters)."""
        return {
            "schema": POLICY_SCHEMA,
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "tolerances": {k: getattr(self.tolerances, k) for k in _TOLERANCE_FIELDS},
            "retention": {
                "from": self.retention.from_,
                "years": self.retention.years,
                "months": self.retention.months,
                "days": self.retention.days,
            },
            "file_name_patterns": list(self.name_patterns),
            "rules": {
                r.id: {"severity": r.severity, "cite": r.cite, "text": r.text, "enabled": r.enabled}
                for r in self.rules.values()
            },
        }


def _object(
    value: object, where: str, allowed: frozenset[str], source: str | None
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SessionError(
            f"{where} must be an object, got {value!r}", path=source, hint=f"add {where}"
        )
    unknown = sorted(k for k in value if k not in allowed)
    if unknown:
        raise SessionError(
            f"{where} has unknown field {unknown[0]!r}",
            path=source,
            hint=f"known fields are {', '.join(sorted(allowed))}",
        )
    return value


def profile_names() -> list[str]:
    """The names of the profiles shipped with the package."""
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def _read_profile(name: str) -> dict[str, Any]:
    data = json.loads(
        resources.files(__package__).joinpath("profiles", f"{name}.json").read_text("utf-8")
    )
    assert isinstance(data, dict)
    return data


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_policy(name_or_path: str | os.PathLike[str]) -> Policy:
    """Load a shipped profile by name (``kz-2015``, ``generic``) or a policy file by path.

    Parameters
    ----------
    name_or_path
        A profile name, or the path of a ``.json`` policy file.

    Returns
    -------
    Policy

    Raises
    ------
    SessionError
        If there is no such profile or file, or the file breaks a rule of ``auditor.policy/1``.
    """
    text = os.fspath(name_or_path)
    names = profile_names()
    if text in names:
        return Policy.from_json(_read_profile(text), source=f"profile {text}")
    path = Path(text)
    if not path.is_file():
        raise SessionError(
            f"no policy profile or file named {text!r}",
            hint=f"use one of the profiles {', '.join(names)} or the path of a policy .json file",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", path=path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"cannot read the policy: {exc}", path=path) from None
    except ValueError as exc:  # an integer of thousands of digits
        what = str(exc).partition(";")[0]
        raise SessionError(f"not valid JSON: {what}", path=path, hint="fix the value") from None
    except RecursionError:
        raise SessionError(
            "the JSON is nested too deeply to be a policy", path=path, hint="check the file"
        ) from None
    if isinstance(data, dict) and "extends" in data:
        base = data.pop("extends")
        if base not in names:
            raise SessionError(
                f"extends {show(base)} is not a shipped profile",
                path=path,
                hint=f"use one of {', '.join(names)}",
            )
        data = _merge(_read_profile(base), data)
    return Policy.from_json(data, source=os.fspath(path))
