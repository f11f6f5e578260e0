"""The reports as a person sees them: real headless Chromium for HTML, pdftoppm for the PDF.

Skipped, with the reason, where Debian's chromium or poppler-utils is not installed
(``.ci/run`` installs both).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import build_hearing
from auditor.detect import ScanParams
from auditor.report.html import prepare_excerpts, render_html
from auditor.report.pdf import LAUNCH_FLAGS, find_chromium, render_pdf
from auditor.scan import scan_with_session

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (apt install chromium)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils is not installed (apt install poppler-utils)")
TITLES = {"en": "Recording integrity report",
          "ru": "Отчёт о проверке целостности записи судебного заседания",
          "kk": "Сот отырысы жазбасының тұтастығын тексеру туралы есеп"}
CASE = "2-1234/2026"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("hearing")
    build_hearing(d)
    report, _ = scan_with_session([], str(d / "session.json"), "kz-2015", ScanParams(),
                                  created=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    report = json.loads(json.dumps(report))
    media = prepare_excerpts(report, base=d)
    html = {lang: render_html(report, lang=lang, excerpts=media) for lang in TITLES}
    return {"dir": d, "report": report, "html": html}


def _variants(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """No findings; 200 findings; a 300-character file name."""
    from test_report_render import many_findings

    empty = copy.deepcopy(report)
    empty["findings"], empty["summary"] = [], {"findings": 0, "by_kind": {}}
    long_name = copy.deepcopy(report)
    name = "/".join(["hearing-of-the-district-court-in-the-case-number-2-1234-2026"] * 5)
    name = (name + "-part1.wav")[-300:]
    assert len(name) == 300
    long_name["files"][0]["path"] = name
    for f in long_name["findings"]:
        if f["file"] == "hearing-part1.wav":
            f["file"] = name
    return {"empty": empty, "many": many_findings(report), "long_name": long_name}


@pytest.fixture(scope="module")
def browser() -> Any:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        flags = [*LAUNCH_FLAGS[1:], "--autoplay-policy=no-user-gesture-required"]
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        yield b
        b.close()


def _open(browser: Any, html: str) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1000, "height": 1300})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("data:", "about:"))
            else requests.append(r.url))
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.set_content(html, wait_until="load")
    return page, errors, requests


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


@needs_chromium
@pytest.mark.parametrize("lang", list(TITLES))
def test_report_opens_offline_plays_and_shows_its_plots(browser: Any, demo: dict[str, Any],
                                                        lang: str, tmp_path: Path) -> None:
    page, errors, requests = _open(browser, demo["html"][lang])
    try:
        assert page.title().startswith(TITLES[lang])
        assert page.locator("h1").inner_text() == TITLES[lang]
        tl = _box(page, "figure.timeline svg")
        assert tl["width"] > 600 and tl["height"] > 100
        assert page.locator("svg.timeline rect").count() >= 6  # session, break, recorded, gaps
        excerpts = page.locator("figure.media svg.excerpt")
        assert excerpts.count() >= 3
        box = excerpts.first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150
        image = page.locator("figure.media svg.excerpt image").first
        assert image.bounding_box()["height"] > 80  # the spectrogram is drawn
        page.evaluate("() => { const a = document.querySelector('audio'); a.muted = true; "
                      "return a.play(); }")
        page.wait_for_function("() => document.querySelector('audio').currentTime > 0.2",
                               timeout=15000)
        assert page.evaluate("() => document.querySelector('audio').duration") > 5
        shot = tmp_path / f"report-{lang}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 20000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        print(f"\nscreenshot: {shot}")
        assert not errors, errors
        assert not requests, requests
    finally:
        page.close()


@needs_chromium
@pytest.mark.parametrize("variant", ["empty", "many", "long_name"])
def test_edge_reports_read_well(browser: Any, demo: dict[str, Any], variant: str,
                                tmp_path: Path) -> None:
    report = _variants(demo["report"])[variant]
    page, errors, requests = _open(browser, render_html(report, lang="ru", base=demo["dir"]))
    try:
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1000, f"the page overflows sideways ({width} px)"
        n = page.locator("article.finding").count()
        assert n == {"empty": 0, "many": 200, "long_name": len(report["findings"])}[variant]
        if variant == "empty":
            assert "Фактов не установлено" in page.locator("#findings").inner_text()
        if variant == "long_name":
            cell = _box(page, "#files td.name")
            assert cell["height"] > 30  # the name wraps instead of overflowing
        page.screenshot(path=str(tmp_path / f"{variant}.png"))
        assert not errors and not requests, (errors, requests)
    finally:
        page.close()


def _pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         check=True, text=True).stdout
    return [p for p in out.split("\f") if p.strip()]


@needs_chromium
@needs_poppler
def test_pdf_has_the_case_number_and_page_numbers_on_every_page(demo: dict[str, Any],
                                                                tmp_path: Path) -> None:
    assert find_chromium()
    pdfs = render_pdf([(demo["html"][lang], CASE, lang) for lang in TITLES])
    for lang, data in zip(TITLES, pdfs, strict=True):
        pdf = tmp_path / f"report.{lang}.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / lang)],
                       check=True)
        images = sorted(tmp_path.glob(f"{lang}-*.png"))
        pages = _pdf_pages(pdf)
        assert len(images) == len(pages) >= 3, (lang, len(images), len(pages))
        for i, text in enumerate(pages, 1):
            assert CASE in text, f"{lang}: no case number on page {i}"
            assert f"{i}" in text.split()[-1] or str(len(pages)) in text
        assert TITLES[lang] in " ".join(pages[0].split())
        total = len(pages)
        last = " ".join(pages[-1].split())
        want = {"en": f"Page {total} of {total}", "ru": f"Страница {total} из {total}",
                "kk": f"{total} беттің {total}-беті"}[lang]
        assert want in last, (lang, last[-200:])


@needs_chromium
@needs_poppler
def test_pdf_of_edge_reports(demo: dict[str, Any], tmp_path: Path) -> None:
    variants = _variants(demo["report"])
    htmls = [(render_html(variants[v], lang="kk", base=demo["dir"]), CASE, "kk")
             for v in ("empty", "many", "long_name")]
    for name, data in zip(("empty", "many", "long_name"), render_pdf(htmls), strict=True):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(data)
        pages = _pdf_pages(pdf)
        assert all(CASE in p for p in pages), name
        if name == "many":
            assert len(pages) > 20
        if name == "empty":
            assert "Фактілер анықталмады" in " ".join(" ".join(pages).split())
