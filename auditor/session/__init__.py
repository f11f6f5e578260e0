"""Session records, continuity timeline and policies.

Typical use (what ``auditor scan FILE... --session S.json`` does)::

    session = load_session("S.json")
    policy = load_policy("kz-2015")
    coverages = [build_coverage(rec, probe(session.resolve(rec)), uncovered=[...],
                                session=session, name_patterns=policy.name_patterns)
                 for rec in session.recordings]
    findings = audit_continuity(session, coverages, policy)
    print(render_timeline(session, coverages, findings))
"""

from __future__ import annotations

from .continuity import audit_continuity
from .csvform import session_from_csv, session_to_csv
from .load import load_session
from .names import DEFAULT_NAME_PATTERNS, start_from_name
from .policy import Policy
from .policy_load import load_policy, profile_names
from .record import SCHEMA, Act, Break, Recording, Session
from .render import render_timeline
from .timeline import Coverage, Interval, build_coverage

__all__ = [
    "DEFAULT_NAME_PATTERNS",
    "SCHEMA",
    "Act",
    "Break",
    "Coverage",
    "Interval",
    "Policy",
    "Recording",
    "Session",
    "audit_continuity",
    "build_coverage",
    "load_policy",
    "load_session",
    "profile_names",
    "render_timeline",
    "session_from_csv",
    "session_to_csv",
    "start_from_name",
]
