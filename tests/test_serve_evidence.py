"""The app's fourth screen over real HTTP: an evidence bundle verified, a copy compared.

The results are the library's (``verify_bundle``'s checks, ``auditor compare``'s report), as
the commands give them.
"""

from __future__ import annotations

import json
import re
import zipfile
from html import unescape
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write
from conftest_serve import multipart, running_app, wait_state

from auditor.cli import cli
from auditor.ledger.bundle import verify_bundle
from auditor.ledger.keyfiles import read_verifier_key
from auditor.media import transcode

SR = 16000


@pytest.fixture(scope="module")
def court(tmp_path_factory):
    out = tmp_path_factory.mktemp("court")
    x = speechlike(np.random.default_rng(5), 40 * SR, SR)
    ref = out / "hearing.wav"
    write(ref, x, SR)
    cut = out / "cut.wav"
    write(cut, np.concatenate([x[: 15 * SR], x[19 * SR:]]), SR)
    copy = transcode(cut, out / "copy.mp3", options={"acodec": "libmp3lame",
                                                     "audio_bitrate": "32k"},
                     exe=imageio_ffmpeg.get_ffmpeg_exe())
    key, db, bundle = out / "court.key", str(out / "court.db"), out / "ev.zip"
    for args in (["keygen", str(key), "--no-encrypt", "--name", "court.example/log"],
                 ["ledger", "init", db, "--signing-key", str(key)],
                 ["ledger", "add", db, str(ref), "--signing-key", str(key)],
                 ["ledger", "bundle", db, str(ref), "-o", str(bundle)]):
        assert CliRunner().invoke(cli, args).exit_code == 0, args
    return {"ref": ref, "copy": Path(copy), "pub": Path(f"{key}.pub"), "bundle": bundle}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("serve") / "jobs") as running:
        yield running


def _submit(app, path: str, parts) -> tuple[str, dict]:
    body, headers = multipart([(field, p.name, p.read_bytes()) for field, p in parts])
    r = app.request("POST", path, body, headers)
    assert r.status == 303, r.read()[:400]
    job = r.getheader("location").rsplit("/", 1)[1]
    return job, wait_state(app, job)


def _page(app, job: str) -> str:
    return unescape(app.request("GET", f"/job/{job}").read().decode())


def test_a_bundle_verified_with_the_courts_key_lists_the_librarys_checks(app, court):
    job, status = _submit(app, "/evidence/bundle", [("bundle", court["bundle"]),
                                                    ("key", court["pub"])])
    assert status["state"] == "done"
    page = _page(app, job)
    checks = verify_bundle(court["bundle"], trusted_key=read_verifier_key(str(court["pub"])))
    assert re.findall(r"<li class=\"ok\">ok: (.*?)</li>", page) == checks
    assert "<strong>bundle verified</strong>" in page


def test_a_bundle_without_a_key_is_consistent_but_not_authenticated(app, court):
    job, status = _submit(app, "/evidence/bundle", [("bundle", court["bundle"])])
    page = _page(app, job)
    assert "signer is not authenticated" in page
    assert "internally consistent, signer NOT authenticated" in page


def test_a_tampered_bundle_fails(app, court, tmp_path):
    bad = tmp_path / "tampered.zip"
    with zipfile.ZipFile(court["bundle"]) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("data/") and item.filename.endswith(".wav"):
                data = data[:-100] + bytes(100)  # the recording's last samples zeroed
            dst.writestr(item, data)
    job, status = _submit(app, "/evidence/bundle", [("bundle", bad), ("key", court["pub"])])
    assert status["state"] == "done"
    page = _page(app, job)
    assert "The bundle FAILED verification" in page
    assert re.search(r'<li class="failed">FAILED: .+</li>', page)


@pytest.mark.parametrize("reference", ["ref", "bundle"])
def test_a_copy_compared_with_its_reference_shows_the_cut(app, court, reference):
    parts = [("reference", court[reference]), ("copies", court["copy"])]
    if reference == "bundle":
        parts.append(("key", court["pub"]))
    job, status = _submit(app, "/evidence/compare", parts)
    assert status["state"] == "done", status
    report = json.loads(app.request("GET", f"/job/{job}/compare.json").read())
    [f] = report["findings"]
    assert f["kind"] == "missing_in_copy"
    assert f["evidence"]["reference_start"] == pytest.approx(15.0, abs=0.5)
    assert report["files"][0].get("reference_kind", "recording") == (
        "bundle" if reference == "bundle" else "recording")
    assert [f["path"] for f in report["files"]] == [court[reference].name, "copy.mp3"]
    assert str(app.root) not in json.dumps(report)  # no temporary folder in what is kept
    from auditor.compare.html import render_compare_html

    html = app.request("GET", f"/job/{job}/compare.html").read().decode()
    assert html == render_compare_html(report)
    # in the person's language: the job page's frame asks for the comparison in it
    r = app.request("GET", f"/job/{job}", headers={"Cookie": f"{app.cookie}; lang=kk"})
    assert f'src="/job/{job}/compare.html?lang=kk"' in r.read().decode()
    kk = app.request("GET", f"/job/{job}/compare.html?lang=kk").read().decode()
    assert kk == render_compare_html(report, "kk") and "көшірмеде жоқ" in kk
    assert app.request("GET", f"/job/{job}/compare.html?lang=de").status == 404


def test_the_evidence_forms_need_their_files(app):
    before = app.jobs()
    body, headers = multipart([("copies", "copy.mp3", b"x")])
    r = app.request("POST", "/evidence/compare", body, headers)
    assert r.status == 400 and "choose the reference" in r.read().decode()
    body, headers = multipart([("key", "court.key.pub", b"x")])
    r = app.request("POST", "/evidence/bundle", body, headers)
    assert r.status == 400 and "choose the evidence bundle" in r.read().decode()
    assert app.jobs() == before  # nothing of either upload kept
