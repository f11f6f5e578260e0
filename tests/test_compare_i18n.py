"""The copy comparison in Russian and Kazakh: text, HTML and the PDF printed by Chromium.

The comparison of ``test_compare_html`` (a copy with a cut, an insertion and an overdub) is
rendered in each language; every heading, the conclusion, the legend and each difference's
sentence are the catalogs' (with the glossary's terms), the times in the language's notation,
and the JSON stays the contract's English.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_compare_html import EPOCH, made, needs_chromium, needs_poppler  # noqa: F401

from auditor.cli import cli
from auditor.compare.html import render_compare_html
from auditor.report.i18n import get_lang

#: words of the page in each language: title, a heading, the conclusion, a kind, the legend
WORDS = {
    "ru": ["Отчёт о сравнении копии с оригиналом записи", "Сопоставленные участки",
           "3 расхождения между копией и оригиналом записи.", "отсутствует в копии",
           "вставлено в копию (на шкале копии)", "Временные шкалы"],
    "kk": ["Көшірмені жазбаның түпнұсқасымен салыстыру туралы есеп",
           "Сәйкестендірілген бөліктер",
           "Көшірме мен жазба түпнұсқасы арасында 3 айырмашылық бар.", "көшірмеде жоқ",
           "көшірмеге енгізілген (көшірме шкаласында)", "Уақыт шкалалары"],
}
#: English a translated page must not show (headings, table heads, legend, sentences)
ENGLISH = ["Copy comparison report", "Summary", "Timelines", "Differences", "Aligned segments",
           "Bit error rate", "missing from the copy", "inserted into", "altered in",
           "reference", "Reference", "Speed ratio", "Coverage", "Method:", "aligned audio"]


def _visible_text(page: str) -> str:
    """The words a reader sees: tags, the style sheet and the policy dropped."""
    body = re.sub(r"<style>.*?</style>|<head>.*?</head>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_page_is_in_the_language(made: dict[str, Any], lang: str) -> None:  # noqa: F811
    page = render_compare_html(made["report"], lang)
    assert f'<html lang="{lang}">' in page
    text = _visible_text(page)
    for word in WORDS[lang]:
        assert word in text, word
    left = [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    assert not left, f"{lang}: English left on the page: {left}"
    tr = get_lang(lang)
    for f in made["report"]["findings"]:
        assert f["message"] not in text  # the contract's English sentence is said again
        assert tr.clock(f["start"]) in text and "," in tr.clock(f["start"])  # 00:00:20,0
        assert tr.clock(f["evidence"]["reference_start"]) in text


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_text_is_in_the_language_and_the_json_stays_english(
        made: dict[str, Any], lang: str) -> None:  # noqa: F811
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "text",
                                   "--lang", lang], env=EPOCH)
    assert res.exit_code == 1, res.output
    assert ("ОТСУТСТВУЕТ" if lang == "ru" else "ЖОҚ") in res.output
    assert ("копия" if lang == "ru" else "көшірме") in res.output
    assert "reference" not in res.output and "missing from" not in res.output
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "json",
                                   "--lang", lang], env=EPOCH)
    assert res.exit_code == 1, res.output
    found = json.loads(res.output)["findings"]
    assert [f["message"] for f in found] == [f["message"] for f in made["report"]["findings"]]


def test_an_unknown_language_is_refused_before_any_work(made: dict[str, Any],  # noqa: F811
                                                        tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "html",
                                   "--lang", "de", "-o", str(out)])
    assert res.exit_code == 2
    assert "--lang" in res.output and "'de' is not one of 'en', 'ru', 'kk'" in res.output
    assert not out.exists()


@needs_chromium
@needs_poppler
def test_the_pdf_is_headed_as_a_comparison_in_the_language(made: dict[str, Any],  # noqa: F811
                                                           tmp_path: Path) -> None:
    for lang in ("ru", "kk"):
        out = tmp_path / f"compare.{lang}.pdf"
        res = CliRunner().invoke(cli, ["compare", made["ref"], made["copy"], "--format", "pdf",
                                       "--lang", lang, "-o", str(out)], env=EPOCH)
        assert res.exit_code == 1, res.output
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True,
                              text=True).stdout
        pages = [" ".join(p.split()) for p in text.split("\f") if p.strip()]
        title = WORDS[lang][0]
        # the running header of every page names the comparison, never the scan's report
        assert all(title in p for p in pages), (lang, [p[:80] for p in pages])
        assert get_lang(lang).gettext("Recording integrity report") not in " ".join(pages)
        words = " ".join(pages)
        for word in WORDS[lang][1:]:
            assert word in words, (lang, word)
        tr = get_lang(lang)
        for f in made["report"]["findings"]:
            assert tr.clock(f["start"]) in words and tr.clock(f["end"]) in words


def test_auditor_report_renders_a_saved_comparison_as_its_own_page(
        made: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    saved = tmp_path / "compare.json"
    saved.write_text(json.dumps(made["report"]), encoding="utf-8")
    out = tmp_path / "compare.kk.html"
    res = CliRunner().invoke(cli, ["report", str(saved), "--format", "html", "--lang", "kk",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == render_compare_html(made["report"], "kk")
    # a comparison whose fields are not what the page reads: the field named, no traceback
    bad = json.loads(json.dumps(made["report"]))
    bad["comparison"]["segments"][0]["copy_start"] = "soon"
    bad["files"][0]["role"] = ["reference"]
    saved.write_text(json.dumps(bad), encoding="utf-8")
    res = CliRunner().invoke(cli, ["report", str(saved), "--format", "html", "-o",
                                   str(tmp_path / "bad.html")])
    assert res.exit_code == 2
    assert "comparison.segments[0].copy_start must be a number, got 'soon'" in res.output
    assert not (tmp_path / "bad.html").exists()
    del bad["comparison"]["segments"][0]["copy_start"]
    bad["comparison"]["segments"][0]["copy_start"] = 0.0
    bad["findings"][0]["evidence"] = {"length": 1.0}
    saved.write_text(json.dumps(bad), encoding="utf-8")
    res = CliRunner().invoke(cli, ["report", str(saved), "--format", "html"])
    assert res.exit_code == 2 and "findings[0].evidence.reference_start must be a number" \
        in res.output
