"""The PDF for filing: the HTML report printed by Chromium's own ``--print-to-pdf``.

Chromium (Debian's ``chromium``, or the binary ``AUDITOR_CHROMIUM`` names) is run once per
document, from the command line, with no Python package between: the self-contained HTML is
written to a temporary file and the PDF read back. It is the engine the HTML report is checked in,
so the PDF lays out as the page does on screen; it writes a tagged PDF (headings, tables and
reading order for a screen reader) with an outline of the report's sections.

Every page carries the title and the case number at the top and the case number and "page N of M"
at the bottom: CSS ``@page`` margin boxes with ``counter(page)`` / ``counter(pages)``, added to
the document as a style sheet of their own and allowed by the report's Content-Security-Policy
through its hash. Chromium's own header and footer (date, file name) are off. The browser runs
with a fresh profile, no sandbox (it often runs as root in CI containers), and every background
network feature off; the page loads nothing from the network (the policy allows ``data:`` only).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import ToolError
from ..findings import printable
from .i18n import get_lang

__all__ = ["ChromiumMissing", "LAUNCH_FLAGS", "PARALLEL", "PRINT_FLAGS", "TIMEOUT_S",
           "find_chromium", "page_style", "print_pdf", "render_pdf"]

LAUNCH_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync")
PRINT_FLAGS = ("--no-pdf-header-footer", "--generate-pdf-document-outline")
TIMEOUT_S = 120.0
"""Seconds one document may take to print (the demo's takes about one)."""
PARALLEL = 2
"""Documents printed at once (a report's three languages): each Chromium takes about one core."""
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_INSTALL = ("install it (apt install chromium) or set AUDITOR_CHROMIUM to a Chromium binary; "
            "--format html gives the same report without it")
_CSP_STYLE = re.compile(r'(<meta http-equiv="Content-Security-Policy" content="[^"]*?style-src )')


class ChromiumMissing(ToolError):
    """No Chromium to print the PDF with."""


def find_chromium() -> str:
    """The Chromium binary: ``$AUDITOR_CHROMIUM``, else ``chromium`` (or a sibling) on PATH.

    Raises
    ------
    ChromiumMissing
        Saying how to install it or point ``AUDITOR_CHROMIUM`` at one.
    """
    override = os.environ.get("AUDITOR_CHROMIUM")
    if override:
        if shutil.which(override) or os.access(override, os.X_OK):
            return shutil.which(override) or override
        raise ChromiumMissing(f"AUDITOR_CHROMIUM names {override!r}, which is not an executable",
                              hint="point AUDITOR_CHROMIUM at a Chromium binary, or unset it")
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing("a PDF is printed by Chromium, and none was found", hint=_INSTALL)


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string: anything but letters, digits and plain punctuation is
    escaped, so no case number can end the string, the rule or the ``<style>`` element."""
    return '"' + "".join(c if c.isalnum() or c in " -/.,:()" else f"\\{ord(c):x} "
                         for c in text) + '"'


def page_style(case: str | None, lang: str, title: str | None = None) -> str:
    """The ``@page`` rules that put the title, the case number and "page N of M" on every page.

    Parameters
    ----------
    case
        The case number, or None (then the header gives the title alone).
    lang
        ``en``, ``ru`` or ``kk``: the language of the title and of "page N of M".
    title
        The document's title, already in ``lang``; None for the scan report's ("Recording
        integrity report").

    Returns
    -------
    str
        A style sheet of margin boxes (``@top-left`` ... ``@bottom-right``).
    """
    tr = get_lang(lang)
    title = _css_string(title or tr.gettext("Recording integrity report"))
    case_text = _css_string(tr.gettext("Case %(case)s", case=printable(case))) if case else '""'
    page, pages = "\ue000", "\ue001"  # stand-ins for the counters in the translated sentence
    pieces = re.split(f"([{page}{pages}])", tr.gettext("Page %(page)s of %(pages)s",
                                                      page=page, pages=pages))
    numbering = " ".join("counter(page)" if p == page else "counter(pages)" if p == pages
                         else _css_string(p) for p in pieces if p)
    box = 'font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #333;'
    return ("@page {"
            f" @top-left {{ content: {title}; {box} vertical-align: middle; }}"
            f" @top-right {{ content: {case_text}; {box} vertical-align: middle; }}"
            f" @bottom-left {{ content: {case_text}; {box} vertical-align: middle; }}"
            f" @bottom-right {{ content: {numbering}; {box} vertical-align: middle; }} }}"
            " html { print-color-adjust: exact; -webkit-print-color-adjust: exact; }")


def _with_style(html: str, css: str) -> str:
    """``html`` with ``css`` as one more ``<style>`` in its head, its hash in the page's policy."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    html = _CSP_STYLE.sub(lambda m: f"{m.group(1)}'sha256-{digest}' ", html, count=1)
    head_end = html.find("</head>")
    at = head_end if head_end >= 0 else 0
    return f"{html[:at]}<style>{css}</style>{html[at:]}"


def _complaint(stderr: str) -> str:
    """The line of Chromium's stderr that says what went wrong (it also logs audio noise)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line and "alsa" not in line.lower()]
    return (errors or lines or ["no message"])[-1][:300]


def print_pdf(html: str, *, case: str | None, lang: str, chromium: str | None = None,
              timeout: float = TIMEOUT_S, title: str | None = None) -> bytes:
    """Print one HTML document to PDF with ``chromium --headless --print-to-pdf``.

    Parameters
    ----------
    html
        A self-contained document (it is loaded from a temporary file).
    case, lang, title
        For the header and footer of every page (:func:`page_style`).
    chromium
        The binary; :func:`find_chromium` when None.
    timeout
        Seconds before the browser is stopped and the print given up.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ChromiumMissing
        No Chromium, or it cannot be started.
    ToolError
        Chromium ran but wrote no PDF, or did not finish in ``timeout`` seconds.
    """
    exe = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="auditor-pdf-") as tmp:
        work = Path(tmp)
        src, out, log = work / "report.html", work / "report.pdf", work / "chromium.log"
        src.write_text(_with_style(html, page_style(case, lang, title)), encoding="utf-8")
        cmd = [exe, *LAUNCH_FLAGS, f"--user-data-dir={work / 'profile'}", *PRINT_FLAGS,
               f"--print-to-pdf={out}", src.as_uri()]
        with log.open("wb") as err:
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                        start_new_session=True)
            except OSError as exc:
                raise ChromiumMissing(f"Chromium ({exe}) could not be started: {exc.strerror}",
                                      hint=_INSTALL) from None
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the browser and its renderer processes
                proc.wait()
                raise ToolError(f"Chromium ({exe}) did not print the PDF in {timeout:g} s",
                                hint="try again on a less busy machine, or use --format html"
                                ) from None
        data = out.read_bytes() if out.exists() else b""
        if code != 0 or not data.startswith(b"%PDF"):
            raise ToolError(f"Chromium ({exe}) wrote no PDF (exit status {code}): "
                            f"{_complaint(log.read_text(errors='replace'))}",
                            hint="check that this Chromium starts (chromium --headless "
                            "--version), or set AUDITOR_CHROMIUM to another one")
        return data


def render_pdf(htmls: Sequence[tuple[str, str | None, str]], *,
               title: str | None = None) -> list[bytes]:
    """Print HTML documents ``(html, case, lang)`` to PDF, one Chromium run each, two at a time.

    ``title`` heads every page (in the documents' language); None for the scan report's.

    Raises
    ------
    ChromiumMissing
        Before anything is printed, when there is no Chromium.
    """
    exe = find_chromium()
    with ThreadPoolExecutor(max_workers=max(1, min(len(htmls), PARALLEL))) as pool:
        return list(pool.map(lambda doc: print_pdf(doc[0], case=doc[1], lang=doc[2],
                                                   chromium=exe, title=title), htmls))
