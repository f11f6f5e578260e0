"""``auditor compare`` against an evidence bundle or a ledger (--name), and ``auditor ledger
verify COPY --copy-of NAME``: the logged fingerprint as the reference, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import speechlike
from test_compare_html import needs_chromium, needs_poppler

from auditor.cli import cli
from auditor.media import transcode

SR = 16000
MP3 = {"acodec": "libmp3lame", "audio_bitrate": "32k"}


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def court(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare-ref")
    x = speechlike(np.random.default_rng(5), 90 * SR, SR)
    ref = out / "hearing.wav"
    sf.write(ref, x, SR, subtype="PCM_16")
    old = out / "old.wav"
    sf.write(old, speechlike(np.random.default_rng(6), 30 * SR, SR), SR, subtype="PCM_16")
    cut = out / "cut.wav"
    sf.write(cut, np.concatenate([x[: 30 * SR], x[34 * SR:]]), SR, subtype="PCM_16")
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    copy = transcode(cut, out / "copy.mp3", options=MP3, exe=exe)
    same = transcode(ref, out / "same.mp3", options=MP3, exe=exe)
    key, db = str(out / "court.key"), str(out / "court.db")
    assert run("keygen", key, "--no-encrypt", "--name", "court.example/log").exit_code == 0
    assert run("ledger", "init", db, "--signing-key", key).exit_code == 0
    assert run("ledger", "add", db, str(ref), "--signing-key", key).exit_code == 0
    from auditor.ledger.keyfiles import read_signing_key
    from auditor.ledger.recording import add_recording
    from auditor.ledger.store import Ledger

    with Ledger.open(db, writable=True) as led:   # as an auditor before fingerprints logged it
        add_recording(led, old, key=read_signing_key(key, None), fingerprint=False)
    zipped, folder, bare = out / "ev.zip", out / "ev", out / "old-ev.zip"
    assert run("ledger", "bundle", db, str(ref), "-o", str(zipped)).exit_code == 0
    assert run("ledger", "bundle", db, str(ref), "-o", str(folder)).exit_code == 0
    assert run("ledger", "bundle", db, str(old), "-o", str(bare)).exit_code == 0
    return {"dir": out, "db": db, "key": key, "copy": str(copy), "same": str(same),
            "zip": str(zipped), "folder": str(folder), "bare": str(bare)}


def _the_cut(report: dict) -> None:
    [f] = report["findings"]
    assert f["kind"] == "missing_in_copy"
    assert f["evidence"]["reference_start"] == pytest.approx(30.0, abs=0.5)
    assert f["evidence"]["length"] == pytest.approx(4.0, abs=0.3)


@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_compare_against_a_bundle(court, kind):
    res = run("compare", court[kind], court["copy"], "--format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    _the_cut(report)
    source = report["comparison"]["reference_source"]
    assert source["kind"] == "bundle" and source["origin"] == "court.example/log"
    assert len(source["root"]) == 64 and len(source["sha256"]) == 64
    assert source["sha256_of"] == ("zip" if kind == "zip" else "tagmanifest-sha256.txt")
    assert report["files"][0]["reference_kind"] == "bundle"
    assert run("compare", court[kind], court["same"]).exit_code == 0


def test_compare_against_a_ledger(court):
    res = run("compare", court["db"], court["copy"], "--name", "hearing.wav", "--format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    _the_cut(report)
    source = report["comparison"]["reference_source"]
    assert source["kind"] == "ledger" and source["checkpoint"].startswith("court.example/log\n")
    res = run("compare", court["db"], court["same"], "--name", "hearing.wav", "--format", "text")
    assert res.exit_code == 0 and "reference: the fingerprint logged as entry" in res.output


@pytest.mark.parametrize("args,message", [
    (["--format", "json"], "say which recording with --name"),
    (["--name", "nowhere.wav"], "no sealed recording named 'nowhere.wav'"),
    (["--name", "old.wav"], "logged without a content fingerprint"),
])
def test_a_ledger_reference_that_cannot_serve_is_exit_2(court, args, message):
    res = run("compare", court["db"], court["copy"], *args)
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    if "old.wav" in args:
        assert "--fingerprint-only" in res.output


def test_a_bundle_without_a_fingerprint_is_exit_2_saying_what_to_do(court):
    res = run("compare", court["bare"], court["copy"])
    assert res.exit_code == 2 and "holds no content fingerprint" in res.output
    assert court["bare"] in res.output and "--fingerprint-only" in res.output


def test_a_damaged_bundle_is_exit_2(court, tmp_path):
    bad = tmp_path / "bad.zip"
    data = bytearray(Path(court["zip"]).read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    res = run("compare", str(bad), court["copy"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "bad.zip" in res.output and "does not verify" in res.output
    (tmp_path / "folder").mkdir()
    res = run("compare", str(tmp_path / "folder"), court["copy"])
    assert res.exit_code == 2 and "folder: the evidence bundle does not verify" in res.output


def test_the_ledger_is_never_an_output(court):
    before = Path(court["db"]).read_bytes()
    res = run("compare", court["db"], court["copy"], "--name", "hearing.wav", "-o", court["db"])
    assert res.exit_code == 2 and "also an input" in res.output
    res = run("ledger", "verify", court["db"], court["copy"], "--copy-of", "hearing.wav",
              "--no-key", "-o", court["db"])
    assert res.exit_code == 2
    assert Path(court["db"]).read_bytes() == before


def test_ledger_verify_copy_of(court):
    pub = court["key"] + ".pub"
    res = run("ledger", "verify", court["db"], court["copy"], "--copy-of", "hearing.wav",
              "--trusted-key", pub, "--format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    _the_cut(report)
    assert report["ledger"]["authenticated"] is True
    assert report["tool"]["parameters"]["copy_of"] == "hearing.wav"
    res = run("ledger", "verify", court["db"], court["same"], "--copy-of", "hearing.wav",
              "--trusted-key", pub, "--format", "text")
    assert res.exit_code == 0 and "signer authenticated" in res.output, res.output
    res = run("ledger", "verify", court["db"], court["same"], "--copy-of", "hearing.wav")
    assert res.exit_code == 2 and "NOT authenticated" in res.output
    res = run("ledger", "verify", court["db"], court["same"], "--copy-of", "old.wav", "--no-key")
    assert res.exit_code == 2 and "add one with" in res.output
    assert "Example:" in run("ledger", "verify", "--help").output
    assert "--copy-of hearing.wav" in run("ledger", "verify", "--help").output


def test_a_trusted_key_authenticates_the_bundles_signer(court, tmp_path):
    pub = court["key"] + ".pub"
    res = run("compare", court["zip"], court["copy"], "--format", "json", "--trusted-key", pub)
    assert res.exit_code == 1, res.output
    assert json.loads(res.output)["comparison"]["reference_source"]["authenticated"] is True
    text = run("compare", court["zip"], court["copy"], "--format", "text", "--trusted-key", pub)
    assert "its signer is authenticated by the trusted key" in text.output
    bare = run("compare", court["zip"], court["copy"], "--format", "text")
    assert "its signer is NOT authenticated (no --trusted-key given)" in bare.output
    # another key: the bundle is not the court's, whatever its content
    other = str(tmp_path / "other.key")
    assert run("keygen", other, "--no-encrypt", "--name", "someone.else/log").exit_code == 0
    res = run("compare", court["zip"], court["copy"], "--trusted-key", other + ".pub")
    assert res.exit_code == 2 and "not signed by the trusted key" in res.output
    # a key means nothing against a recording, and a ledger's signer is checked by ledger verify
    res = run("compare", str(court["dir"] / "hearing.wav"), court["copy"], "--trusted-key", pub)
    assert res.exit_code == 2 and "REFERENCE is a recording" in res.output
    res = run("compare", court["db"], court["copy"], "--name", "hearing.wav",
              "--trusted-key", pub)
    assert res.exit_code == 2 and "ledger verify" in res.output


def test_ledger_verify_copy_of_as_html_and_pdf_in_russian(court, tmp_path):
    from auditor.report.i18n import get_lang

    pub = court["key"] + ".pub"
    ru = get_lang("ru")
    page = tmp_path / "copy.ru.html"
    res = run("ledger", "verify", court["db"], court["copy"], "--copy-of", "hearing.wav",
              "--trusted-key", pub, "--format", "html", "--lang", "ru", "-o", str(page))
    assert res.exit_code == 1, res.output
    text = page.read_text(encoding="utf-8")
    assert '<html lang="ru">' in text and "<svg" in text  # both timelines drawn
    assert ru.gettext("Copy comparison report") in text
    # the ledger's own check has no page: refused before any work, nothing written
    res = run("ledger", "verify", court["db"], "--trusted-key", pub, "--format", "html",
              "-o", str(tmp_path / "ledger.html"))
    assert res.exit_code == 2 and "--copy-of" in res.output
    assert not (tmp_path / "ledger.html").exists()
    res = run("ledger", "verify", court["db"], court["copy"], "--copy-of", "hearing.wav",
              "--trusted-key", pub, "--format", "pdf")
    assert res.exit_code == 2 and "-o" in res.output


@needs_chromium
@needs_poppler
def test_ledger_verify_copy_of_as_a_kazakh_pdf(court, tmp_path):
    import subprocess

    from auditor.report.i18n import get_lang

    pdf = tmp_path / "copy.kk.pdf"
    res = run("ledger", "verify", court["db"], court["copy"], "--copy-of", "hearing.wav",
              "--trusted-key", court["key"] + ".pub", "--format", "pdf", "--lang", "kk",
              "-o", str(pdf))
    assert res.exit_code == 1, res.output
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                           text=True).stdout
    assert get_lang("kk").gettext("Copy comparison report") in " ".join(words.split())
