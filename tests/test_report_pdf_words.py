"""PDF tables keep words whole: every file, parameter and rule name prints on one line.

The demo hearing's report is printed in each language and its text extracted with ``pdftotext``
(with and without ``-layout``). Each name is counted in the HTML's text and on the PDF's lines: a
name that wraps inside itself (``hearing-`` / ``part1.wav``, ``policy.tolerances.start_`` /
``grace_s``) is missing from the PDF's count. Skipped where chromium or poppler-utils is missing.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.report.html import LONG_NAME, keep_names

LANGS = ("en", "ru", "kk")
needs_tools = pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("pdftotext") is None,
    reason="needs Debian chromium and poppler-utils (apt install chromium poppler-utils)")


def _flat(prefix: str, obj: Any) -> list[str]:
    if isinstance(obj, dict) and obj:
        return [k for key, v in obj.items() for k in _flat(f"{prefix}.{key}" if prefix else key, v)]
    return [prefix]


def _names(report: dict[str, Any]) -> set[str]:
    """The file, parameter, rule and evidence names the report shows."""
    params = report["tool"]["parameters"]
    names = {f["path"] for f in report["files"]}
    names |= {k for k in _flat("", params) if not k.startswith("policy.rules.")}
    names |= set(params["policy"]["rules"])
    names |= {k for f in report["findings"] for k in _flat("", f.get("evidence") or {})
              if k != "rule_text"}
    names |= {k.removeprefix("policy.") for k in names if k.startswith("policy.tolerances.")}
    return {n for n in names if re.search(r"[-_./]", n)}  # a plain word has nowhere to split


def _html_text(page: str) -> str:
    """The text a reader sees: no <head>, no tooltips (an SVG's <title>)."""
    page = re.sub(r"(?s)<(head|title)\b.*?</\1>", " ", page)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page.replace("<wbr>", "")))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from auditor.demo import build_hearing
    from auditor.detect import ScanParams
    from auditor.report.html import prepare_excerpts, render_html
    from auditor.report.pdf import render_pdf
    from auditor.scan import scan_with_session

    d = tmp_path_factory.mktemp("words")
    build_hearing(d)
    report, _ = scan_with_session([], str(d / "session.json"), "kz-2015", ScanParams(),
                                  created=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    report = json.loads(json.dumps(report))
    media = prepare_excerpts(report, base=d)
    html = {lang: render_html(report, lang=lang, excerpts=media) for lang in LANGS}
    pdfs = render_pdf([(html[lang], "2-1234/2026", lang) for lang in LANGS])
    for lang, data in zip(LANGS, pdfs, strict=True):
        (d / f"report.{lang}.pdf").write_bytes(data)
    return {"dir": d, "report": report, "html": html}


@needs_tools
@pytest.mark.parametrize("layout", [True, False], ids=["layout", "raw"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_name_prints_whole(printed: dict[str, Any], lang: str, layout: bool) -> None:
    pdf = printed["dir"] / f"report.{lang}.pdf"
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    lines = subprocess.run(args, capture_output=True, check=True, text=True).stdout.splitlines()
    shown = _html_text(printed["html"][lang])
    names = _names(printed["report"])
    assert {"hearing-part1.wav", "hearing-part2.m4a", "policy.tolerances.start_grace_s",
            "tolerances.break_grace_s", "act_signatures"} <= names
    split = {}
    for name in sorted(names):
        whole = sum(line.count(name) for line in lines)
        if whole != shown.count(name) or whole == 0:
            split[name] = (whole, shown.count(name))
    assert not split, f"{lang}: names split across lines (whole in PDF, in HTML): {split}"


def test_keep_names_marks_names_and_escapes_the_rest() -> None:
    out = str(keep_names("inside hearing-part1.wav, <b> & 2-1234/2026"))
    assert out == ('inside <span class="nw">hearing-part1.wav</span>, &lt;b&gt; &amp; '
                   '<span class="nw">2-1234/2026</span>')
    assert keep_names(None) is None


def test_a_long_name_wraps_only_after_a_separator() -> None:
    name = "/".join(["hearing-of-the-district-court-in-the-case-number-2-1234-2026"] * 3)
    name += "/" + "x" * 120 + "_part1.wav"
    out = str(keep_names(name))
    pieces = re.findall(r'<span class="nw">([^<]*)</span>', out)
    assert "".join(pieces) == name
    assert out == "<wbr>".join(f'<span class="nw">{p}</span>' for p in pieces)
    assert all(len(p) <= LONG_NAME for p in pieces)
    # every cut is after a separator, except inside the run of 120 letters that has none
    cuts = [p for p in pieces[:-1] if "x" * LONG_NAME not in p]
    assert cuts and all(p[-1] in "/-_." for p in cuts), pieces
