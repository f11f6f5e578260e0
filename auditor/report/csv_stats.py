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

__all__ = ["ROW_FIELDS", "SUMMARY_FIELDS", "findings_csv", "summary_csv", "safe_cell"]

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


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    session = report.get("session") or {}
    hashes = {f["path"]: f.get("sha256") for f in report.get("files", [])}
    day = (session.get("start") or "")[:10] or None
    out = []
    for f in report.get("findings", []):
        out.append({
            "file": f.get("file"), "sha256": hashes.get(f.get("file")),
            "court": session.get("court"), "case": session.get("case"), "session_date": day,
            "kind": f["kind"], "severity": f["severity"], "confidence": f.get("confidence"),
            "start": f.get("start"), "end": f.get("end"), "wall_start": f.get("wall_start"),
            "wall_end": f.get("wall_end"), "rule": f.get("rule"), "detector": f.get("detector"),
            "message": f.get("message"),
        })
    return out


def _write(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: safe_cell(row.get(k)) for k in fields})
    return "\ufeff" + buf.getvalue()


def findings_csv(reports: list[dict[str, Any]]) -> str:
    """One row per finding of every report, in :data:`ROW_FIELDS` order."""
    return _write(ROW_FIELDS, [r for rep in reports for r in _rows(rep)])


def summary_csv(reports: list[dict[str, Any]]) -> str:
    """Counts of findings per court, year (of the session, else of the report) and kind."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for rep in reports:
        session = rep.get("session") or {}
        year = (session.get("start") or rep.get("created") or "")[:4]
        for f in rep.get("findings", []):
            counts[(session.get("court") or "", year, f["kind"])] += 1
    rows = [{"court": c, "year": y, "kind": k, "count": n}
            for (c, y, k), n in sorted(counts.items())]
    return _write(SUMMARY_FIELDS, rows)
