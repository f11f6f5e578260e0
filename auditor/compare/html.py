"""The comparison as one self-contained HTML page: the files, the summary, the timelines, the
differences and the aligned segments.

The page holds everything (no script, no network: its Content-Security-Policy allows its one
style sheet only). As the scan report is, it is written by Jinja2 with autoescaping, and every
text from the report (file names, messages, a bundle's origin) is also made
:func:`~auditor.findings.printable`. The drawing is :func:`.timelines.timelines_svg`; the
tables say the same in text, for a screen reader. The saved JSON report is the only input:
the same report gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import Any

from markupsafe import Markup

from ..findings import format_time, printable
from .edits import ALTERED, INSERTED, MISSING
from .timelines import COLOURS, TITLES, Mismatch, mismatches, timelines_svg

__all__ = ["render_compare_html"]


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

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="generator" content="auditor {{ report.tool.version }}">
<title>Copy comparison report</title>
<style>{{ css|safe }}</style>
</head>
<body>
<h1>Copy comparison report</h1>
<p>Created {{ report.created }} by auditor {{ report.tool.version }}.</p>
<h2>Files</h2>
<table class="list files">
<thead><tr><th>Role</th><th>File</th><th>SHA-256</th><th>Duration</th></tr></thead>
<tbody>
{% for f in report.files %}
<tr><td>{{ f.get("role", "file") }}</td><td class="name">{{ f.path }}</td>
<td class="hash">{{ f.sha256 }}</td>
<td>{{ clock(f.duration) if f.get("duration") is not none else "unknown" }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if source.get("kind") in ("bundle", "ledger") %}
<p class="source">The reference is the content fingerprint logged as entry
{{ source.get("fingerprint_entry") }} for recording {{ source.get("recording") }}
(<span class="name">{{ source.get("name") }}</span>) in the {{ source.kind }}
<span class="name">{{ source.get("path") }}</span>:</p>
<table class="kv source">
<tr><th>Origin</th><td class="name">{{ source.get("origin") }}</td></tr>
<tr><th>Tree size</th><td>{{ source.get("tree_size") }}</td></tr>
<tr><th>Root</th><td class="hash">{{ source.get("root") }}</td></tr>
<tr><th>Recording's SHA-256</th><td class="hash">{{ source.get("recording_sha256") }}</td></tr>
{% if source.kind == "bundle" %}
<tr><th>Signer</th><td>{{ "authenticated by the trusted key" if source.get("authenticated")
else "NOT authenticated (no trusted key given): anyone can make a consistent bundle" }}</td></tr>
{% endif %}
</table>
{% endif %}
<h2>Summary</h2>
<p class="conclusion">{{ conclusion }}</p>
<table class="kv summary">
<tr><th>Offset</th><td>{{ "%+.3f"|format(comp.offset) }} s
(reference time minus copy time at the start)</td></tr>
<tr><th>Speed ratio</th><td>{{ "%.6f"|format(comp.speed_ratio) }}</td></tr>
<tr><th>Coverage</th><td>the copy covers {{ "%.1f"|format(100 * comp.coverage) }} %
of the reference</td></tr>
<tr><th>Durations</th><td>reference {{ clock(comp.reference_duration) }},
copy {{ clock(comp.copy_duration) }}</td></tr>
<tr><th>Differences</th><td>{{ counts[0] }} missing from the copy,
{{ counts[1] }} inserted into it, {{ counts[2] }} altered</td></tr>
</table>
<h2>Timelines</h2>
<figure class="timelines">
{{ svg }}
<figcaption>The reference above and the copy below, each to the scale of its own duration.
Joined bands are the stretches where the copy holds the reference's audio; the numbers are
the differences of the table below, which says the same in text.</figcaption>
<ul class="legend">
<li><span class="key band"></span>aligned audio</li>
<li><span class="key missing_in_copy"></span>missing from the copy (on the reference)</li>
<li><span class="key inserted_in_copy"></span>inserted into the copy (on the copy)</li>
<li><span class="key altered_in_copy"></span>altered in the copy (on both)</li>
</ul>
</figure>
<h2>Differences</h2>
{% if rows %}
<table class="list differences">
<thead><tr><th>#</th><th>Kind</th><th>Copy</th><th>Reference</th><th>Length</th><th>Confidence</th><th>What</th></tr></thead>
<tbody>
{% for r in rows %}
<tr class="{{ r.kind }}" id="d{{ r.n }}"><td class="kind">{{ r.n }}</td><td>{{ r.title }}</td>
<td>{{ r.copy_at }}
{%- if r.copy_file %}<br><span class="name">{{ r.copy_file }}</span>{% endif %}</td>
<td>{{ r.ref_at }}
{%- if r.ref_file %}<br><span class="name">{{ r.ref_file }}</span>{% endif %}</td>
<td>{{ "%.2f"|format(r.length) }} s</td><td>{{ "%.2f"|format(r.confidence) }}</td>
<td class="message">{{ r.message }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>None: no difference of at least {{ min_span }} s.</p>
{% endif %}
{% if others %}
<h2>Other findings</h2>
<ul class="others">
{% for f in others %}
<li>{{ f.get("severity", "") }}: {{ f.kind }}:
<span class="message">{{ f.get("message", "") }}</span></li>
{% endfor %}
</ul>
{% endif %}
<h2>Aligned segments</h2>
<table class="list segments">
<thead><tr><th>Copy</th><th>Reference</th><th>Offset</th><th>Bit error rate</th></tr></thead>
<tbody>
{% for s in segments %}
<tr><td>{{ s.copy_at }}</td><td>{{ s.ref_at }}</td><td>{{ s.offset }}</td><td>{{ s.ber }}</td></tr>
{% endfor %}
</tbody>
</table>
<footer>Method: {{ method }} audio fingerprints (20 ms sub-fingerprints), aligned by a
piecewise-constant offset; differences shorter than {{ min_span }} s are not reported.</footer>
</body>
</html>
"""


def _visible(value: Any) -> Any:
    """Every printed value: text made printable (then autoescaped), markup as built."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return printable(value, keep="\t\n\r")


@functools.cache
def _template() -> Any:
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True, finalize=_visible)
    return env.from_string(_PAGE)


def _span(a: float, b: float) -> str:
    return f"{format_time(a)} – {format_time(b)}" if b - a >= 0.05 else f"at {format_time(a)}"


def _rows(report: dict[str, Any], found: list[Mismatch]) -> list[dict[str, Any]]:
    several = {r: sum(f.get("role") == r for f in report["files"]) > 1 for r in ("reference",
                                                                                 "copy")}
    rows = []
    for m in found:
        f, ev = m.finding, m.finding["evidence"]
        rows.append({
            "n": m.n, "kind": m.kind, "title": TITLES.get(m.kind, m.kind),
            "copy_at": _span(float(f["start"]), float(f["end"])),
            "copy_file": f["file"] if several["copy"] else None,
            "ref_at": _span(float(ev["reference_start"]), float(ev["reference_end"])),
            "ref_file": ev.get("reference_file") if several["reference"] else None,
            "length": m.length, "confidence": float(f.get("confidence", 0.0)),
            "message": f.get("message", "")})
    return rows


def _segments(segments: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for s in segments:
        off = s.get("offset")
        c0, c1 = float(s["copy_start"]), float(s["copy_end"])
        rows.append({"copy_at": _span(c0, c1),
                     "ref_at": "not found" if off is None else _span(c0 + off, c1 + off),
                     "offset": "" if off is None else f"{off:+.3f} s",
                     "ber": f"{float(s.get('ber', 0.0)):.3f}"})
    return rows


def render_compare_html(report: dict[str, Any]) -> str:
    """A comparison report (:func:`~auditor.compare.report.build_compare_report`) as one
    self-contained HTML page; the same report gives the same text.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary with its ``comparison`` object.

    Returns
    -------
    str
        The HTML document.
    """
    comp = report["comparison"]
    found = mismatches(report)
    counts = [sum(m.kind == k for m in found) for k in (MISSING, INSERTED, ALTERED)]
    params = report["tool"].get("parameters") or {}
    min_span = params.get("min_span", 0.75)
    conclusion = (f"The copy holds the reference's audio: no difference of at least "
                  f"{min_span} s." if not found else
                  f"{len(found)} difference{'s' if len(found) > 1 else ''} between the copy "
                  f"and the reference.")
    css_hash = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
    method = (params.get("fingerprint") or {}).get("name", "audio")
    return str(_template().render(
        report=report, comp=comp, source=comp.get("reference_source") or {}, css=_CSS,
        csp=(f"default-src 'none'; style-src 'sha256-{css_hash}'; base-uri 'none'; "
             "form-action 'none'"),
        svg=timelines_svg(report), rows=_rows(report, found), counts=counts,
        segments=_segments(comp.get("segments") or []), conclusion=conclusion,
        min_span=min_span, method=method, clock=format_time,
        others=[f for f in report.get("findings", []) if f.get("detector") != "compare"]))
