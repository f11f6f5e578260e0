"""CSV for statistics: one row per finding, and counts per court, year and kind.

Written with the standard ``csv`` module (RFC 4180 quoting), UTF-8 with a byte-order mark so
spreadsheet programs open Cyrillic text correctly. A cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` (OWASP, "CSV Injection"), so a file name
or a message can never run as a spreadsheet formula; numbers are written as numbers. Column
headers stay in English (they are field names for programs); values are the report's own, with
invisible and bidirectional control characters shown as ``<U+202E>``
(:func:`auditor.findings.printable`): a spreadsheet is read by people.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from ..findings import printable

__all__ = ["ROW_FIELDS", "SUMMARY_FIELDS", "findings_csv", "summary_csv", "safe_cell",
           "write_csv"]

ROW_FIELDS = ("file", "sha256", "court", "case", "session_date", "kind", "severity",
              "confidence", "start", "end", "wall_start", "wall_end", "rule", "detector",
              "message")
SUMMARY_FIELDS = ("court", "year", "kind", "count")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet: text that could start a formula gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = printable(str(value), keep="\t\n\r")  # quoted by the csv module
    return "'" + text if text.startswith(_FORMULA) else text


def _archive_sessions(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """An archive report's findings (by index) that belong to a session, and that session."""
    arc = report.get("archive")
    cases = arc.get("cases") if isinstance(arc, dict) else None
    out: dict[int, dict[str, Any]] = {}
    for case in cases if isinstance(cases, list) else []:
        for s in (case.get("sessions") or []) if isinstance(case, dict) else []:
            if isinstance(s, dict) and isinstance(s.get("findings"), list):
                out.update({i: s for i in s["findings"] if isinstance(i, int)})
    return out


def _context(report: dict[str, Any]) -> list[tuple[Any, Any, Any, str]]:
    """Each finding's court, case, session date and year: the report's session record's, or
    for an archive report the finding's own (``evidence.court``/``case``/``year``) with the
    date of the session it belongs to."""
    findings = report.get("findings", [])
    if report.get("archive") is None:
        session = report.get("session") or {}
        start = session.get("start") or ""
        year = (start or report.get("created") or "")[:4]
        return [(session.get("court"), session.get("case"), start[:10] or None, year)
                for _ in findings]
    sessions = _archive_sessions(report)
    out = []
    for i, f in enumerate(findings):
        ev = f.get("evidence") or {}
        s = sessions.get(i, {})
        start = s["start"] if isinstance(s.get("start"), str) else ""
        year = ev.get("year")
        out.append((ev.get("court") or s.get("court"), ev.get("case") or s.get("case"),
                    start[:10] or None, start[:4] if year in (None, "") else str(year)))
    return out


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    hashes = {f["path"]: f.get("sha256") for f in report.get("files", [])}
    out = []
    for f, (court, case, day, _year) in zip(report.get("findings", []), _context(report),
                                            strict=True):
        out.append({
            "file": f.get("file"), "sha256": hashes.get(f.get("file")),
            "court": court, "case": case, "session_date": day,
            "kind": f["kind"], "severity": f["severity"], "confidence": f.get("confidence"),
            "start": f.get("start"), "end": f.get("end"), "wall_start": f.get("wall_start"),
            "wall_end": f.get("wall_end"), "rule": f.get("rule"), "detector": f.get("detector"),
            "message": f.get("message"),
        })
    return out


def write_csv(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """``rows`` as CSV text with a header of ``fields``: UTF-8 BOM, CRLF, safe cells."""
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: safe_cell(row.get(k)) for k in fields})
    return "\ufeff" + buf.getvalue()


def findings_csv(reports: list[dict[str, Any]]) -> str:
    """One row per finding of every report, in :data:`ROW_FIELDS` order."""
    return write_csv(ROW_FIELDS, [r for rep in reports for r in _rows(rep)])


def summary_csv(reports: list[dict[str, Any]]) -> str:
    """Counts of findings per court, year (of the session, else of the report; an archive
    finding's own) and kind."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for rep in reports:
        for f, (court, _case, _day, year) in zip(rep.get("findings", []), _context(rep),
                                                 strict=True):
            counts[(court or "", year, f["kind"])] += 1
    rows = [{"court": c, "year": y, "kind": k, "count": n}
            for (c, y, k), n in sorted(counts.items())]
    return write_csv(SUMMARY_FIELDS, rows)
