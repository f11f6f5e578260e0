"""Findings grouped into events, the answer on the first screen, a timeline a person can read."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import pytest

from auditor.demo import PLANTED, build_hearing
from auditor.detect import ScanParams
from auditor.report.events import group_events, unchecked, unrecorded_seconds
from auditor.report.html import prepare_excerpts, render_html
from auditor.report.i18n import get_lang
from auditor.report.timeline import MARK_W, place_marks
from auditor.scan import scan_with_session

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LANGS = ("en", "ru", "kk")
GAPS = ("missing_segment", "late_start", "early_stop")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("hearing")
    build_hearing(d)
    report, text = scan_with_session([], str(d / "session.json"), "kz-2015", ScanParams(),
                                     created=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    report = json.loads(json.dumps(report))
    media = prepare_excerpts(report, base=d)
    html = {lang: render_html(report, lang=lang, excerpts=media) for lang in LANGS}
    return {"report": report, "text": text, "html": html}


def _planted_events() -> tuple[int, float]:
    """Events the demo plants: one per unrecorded span, plus each file defect outside them."""
    gaps = [p for p in PLANTED if p["kind"] in GAPS]
    in_gap = {"digital_silence", "timestamp_gap"}  # the file side of a planted gap
    alone = [p for p in PLANTED if "file" in p and p["kind"] not in in_gap]
    return len(gaps) + len(alone), 4.0 + 12.0 + 228.0  # 10:01:19-23, 10:15:32-44, 10:16:12-20:00


def test_the_demo_groups_its_findings_into_events(demo: dict[str, Any]) -> None:
    report = demo["report"]
    events = group_events(report)
    n, total = _planted_events()
    assert len(report["findings"]) == 9 and len(events) == n == 4
    numbers = sorted(i for e in events for i in e.findings)
    assert numbers == list(range(1, len(report["findings"]) + 1))  # each finding in one event
    gaps = [e for e in events if e.category == "unrecorded"]
    assert [e.n for e in gaps] == [1, 2, 3]
    assert [len(e.findings) for e in gaps] == [3, 3, 2]  # gap + act_issue (+ the file's finding)
    kinds = [sorted(report["findings"][i - 1]["kind"] for i in e.findings) for e in gaps]
    assert kinds[0] == ["act_issue", "digital_silence", "missing_segment"]
    assert kinds[1] == ["act_issue", "missing_segment", "timestamp_gap"]
    assert kinds[2] == ["act_issue", "early_stop"]
    assert unrecorded_seconds(events) == (total, 0.0)
    assert [e.kind for e in events if e.category == "altered"] == ["dropout"]
    assert unchecked(report) == []


def _finding(kind: str, **kw: Any) -> dict[str, Any]:
    return {"kind": kind, "file": None, "start": None, "end": None, "wall_start": None,
            "wall_end": None, "severity": "warning", "evidence": {}, **kw}


def test_events_keep_apart_what_is_apart_and_join_an_act_to_its_gap() -> None:
    w = "2026-03-02T10:%s:00+05:00"
    report = {"findings": [
        _finding("splice", file="a.wav", start=100.0, end=100.0),
        _finding("level_jump", file="a.wav", start=100.3, end=100.3),
        _finding("splice", file="a.wav", start=500.0, end=500.0),
        _finding("splice", file="b.wav", start=100.0, end=100.0),
        _finding("missing_segment", severity="high", wall_start=w % "10", wall_end=w % "20",
                 evidence={"explained_by_act": "partial"}),
        _finding("act_issue", severity="high", wall_start=w % "15", wall_end=w % "20",
                 evidence={"gap_start": w % "10", "gap_end": w % "20"}),
        _finding("act_issue", wall_start=w % "30", wall_end=w % "31", evidence={"act": 0}),
    ], "files": [{"path": "a.wav", "checks": {"splice": {
        "enf": {"applicable": False, "reason": "no mains hum"}}}}]}
    events = group_events(report)
    assert [(e.category, e.findings) for e in events] == [
        ("unrecorded", (5, 6)), ("altered", (1, 2)), ("altered", (3,)), ("altered", (4,)),
        ("procedure", (7,))]
    assert events[0].severity == "high" and events[0].explained == "partial"
    assert unrecorded_seconds(events) == (600.0, 0.0)  # partly explained counts as unexplained
    assert [(u.file, u.what) for u in unchecked(report)] == [(None, "no_session"), ("a.wav", "enf")]


def test_an_act_issue_with_no_act_says_so(demo: dict[str, Any]) -> None:
    html = demo["html"]["en"]
    assert "Problem with an act" not in html  # the demo's record holds no act at all
    assert len(re.findall(r"<h3>\d+\. No act explains the unrecorded time <", html)) == 3


@pytest.mark.parametrize("xs", [[10.0, 11.0, 12.0, 13.0], [880.0] * 6,
                                [float(i % 50) * 3 for i in range(200)]])
def test_marks_never_overlap(xs: list[float]) -> None:
    spots = place_marks(xs, 8.0, 892.0)
    for (a, la), (b, lb) in combinations(spots, 2):
        assert la != lb or abs(a - b) >= MARK_W - 1e-9, (a, b, la)
    assert all(8.0 <= x <= 892.0 for x, _ in spots)


def test_the_timeline_draws_one_mark_per_event_none_on_another(demo: dict[str, Any]) -> None:
    svg = demo["html"]["en"].split('<svg class="timeline"', 1)[1].split("</svg>", 1)[0]
    marks = re.findall(r'<a href="#e(\d+)"><g class="marker" data-event="\d+">'
                       r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert sorted(int(n) for n, _, _ in marks) == [1, 2, 3, 4]
    for (_, x1, y1), (_, x2, y2) in combinations(marks, 2):
        assert abs(float(x1) - float(x2)) >= MARK_W or abs(float(y1) - float(y2)) >= MARK_W


def test_the_text_timeline_shows_the_grace_periods(demo: dict[str, Any]) -> None:
    text = demo["text"]
    assert ("10:00:00–10:00:04 (+05:00)  grace period  4.0 s not recorded, within the policy's "
            "grace period of 60 s (rule tolerances.start_grace_s") in text
    assert ("10:02:04–10:02:30 (+05:00)  grace period  26 s not recorded, within the policy's "
            "grace period of 60 s (rule tolerances.break_grace_s") in text
    # every line of the list starts where one before it ended: no unexplained jump
    spans = re.findall(r"^(\d\d:\d\d:\d\d)–(\d\d:\d\d:\d\d) \(\+05:00\)", text, re.MULTILINE)
    assert spans[0][0] == "10:00:00" and spans[-1][1] == "10:20:00"
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False)), spans


def test_the_html_timeline_lists_the_grace_periods(demo: dict[str, Any]) -> None:
    html = demo["html"]["ru"]
    assert "10:00:00 – 10:00:04 (4 с): не записано, в пределах допуска" in html
    assert "tolerances.break_grace_s" in html


@pytest.fixture(scope="module")
def browser() -> Any:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_first_screen_gives_the_answer(browser: Any, demo: dict[str, Any],
                                           lang: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.set_content(demo["html"][lang], wait_until="load")
        events = page.locator("#brief ol.events li")
        assert events.count() == 4
        for i in range(4):
            box = events.nth(i).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 900, (lang, i, box)
            assert events.nth(i).locator("a[href^='#f']").count() >= 1  # linked to its findings
        total = get_lang(lang).duration(244.0)
        said = page.locator("#brief p.said", has_text=total).first
        box = said.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, (lang, total)
        for when in ("10:01:19 – 10:01:23", "10:15:32 – 10:15:44", "10:16:12 – 10:20:00"):
            assert page.locator("#brief .when", has_text=when).count() == 1
        unchecked_box = page.locator("#brief-unchecked").bounding_box()
        assert unchecked_box is not None and unchecked_box["y"] < 900
        marks = page.locator("svg.timeline g.marker")
        boxes = [marks.nth(i).bounding_box() for i in range(marks.count())]
        assert len(boxes) == 4
        for a, b in combinations(boxes, 2):
            apart = (a["x"] + a["width"] <= b["x"] + 0.5 or b["x"] + b["width"] <= a["x"] + 0.5
                     or a["y"] + a["height"] <= b["y"] + 0.5
                     or b["y"] + b["height"] <= a["y"] + 0.5)
            assert apart, (lang, a, b)
        page.locator("svg.timeline a[href='#e3']").click()
        assert page.evaluate("() => location.hash") == "#e3"
    finally:
        page.close()


@pytest.mark.parametrize("lang,words", [("en", "They describe 4 events"),
                                        ("ru", "Они описывают 4 события"),
                                        ("kk", "Олар 4 оқиғаны сипаттайды")])
def test_the_conclusion_counts_events_too(demo: dict[str, Any], lang: str, words: str) -> None:
    from auditor.report.explain import conclusion
    from auditor.report.i18n import get_lang

    text = " ".join(conclusion(get_lang(lang), demo["report"]))
    assert words in text


def test_the_conclusion_does_not_claim_every_check_ran_when_a_file_was_unreadable() -> None:
    from auditor.report.explain import conclusion
    from auditor.report.i18n import get_lang

    report = {"files": [], "findings": [], "unreadable": [{"path": "b.wav", "error": "x"}]}
    text = " ".join(conclusion(get_lang("en"), report))
    assert "every check" not in text.lower()
    assert "No findings in the recordings that could be checked." in text
