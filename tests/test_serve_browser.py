"""The local app as a person uses it: real headless Chromium on a real server on loopback.

Skipped, with the reason, where Debian's chromium is not installed (as
``test_report_browser.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest_serve import running_app
from test_report_browser import CASE, CHROMIUM, TITLES

from auditor.demo import build_hearing, match_planted
from auditor.report.explain import conclusion
from auditor.report.i18n import get_lang
from auditor.report.pdf import LAUNCH_FLAGS
from auditor.session import Session

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed")


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=list(LAUNCH_FLAGS[1:]))
        yield b
        b.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_app(tmp_path_factory.mktemp("serve") / "jobs") as running:
        yield running


@pytest.fixture(scope="module")
def hearing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hearing")
    build_hearing(d)
    return d


def _page(browser: Any, app: Any, path: str = "/") -> tuple[Any, Any, list[str]]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{app.base}{path}{'&' if '?' in path else '?'}token={app.token}")
    return context, page, problems


@pytest.fixture(scope="module")
def demo_job(browser: Any, app: Any, hearing: Path) -> dict[str, Any]:
    """The demo hearing and its session record dropped in the page, checked to the report."""
    context, page, problems = _page(browser, app)
    assert page.url == f"{app.base}/"  # the token left the address
    page.set_input_files("#recordings", [hearing / "hearing-part1.wav",
                                         hearing / "hearing-part2.m4a"])
    assert page.locator("#chosen li").count() == 2
    page.set_input_files("#session", hearing / "session.json")
    page.click("#start")
    page.wait_for_selector("iframe#report", timeout=120_000)
    job = page.url.rsplit("/", 1)[1]
    report = json.loads(context.request.get(f"{app.base}/job/{job}/report.json").body())
    return {"context": context, "page": page, "job": job, "report": report,
            "problems": problems}


def test_the_demo_hearing_dropped_in_gives_its_findings_and_conclusion(demo_job):
    page, report = demo_job["page"], demo_job["report"]
    planted = match_planted(report)
    assert len(planted) >= 4 and all(hit is not None for _, hit in planted)
    frame = page.frame_locator("iframe#report")
    assert frame.locator("h1").inner_text() == TITLES["en"]
    assert frame.locator("article.finding").count() == len(report["findings"]) >= 4
    assert CASE in frame.locator("body").inner_text()
    shown = frame.locator("#conclusion p").all_inner_texts()
    assert shown == conclusion(get_lang("en"), report)
    assert frame.locator("figure.media audio").count() >= 1  # a player at the findings
    assert demo_job["problems"] == []


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_report_switches_to_russian_and_kazakh(demo_job, lang):
    page, report = demo_job["page"], demo_job["report"]
    page.click(f"#langs a[hreflang={lang}]")
    page.wait_for_url(f"**/job/{demo_job['job']}?lang={lang}")
    frame = page.frame_locator("iframe#report")
    assert frame.locator("h1").inner_text() == TITLES[lang]
    assert frame.locator("html").get_attribute("lang") == lang
    assert frame.locator("#conclusion p").all_inner_texts() == conclusion(get_lang(lang), report)
    with page.expect_download() as dl:
        page.click("#downloads a:text('PDF')")
    assert dl.value.suggested_filename == f"report.{lang}.pdf"
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF-")


def test_files_dropped_on_the_zone_go_to_their_inputs(browser, app, hearing):
    # bypass_csp only so that the test can build the DataTransfer a real drag carries
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(app.url)
    names = ["hearing-part1.wav", "hearing-part2.m4a", "session.json"]
    dt = page.evaluate_handle(
        "names => { const dt = new DataTransfer();"
        " for (const n of names) dt.items.add(new File(['x'], n)); return dt; }", names)
    page.dispatch_event("#drop", "drop", {"dataTransfer": dt})
    assert page.locator("#chosen li").all_inner_texts() == [
        "hearing-part1.wav (0.0 MB)", "hearing-part2.m4a (0.0 MB)"]
    assert page.eval_on_selector("#session", "i => i.files[0].name") == "session.json"
    assert page.url == f"{app.base}/"  # the page stayed: the browser did not open the file
    context.close()


def test_the_session_form_gives_a_valid_session_json(browser, app):
    context, page, problems = _page(browser, app)
    page.click("#session-form summary")
    page.fill("input[name=court]", "Demo District Court")
    page.fill("input[name=case]", "2-1234/2026")
    page.fill("input[name=judge]", "A. Judge")
    page.fill("input[name=start]", "2026-03-02T10:00:00")
    page.fill("input[name=end]", "2026-03-02T10:20:00")
    page.fill("#breaks tbody tr:nth-child(1) input[name=break_start]", "2026-03-02T10:02:30")
    page.fill("#breaks tbody tr:nth-child(1) input[name=break_end]", "2026-03-02T10:15:00")
    page.fill("#breaks tbody tr:nth-child(1) input[name=break_reason]", "recess")
    page.click("button.add[data-table=acts]")  # a second act row, by the page's script
    assert page.locator("#acts tbody tr").count() == 2
    page.fill("#acts tbody tr:nth-child(2) input[name=act_start]", "2026-03-02T10:16:00")
    page.fill("#acts tbody tr:nth-child(2) input[name=act_end]", "2026-03-02T10:17:00")
    page.fill("#acts tbody tr:nth-child(2) input[name=act_reason]", "power cut")
    page.fill("#acts tbody tr:nth-child(2) input[name=act_signed_by]", "A. Judge; B. Secretary")
    page.fill("#recs tbody tr:nth-child(1) input[name=rec_file]", "hearing-part1.wav")
    page.fill("#recs tbody tr:nth-child(1) input[name=rec_start]", "2026-03-02T10:00:04")
    # checked without its closing time: the form comes back with the library's message, as typed
    page.fill("input[name=end]", "")
    page.click("#start")
    page.wait_for_selector("#error")
    assert page.locator("#error").inner_text().startswith(
        "the session form: end must be an ISO 8601 time with a UTC offset, got None")
    assert page.locator("#acts tbody tr:nth-child(1) input[name=act_reason]").input_value() == (
        "power cut")
    page.click("button.add[data-table=breaks]")  # the page's script runs on the page sent back
    assert page.locator("#breaks tbody tr").count() == 3
    page.fill("input[name=end]", "2026-03-02T10:20:00")
    with page.expect_download() as dl:
        page.click("#download-session")
    record = Session.from_json(json.loads(Path(dl.value.path()).read_text()))
    assert (record.court, record.case, record.judge) == ("Demo District Court", CASE, "A. Judge")
    assert record.start.isoformat() == "2026-03-02T10:00:00+05:00"
    assert [(b.start.isoformat(), b.reason) for b in record.breaks] == [
        ("2026-03-02T10:02:30+05:00", "recess")]
    assert [(a.reason, a.signed_by) for a in record.acts] == [
        ("power cut", ("A. Judge", "B. Secretary"))]
    assert record.recordings[0].file == "hearing-part1.wav"
    # the same form with the session closing before it opened: the library's words, on the page
    page.fill("input[name=end]", "2026-03-02T09:00:00")
    page.click("#download-session")
    page.wait_for_selector("#error")
    assert page.locator("#error").inner_text().startswith(
        "the session form: end 2026-03-02T09:00:00+05:00 is not after start")
    assert page.locator("input[name=court]").input_value() == "Demo District Court"
    # the refused forms' pages are answered 400, which the console notes; nothing else failed
    assert set(problems) == {"Failed to load resource: the server responded with a status of "
                             "400 (Bad Request)"}
    context.close()


def test_no_token_no_page_and_a_traversal_name_stays_in_its_folder(browser, app):
    context = browser.new_context()
    page = context.new_page()
    r = page.goto(f"{app.base}/")
    assert r.status == 403 and "token" in page.inner_text("body")
    r = page.goto(f"{app.base}/?token=not-the-token")
    assert r.status == 403
    context.close()
    context, page, _ = _page(browser, app)
    page.set_input_files("#recordings", files=[{"name": "../../../escaped.wav",
                                                "mimeType": "audio/wav",
                                                "buffer": b"RIFF not a recording"}])
    page.click("#start")
    page.wait_for_selector("iframe#report", timeout=60_000)
    job = page.url.rsplit("/", 1)[1]
    escaped = sorted(app.root.parent.rglob("escaped.wav"))
    assert escaped == [app.root / job / "escaped.wav"]
    frame = page.frame_locator("iframe#report")
    assert "escaped.wav" in frame.locator("body").inner_text()
    context.close()


def test_the_pages_speak_the_browsers_language_and_switch(browser, app):
    context = browser.new_context(locale="ru-RU")  # Accept-Language: ru-RU
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(app.url)
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Проверка записи заседания"
    page.click("#ui-langs a[hreflang=kk]")
    page.wait_for_url("**/?lang=kk")
    assert page.locator("h1").inner_text() == "Отырыс жазбасын тексеру"
    # the script's words come from the page (no inline script: the policy allows none)
    assert page.evaluate("say('left', {left: 12})") == "Шамамен 12 с қалды."
    page.click("nav a[href='/evidence']")  # the cookie keeps the choice over the browser's
    assert page.locator("h1").inner_text() == "Сот дәлелдемелерімен салыстыру"
    assert page.locator("#compare button").inner_text() == "Салыстыру"
    assert problems == []
    context.close()


def test_a_page_of_another_program_on_this_computer_cannot_post_to_the_app(browser, app):
    # a page at 127.0.0.1 on another port is the same site: the SameSite=Strict cookie goes
    # with its form; the app must still refuse it
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page_html = (f'<form method="post" action="{app.base}/session.json" id="f">'
                 '<input name="case" value="2-1/2026"></form>'
                 '<script>document.getElementById("f").submit()</script>').encode()

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page_html)))
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args: object) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        context, page, _ = _page(browser, app)  # the cookie is set, as for a person using it
        with page.expect_navigation(url=f"{app.base}/session.json"):
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        assert "sent from another page" in page.content()
        # the app's own pages still open in that browser (its own forms: the tests above)
        answer = page.goto(f"{app.base}/")
        assert answer is not None and answer.status == 200
        context.close()
    finally:
        other.shutdown()
        other.server_close()
