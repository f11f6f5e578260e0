"""A study's files: each table as CSV, and one self-contained HTML page with bar charts.

No script, font, style sheet or image is loaded from anywhere (a Content-Security-Policy forbids
it); the charts are SVG rectangles computed from the same rows as the CSV files, so the page and
the tables cannot disagree. The page names the tool version and the SHA-256 of every input
report, and holds no time of its own making: the same reports give the same bytes. It is in
English, like the CSV column names (the words are the tables' own).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from ..findings import printable
from .csv_stats import write_csv
from .stats import ALL, TABLES, Study, study_tables

__all__ = ["PAGE", "study_files", "study_html"]

#: The HTML page's file name in the study folder (each table is ``NAME.csv`` beside it).
PAGE = "index.html"

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'")
_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:13px;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px;word-break:break-all}.bad{color:#a00}
svg text{font:12px system-ui,sans-serif}
"""
_NOTES = {
    "findings": "Every finding of every report, counted by the court and year of its session "
                "(an archive finding's own court and year; a scan without a session record: "
                "(unknown)). One unrecorded span gives a gap finding and, when no act explains "
                "it, an act_issue: kinds are counted apart.",
    "unrecorded": "A hearing is one session record. Unrecorded: its late_start, "
                  "missing_segment and early_stop findings (session time outside announced "
                  "breaks and grace periods that no recording covers), their wall-clock spans "
                  "merged. Without act: the part no act of failure to record explains. "
                  "Scheduled: session time minus breaks, where the report holds the record.",
    "acts": "Acts of failure to record listed in the session records. An archive report does "
            "not copy its records' acts: its hearings count in hearings but not in "
            "hearings_acts_known. spans_without_act: unrecorded spans not wholly explained by "
            "an act.",
    "hearings": "One row per hearing counted, with the report (and archive session record) "
                "it was read from.",
    "inputs": "Every report given, with the SHA-256 of the bytes that were read.",
}


def _e(value: Any) -> str:
    return html.escape(printable("" if value is None else str(value)))


def _bars(title: str, items: list[tuple[str, float, float | None]], unit: str) -> str:
    """A horizontal bar chart: one bar per ``(label, value, darker part)``."""
    if not items:
        return ""
    top = max((v for _, v, _ in items), default=0.0) or 1.0
    row, left, width = 22, 230, 340
    height = row * len(items) + 30
    out = [f'<figure><svg role="img" width="{left + width + 90}"'
           f' height="{height}" viewBox="0 0 {left + width + 90} {height}">'
           f"<title>{_e(title)}</title>"
           f'<text x="0" y="14" font-weight="bold">{_e(title)}</text>']
    for i, (label, value, part) in enumerate(items):
        y = 24 + i * row
        w = width * value / top
        short = label if len(label) <= 34 else label[:33] + "…"
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_e(short)}</text>'
                   f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                   f'fill="#9ab"/>')
        if part:
            out.append(f'<rect x="{left}" y="{y + 3}" width="{width * part / top:.1f}" '
                       f'height="{row - 6}" fill="#c33"/>')
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{value:g}{unit}</text>')
    return "".join(out) + "</svg></figure>"


def _table(name: str, rows: list[dict[str, Any]]) -> str:
    cols = TABLES[name]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            num = isinstance(v, int | float) and not isinstance(v, bool)
            inner = f"<code>{_e(v)}</code>" if c == "sha256" else _e(v)
            cells.append(f'<td class="n">{inner}</td>' if num else f"<td>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(cols)}">none</td></tr>')
    return (f'<h2 id="{name}">{name.capitalize()} <small>(<a href="{name}.csv">{name}.csv'
            f"</a>)</small></h2><p>{_e(_NOTES[name])}</p>"
            f"<table><tr>{head}</tr>{''.join(body)}</table>")


def study_html(study: Study, tables: dict[str, list[dict[str, Any]]]) -> str:
    """The page: a summary, four charts, every table, and the inputs with their SHA-256."""
    kinds: Counter[str] = Counter()
    for r in tables["findings"]:
        kinds[r["kind"]] += r["findings"]
    courts = [r for r in tables["unrecorded"] if r["court"] != ALL]
    per_court: dict[str, list[float]] = {}
    for r in courts:
        agg = per_court.setdefault(r["court"], [0, 0, 0.0, 0.0])
        agg[0] += r["hearings"]
        agg[1] += r["hearings_unrecorded"]
        agg[2] += r["unrecorded_minutes"] or 0.0
        agg[3] += r["minutes_without_act"] or 0.0
    charts = [
        _bars("Findings by kind (all courts and years)",
              [(k, float(n), None) for k, n in sorted(kinds.items())], ""),
        _bars("Hearings with unrecorded session time, per court",
              [(c, round(100 * a[1] / a[0], 1), None) for c, a in sorted(per_court.items())
               if a[0]], " %"),
        _bars("Minutes unrecorded per court (red: no act explains them)",
              [(c, round(a[2], 1), round(a[3], 1)) for c, a in sorted(per_court.items())],
              " min"),
        _bars("Acts of failure to record per court",
              [(r["court"], float(r["acts"]), None) for r in tables["acts"]
               if r["court"] != ALL and r["hearings_acts_known"]], ""),
    ]
    total = next(r for r in tables["unrecorded"] if r["court"] == ALL)
    lines = [
        f"{len(study.sources)} reports given, {len(study.problems)} not readable; "
        f"{total['hearings']} hearings, {sum(kinds.values())} findings.",
        f"{total['hearings_unrecorded']} of {total['hearings']} hearings have unrecorded session "
        f"time: {total['unrecorded_minutes'] or 0:g} minutes, of which "
        f"{total['minutes_without_act'] or 0:g} no act explains.",
    ]
    problems = "".join(f'<li class="bad">{_e(p.diagnostics())}</li>' for p in study.problems)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Study statistics</title><style>{_STYLE}</style></head><body>",
        "<h1>Study statistics</h1>", "".join(f"<p>{_e(t)}</p>" for t in lines),
        f"<h2>Reports that could not be read</h2><ul>{problems}</ul>" if problems else "",
        *charts, *(_table(name, tables[name]) for name in TABLES),
        f"<p>Made by auditor {_e(study.version)} from the reports listed under Inputs, each "
        "named with the SHA-256 of its bytes; the same reports give the same page.</p>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def study_files(study: Study) -> dict[str, str]:
    """Every file of the study folder, name -> text: ``NAME.csv`` per table, and :data:`PAGE`."""
    tables = study_tables(study)
    files = {f"{name}.csv": write_csv(cols, tables[name]) for name, cols in TABLES.items()}
    files[PAGE] = study_html(study, tables)
    return files
