"""The command line under hostile and careless use: outputs that name inputs, key files in the
wrong place, unreadable inputs among good ones, keys written without a passphrase, and bugs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import speechlike, write

from auditor.cli import cli
from auditor.ledger._signing import SigningKey

SR = 8000


def invoke(args: list[str], env: dict[str, str] | None = None, input: str | None = None):
    """Run the real root group, as the console script does (stderr kept apart)."""
    return CliRunner().invoke(cli, args, env=env, input=input, catch_exceptions=True)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write(tmp_path / "rec.wav", speechlike(np.random.default_rng(7), 12 * SR, SR), SR)


# item 19: an internal error is exit 2, with or without AUDITOR_DEBUG


@pytest.mark.parametrize("debug", ["", "1"])
def test_internal_error_is_exit_2_even_when_debugging(wav, monkeypatch, debug):
    import auditor.scan

    def boom(*a, **k):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(auditor.scan, "run_detectors", boom)
    r = invoke(["scan", str(wav), "--format", "json"], env={"AUDITOR_DEBUG": debug})
    assert r.exit_code == 2, r.output
    assert "internal error: ZeroDivisionError: simulated bug" in r.stderr
    # the traceback is what AUDITOR_DEBUG is for; without it, none
    assert ("Traceback (most recent call last)" in r.stderr) == bool(debug)


# item 5: a private key where a public one belongs is named as such, and never echoed


def _private_key(tmp_path: Path) -> tuple[Path, list[str]]:
    pem = SigningKey.from_seed(bytes(range(32))).to_pem()
    path = tmp_path / "court.key"
    path.write_bytes(pem)
    body = pem.decode().strip().splitlines()[1]
    # every 8-character piece of the secret: a message must hold none of them
    return path, [body[i : i + 8] for i in range(0, len(body) - 8)]


@pytest.mark.parametrize("command", [
    ["ledger", "verify", "{db}", "--key", "{key}"],
    ["bundle", "verify", "{db}", "--key", "{key}"],
    ["archive", "audit", "{dir}", "--ledger", "{db}", "--key", "{key}", "--format", "json"],
], ids=["ledger verify", "bundle verify", "archive audit"])
def test_private_key_given_as_public_key_is_not_echoed(tmp_path, command):
    key, pieces = _private_key(tmp_path)
    (tmp_path / "archive").mkdir()
    args = [a.format(db=tmp_path / "court.db", key=key, dir=tmp_path / "archive")
            for a in command]
    r = invoke(args)
    assert r.exit_code == 2, r.output
    assert "is a private key" in r.stderr and "court.key.pub" in r.stderr
    leaked = [p for p in pieces if p in r.output]
    assert not leaked, r.output


def test_a_file_that_is_not_a_key_is_not_echoed(tmp_path):
    secret = tmp_path / "notes.txt"
    secret.write_text("the wifi password is hunter2hunter2\n")
    r = invoke(["ledger", "verify", str(tmp_path / "court.db"), "--key", str(secret)])
    assert r.exit_code == 2 and "not a verifier key (expected one line" in r.stderr
    assert "hunter2" not in r.output
    forged = tmp_path / "forged.pub"
    forged.write_text("court.example/log+01234567+c2VjcmV0IHN0dWZmIGhlcmU!!\n")
    r = invoke(["ledger", "verify", str(tmp_path / "court.db"), "--key", str(forged)])
    assert r.exit_code == 2 and "not standard base64" in r.stderr
    assert "c2VjcmV0" not in r.output
