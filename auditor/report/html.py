"""The self-contained HTML evidence report.

One file, no network and no script: styles, pictures (inline SVG, PNG as ``data:`` URIs) and the
audio excerpts (Ogg Opus as ``data:`` URIs) are all inside it, and a Content-Security-Policy
forbids loading anything else, so it opens the same way offline years later. Its content follows
SWGDE's best practices for digital audio authentication (chain of custody and hashes, method, tool
version and parameters, each finding located in time, a plain-language conclusion). Everything
taken from the report or from file names is escaped by Jinja2's autoescaping.

The saved JSON report is the only input: the same JSON gives the same bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ..findings import printable
from .brief import brief
from .events import group_events
from .excerpts import MAX_PER_FILE, Excerpt, collect_excerpts, plan_excerpts
from .explain import (
    CUE_LABELS,
    cite_label,
    conclusion,
    finding_text,
    finding_title,
    format_label,
    kind_title,
    policy_text,
    reason_label,
    rule_label,
    rule_points,
    severity_label,
)
from .i18n import Lang, get_lang
from .sentences import finding_sentence
from .timeline import COLOURS, build_timeline, grace_lines, timeline_svg

__all__ = ["render_html", "prepare_excerpts", "keep_names", "archive_sessions", "LONG_NAME",
           "template_env", "visible"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ESCAPED = re.compile(r"<(U\+[0-9A-F]{4,6})>")
_SPACE = "\t\n\r"  # white space in HTML: it can neither reorder nor hide text
_HIDDEN_EVIDENCE = ("rule_text",)
#: Whole numbers that name something rather than count it: written as they are (2026, not 2,026).
_LABELS = frozenset({"year", "case", "recording", "entry", "index", "leaf", "packet", "number"})
#: A name made of words joined by separators: a file path, a parameter, a rule, a time.
_NAME = re.compile(r"\w+(?:[-_./\\:]+\w+)+[/\\]?")
#: Where browsers break a line inside a name: after a hyphen or a slash.
_BREAKS = re.compile(r"[-/\\]")
#: A name this long may wrap, only after a separator (a path's ``/`` first).
LONG_NAME = 48


def _pieces(name: str) -> list[str]:
    """``name`` cut after separators into pieces of at most :data:`LONG_NAME` characters.

    A name that fits is one piece. A longer one is cut after each path separator, and a part
    still too long after ``_ . -`` (greedily: as few cuts as fit); a run of letters longer than
    the limit, which has no separator to break at, is cut every :data:`LONG_NAME` characters.
    """
    if len(name) <= LONG_NAME:
        return [name]
    out: list[str] = []
    for part in re.split(r"(?<=[/\\])", name):
        if len(part) <= LONG_NAME:
            out.append(part)
            continue
        line = ""
        for bit in re.split(r"(?<=[-_.])", part):
            while len(bit) > LONG_NAME:
                if line:
                    out.append(line)
                    line = ""
                out.append(bit[:LONG_NAME])
                bit = bit[LONG_NAME:]
            if line and len(line) + len(bit) > LONG_NAME:
                out.append(line)
                line = ""
            line += bit
        if line:
            out.append(line)
    return [p for p in out if p]


def keep_names(text: Any) -> Any:
    """Text with every name in it kept whole on a line (the template's ``keep`` filter).

    Browsers break lines after a hyphen (``hearing-`` / ``part1.wav``), and a table squeezed to
    its narrowest breaks anywhere; a file name, a parameter or a rule name then no longer reads
    as one, nor can it be searched for in the PDF. Each name becomes a ``span.nw`` (no wrap);
    a name longer than :data:`LONG_NAME` is several such spans with a ``<wbr>`` between, so it
    wraps only after a separator. A shorter name with no hyphen or slash needs nothing (the
    stylesheet lets a word break only where it would otherwise overflow). Everything else is
    escaped as usual.
    """
    from markupsafe import Markup, escape

    if text is None or isinstance(text, Markup):
        return text
    text = str(text)
    out: list[str] = []
    last = 0
    for m in _NAME.finditer(text):
        if not _BREAKS.search(m.group()) and len(m.group()) <= LONG_NAME:
            continue  # nowhere a browser would break it: ``tolerances.start_grace_s``
        out.append(str(escape(text[last:m.start()])))
        out.append("<wbr>".join(f'<span class="nw">{escape(p)}</span>'
                                for p in _pieces(m.group())))
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def visible(value: Any) -> Any:
    """Every value the template prints, with invisible and bidi control characters shown.

    Text becomes :func:`~auditor.findings.printable` (autoescaping follows); markup already
    built (a translated sentence holding a file name, an SVG) gets the same escape, written as
    ``&lt;U+202E&gt;``: such a character is never part of the tool's own markup.
    """
    from markupsafe import Markup

    if isinstance(value, Markup):
        return Markup(_ESCAPED.sub(r"&lt;\1&gt;", printable(str(value), keep=_SPACE)))
    return printable(value, keep=_SPACE) if isinstance(value, str) else value


@functools.cache
def template_env(folder: Path, code: str) -> Any:
    """The Jinja2 environment the tool's HTML is written with: ``folder``'s templates,
    autoescaped, every printed value through :func:`visible`, undefined names an error, the
    ``keep`` filter, and gettext from the ``code`` language's catalog. The scan report, the
    comparison report and the local app's pages all use it."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(folder), autoescape=True,
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=visible)
    env.filters["keep"] = keep_names
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by ext.i18n
        get_lang(code).translations, newstyle=True)
    return env


def prepare_excerpts(report: dict[str, Any], *, base: Path | None = None
                     ) -> tuple[Any, dict[Any, Excerpt]]:
    """Plan and render the excerpts once (they hold no words: every language can share them)."""
    plan = plan_excerpts(report)
    return plan, collect_excerpts(report, plan, base=base)


def _value(lang: Lang, v: Any, key: str = "") -> str:
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int) and key.rpartition(".")[2] in _LABELS:
        return str(v)  # a year or a case number names something: no thousands separator
    if isinstance(v, int | float):
        return lang.number(v, 6)
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _flatten(prefix: str, obj: Any) -> list[tuple[str, Any]]:
    if isinstance(obj, dict) and obj:
        out: list[tuple[str, Any]] = []
        for k, v in obj.items():
            out += _flatten(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return [(prefix, obj)]


def _finding(lang: Lang, n: int, f: dict[str, Any], excerpt: Excerpt | None,
             shared: int | None, event: int | None = None) -> dict[str, Any]:
    where = None
    if f.get("start") is not None:
        where = lang.clock(float(f["start"]))
        if f.get("end") is not None and float(f["end"]) > float(f["start"]):
            where += f" – {lang.clock(float(f['end']))}"
    wall = None
    if f.get("wall_start"):
        wall = lang.datetime(f["wall_start"])
        if f.get("wall_end") and f["wall_end"] != f["wall_start"]:
            end = lang.datetime(f["wall_end"])
            if f["wall_end"][:10] == f["wall_start"][:10]:  # same day: the time is enough
                end = end[len(lang.date(f["wall_end"])) + 2:]
            wall += f" – {end}"
    length = None
    if f.get("start") is not None and f.get("end") is not None:
        length = lang.duration(max(0.0, float(f["end"]) - float(f["start"])))
    evidence = [(k, _value(lang, v, k)) for k, v in _flatten("", f.get("evidence") or {})
                if k not in _HIDDEN_EVIDENCE and k]
    return {
        "n": n, "kind": f["kind"], "title": finding_title(lang, f), "event": event,
        "severity": f["severity"], "severity_label": severity_label(lang, f["severity"]),
        "confidence": lang.number(float(f.get("confidence", 0.0)), 2),
        "file": f.get("file"), "where": where, "wall": wall, "length": length,
        "detector": f.get("detector"), "rule": rule_label(lang, f.get("rule")),
        "rule_points": rule_points(lang, f.get("rule")),
        "rule_text": (f.get("evidence") or {}).get("rule_text"),
        "explanation": finding_text(lang, f), "message": f.get("message", ""),
        "said": finding_sentence(lang, f) if lang.code != "en" else None,
        "evidence": evidence, "excerpt": excerpt, "shared_with": shared,
    }


def archive_sessions(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The session records an archive audit joined, in order of court, case and start.

    Each is the ``archive.cases[].sessions[]`` entry (court, case, start, end, record, files)
    with its findings as the report's 1-based numbers; empty for a report of one hearing.
    """
    rows = [{**s, "numbers": [i + 1 for i in s.get("findings") or []]}
            for c in (report.get("archive") or {}).get("cases") or []
            for s in c.get("sessions") or []]
    return sorted(rows, key=lambda s: (str(s.get("court") or ""), str(s.get("case") or ""),
                                       str(s.get("start") or "")))


def _archive_unchecked(tr: Lang, report: dict[str, Any], lines: list[str]) -> list[str]:
    """An archive's recordings were each compared with their own session record, if any.

    The brief says "no session record was given" of any report without a top-level one; in an
    archive report that is true only of the recordings no session record declares.
    """
    said = tr.gettext("No session record was given: the recordings were not compared with the "
                      "session's times.")
    out = [line for line in lines if line != said]
    alone = [f["path"] for f in report.get("files") or [] if not f.get("session")]
    if alone and archive_sessions(report):
        out.append(tr.ngettext(
            "No session record declares %(num)s recording; it was not compared with a "
            "session's times: %(files)s.",
            "No session record declares %(num)s recordings; they were not compared with a "
            "session's times: %(files)s.", len(alone), files=", ".join(alone)))
    elif alone:
        out.append(said)
    return out


def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_html(report: dict[str, Any], *, lang: str = "en", base: Path | None = None,
                excerpts: tuple[Any, dict[Any, Excerpt]] | None = None) -> str:
    """Render a report as one self-contained HTML page.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary (as saved, or as built by a scan).
    lang
        ``en``, ``ru`` or ``kk``.
    base
        A folder the report's relative file paths may resolve against, for the excerpts.
    excerpts
        :func:`prepare_excerpts` of the same report, to share the work between languages.

    Returns
    -------
    str
        The HTML document (UTF-8 text).
    """
    tr = get_lang(lang)
    plan, media = excerpts or prepare_excerpts(report, base=base)
    events = group_events(report)  # one grouping for the brief, the timeline and the conclusion
    summary = brief(tr, report, events=events)
    archive = report.get("archive") or {}
    if archive:
        summary["unchecked"] = _archive_unchecked(tr, report, summary["unchecked"])
    event_of = {n: e["n"] for e in summary["events"] for n in e["refs"]}
    findings: list[dict[str, Any]] = []
    first_of: dict[Any, int] = {}
    for i, f in enumerate(report.get("findings", [])):
        key = plan.by_finding.get(i)
        shared = first_of.get(key) if key is not None else None
        if key is not None and shared is None:
            first_of[key] = i + 1
        findings.append(_finding(tr, i + 1, f, media.get(key) if key else None, shared,
                                 event_of.get(i + 1)))
    session = report.get("session") or {}
    files = report.get("files", [])
    tl = build_timeline(report, tr, events=events)
    css = _css()
    css_hash = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    params = report.get("tool", {}).get("parameters", {})
    ctx = {
        "lang": lang, "tr": tr, "report": report, "session": session, "files": files,
        "findings": findings, "css": css, "brief": summary,
        "csp": ("default-src 'none'; img-src data:; media-src data:; "
                f"style-src 'sha256-{css_hash}'; base-uri 'none'; form-action 'none'"),
        "timeline": timeline_svg(tl, title=tr.gettext("Timeline of the session")),
        "grace": grace_lines(tl, tr), "colours": COLOURS, "capped": plan.capped,
        "per_file": MAX_PER_FILE,
        "parameters": [(k, _value(tr, v, k)) for k, v in _flatten("", params)
                       if not k.startswith("policy.rules.")],
        "policy_rules": (params.get("policy") or {}).get("rules") or {},
        "conclusion": conclusion(tr, report, events=events), "ledger": report.get("ledger"),
        "ledger_rows": [(k, _value(tr, v, k))
                        for k, v in _flatten("", report.get("ledger") or {})],
        "archive": archive, "archive_sessions": archive_sessions(report),
        "archive_courts": sorted({str(c["court"]) for c in archive.get("cases") or []
                                  if c.get("court")}),
        "kind_title": functools.partial(kind_title, tr),
        "severity_label": functools.partial(severity_label, tr),
        "reason_label": functools.partial(reason_label, tr),
        "cite_label": functools.partial(cite_label, tr), "format_label": format_label,
        "policy_text": functools.partial(policy_text, tr),
        "cue_labels": CUE_LABELS,
    }
    from markupsafe import Markup

    ctx["timeline"] = Markup(ctx["timeline"])
    return str(template_env(TEMPLATES, lang).get_template("report.html.j2").render(**ctx))
