"""Plain-text rendering of a report, for a terminal."""

from __future__ import annotations

from typing import Any

from ..findings import format_time

__all__ = ["render_text"]

_MARK = {"high": "HIGH", "warning": "WARN", "info": "info"}


def _duration(seconds: float) -> str:
    return format_time(seconds)[:-2] if seconds >= 1 else f"{seconds:.3f} s"


def render_text(report: dict[str, Any], *, timeline: str | None = None) -> str:
    """A readable summary: files, then findings by file in time order, then a verdict."""
    lines: list[str] = []
    for f in report["files"]:
        lines.append(
            f"{f['path']}: {_duration(f['duration'])}, {f['codec']} {f['sample_rate']} Hz, "
            f"{f['channels']} ch, sha256 {f['sha256'][:16]}…"
        )
    if timeline:
        lines += ["", timeline.rstrip()]
    findings = report["findings"]
    if timeline:  # the timeline already lists the continuity findings
        findings = [f for f in findings if f["detector"] != "continuity"]
    lines.append("")
    if not findings:
        lines.append("No findings in the recordings: every check ran and found nothing to report."
                     if not timeline else "No findings inside the recordings.")
    current: object = ()
    for f in findings:
        if f["file"] != current:
            current = f["file"]
            lines.append(f"{current or 'session'}:")
        where = ""
        if f["wall_start"]:
            where = f" [{f['wall_start']}]"
        lines.append(f"  {_MARK[f['severity']]:4}  {f['kind']:<18} {f['message']}{where}")
    s = report["summary"]
    if report["findings"]:
        sev = ", ".join(f"{n} {k}" for k, n in s.get("by_severity", {}).items())
        lines += ["", f"{s['findings']} findings ({sev})."]
    return "\n".join(lines) + "\n"
