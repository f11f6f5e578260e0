"""The local app over real HTTP on loopback: the token, the headers, uploads, jobs, the record.

Each test starts the app (uvicorn on 127.0.0.1, a free port) and talks to it with
:mod:`http.client`, as a browser or a hostile local page would.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import speechlike, write
from conftest_serve import multipart, running_app, wait_state

from auditor.serve.security import REPORT_CSP
from auditor.serve.uploads import UploadError, safe_name
from auditor.session import Session

START = "2026-03-02T10:00"


@pytest.fixture()
def app(tmp_path):
    with running_app(tmp_path / "jobs") as running:
        yield running


def _wav(path: Path, seconds: float, seed: int = 1) -> Path:
    return write(path, speechlike(np.random.default_rng(seed), int(seconds * 8000), 8000), 8000)


def _job_of(response: http.client.HTTPResponse) -> str:
    assert response.status == 303, response.read()[:500]
    return response.getheader("location").rsplit("/", 1)[1]


# --- the token --------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/evidence"), ("GET", "/static/app.js"), ("POST", "/check"),
    ("GET", "/job/AAAAAAAAAAAAAAAAAAAAAA/report.json"), ("GET", "/job/x/report.pdf?lang=ru"),
    ("POST", "/session.json"), ("GET", "/nothing-here"),
])
def test_every_request_without_the_token_is_refused(app, method, path):
    r = app.request(method, path, auth=False)
    assert r.status == 403
    assert "token" in r.read().decode()
    # a wrong token, in the query or the cookie, is no better
    assert app.request(method, path + ("&" if "?" in path else "?") + "token=wrong",
                       auth=False).status == 403
    assert app.request(method, path, auth=False,
                       headers={"Cookie": app.cookie[:-1] + "x"}).status == 403


def test_the_token_in_the_address_becomes_a_strict_cookie_and_leaves_the_address(app):
    r = app.request("GET", f"/evidence?token={app.token}&x=1", auth=False)
    assert r.status == 303
    assert r.getheader("location") == "/evidence?x=1"
    cookie = r.getheader("set-cookie")
    assert cookie.startswith(app.cookie + ";")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    r = app.request("GET", "/evidence", auth=False, headers={"Cookie": cookie.split(";")[0]})
    assert r.status == 200
    csp = r.getheader("content-security-policy")
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "http" not in csp  # nothing from elsewhere
    assert r.getheader("referrer-policy") == "no-referrer"


@pytest.mark.parametrize("path,location", [
    ("/%D0%B6%D1%83%D1%80%D0%BD%D0%B0%D0%BB", "/%D0%B6%D1%83%D1%80%D0%BD%D0%B0%D0%BB"),
    ("//evil.example/x", "/evil.example/x"), ("///evil.example", "/evil.example"),
    ("/%0d%0aSet-Cookie:%20a=b", "/%0d%0aSet-Cookie:%20a=b"),
])
def test_the_token_redirect_stays_on_the_app_whatever_the_path(app, path, location):
    # a path of any characters is sent back as it came (not a 500), and never to another host
    r = app.request("GET", f"{path}?token={app.token}", auth=False)
    assert r.status == 303
    assert r.getheader("location") == location
    assert r.getheader("set-cookie").startswith(app.cookie + ";")


def test_a_form_sent_from_another_page_on_this_computer_is_refused(app):
    # another program's page at 127.0.0.1:other-port is the same site: the Strict cookie goes
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    own = f"http://127.0.0.1:{app.port}"
    for sent in ({"Origin": "http://127.0.0.1:1"}, {"Origin": f"http://localhost:{app.port}"},
                 {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"},
                 {"Sec-Fetch-Site": "same-site", "Origin": "null"}):
        r = app.request("POST", "/session.json", b"case=1", {**form, **sent})
        assert r.status == 403, sent
        assert "another page" in r.read().decode()
    # the app's own page: its origin, or null for a plain form under its no-referrer policy
    for sent in ({"Origin": own, "Sec-Fetch-Site": "same-origin"},
                 {"Origin": "null", "Sec-Fetch-Site": "same-origin"}, {}):
        r = app.request("POST", "/session.json", b"case=1", {**form, **sent})
        assert r.status == 400, sent  # reached the form's own check (the record is incomplete)
    assert app.request("GET", "/", headers={"Sec-Fetch-Site": "cross-site"}).status == 200


def test_a_websocket_is_refused_whatever_it_carries(app):
    import asyncio

    from auditor.serve.security import TokenGuard

    sent: list[dict] = []

    async def inner(scope, receive, send):
        raise AssertionError("reached the app")

    async def send(message):
        sent.append(message)

    scope = {"type": "websocket", "path": "/", "headers": [(b"host", b"127.0.0.1")],
             "query_string": f"token={app.token}".encode()}
    asyncio.run(TokenGuard(inner, app.token)(scope, None, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_a_host_other_than_loopback_is_refused(app):
    # DNS rebinding: a page of evil.example whose name now points at 127.0.0.1
    r = app.request("GET", "/", headers={"Host": f"evil.example:{app.port}"})
    assert r.status == 403


def test_the_pages_load_nothing_from_elsewhere(app):
    html = app.request("GET", "/").read().decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    js = app.request("GET", "/static/app.js").read().decode()
    css = app.request("GET", "/static/app.css").read().decode()
    assert "http" not in js and "@import" not in css and "url(" not in css


# --- uploads ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,stored", [
    ("../../evil.wav", "evil.wav"), ("..\\..\\windows.wav", "windows.wav"),
    ("/etc/passwd", "passwd"), ("C:\\Users\\a\\part1.wav", "part1.wav"),
])
def test_an_upload_name_is_only_its_last_component(raw, stored):
    assert safe_name(raw) == stored


@pytest.mark.parametrize("raw", ["..", ".", "", "a/..", ".hidden", "a\x00b.wav", "a\u202eb.wav",
                                 "x" * 256])
def test_an_unusable_upload_name_is_refused(raw):
    with pytest.raises(UploadError, match="file name"):
        safe_name(raw)


def test_a_traversal_name_stays_inside_its_job_folder(app, tmp_path):
    body, headers = multipart([("recordings", "../../escaped.wav", b"RIFF....not audio"),
                               ("policy", None, b"generic"), ("lang", None, b"en"),
                               ("grid", None, b"")])
    job = _job_of(app.request("POST", "/check", body, headers))
    status = wait_state(app, job)
    assert status["state"] == "done"
    assert (app.root / job / "escaped.wav").is_file()
    assert list(tmp_path.rglob("escaped.wav")) == [app.root / job / "escaped.wav"]
    report = json.loads(app.request("GET", f"/job/{job}/report.json").read())
    assert report["unreadable"][0]["path"] == "escaped.wav"  # named as the person named it


def test_a_hidden_or_dotted_name_is_refused_and_nothing_is_kept(app):
    body, headers = multipart([("recordings", "..", b"x" * 100)])
    r = app.request("POST", "/check", body, headers)
    assert r.status == 400
    assert "cannot be used" in r.read().decode()
    assert app.jobs() == []


def test_a_10_gb_upload_is_refused_before_a_byte_is_read(app):
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    conn.putrequest("POST", "/check")
    conn.putheader("Cookie", app.cookie)
    conn.putheader("Content-Type", "multipart/form-data; boundary=b")
    conn.putheader("Content-Length", str(10 * 10**9))
    conn.endheaders()
    conn.send(b"--b\r\nContent-Disposition: form-data; name=\"recordings\"; "
              b"filename=\"big.wav\"\r\n\r\n" + b"\0" * 65536)
    r = conn.getresponse()
    assert r.status == 413
    text = r.read().decode()
    assert "the upload is 9.3 GB, over the limit of 8.0 GB; nothing was kept" in text
    assert app.jobs() == []


def test_a_stream_past_the_cap_is_cut_off_and_nothing_is_kept(tmp_path):
    with running_app(tmp_path / "jobs", max_upload=256 * 1024) as app:
        body, headers = multipart([("recordings", "a.wav", b"\1" * 200_000),
                                   ("recordings", "b.wav", b"\2" * 200_000)])

        def chunks():  # no Content-Length: chunked, counted as it streams
            for i in range(0, len(body), 16384):
                yield body[i:i + 16384]

        conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
        conn.request("POST", "/check", body=chunks(),
                     headers={**headers, "Cookie": app.cookie, "Transfer-Encoding": "chunked"},
                     encode_chunked=True)
        r = conn.getresponse()
        assert r.status == 413
        assert "passed the limit of 0.2 MB" in r.read().decode()
        assert app.jobs() == []
        # under the cap, the same form goes through
        small, headers = multipart([("recordings", "a.wav", b"\1" * 1000)])
        assert app.request("POST", "/check", small, headers).status == 303


# --- jobs ---------------------------------------------------------------------------------------

def test_one_job_cannot_reach_another_jobs_files(app, tmp_path):
    wav = _wav(tmp_path / "part1.wav", 3.0).read_bytes()
    jobs = []
    for _ in range(2):
        body, headers = multipart([("recordings", "part1.wav", wav), ("policy", None, b"generic")])
        jobs.append(_job_of(app.request("POST", "/check", body, headers)))
    a, b = jobs
    assert a != b and len(a) == 22
    assert wait_state(app, a)["state"] == wait_state(app, b)["state"] == "done"
    assert app.request("GET", f"/job/{a}/report.json").status == 200
    for path in (f"/job/{a}/part1.wav", f"/job/{a}/../{b}/report.json",
                 f"/job/{a}%2F..%2F{b}/report.json", f"/job/..%2F{b}/report.json",
                 f"/job/{a[:-1]}x/report.json", f"/job/{a}/report.exe",
                 f"/job/{a}/compare.json", "/static/../jobs", f"/static/..%2F{a}%2Fpart1.wav"):
        r = app.request("GET", path)
        assert r.status == 404, path
        assert b"RIFF" not in r.read()


@pytest.fixture(scope="module")
def hour(tmp_path_factory) -> bytes:
    """An hour of room noise at 8 kHz (58 MB): a scan of a second or more."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    noise = np.random.default_rng(3).normal(0, 0.01, 3600 * 8000).astype(np.float32)
    return write(path, noise, 8000).read_bytes()


def test_a_job_is_cancelled_and_its_files_removed(app, hour):
    body, headers = multipart([("recordings", "long.wav", hour), ("policy", None, b"generic")])
    job = _job_of(app.request("POST", "/check", body, headers))
    r = app.request("POST", f"/job/{job}/cancel")
    assert r.status == 303
    assert wait_state(app, job, timeout=60)["state"] == "cancelled"
    assert not (app.root / job).exists()
    assert "Cancelled" in app.request("GET", f"/job/{job}").read().decode()


def test_jobs_run_one_at_a_time_and_a_queued_one_can_be_cancelled(app, hour, tmp_path):
    body, headers = multipart([("recordings", "long.wav", hour), ("recordings", "more.wav", hour),
                               ("policy", None, b"generic")])
    first = _job_of(app.request("POST", "/check", body, headers))
    small, headers = multipart([("recordings", "short.wav",
                                 _wav(tmp_path / "short.wav", 2.0).read_bytes())])
    second = _job_of(app.request("POST", "/check", small, headers))
    assert wait_state(app, second, ("queued",), timeout=5)["state"] == "queued"
    app.request("POST", f"/job/{second}/cancel")
    assert wait_state(app, second, timeout=5)["state"] == "cancelled"
    assert wait_state(app, first, ("running", "done"), timeout=5)["state"] == "running"
    assert wait_state(app, first)["state"] == "done"


def test_progress_is_per_file_with_the_time_left(app, tmp_path):
    body, headers = multipart([
        ("recordings", "one.wav", _wav(tmp_path / "one.wav", 40.0).read_bytes()),
        ("recordings", "two.wav", _wav(tmp_path / "two.wav", 20.0, seed=2).read_bytes())])
    job = _job_of(app.request("POST", "/check", body, headers))
    status = wait_state(app, job)
    assert status["state"] == "done"
    assert [(f["file"], f["total"], f["percent"]) for f in status["files"]] == [
        ("one.wav", 40.0, 100), ("two.wav", 20.0, 100)]
    assert all(f["left"] == 0 for f in status["files"]) and status["left"] == 0


def test_the_report_is_the_commands_report(app, tmp_path):
    """The page's HTML is what `auditor report report.json --format html` writes."""
    from auditor.report import load_report, render_report

    wav = _wav(tmp_path / "part1.wav", 5.0)
    body, headers = multipart([("recordings", "part1.wav", wav.read_bytes()),
                               ("policy", None, b"generic"), ("lang", None, b"ru")])
    job = _job_of(app.request("POST", "/check", body, headers))
    assert wait_state(app, job)["state"] == "done"
    saved = tmp_path / "report.json"
    saved.write_bytes(app.request("GET", f"/job/{job}/report.json").read())
    report = load_report(saved)  # a valid auditor.report/1
    for lang in ("en", "kk"):
        r = app.request("GET", f"/job/{job}/report.html?lang={lang}")
        assert r.read().decode() == render_report(report, "html", lang=lang)
        assert r.getheader("content-security-policy") == REPORT_CSP
        assert r.getheader("x-auditor-csp") is None
    r = app.request("GET", f"/job/{job}/report.csv")
    assert r.getheader("content-disposition") == 'attachment; filename="report.csv"'
    assert r.read().decode() == render_report(report, "csv")
    assert app.request("GET", f"/job/{job}/report.html?lang=xx").status == 404


# --- the session record -------------------------------------------------------------------------

def _form(**extra: str) -> bytes:
    from urllib.parse import urlencode

    fields = {"court": "Demo District Court", "case": "2-1234/2026", "judge": "A. Judge",
              "start": START, "end": "2026-03-02T10:20", "offset": "+05:00",
              "break_start": "2026-03-02T10:02:30", "break_end": "2026-03-02T10:15",
              "break_reason": "recess", "rec_file": "hearing-part1.wav",
              "rec_start": "2026-03-02T10:00:04", **extra}
    return urlencode(fields).encode()


def test_the_session_form_gives_a_valid_record(app):
    r = app.request("POST", "/session.json", _form(),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200
    assert r.getheader("content-disposition") == 'attachment; filename="session-2-1234-2026.json"'
    record = Session.from_json(json.loads(r.read()))
    assert record.case == "2-1234/2026" and record.breaks[0].reason == "recess"
    assert record.start.isoformat() == "2026-03-02T10:00:00+05:00"
    assert record.recordings[0].start.isoformat() == "2026-03-02T10:00:04+05:00"


def test_a_malformed_session_form_gets_the_command_lines_error(app, tmp_path):
    bad = _form(break_end="2026-03-02T10:45")  # the break ends after the session
    r = app.request("POST", "/session.json", bad,
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    page = r.read().decode()
    shown = re.search(r'<pre id="error">(.*?)</pre>', page, re.S).group(1)
    # the same record in a file, given to the command line
    from html import unescape

    from auditor.serve.forms import SessionForm

    fields: dict[str, list[str]] = {}
    from urllib.parse import parse_qsl

    for k, v in parse_qsl(bad.decode()):
        fields.setdefault(k, []).append(v)
    record = tmp_path / "session.json"
    record.write_text(json.dumps(SessionForm.from_fields(fields).to_json()))
    cli = subprocess.run([sys.executable, "-m", "auditor", "scan", "--session", str(record)],
                         capture_output=True, text=True)
    assert cli.returncode == 2
    said = cli.stderr.removeprefix("auditor: error: ").strip()
    assert said.startswith(f"{record}: breaks[0] ")
    assert unescape(shown).strip() == said.replace(str(record), "the session form")


@pytest.mark.parametrize("grid", ["\u00b2", "5\u2070"])
def test_a_grid_of_other_digits_is_the_records_error_not_a_500(app, grid):
    # superscripts are digits to str.isdigit but not to int(): the form was a 500
    r = app.request("POST", "/session.json", _form(grid_hz=grid),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    assert "grid_hz" in r.read().decode()


def test_the_check_refuses_a_malformed_form_and_keeps_what_was_typed(app):
    body, headers = multipart([("policy", None, b"kz-2015"), ("court", None, b"My court"),
                               ("start", None, START.encode()), ("offset", None, b"+05:00")])
    r = app.request("POST", "/check", body, headers)
    assert r.status == 400
    page = r.read().decode()
    assert "the session form: end must be an ISO 8601 time with a UTC offset, got None" in page
    assert 'value="My court"' in page
    assert app.jobs() == []


def test_a_record_cannot_make_the_app_read_outside_the_upload(app, tmp_path):
    secret = _wav(tmp_path / "elsewhere.wav", 2.0)
    record = {"schema": "auditor.session/1", "start": START + ":00+05:00",
              "end": "2026-03-02T10:20:00+05:00",
              "recordings": [{"file": str(secret), "start": None}]}
    body, headers = multipart([("session", "s.json", json.dumps(record).encode()),
                               ("policy", None, b"kz-2015")])
    job = _job_of(app.request("POST", "/check", body, headers))
    status = wait_state(app, job)
    assert status["state"] == "failed"
    assert "outside the files you gave" in status["error"]


# --- the command --------------------------------------------------------------------------------

@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_serve_listens_on_loopback_prints_a_token_and_removes_its_folder_at_exit(tmp_path, stop):
    # SIGHUP: the terminal window it runs in is closed, the usual way to stop it for many
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "serve", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        url = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{43})\b", lines[1])
        folder = Path(re.search(r"kept in (\S+) and removed", lines[2]).group(1))
        assert url and folder.is_dir()
        port = int(url.group(1))
        # the socket listens before the banner, but answers once the server runs (and handles
        # Ctrl+C): wait for an answer, the refusal of a request without the token
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/")
        assert conn.getresponse().status == 403
        conn.close()
        listening = [ln for ln in Path("/proc/net/tcp").read_text().splitlines()[1:]
                     if ln.split()[1].endswith(f":{port:04X}") and ln.split()[3] == "0A"]
        assert [ln.split()[1].split(":")[0] for ln in listening] == ["0100007F"]  # 127.0.0.1
    finally:
        proc.send_signal(stop)
        proc.wait(20)
    assert proc.returncode == 0
    assert not folder.exists()


@pytest.mark.parametrize("open_browser", [True, False])
def test_serve_opens_the_browser_at_its_address_unless_told_not_to(monkeypatch, open_browser):
    import webbrowser

    from auditor.serve import server

    opened: list[str] = []
    said: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)

    class Stopped:  # the real server is the subprocess test's; this one returns at once
        def __init__(self, config):
            self.config = config

        def run(self, sockets):
            assert sockets[0].getsockname()[0] == "127.0.0.1"

    monkeypatch.setattr(server, "_server", Stopped)
    server.serve(port=0, open_browser=open_browser, echo=said.append)
    url = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", said[0]).group(0)
    assert opened == ([url] if open_browser else [])
    folder = Path(re.search(r"kept in (\S+) and removed", said[0]).group(1))
    assert not folder.exists()


def test_the_session_form_fills_in_for_a_record_file(app, tmp_path):
    from auditor.demo import build_hearing

    build_hearing(tmp_path)
    session = json.loads((tmp_path / "session.json").read_text())
    fields = [("court", session["court"]), ("case", session["case"]),
              ("start", "2026-03-02T10:00"), ("end", "2026-03-02T10:20"), ("offset", "+05:00"),
              ("break_start", "2026-03-02T10:02:30"), ("break_end", "2026-03-02T10:15"),
              ("break_reason", "recess"), ("policy", "kz-2015")]
    for rec in session["recordings"]:
        fields += [("rec_file", rec["file"]), ("rec_start", rec["start"][:19])]
    parts = [(k, None, v.encode()) for k, v in fields]
    parts += [("recordings", n, (tmp_path / n).read_bytes())
              for n in ("hearing-part1.wav", "hearing-part2.m4a")]
    body, headers = multipart(parts)
    job = _job_of(app.request("POST", "/check", body, headers))
    assert wait_state(app, job)["state"] == "done"
    report = json.loads(app.request("GET", f"/job/{job}/report.json").read())
    assert report["session"]["case"] == "2-1234/2026"
    assert [f["path"] for f in report["files"]] == ["hearing-part1.wav", "hearing-part2.m4a"]
    kinds = {f["kind"] for f in report["findings"]}
    assert "timestamp_gap" in kinds and "act_issue" in kinds  # the continuity audit ran


def test_a_port_in_use_is_a_clear_error():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        r = subprocess.run([sys.executable, "-m", "auditor", "serve", "--port",
                            str(taken.getsockname()[1]), "--no-browser"],
                           capture_output=True, text=True, timeout=30)
    finally:
        taken.close()
    assert r.returncode == 2
    assert "Address already in use" in r.stderr and "choose another --port" in r.stderr


def test_an_upload_named_like_the_apps_own_outputs_is_kept_as_sent(app):
    sent = b"RIFF....a recording that happens to be called report.json"
    body, headers = multipart([("recordings", "report.json", sent),
                               ("policy", None, b"generic"), ("lang", None, b"en"),
                               ("grid", None, b"")])
    job = _job_of(app.request("POST", "/check", body, headers))
    assert wait_state(app, job)["state"] == "done"
    # the upload is untouched by the app's report, which is served all the same
    assert (app.root / job / "report.json").read_bytes() == sent
    report = json.loads(app.request("GET", f"/job/{job}/report.json").read())
    assert report["unreadable"][0]["path"] == "report.json"
