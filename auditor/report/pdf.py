"""The PDF for filing: the HTML report printed by headless Chromium.

Chromium (Debian's ``chromium``, or the binary ``AUDITOR_CHROMIUM`` names) is driven through the
``playwright`` package with ``executable_path``: nothing is downloaded at install or run time.
Every page carries the case number in its header and "page N of M" in its footer (Chromium's
``pageNumber``/``totalPages`` print template classes). The browser runs with a fresh profile, no
sandbox (it often runs as root in CI containers), and every background network feature off; the
page itself is rendered offline from ``data:`` URIs, under the report's Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from markupsafe import escape

from ..errors import InputError
from ..findings import printable
from .i18n import get_lang

__all__ = ["find_chromium", "pdf_printer", "render_pdf", "LAUNCH_FLAGS"]

LAUNCH_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync")
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ChromiumMissing(InputError):
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
    raise ChromiumMissing("a PDF is printed by Chromium, and none was found",
                          hint="install it (apt install chromium) or set AUDITOR_CHROMIUM to a "
                          "Chromium binary; --format html gives the same report without it")


def _templates(case: str | None, lang: str) -> tuple[str, str]:
    tr = get_lang(lang)
    title = escape(tr.gettext("Recording integrity report"))
    case_text = escape(tr.gettext("Case %(case)s", case=printable(case))) if case else ""
    page = tr.gettext("Page %(page)s of %(pages)s", page='<span class="pageNumber"></span>',
                      pages='<span class="totalPages"></span>')
    font = 'font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #333;'
    header = (f'<div style=\'{font} width: 100%; margin: 0 14mm; display: flex; '
              f'justify-content: space-between;\'><span>{title}</span>'
              f"<span>{case_text}</span></div>")
    footer = (f'<div style=\'{font} width: 100%; margin: 0 14mm; display: flex; '
              f'justify-content: space-between;\'><span>{case_text}</span>'
              f"<span>{page}</span></div>")
    return header, footer


@contextmanager
def pdf_printer() -> Iterator[Any]:
    """A running headless Chromium; yields ``print(html, case=..., lang=...) -> bytes``.

    One browser prints several documents (the three languages of a report) for one start-up.
    """
    exe = find_chromium()
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ChromiumMissing("the playwright package is not installed",
                              hint="pip install playwright (no browser download is needed: "
                              "auditor uses the system chromium)") from None
    with tempfile.TemporaryDirectory(prefix="auditor-chromium-") as profile:
        try:
            with sync_playwright() as pw:
                ctx = pw.chromium.launch_persistent_context(
                    profile, executable_path=exe, headless=True, args=list(LAUNCH_FLAGS[1:]),
                    offline=True, java_script_enabled=False)
                try:
                    def print_pdf(html: str, *, case: str | None, lang: str) -> bytes:
                        page = ctx.new_page()
                        try:
                            page.set_content(html, wait_until="load")
                            header, footer = _templates(case, lang)
                            data: bytes = page.pdf(
                                format="A4", print_background=True,
                                display_header_footer=True, header_template=header,
                                footer_template=footer, prefer_css_page_size=True,
                                margin={"top": "18mm", "bottom": "18mm",
                                        "left": "14mm", "right": "14mm"})
                            return data
                        finally:
                            page.close()

                    yield print_pdf
                finally:
                    ctx.close()
        except PlaywrightError as exc:
            raise InputError(f"Chromium ({exe}) could not print the PDF: "
                             f"{str(exc).splitlines()[0]}",
                             hint="check that this Chromium starts (chromium --headless "
                             "--version), or set AUDITOR_CHROMIUM to another one") from None


def _render(htmls: Sequence[tuple[str, str | None, str]]) -> list[bytes]:
    with pdf_printer() as print_pdf:
        return [print_pdf(html, case=case, lang=lang) for html, case, lang in htmls]


def render_pdf(htmls: Sequence[tuple[str, str | None, str]]) -> list[bytes]:
    """Print HTML documents ``(html, case, lang)`` to PDF with one browser start-up.

    The browser is driven from a thread of its own, so this works the same when the caller
    already runs an event loop (playwright's synchronous API refuses to run inside one).
    """
    find_chromium()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_render, list(htmls)).result()
