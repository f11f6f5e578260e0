"""Plain-text rendering of a report, for a terminal, in English, Russian or Kazakh.

The words come from the message catalogs (:mod:`auditor.report.i18n`); in English the output is
the catalogs' source text and each finding's message as the detector wrote it. In Russian and
Kazakh each finding names its kind and says what was found in the reader's language
(:mod:`auditor.report.sentences`); the English message is kept in the JSON report, and shown only
for a finding that has no sentence.
"""

from __future__ import annotations

from typing import Any

from ..findings import format_time, printable
from .explain import CUE_LABELS, N_, format_label, kind_title
from .i18n import get_lang
from .sentences import finding_sentence

__all__ = ["render_text"]

_MARK = {"high": N_("HIGH"), "warning": N_("WARN"), "info": N_("info")}


def _duration(seconds: float) -> str:
    return format_time(seconds)[:-2] if seconds >= 1 else f"{seconds:.3f} s"


def render_text(report: dict[str, Any], *, timeline: str | None = None, lang: str = "en") -> str:
    """A readable summary: files, then findings by file in time order, then a verdict."""
    tr = get_lang(lang)
    _ = tr.gettext
    lines: list[str] = []
    for f in report["files"]:
        codec = f["codec"] if lang == "en" else format_label(f.get("container"), f["codec"])
        lines.append(_("%(path)s: %(duration)s, %(codec)s %(rate)s Hz, %(channels)s ch, "
                       "sha256 %(hash)s…", path=f["path"], duration=_duration(f["duration"]),
                       codec=codec, rate=f["sample_rate"], channels=f["channels"],
                       hash=f["sha256"][:16]))
        splice = (f.get("checks") or {}).get("splice") or {}
        for name, check in splice.items():
            if not check.get("applicable", True):
                lines.append(_("  edit check not applicable: %(cue)s: %(reason)s",
                               cue=_(CUE_LABELS.get(name, name)), reason=check.get("reason", "")))
    unreadable = report.get("unreadable") or []
    if unreadable:
        lines += ["", tr.ngettext("%(num)s file could not be checked (nothing below is about it):",
                                  "%(num)s files could not be checked (nothing below is about "
                                  "them):", len(unreadable))]
        for u in unreadable:
            error = str(u.get("error", "")).replace("\n  ", "\n    ")
            lines.append(f"  {u.get('path')}: {error.removeprefix(str(u.get('path')) + ': ')}")
    if timeline:
        lines += ["", timeline.rstrip()]
    findings = report["findings"]
    if timeline:  # the timeline already lists the continuity findings
        findings = [f for f in findings if f["detector"] != "continuity"]
    lines.append("")
    if not findings and unreadable:
        lines.append(_("No findings in the recordings that could be checked."))
    elif not findings:
        lines.append(_("No findings in the recordings: every check ran and found nothing to "
                       "report.") if not timeline else _("No findings inside the recordings."))
    current: object = ()
    for f in findings:
        if f["file"] != current:
            current = f["file"]
            lines.append(f"{current or _('session')}:")
        where = ""
        if f["wall_start"]:
            where = f" [{f['wall_start']}]"
        kind = f["kind"] if lang == "en" else f"{kind_title(tr, f['kind'])} ({f['kind']})"
        said = (finding_sentence(tr, f) if lang != "en" else None) or f["message"]
        lines.append(f"  {_(_MARK[f['severity']]):4}  {kind:<18} {said}{where}")
    s = report["summary"]
    if report["findings"]:
        sev = ", ".join(f"{n} {_(k)}" for k, n in s.get("by_severity", {}).items())
        lines += ["", tr.ngettext("%(num)s finding (%(by_severity)s).",
                                  "%(num)s findings (%(by_severity)s).", s["findings"],
                                  by_severity=sev)]
    return printable("\n".join(lines), keep="\n") + "\n"
