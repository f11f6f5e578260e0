"""Render a saved report in a format for people: HTML, PDF or CSV, in one of three languages.

``auditor scan --format html`` and ``auditor report REPORT.json --format html`` both call
:func:`render_report` on the same dictionary, so they give the same bytes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import InputError
from .i18n import get_lang
from .validate import validate_report

__all__ = ["FORMATS", "load_report", "render_report", "write_report", "summary_path"]

FORMATS = ("html", "pdf", "csv")


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a saved ``auditor.report/1`` JSON report; :class:`InputError` when it is not one.

    The report is checked field by field (:func:`auditor.report.validate.validate_report`)
    before any renderer reads it.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", path=path) from None
    except RecursionError:
        raise InputError("the report is nested too deeply to be one", path=path,
                         hint="give the file written by auditor scan --format json") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, 5000-digit integers
        raise InputError(f"not a JSON report: {str(exc).partition(';')[0]}", path=path,
                         hint="give the file written by auditor scan --format json") from None
    validate_report(data, path=path)
    return data


def summary_path(output: str | os.PathLike[str]) -> Path:
    """Where the per-court/year/kind counts go beside ``out.csv``: ``out.summary.csv``."""
    out = Path(output)
    return out.with_name(out.stem + ".summary" + (out.suffix or ".csv"))


def render_report(report: dict[str, Any], fmt: str, *, lang: str = "en",
                  base: Path | None = None) -> str | bytes:
    """The report as HTML text, PDF bytes, or the findings CSV text.

    A copy comparison's report (with its ``comparison`` object) is rendered as the comparison's
    page (:func:`auditor.compare.html.render_compare_html`), as ``auditor compare`` writes it.

    Parameters
    ----------
    report
        The ``auditor.report/1`` dictionary.
    fmt
        ``html``, ``pdf`` or ``csv``.
    lang
        ``en``, ``ru`` or ``kk``.
    base
        A folder the report's relative file paths may resolve against (for the excerpts).
    """
    tr = get_lang(lang)
    if "comparison" in report and fmt in ("html", "pdf"):
        # a copy comparison (auditor compare --format json): its own page, as compare prints it
        from ..compare.html import render_compare_html, title

        page = render_compare_html(report, lang)
        if fmt == "html":
            return page
        from .pdf import render_pdf

        return render_pdf([(page, None, lang)], title=title(tr))[0]
    if fmt == "html":
        from .html import render_html

        return render_html(report, lang=lang, base=base)
    if fmt == "pdf":
        from .html import render_html
        from .pdf import find_chromium, render_pdf

        find_chromium()  # before the excerpts' work: fail fast and clearly
        html = render_html(report, lang=lang, base=base)
        return render_pdf([(html, (report.get("session") or {}).get("case"), lang)])[0]
    if fmt == "csv":
        from .csv_stats import findings_csv

        return findings_csv([report])
    raise InputError(f"unknown report format {fmt!r}", hint="choose one of: " + ", ".join(FORMATS))


def _atomic(target: Path, data: bytes) -> None:
    from ..atomic import write_atomic

    write_atomic(target, data)


def write_report(report: dict[str, Any], fmt: str, output: str | os.PathLike[str], *,
                 lang: str = "en", base: Path | None = None) -> list[Path]:
    """Render and write atomically; CSV also writes :func:`summary_path`. Returns the files."""
    target = Path(output)
    data = render_report(report, fmt, lang=lang, base=base)
    _atomic(target, data.encode("utf-8") if isinstance(data, str) else data)
    written = [target]
    if fmt == "csv":
        from .csv_stats import summary_csv

        _atomic(summary_path(target), summary_csv([report]).encode("utf-8"))
        written.append(summary_path(target))
    return written
