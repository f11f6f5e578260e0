"""One command-line vocabulary: the names of the options say what they take, old spellings still
work and say what replaced them, click refuses bad values and says why."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest_ledger import make_wav

from auditor.cli import cli

DEPRECATED = "is deprecated here: use {new}"


def invoke(*args: object, **extra: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], **extra)  # type: ignore[arg-type]


@pytest.fixture
def court(tmp_path: Path) -> dict[str, Path]:
    """A ledger made with the new spellings, one recording in it, and a second key pair."""
    key, other, db = tmp_path / "court.key", tmp_path / "other.key", tmp_path / "court.db"
    archive = tmp_path / "archive"
    archive.mkdir()
    wav = make_wav(archive / "a.wav", 12)
    for k in (key, other):
        assert invoke("keygen", k, "--no-encrypt").exit_code == 0
    for args in (("init", db), ("add", db, wav, "--chunk-seconds", "5")):
        r = invoke("ledger", *args, "--signing-key", key)
        assert r.exit_code == 0, r.output
        assert "deprecated" not in r.stderr
    return {"key": key, "pub": Path(f"{key}.pub"), "other_pub": Path(f"{other}.pub"), "db": db,
            "wav": wav, "archive": archive, "dir": tmp_path}


def _size(db: Path) -> int:
    r = invoke("ledger", "prove", db, "--index", "0")
    return int(json.loads(r.stdout)["tree_size"])


@pytest.mark.parametrize("old", [False, True], ids=["--signing-key", "--key"])
def test_signing_key_old_and_new_spelling(court: dict[str, Path], old: bool) -> None:
    flag = "--key" if old else "--signing-key"
    db, before = court["db"], _size(court["db"])
    r = invoke("ledger", "event", db, "hold", "--recording", 1, flag, court["key"],
               "--by", "judge", "--reason", "appeal")
    assert r.exit_code == 0, r.output
    assert "entry " in r.stdout and _size(db) == before + 1
    assert (DEPRECATED.format(new="--signing-key") in r.stderr) is old
    assert "deprecated" not in r.stdout


def test_signing_key_missing_or_given_twice_is_a_usage_error(court: dict[str, Path]) -> None:
    r = invoke("ledger", "init", court["dir"] / "new.db")
    assert r.exit_code == 2 and "Missing option '--signing-key'" in r.stderr
    assert not (court["dir"] / "new.db").exists()
    r = invoke("ledger", "init", court["dir"] / "new.db", "--signing-key", court["key"],
               "--key", court["dir"] / "other.key")
    assert r.exit_code == 2 and "give --signing-key only (--key is its old spelling)" in r.stderr


@pytest.mark.parametrize("old", [False, True], ids=["--trusted-key", "--key"])
@pytest.mark.parametrize("command", [("ledger", "verify"), ("bundle", "verify"),
                                     ("ledger", "bundle-verify")], ids=" ".join)
def test_trusted_key_old_and_new_spelling(court: dict[str, Path], old: bool,
                                          command: tuple[str, str]) -> None:
    flag = "--key" if old else "--trusted-key"
    target = court["db"]
    if command != ("ledger", "verify"):
        target = court["dir"] / "ev.zip"
        assert invoke("ledger", "bundle", court["db"], court["wav"], "-o", target).exit_code == 0
    r = invoke(*command, target, flag, court["pub"])
    assert r.exit_code == 0, r.output  # authenticated: without a trusted key it would be 2
    assert (DEPRECATED.format(new="--trusted-key") in r.stderr) is old
    r = invoke(*command, target, flag, court["other_pub"])
    assert r.exit_code == 1, r.output  # the key is really used: another one fails
    r = invoke(*command, target, flag, court["pub"], "--no-key")
    assert r.exit_code == 2 and f"give either {flag} or --no-key" in r.output


def test_unauthenticated_hint_names_the_new_spelling(court: dict[str, Path]) -> None:
    r = invoke("ledger", "verify", court["db"])
    assert r.exit_code == 2 and "--trusted-key KEYFILE.pub (formerly --key)" in r.stderr


@pytest.mark.parametrize("old", [False, True], ids=["--trusted-key", "--key"])
def test_archive_audit_trusted_key(court: dict[str, Path], old: bool) -> None:
    flag = "--key" if old else "--trusted-key"

    def audit(pub: Path, name: str) -> tuple[Result, dict]:
        out = court["dir"] / name
        r = invoke("archive", "audit", court["archive"], "--ledger", court["db"], flag, pub,
                   "--as-of", "2026-01-01", "--state", court["dir"] / f"{name}.state", "-o", out,
                   "-q")
        return r, json.loads(out.read_text())

    r, good = audit(court["pub"], "good.json")
    assert r.exit_code in (0, 1), r.output
    assert (DEPRECATED.format(new="--trusted-key") in r.stderr) is old
    assert "ledger_inconsistent" not in {f["kind"] for f in good["findings"]}
    r, bad = audit(court["other_pub"], "bad.json")
    assert "ledger_inconsistent" in {f["kind"] for f in bad["findings"]}


@pytest.mark.parametrize("old", [False, True], ids=["--retention-policy", "--policy"])
def test_retention_policy_old_and_new_spelling(court: dict[str, Path], old: bool) -> None:
    flag = "--policy" if old else "--retention-policy"
    r = invoke("ledger", "event", court["db"], "retention", "--file", court["wav"],
               "--signing-key", court["key"], flag, "kz-2015", "--start", "2026-04-01",
               "--until", "2027-04-01")
    assert r.exit_code == 0, r.output
    assert (DEPRECATED.format(new="--retention-policy") in r.stderr) is old
    r = invoke("ledger", "prove", court["db"], "--index", _size(court["db"]) - 1)
    entry = json.loads(r.stdout)["entry"]
    assert entry["type"] == "retention"
    assert (entry["policy"], entry["start"], entry["until"]) == (
        "kz-2015", "2026-04-01", "2027-04-01")


def test_retention_without_policy_names_the_new_option(court: dict[str, Path]) -> None:
    r = invoke("ledger", "event", court["db"], "retention", "--recording", 1,
               "--signing-key", court["key"], "--start", "2026-04-01", "--until", "2027-04-01")
    assert r.exit_code == 2 and "needs --retention-policy" in r.stderr


def test_bad_dates_are_refused_by_click(court: dict[str, Path]) -> None:
    r = invoke("ledger", "event", court["db"], "retention", "--recording", 1,
               "--signing-key", court["key"], "--retention-policy", "kz-2015",
               "--start", "2026-02-30", "--until", "2027-04-01")
    assert r.exit_code == 2
    assert "Invalid value for '--start': '2026-02-30' does not match the format" in r.stderr
    r = invoke("archive", "audit", court["archive"], "--ledger", court["db"], "--trusted-key",
               court["pub"], "--as-of", "tomorrow")
    assert r.exit_code == 2
    assert "Invalid value for '--as-of': 'tomorrow' does not match the format" in r.stderr


def test_prove_writes_json_or_text_and_never_over_the_ledger(court: dict[str, Path]) -> None:
    db, out = court["db"], court["dir"] / "proof.json"
    r = invoke("ledger", "prove", db, "--index", 2, "-o", out)
    assert r.exit_code == 0 and r.stdout == ""
    proof = json.loads(out.read_text())
    assert proof["index"] == 2 and proof["entry"]["type"] == "chunk" and proof["proof"]
    assert invoke("ledger", "prove", db, "--index", 2).stdout == out.read_text()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    r = invoke("ledger", "prove", db, "--index", 2, "-o", db)
    assert r.exit_code == 2 and "court.db" in r.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    r = invoke("ledger", "prove", db, "--from-size", 2, "--format", "text")
    assert r.exit_code == 0
    assert r.stdout.startswith("consistency proof: ") and "\ncheckpoint:\n" in r.stdout
    r = invoke("ledger", "prove", db, "--index", 2, "--format", "text")
    assert r.stdout.startswith("inclusion proof: entry 2 ")
    assert all(f". {h}" in r.stdout for h in proof["proof"])


def test_ledger_verify_piped_gives_json_like_scan(court: dict[str, Path]) -> None:
    r = invoke("ledger", "verify", court["db"], court["wav"], "--trusted-key", court["pub"])
    assert r.exit_code == 0
    report = json.loads(r.stdout)  # CliRunner's output is not a terminal
    assert report["schema"] == "auditor.report/1"
    r = invoke("ledger", "verify", court["db"], court["wav"], "--trusted-key", court["pub"],
               "--format", "text")
    assert "checked 1 recording against its seal" in r.stdout
    assert "1 recordings" not in r.stdout


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--silence-min", "-5", "'--silence-min': -5.0 is not in the range x>0"),
    ("--digital-silence-min", "0", "'--digital-silence-min': 0.0 is not in the range x>0"),
    ("--splice-min-confidence", "2", "'--splice-min-confidence': 2.0 is not in the range 0<x<=1"),
])  # fmt: skip
def test_detector_parameters_out_of_range_are_refused_by_click(
    tmp_path: Path, option: str, value: str, says: str
) -> None:
    wav = make_wav(tmp_path / "a.wav", 1)
    r = invoke("scan", wav, option, value)
    assert r.exit_code == 2 and says in r.stderr and "Usage: " in r.stderr


@pytest.mark.parametrize("width", [50, 60, 72, 80, 120])
def test_ledger_event_usage_line_keeps_words_whole(width: int) -> None:
    r = invoke("ledger", "event", "--help", terminal_width=width)
    assert r.exit_code == 0
    usage = r.stdout.split("\n\n", 1)[0].split()
    assert usage == ["Usage:", "cli", "ledger", "event", "[OPTIONS]", "LEDGER.db", "KIND"]
    for kind in ("retention", "hold_release", "access", "destruction", "key_rotation"):
        assert f"\n    {kind} " in r.stdout  # each kind listed, whole, in the help


def test_bundle_verify_is_also_a_ledger_command() -> None:
    ledger = cli.commands["ledger"]
    bundle = cli.commands["bundle"]
    assert isinstance(ledger, click.Group) and isinstance(bundle, click.Group)
    assert ledger.commands["bundle-verify"] is bundle.commands["verify"]
