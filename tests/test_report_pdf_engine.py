"""The PDF engine: Chromium's own ``--print-to-pdf``, run as a command, with no Python package.

The printing tests need Debian's chromium and poppler-utils (``.ci/run`` installs both) and are
skipped, with the reason, without them; the error tests run everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import build_hearing
from auditor.detect import ScanParams
from auditor.errors import ToolError
from auditor.findings import printable
from auditor.report.html import render_html
from auditor.report.pdf import ChromiumMissing, find_chromium, page_style, print_pdf, render_pdf
from auditor.scan import scan_with_session

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="Debian chromium is not installed (apt install chromium)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="poppler-utils is not installed (apt install poppler-utils)")
HOSTILE_CASE = '2-1234/2026 "</style><b>\\ \u202e'


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("hearing")
    build_hearing(d)
    report, _ = scan_with_session([], str(d / "session.json"), "kz-2015", ScanParams(),
                                  created=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    return dict(json.loads(json.dumps(report)))


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout
    return [" ".join(p.split()) for p in text.split("\f") if p.strip()]


def _fake_chromium(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "chromium"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


def test_without_chromium_the_error_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no browser on it
    monkeypatch.delenv("AUDITOR_CHROMIUM", raising=False)
    with pytest.raises(ChromiumMissing, match="a PDF is printed by Chromium, and none was found"
                       ) as info:
        render_pdf([("<html></html>", None, "en")])
    assert info.value.hint and "apt install chromium" in info.value.hint
    assert "AUDITOR_CHROMIUM" in info.value.hint and "--format html" in info.value.hint
    assert isinstance(info.value, ToolError)


def test_a_chromium_that_writes_no_pdf_is_named_with_its_complaint(tmp_path: Path) -> None:
    exe = _fake_chromium(tmp_path, 'echo "ALSA lib pcm.c: Unknown PCM default" >&2\n'
                         'echo "[1:1:ERROR:ui/ozone] cannot open display" >&2\nexit 3')
    with pytest.raises(ToolError, match=r"wrote no PDF \(exit status 3\): .*cannot open display"):
        print_pdf("<html></html>", case=None, lang="en", chromium=exe)


def test_a_chromium_that_hangs_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    exe = _fake_chromium(tmp_path, f'echo $$ > "{pid_file}"\nsleep 60 & sleep 60\nwait')
    start = time.monotonic()
    with pytest.raises(ToolError, match=r"did not print the PDF in 0\.5 s"):
        print_pdf("<html></html>", case=None, lang="en", chromium=exe, timeout=0.5)
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):  # gone, with its children
        os.kill(int(pid_file.read_text()), 0)


def test_the_page_style_escapes_the_case_number() -> None:
    css = page_style(HOSTILE_CASE, "en")
    assert "</style>" not in css and "<b>" not in css and '"</' not in css
    assert css.count("counter(page)") == 1 and css.count("counter(pages)") == 1
    kk = page_style("2-1", "kk")  # "N беттің i-беті": the total comes first
    assert kk.index("counter(pages)") < kk.index("counter(page)")


@needs_chromium
def test_the_pdf_path_imports_no_python_browser_driver(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['playwright'] = None\n"
            "from auditor.report.pdf import render_pdf\n"
            "html = '<!DOCTYPE html><html><head><title>t</title></head><body>x</body></html>'\n"
            "pdf = render_pdf([(html, '2-1', 'en')])[0]\n"
            "assert pdf.startswith(b'%PDF'), pdf[:20]\n"
            "loaded = [m for m, v in sys.modules.items() if v is not None\n"
            "          and m.startswith(('playwright', 'greenlet'))]\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]


@needs_chromium
@needs_poppler
def test_every_page_has_the_title_the_case_and_page_n_of_m(report: dict[str, Any],
                                                           tmp_path: Path) -> None:
    html = render_html(report, lang="en")
    pdf = print_pdf(html, case=HOSTILE_CASE, lang="en", chromium=find_chromium())
    pages = _pages(pdf, tmp_path)
    case = " ".join(f"Case {printable(HOSTILE_CASE)}".split())
    assert len(pages) >= 5
    for i, text in enumerate(pages, 1):
        assert text.startswith("Recording integrity report"), (i, text[:120])
        assert text.count(case) >= 2, (i, case, text[:120], text[-120:])  # header and footer
        assert text.endswith(f"Page {i} of {len(pages)}"), (i, text[-120:])
    assert "Findings" in pages[0] or "In brief" in pages[0]
    info = subprocess.run(["pdfinfo", str(tmp_path / "out.pdf")], capture_output=True,
                          check=True, text=True).stdout
    assert "Tagged:          yes" in info and "Page size:       594.96 x 841.92 pts (A4)" in info
    assert b"/Outlines" in pdf  # the sections as bookmarks


@needs_chromium
@needs_poppler
def test_kazakh_pages_count_in_kazakh_and_several_documents_print_in_order(
        report: dict[str, Any], tmp_path: Path) -> None:
    docs = [(render_html(report, lang=lang), f"2-{n}/2026", lang)
            for n, lang in enumerate(("kk", "en", "ru"))]
    pdfs = render_pdf(docs)
    for (_, case, lang), pdf in zip(docs, pdfs, strict=True):
        pages = _pages(pdf, tmp_path)
        assert all(case in p for p in pages), lang
        if lang == "kk":
            n = len(pages)
            assert all(p.endswith(f"{n} беттің {i}-беті") for i, p in enumerate(pages, 1))
            assert pages[0].startswith("Сот отырысы жазбасының тұтастығын тексеру туралы есеп")
