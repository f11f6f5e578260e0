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
      "grid": {"nominal": 50, "text": "..."},    # optional: the mains frequency (50, 60 or
                                           # "auto") the splice cues assume, and why
      "rules": {"continuity": {"severity": "high", "cite": "p.6", "text": "...",
                               "enabled": true}, ...}
    }

The rules are listed in :data:`RULES`. An unrecorded span that an act fully explains is still a
``missing_segment`` (the hearing was not recorded), under the rule ``continuity_explained`` whose
severity is lower; an unrecorded span with no act adds an ``act_issue`` under ``suspension``.

This module parses and validates a policy object (:meth:`Policy.from_json`) and writes it back
(:meth:`Policy.to_json`); :mod:`.terms` holds the parts it is made of, and :mod:`.policy_load`
finds a policy by profile name or path (:func:`~.policy_load.load_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SessionError
from ..findings import SEVERITIES
from ._parse import show
from .names import DEFAULT_NAME_PATTERNS, compile_name_pattern
from .terms import RULES, Retention, Rule, Tolerances

__all__ = [
    "POLICY_SCHEMA",
    "RULES",
    "Policy",
    "Retention",
    "Rule",
    "Tolerances",
]

POLICY_SCHEMA = "auditor.policy/1"


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
        "grid",
    }
)


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
    #: the grid's nominal frequency ("50", "60" or "auto"; None: the policy does not say) and
    #: the policy's reason for it
    grid: str | None = None
    grid_text: str = ""

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
        grid, grid_text = _grid(obj.get("grid"), source)
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
            grid=grid,
            grid_text=grid_text,
        )

    def to_json(self) -> dict[str, Any]:
        """The policy as a self-contained ``auditor.policy/1`` object (for report parameters)."""
        grid = {} if self.grid is None else {"grid": {
            "nominal": self.grid if self.grid == "auto" else int(self.grid),
            "text": self.grid_text}}
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
            **grid,
        }


def _grid(value: object, source: str | None) -> tuple[str | None, str]:
    """The policy's ``grid``: its nominal frequency as ``GRIDS`` spells it, and its text."""
    if value is None:
        return None, ""
    obj = _object(value, "grid", frozenset({"nominal", "text"}), source)
    nominal, text = obj.get("nominal"), obj.get("text", "")
    if nominal not in (50, 60, "auto") or isinstance(nominal, bool):
        raise SessionError(
            f"grid.nominal must be 50, 60 or \"auto\", got {show(nominal)}",
            path=source,
            hint="the mains frequency (Hz) where the policy's courts sit, or auto to measure it",
        )
    if not isinstance(text, str):
        raise SessionError(f"grid.text must be text, got {show(text)}", path=source)
    return str(int(nominal)) if nominal != "auto" else "auto", text


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
