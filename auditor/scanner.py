"""What ``auditor scan`` does, as one library call: scan files, build and render the report."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from .detect import ScanParams
from .errors import InputError
from .report import build_report, dumps, exit_code, render_text
from .scan import FileScan, Unreadable, scan_files

__all__ = ["run_scan", "make_params", "scan_report"]


def make_params(detectors: str | None, overrides: dict[str, float | None]) -> ScanParams:
    """ScanParams from command-line values (None means the default)."""
    params = ScanParams()
    known = {f.name for f in fields(ScanParams)}
    values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None and k in known}
    for k, v in values.items():
        if v <= 0:
            raise InputError(f"--{k.replace('_', '-')} must be positive, got {v}")
    if detectors:
        values["detectors"] = tuple(d.strip() for d in detectors.split(",") if d.strip())
    return replace(params, **values)


def scan_report(scans: list[FileScan], params: ScanParams, *, created: datetime | None,
                session: dict[str, Any] | None = None, extra_findings: list | None = None,
                unreadable: Sequence[Unreadable] = ()) -> dict[str, Any]:
    """The contract's JSON report for scanned files (and session findings, if any).

    Files that could not be checked are listed under ``unreadable`` (``path``, ``error``); the
    field is there only when there are some, so a clean scan's report keeps its bytes.
    """
    findings = [f for s in scans for f in s.findings] + list(extra_findings or [])
    report = build_report(
        files=[{**s.file_json(), "location": os.path.abspath(s.info.path)} for s in scans],
        findings=findings,
        parameters=params.to_json(), session=session, created=created,
    )  # fmt: skip
    if unreadable:
        report["unreadable"] = [u.to_json() for u in unreadable]
    return report


def run_scan(files: list[str], *, session: str | None, policy: str, fmt: str, fail_on: str,
             detectors: str | None, overrides: dict[str, float | None],
             created: datetime | None = None,
             progress: Callable[[str, float, float], None] | None = None,
             lang: str = "en") -> tuple[str | bytes, int, list[dict[str, str]]]:
    """Scan, render in ``fmt`` (text, json, html, pdf); return (text or PDF bytes, exit code,
    the files that could not be checked).

    html and pdf are rendered from the JSON report itself (``auditor.report.render_report``),
    so they are the same as ``auditor report`` gives from the saved JSON. A file that could not
    be checked is listed in the report and makes the exit code 2; the others are still checked.
    """
    from .report.i18n import get_lang

    get_lang(lang)
    if fmt == "pdf":
        from .report.pdf import find_chromium

        find_chromium()  # fail before scanning, not after
    params = make_params(detectors, overrides)
    if session is not None:
        from .continuity_scan import scan_with_session

        report, timeline = scan_with_session(files, session, policy, params, created=created,
                                             progress=progress)
    else:
        scans, unreadable = scan_files(files, params, progress=progress)
        report = scan_report(scans, params, created=created, unreadable=unreadable)
        timeline = None
    if progress is not None:
        import click

        click.echo("\r" + " " * 70 + "\r", err=True, nl=False)
    failed = list(report.get("unreadable", []))
    code = 2 if failed else exit_code(report["findings"], fail_on)
    if fmt in ("html", "pdf"):
        from .report.render import render_report

        return render_report(json.loads(dumps(report)), fmt, lang=lang), code, failed
    text = dumps(report) if fmt == "json" else render_text(report, timeline=timeline, lang=lang)
    return text, code, failed
