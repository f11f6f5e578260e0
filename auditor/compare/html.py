"""The comparison as one self-contained HTML page: the files, the summary, the timelines, the
differences and the aligned segments.

The page holds everything (no script, no network: its Content-Security-Policy allows its one
style sheet only). As the scan report is, it is written by Jinja2 (``templates/compare.html.j2``)
with autoescaping and the i18n extension, in English, Russian or Kazakh from the report
catalogs (:mod:`auditor.report.i18n`, the words of :mod:`.words`), and every text from the
report (file names, messages, a bundle's origin) is also made
:func:`~auditor.findings.printable`. The drawing is :func:`.timelines.timelines_svg`; the tables
say the same in text, for a screen reader. The saved JSON report is the only input:
the same report gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from ..report.explain import kind_title, severity_label
from ..report.html import template_env, visible
from ..report.i18n import Lang, get_lang
from .edits import ALTERED, INSERTED, MISSING
from .timelines import COLOURS, Mismatch, mismatches, timelines_svg
from .words import conclusion, finding_message, fixed, kind_label, role_label, seconds, span

__all__ = ["render_compare_html", "title", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


_CSS = """\
html { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; }
body { max-width: 960px; margin: 0 auto; padding: 12px; line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 6px 0; }
h2 { font-size: 13pt; border-bottom: 2px solid #1f4e79; margin-top: 20px; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
thead th, table.kv th { background: #f3f6f9; }
table.kv th { width: 26%; font-weight: normal; }
tr { break-inside: avoid; }
.name, .message { overflow-wrap: anywhere; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; overflow-wrap: anywhere; }
.conclusion { font-size: 11.5pt; font-weight: bold; }
figure { margin: 8px 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption, footer { font-size: 9pt; color: #333; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.key { display: inline-block; width: 12px; height: 10px; margin-right: 4px; }
""" + "".join(f".key.{k} {{ background: {c}; }}\n" for k, c in COLOURS.items()) + """\
td.kind { border-left: 5px solid #999; }
""" + "".join(f"tr.{k} td.kind {{ border-left-color: {c}; }}\n" for k, c in COLOURS.items())

def _rows(tr: Lang, report: dict[str, Any], found: list[Mismatch]) -> list[dict[str, Any]]:
    several = {r: sum(f.get("role") == r for f in report["files"]) > 1 for r in ("reference",
                                                                                 "copy")}
    rows = []
    for m in found:
        f, ev = m.finding, m.finding["evidence"]
        rows.append({
            "n": m.n, "kind": m.kind, "title": kind_label(tr, m.kind),
            "copy_at": span(tr, float(f["start"]), float(f["end"])),
            "copy_file": f["file"] if several["copy"] else None,
            "ref_at": span(tr, float(ev["reference_start"]), float(ev["reference_end"])),
            "ref_file": ev.get("reference_file") if several["reference"] else None,
            "length": tr.gettext("%(n)s s", n=fixed(tr, m.length, 2)),
            "confidence": fixed(tr, float(f.get("confidence", 0.0)), 2),
            "message": finding_message(tr, f)})
    return rows


def _segments(tr: Lang, segments: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for s in segments:
        off = s.get("offset")
        c0, c1 = float(s["copy_start"]), float(s["copy_end"])
        rows.append({"copy_at": span(tr, c0, c1),
                     "ref_at": (tr.gettext("not found") if off is None
                                else span(tr, c0 + off, c1 + off)),
                     "offset": "" if off is None else tr.gettext(
                         "%(n)s s", n=fixed(tr, off, 3, sign=True)),
                     "ber": fixed(tr, float(s.get("ber", 0.0)), 3)})
    return rows


def _others(tr: Lang, report: dict[str, Any]) -> list[dict[str, str]]:
    """Findings of other detectors (a ledger's own problems): severity, kind, message."""
    return [{"severity": severity_label(tr, str(f.get("severity", ""))),
             "kind": kind_title(tr, str(f.get("kind", ""))),
             "message": str(f.get("message", ""))}
            for f in report.get("findings", []) if f.get("detector") != "compare"]


def render_compare_html(report: dict[str, Any], lang: str = "en") -> str:
    """A comparison report (:func:`~auditor.compare.report.build_compare_report`) as one
    self-contained HTML page; the same report gives the same text.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary with its ``comparison`` object.
    lang
        ``en``, ``ru`` or ``kk``: the language of every word of the page
        (:mod:`auditor.report.i18n`); the file names and hashes stay as they are.

    Returns
    -------
    str
        The HTML document.
    """
    tr = get_lang(lang)
    comp = report["comparison"]
    found = mismatches(report)
    counts = [sum(m.kind == k for m in found) for k in (MISSING, INSERTED, ALTERED)]
    params = report["tool"].get("parameters") or {}
    min_span = params.get("min_span", 0.75)
    css_hash = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
    method = (params.get("fingerprint") or {}).get("name", "audio")
    return str(template_env(TEMPLATES, lang).get_template("compare.html.j2").render(
        # values given to _() are escaped but not passed through finalize: made printable here
        report=report, comp=comp, css=_CSS,
        source={k: visible(v) for k, v in (comp.get("reference_source") or {}).items()},
        csp=(f"default-src 'none'; style-src 'sha256-{css_hash}'; base-uri 'none'; "
             "form-action 'none'"),
        lang=lang, title=title(tr), created=tr.datetime(report["created"]),
        version=visible(str(report["tool"]["version"])),
        svg=timelines_svg(report, tr), rows=_rows(tr, report, found), counts=counts,
        segments=_segments(tr, comp.get("segments") or []),
        conclusion=conclusion(tr, len(found), min_span),
        offset=tr.gettext("%(n)s s", n=fixed(tr, float(comp["offset"]), 3, sign=True)),
        min_span=seconds(tr, min_span), method=visible(str(method)), clock=tr.clock,
        fixed=lambda v, d: fixed(tr, float(v), d), role=lambda r: role_label(tr, r),
        others=_others(tr, report)))


def title(tr: Lang) -> str:
    """The report's title in the language (also the PDF's running header)."""
    return tr.gettext("Copy comparison report")
