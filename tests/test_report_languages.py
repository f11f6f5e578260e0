"""A Russian or Kazakh reader meets no English word: the demo's HTML report and the text output of
``scan --session --lang`` in ru and kk hold no Latin-script word outside a short allow-list.

What may stay in Latin script, and why:
- names the inputs give: the recordings' file names, the session record's values as written
  (court, judge, secretary, case), the policy's name (``kz-2015``);
- codes a reader copies rather than reads: hashes, ISO times, key, parameter and rule names and
  the finding kinds (in ``<code>`` in the HTML, ``(missing_segment)`` in parentheses in the
  text), schema names (``auditor.report/1``), the tool's name;
- names of formats and programs (:data:`NAMES`);
- data shown as the JSON report holds it, in the tables of evidence and parameters: JSON's
  ``true``/``false``/``null`` and the string values of the evidence and of the scan's parameters
  (``policy kz-2015``, a file-name pattern), except the policy's texts (its title, source, grid
  note and rules), which a reader reads and which must be translated;
- the symbols of the text timeline's bars (``#``, ``+``, ``x``, ...);
- the detectors' English messages, which the HTML shows as technical detail in an element marked
  ``lang="en"`` (the text output shows the translated sentence instead).
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import build_hearing
from auditor.detect import ScanParams
from auditor.report.explain import KINDS
from auditor.report.html import render_html
from auditor.report.model import dumps
from auditor.report.text import render_text
from auditor.scan import scan_with_session

#: names of formats, programs, standards and units that are written in Latin script in Russian
#: and Kazakh texts too
NAMES = {"auditor", "SHA-256", "sha256", "sha256sum", "ffmpeg", "libsndfile", "JSON", "HTML",
         "PDF", "CSV", "UTC", "ENF", "WAV", "PCM", "MP4/M4A", "AAC", "kz-2015"}
_LATIN = re.compile(r"[A-Za-z]")
_CODE = re.compile(r"^[a-z0-9]+(?:[_.][a-z0-9]+)+$|^[0-9a-f]{16,}…?$|^auditor\.[a-z]+/\d+$")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?|UTC[+-]\d\d:\d\d")
_BAR = re.compile(r"\[[ =#+x!?-]*\]|(?<=\s)x(?= )")  # the text timeline's bars and its legend's x
_SKIP = {"style", "script", "code", "audio"}
_INLINE = {"span", "wbr", "a", "strong", "em", "b", "i", "small", "abbr"}


class _Text(HTMLParser):
    """The text a reader sees, without ``<code>`` and without elements marked ``lang="en"``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _INLINE:  # wbr and the spans that keep a name whole are inside a word
            self.parts.append(" ")
        if tag == "wbr":
            return
        if tag in ("br", "img", "meta", "link", "source", "input", "col"):
            return
        self.stack.append((tag, tag in _SKIP or dict(attrs).get("lang") == "en"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in _INLINE:
            self.parts.append(" ")
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def _strings(obj: Any, key: str = "") -> list[str]:
    """The string values in ``obj`` (JSON), but for the texts a policy gives people to read."""
    if isinstance(obj, dict):
        return [s for k, v in obj.items() if k not in ("text", "title", "source", "rules",
                                                       "rule_text") for s in _strings(v, k)]
    if isinstance(obj, list):  # the HTML shows a list as its JSON
        return [json.dumps(obj, ensure_ascii=False), *(s for v in obj for s in _strings(v, key))]
    return [obj] if isinstance(obj, str) else []


def _data(report: dict[str, Any]) -> list[str]:
    data = [report.get("session") or {}, report["tool"]["parameters"],
            *(f.get("evidence") or {} for f in report["findings"])]
    return sorted(_strings(data), key=len, reverse=True)


def _allowed_words(report: dict[str, Any]) -> set[str]:
    words = set(NAMES) | {"true", "false", "null"}
    words |= {f["path"] for f in report["files"]}
    for value in _data(report):
        words |= set(value.split()) | {w.strip("()[],;:.") for w in value.split()}
    return words


def latin_words(text: str, report: dict[str, Any]) -> list[str]:
    """The words of ``text`` in Latin script that the allow-list does not explain."""
    allowed = _allowed_words(report)
    for value in _data(report):  # a value with spaces or brackets, as the report shows it
        if len(value) > 1:
            text = text.replace(value, " ")
    text = _BAR.sub(" ", _ISO.sub(" ", text))
    kinds = "|".join(sorted(KINDS, key=len, reverse=True))
    text = re.sub(rf"\((?:{kinds})(?=[;)])", "(", text)  # a kind's code after its title
    out = []
    for raw in text.split():
        word = raw.strip("()[],;:.«»\"'—–")
        if not _LATIN.search(word) or word in allowed or raw in allowed or _CODE.match(word):
            continue
        if "-" in word and word.partition("-")[0] in NAMES:  # JSON-отчёт, HTML-версии
            continue
        out.append(word)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    build_hearing(directory)
    return directory


def _scan(directory: Path, lang: str) -> tuple[dict[str, Any], str]:
    report, timeline = scan_with_session([], str(directory / "session.json"), "kz-2015",
                                         ScanParams(), lang=lang)
    return json.loads(dumps(report)), timeline


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_text_output_has_no_english_word(demo: Path, lang: str) -> None:
    report, timeline = _scan(demo, lang)
    text = render_text(report, timeline=timeline, lang=lang)
    assert "НЕ ЗАПИСАНО" in text or "ЖАЗЫЛМАҒАН" in text
    found = latin_words(text, report)
    assert not found, f"{lang}: {sorted(set(found))}"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_html_report_has_no_english_word(demo: Path, lang: str) -> None:
    report, _ = _scan(demo, "en")
    page = render_html(report, lang=lang, base=demo)
    parser = _Text()
    parser.feed(page)
    text = html.unescape("".join(parser.parts))
    found = latin_words(text, report)
    assert not found, f"{lang}: {sorted(set(found))}"


def test_the_check_finds_english() -> None:
    report = {"files": [{"path": "a.wav"}], "session": {"court": "Demo Court"},
              "tool": {"parameters": {"policy": {"title": "Kazakhstan"}}}, "findings": []}
    assert latin_words("4 с (dropout) в a.wav, Demo Court, hash 0123456789abcdef", report) == [
        "hash"]
    assert latin_words("Kazakhstan", report) == ["Kazakhstan"]
    assert latin_words("dropout of exact zeros", report) == ["dropout", "of", "exact", "zeros"]
