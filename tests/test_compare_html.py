"""``auditor compare --format html|pdf``: both timelines drawn and joined, checked in a real
browser (headless Chromium through playwright) and in the printed PDF (pdftotext).

The copy is an MP3 made by the imageio-ffmpeg wheel's encoder from the reference with a cut,
an insertion and a mute at known times, saved under a hostile name. The browser and PDF tests
are skipped, with the reason, where Debian's chromium or poppler-utils is not installed.
"""

from __future__ import annotations

import copy
import html
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli
from auditor.compare.html import render_compare_html
from auditor.compare.timelines import WIDTH, X0, X1, mismatches
from auditor.findings import format_time
from auditor.report.i18n import get_lang

SR = 16000
HOSTILE = "<script>alert(1)</script>.mp3"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (apt install chromium)")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils is not installed (apt install poppler-utils)")
#: what was done to the copy: (kind, copy start, copy end, reference start, reference end), s
TRUTH = [("missing_in_copy", 20.0, 20.0, 20.0, 26.0),
         ("inserted_in_copy", 39.0, 43.0, 45.0, 45.0),
         ("altered_in_copy", 63.0, 66.0, 65.0, 68.0)]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import imageio_ffmpeg

    from auditor.media import transcode

    out = tmp_path_factory.mktemp("compare-html")
    x = speechlike(np.random.default_rng(11), 90 * SR, SR)
    other = speechlike(np.random.default_rng(12), 10 * SR, SR) * np.float32(0.9)

    def s(t: float) -> int:
        return int(t * SR)

    edited = np.concatenate([x[: s(20)], x[s(26) : s(45)], other[s(2) : s(6)], x[s(45) : s(65)],
                             x[s(65) : s(68)] * np.float32(0.001), x[s(68) :]])
    ref = write(out / "ref.wav", x, SR)
    src = write(out / "copy.wav", edited, SR)
    (out / HOSTILE).parent.mkdir()  # the name's "/" makes "<script>alert(1)<" a folder
    dst = transcode(src, out / HOSTILE, options={"acodec": "libmp3lame", "audio_bitrate": "32k"},
                    exe=imageio_ffmpeg.get_ffmpeg_exe())
    res = CliRunner().invoke(cli, ["compare", str(ref), str(dst), "--format", "json"], env=EPOCH)
    assert res.exit_code == 1, res.output
    return {"dir": out, "ref": str(ref), "copy": str(dst), "report": json.loads(res.output)}


def _html(made: dict[str, Any], name: str) -> bytes:
    out = made["dir"] / name
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "html",
                                   "-o", str(out)], env=EPOCH)
    assert res.exit_code == 1, res.output
    return out.read_bytes()


def test_the_comparison_finds_the_three_edits(made: dict[str, Any]) -> None:
    found = mismatches(made["report"])
    assert [m.kind for m in found] == [t[0] for t in TRUTH]
    for m, (_, c0, c1, r0, r1) in zip(found, TRUTH, strict=True):
        assert (m.copy_start, m.copy_end, m.ref_start, m.ref_end) == pytest.approx(
            (c0, c1, r0, r1), abs=0.5)


def test_html_is_the_same_bytes_for_the_same_report_and_escapes_the_name(made):
    first, second = _html(made, "a.html"), _html(made, "b.html")
    assert first == second
    assert first.decode("utf-8") == render_compare_html(made["report"])
    later = copy.deepcopy(made["report"])
    later["created"] = "2031-01-01T00:00:00+00:00"
    en = get_lang("en")
    assert render_compare_html(later).replace(en.datetime(later["created"]),
                                              en.datetime(made["report"]["created"])) \
        == first.decode("utf-8")
    text = first.decode("utf-8")
    assert "<script" not in text.lower() and "alert(1)</" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp3" in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and "default-src &#39;none&#39;" in text


def test_a_bundle_reference_is_named_with_its_source_escaped(made):
    report = copy.deepcopy(made["report"])
    report["comparison"]["reference_source"] = {
        "kind": "bundle", "path": "evidence\u202e.zip", "name": "hearing</td><b>.wav",
        "recording": 3, "fingerprint_entry": 4, "origin": 'court "A" <img src=x onerror=1>',
        "tree_size": 5, "root": "ab" * 32, "recording_sha256": "cd" * 32}
    text = render_compare_html(report)
    assert "evidence&lt;U+202E&gt;.zip" in text and "\u202e" not in text
    assert "hearing&lt;/td&gt;&lt;b&gt;.wav" in text
    assert "court &#34;A&#34; &lt;img src=x onerror=1&gt;" in text and "<img" not in text
    assert "ab" * 32 in text and "cd" * 32 in text and "entry 4" in text


def test_a_copy_with_no_difference_says_so_and_marks_nothing(made):
    report = copy.deepcopy(made["report"])
    report["findings"] = []
    text = render_compare_html(report)
    assert ("The copy holds the reference's audio: no difference of at least 0.75 s."
            in html.unescape(text))
    assert 'class="mark' not in text and "<table class=\"list differences\">" not in text


def test_pdf_needs_an_output_file_and_a_chromium_before_any_work(made, tmp_path):
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "pdf"])
    assert res.exit_code == 2 and "a PDF is not written to a terminal" in res.output
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "pdf",
                                   "-o", str(tmp_path / "r.pdf")],
                             env={"AUDITOR_CHROMIUM": str(tmp_path / "no-chromium")})
    assert res.exit_code == 2 and "AUDITOR_CHROMIUM names" in res.output
    assert not (tmp_path / "r.pdf").exists()


@pytest.fixture(scope="module")
def browser() -> Any:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from auditor.report.pdf import LAUNCH_FLAGS

    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*LAUNCH_FLAGS[1:]])
        yield b
        b.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    loc = page.locator(selector)
    assert loc.count() == 1, f"{selector}: {loc.count()} elements"
    box = loc.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return dict(box)


@needs_chromium
def test_the_browser_draws_two_timelines_joined_with_every_mismatch_in_place(made, browser):
    report = made["report"]
    comp = report["comparison"]
    page = browser.new_page(viewport={"width": 1000, "height": 1300})
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    try:
        page.set_content(_html(made, "page.html").decode("utf-8"), wait_until="load")
        assert errors == [] and requests == [] and dialogs == []
        assert page.locator("script").count() == 0
        assert HOSTILE in page.locator("table.files").inner_text()

        svg = _box(page, "svg.timelines")
        scale = svg["width"] / WIDTH
        ref_y, copy_y = (_box(page, f"svg.timelines line.axis >> nth={i}")["y"] for i in (0, 1))
        assert page.locator("svg.timelines line.axis").count() == 2 and copy_y - ref_y > 80

        def px(t: float, duration: float) -> float:
            return svg["x"] + scale * (X0 + (X1 - X0) * t / duration)

        rd, cd = comp["reference_duration"], comp["copy_duration"]
        aligned = [(i, s) for i, s in enumerate(comp["segments"]) if s["offset"] is not None]
        assert page.locator("svg.timelines polygon.join").count() == len(aligned) >= 4
        for i, seg in aligned:
            points = page.locator(f'polygon.join[data-segment="{i}"]').evaluate(
                "p => Array.from(p.points, q => [q.x, q.y])")
            c0, c1, off = seg["copy_start"], seg["copy_end"], seg["offset"]
            want = [X0 + (X1 - X0) * t / d for t, d in
                    ((c0 + off, rd), (c1 + off, rd), (c1, cd), (c0, cd))]
            assert [p[0] for p in points] == pytest.approx(want, abs=0.01)
            assert points[0][1] < points[2][1]  # from the reference above to the copy below

        found = mismatches(report)
        # the drawing is exact to a pixel; the edits are found to half a second of the truth
        truth_tol = {"ref": 0.5 * scale * (X1 - X0) / rd + 1,
                     "copy": 0.5 * scale * (X1 - X0) / cd + 1}
        ref_marks = [m for m in found if m.kind != "inserted_in_copy"]
        copy_marks = [m for m in found if m.kind != "missing_in_copy"]
        assert page.locator("rect.mark.ref").count() == len(ref_marks) == 2
        assert page.locator("rect.mark.copy").count() == len(copy_marks) == 2
        for m, truth in zip(found, TRUTH, strict=True):
            for side, start, true_start, duration, y in (
                    ("ref", m.ref_start, truth[3], rd, ref_y),
                    ("copy", m.copy_start, truth[1], cd, copy_y)):
                if m not in (ref_marks if side == "ref" else copy_marks):
                    continue
                box = _box(page, f'rect.mark.{side}[data-n="{m.n}"]')
                assert box["x"] == pytest.approx(px(start, duration), abs=1.0)
                assert box["x"] == pytest.approx(px(true_start, duration), abs=truth_tol[side])
                assert box["y"] < y < box["y"] + box["height"]
                label = page.locator(f'g.label.{side}[data-n="{m.n}"]')
                assert label.text_content().strip() == str(m.n)

        rows = page.locator("table.differences tbody tr")
        assert rows.count() == len(found)
        for row, m in zip(rows.all(), found, strict=True):
            text = row.inner_text()
            assert format_time(m.finding["start"]) in text
            assert format_time(m.finding["evidence"]["reference_start"]) in text
        assert page.locator("svg.timelines").get_attribute("role") == "img"
    finally:
        page.close()


@needs_chromium
@needs_poppler
def test_the_pdf_holds_the_mismatch_times(made, tmp_path: Path) -> None:
    out = tmp_path / "compare.pdf"
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "pdf",
                                   "-o", str(out)], env=EPOCH)
    assert res.exit_code == 1, res.output
    assert out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          check=True, text=True).stdout
    words = " ".join(text.split())
    assert "Copy comparison report" in words and "3 differences" in words
    for f in made["report"]["findings"]:
        for t in (f["start"], f["end"], f["evidence"]["reference_start"],
                  f["evidence"]["reference_end"]):
            assert format_time(t) in words
    assert "alert(1)" in words  # the hostile name, printed as text
