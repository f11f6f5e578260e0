"""The app's pages in English, Russian or Kazakh: the choice by query, cookie or browser.

Over real HTTP on loopback (``conftest_serve.running_app``); the pages' words are checked
against the catalogs, and the library's own messages stay as the library gives them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest_serve import multipart, running_app, wait_state

from auditor.report.i18n import get_lang
from auditor.serve.language import choose, from_accept_language


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_app(tmp_path_factory.mktemp("serve") / "jobs") as running:
        yield running


def _get(app: Any, path: str, **headers: str) -> tuple[int, str, Any]:
    cookie = app.cookie + (f"; lang={headers.pop('lang')}" if "lang" in headers else "")
    r = app.request("GET", path, headers={"Cookie": cookie, **headers})
    return r.status, r.read().decode("utf-8"), r


def test_accept_language_is_read_by_quality_and_primary_tag() -> None:
    assert from_accept_language("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7") == "ru"
    assert from_accept_language("de-DE, en;q=0.5, kk;q=0.8") == "kk"
    assert from_accept_language("KK-kz") == "kk"
    assert from_accept_language("de, fr;q=0.9") is None
    assert from_accept_language("ru;q=0, en;q=0.1") == "en"  # q=0: not acceptable
    assert from_accept_language("ru;q=x") is None and from_accept_language(None) is None
    assert choose({"lang": "kk"}, {"lang": "ru"}, "en") == "kk"
    assert choose({"lang": "xx"}, {"lang": "ru"}, "kk") == "ru"
    assert choose({}, {"lang": "xx"}, "de") == "en"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_pages_follow_the_browser_language(app: Any, lang: str) -> None:
    tr = get_lang(lang)
    status, page, _ = _get(app, "/", **{"Accept-Language": f"{lang}-KZ,{lang};q=0.9,en;q=0.5"})
    assert status == 200 and f'<html lang="{lang}">' in page
    assert f"<h1>{tr.gettext('Check a hearing')}</h1>" in page
    assert tr.gettext("2. Session record") in page  # протокол / хаттама, as the glossary
    assert "Check a hearing" not in page and "Session record" not in page
    # the report's language defaults to the page's
    assert re.search(rf'<option value="{lang}" selected>', page)
    status, page, _ = _get(app, "/evidence", **{"Accept-Language": lang})
    assert tr.gettext("Compare a copy with its reference") in page
    assert tr.gettext("Sending the files…") in page  # the script's words, as data- attributes


def test_the_switch_keeps_the_choice_in_a_cookie_over_the_browser(app: Any) -> None:
    status, page, r = _get(app, "/evidence?lang=kk", **{"Accept-Language": "ru"})
    assert status == 200 and '<html lang="kk">' in page
    cookie = r.getheader("set-cookie")
    assert cookie.startswith("lang=kk;") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    status, page, _ = _get(app, "/", lang="kk", **{"Accept-Language": "ru"})
    assert '<html lang="kk">' in page and "Отырыс жазбасын тексеру" in page
    status, page, r = _get(app, "/?lang=de", **{"Accept-Language": "ru"})
    assert '<html lang="ru">' in page and r.getheader("set-cookie") is None
    status, page, _ = _get(app, "/")
    assert '<html lang="en">' in page and "<h1>Check a hearing</h1>" in page


def test_the_apps_messages_are_translated_the_librarys_are_not(app: Any) -> None:
    status, page, _ = _get(app, "/job/no-such-job", lang="ru")
    assert status == 404 and '<html lang="ru">' in page
    assert "здесь ничего нет" in page and "Не выполнено." in page
    body = b"court=Demo&case=2-1&start=2026-03-02T10:00:00&end=&offset=%2B05:00"
    r = app.request("POST", "/session.json", body,
                    {"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": f"{app.cookie}; lang=kk"})
    page = r.read().decode()
    assert r.status == 400 and '<html lang="kk">' in page
    # the record's validation error is the library's, in English, on the Kazakh page
    assert "the session form: end must be an ISO 8601 time" in page
    assert "Сот отырысының хаттамасы" in page


def test_the_apps_own_errors_are_said_in_the_language(app: Any) -> None:
    before = app.jobs()
    body, headers = multipart([("copies", "copy.mp3", b"x"), ("copies", "copy.mp3", b"y"),
                               ("reference", "ref.wav", b"z")])
    r = app.request("POST", "/evidence/compare", body,
                    {**headers, "Cookie": f"{app.cookie}; lang=ru"})
    page = r.read().decode()
    assert r.status == 400 and '<html lang="ru">' in page
    assert "два файла имеют имя &#39;copy.mp3&#39;" in page
    assert "что делать: укажите каждый файл один раз" in page
    assert app.jobs() == before  # nothing of the refused upload is kept
    # a job that fails on the app's own check: its page says why in the page's language
    body, headers = multipart([("reference", "ref.wav", b"z"), ("copies", "", b"")])
    r = app.request("POST", "/evidence/compare", body, {**headers, "Cookie": app.cookie})
    assert r.status == 400  # no copy: refused before any job
    body, headers = multipart([("recordings", "", b""), ("policy", None, b"kz-2015")])
    r = app.request("POST", "/check", body, {**headers, "Cookie": app.cookie})
    assert r.status == 303, r.read()[:300]
    job = r.getheader("location").rsplit("/", 1)[1]
    assert wait_state(app, job)["state"] == "failed"
    status, page, _ = _get(app, f"/job/{job}", lang="kk")
    assert "жазбалар берілмеген" in page and "не істеу керек:" in page
    status, page, _ = _get(app, f"/job/{job}")
    assert "no recordings given\n  what to do: choose the recording files" in page
