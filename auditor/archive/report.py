"""The archive report: the contract's JSON report plus an ``archive`` section, and its text form.

The ``archive`` section groups the report's findings (by their index in ``findings``) by case and
session, and counts them in a table by court, year and kind -- the figures court IT and NGOs
compare across courts. It is computed from the sorted findings, so it is as reproducible as they.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["archive_section", "render_archive_text"]

_UNKNOWN = "(unknown)"
_MARK = {"high": "HIGH", "warning": "WARN", "info": "info"}


def _key(value: Any) -> str:
    return _UNKNOWN if value in (None, "") else str(value)


def archive_section(findings: list[dict[str, Any]], *, sessions: list[dict[str, Any]],
                    facts: dict[str, Any]) -> dict[str, Any]:
    """The ``archive`` object of the report.

    Parameters
    ----------
    findings
        The report's ``findings`` (sorted, as serialised).
    sessions
        One object per session record found: ``record``, ``court``, ``case``, ``start``, ``end``,
        ``files``.
    facts
        Root, ledger, counts, problems: copied in as they are.
    """
    cases: dict[tuple[str, str], dict[str, Any]] = {}

    def case_of(court: Any, case: Any) -> dict[str, Any]:
        key = (_key(court), _key(case))
        if key not in cases:
            cases[key] = {"court": court, "case": case, "sessions": {}, "findings": []}
        return cases[key]

    for s in sessions:
        entry = case_of(s["court"], s["case"])
        entry["sessions"][s["record"]] = {**s, "findings": []}
    table: Counter[tuple[str, str, str]] = Counter()
    for i, f in enumerate(findings):
        ev = f["evidence"]
        entry = case_of(ev.get("court"), ev.get("case"))
        record = ev.get("session")
        if record is not None and record in entry["sessions"]:
            entry["sessions"][record]["findings"].append(i)
        else:
            entry["findings"].append(i)
        table[(_key(ev.get("court")), _key(ev.get("year")), f["kind"])] += 1
    grouped = []
    for key in sorted(cases):
        c = cases[key]
        grouped.append({"court": c["court"], "case": c["case"],
                        "sessions": [c["sessions"][k] for k in sorted(c["sessions"])],
                        "findings": c["findings"]})  # fmt: skip
    rows = [{"court": court, "year": year, "kind": kind, "findings": n}
            for (court, year, kind), n in sorted(table.items())]
    return {**facts, "cases": grouped, "table": rows}


def render_archive_text(report: dict[str, Any]) -> str:
    """A readable summary: counts, problems, the table by court/year/kind, findings by case."""
    arc = report["archive"]
    c = arc["counts"]
    lines = [
        f"archive {arc['root']}: {c['recordings']} recordings ({c['hours']:.2f} h of audio), "
        f"{c['sessions']} session records; ledger {arc['ledger']['path']}: {c['logged']} "
        f"recordings logged, {c['absent']} not in the archive; as of {arc['as_of']}",
    ]
    if c.get("retention_unknown"):
        lines.append(f"  {c['retention_unknown']} logged recordings have no retention date "
                     "(no retention entry, no verdict date): not judged on time")
    for p in arc["problems"]:
        lines.append(f"  {'NOT CHECKED' if p['blocking'] else 'skipped'}: {p['path']}: "
                     f"{p['message']}")
    if arc["table"]:
        lines += ["", f"{'court':<28} {'year':<9} {'kind':<22} findings"]
        lines += [f"{r['court'][:28]:<28} {r['year']:<9} {r['kind']:<22} {r['findings']}"
                  for r in arc["table"]]
    findings = report["findings"]
    for case in arc["cases"]:
        idx = case["findings"] + [i for s in case["sessions"] for i in s["findings"]]
        if not idx:
            continue
        lines += ["", f"{case['court'] or _UNKNOWN} / case {case['case'] or _UNKNOWN}:"]
        for i in sorted(idx):
            f = findings[i]
            rule = f" [{f['rule']}]" if f["rule"] else ""
            lines.append(f"  {_MARK[f['severity']]:4}  {f['kind']:<18} {f['file'] or 'session'}: "
                         f"{f['message']}{rule}")
    s = report["summary"]
    sev = ", ".join(f"{n} {k}" for k, n in s.get("by_severity", {}).items())
    lines += ["", f"{s['findings']} findings ({sev})." if s["findings"] else "No findings."]
    return "\n".join(lines) + "\n"
