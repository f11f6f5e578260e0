"""The ledger under hostile and everyday-broken conditions: missing options, no trusted key,
damaged trees, a full disk, read-only copies and zip bombs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, ORIGIN, OTHER_KEY, make_wav

from auditor.cli import cli
from auditor.ledger._signing import SigningKey
from auditor.ledger.note import VerifierKey


def run(*args: str) -> tuple[int, str]:
    """Run the real root command (AuditorError -> exit 2 with its message on stderr)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def write_key(path: Path, key: SigningKey, name: str = ORIGIN) -> Path:
    """A private key file (unencrypted) and its ``.pub``, as `auditor keygen` writes them."""
    key.save(path, None)
    Path(f"{path}.pub").write_text(f"{VerifierKey(name, key.public_bytes())}\n", "utf-8")
    return path


@pytest.fixture
def court(tmp_path: Path) -> dict[str, Path]:
    """A court's key, a stranger's key, and a ledger holding one recording (25 s, 10 s chunks)."""
    key = write_key(tmp_path / "court.key", KEY)
    stranger = write_key(tmp_path / "stranger.key", OTHER_KEY)
    wav = make_wav(tmp_path / "part1.wav", 25.0)
    db = tmp_path / "court.db"
    assert run("ledger", "init", db, "--key", key)[0] == 0
    code, out = run("ledger", "add", db, wav, "--key", key, "--chunk-seconds", "10")
    assert code == 0, out
    return {"key": key, "stranger": stranger, "wav": wav, "db": db, "dir": tmp_path}


# -- item 17: an event without the option that says who acted ----------------------------------


@pytest.mark.parametrize(
    ("kind", "given", "missing"),
    [
        ("hold", ["--reason", "appeal"], "--by"),
        ("access", ["--purpose", "defence"], "--by"),
        ("hold", ["--by", "judge"], "--reason"),
        ("hold_release", ["--by", "   ", "--reason", "x"], "--by"),
    ],
)
def test_event_without_a_required_option_names_it(
    court: dict[str, Path], kind: str, given: list[str], missing: str
) -> None:
    code, out = run("ledger", "event", court["db"], kind, "--recording", "1",
                    "--key", court["key"], *given)  # fmt: skip
    assert code == 2
    assert f"needs {missing}" in out and f"add {missing}" in out, out
    assert "must not be empty" not in out


# -- item 20: a clean result without a trusted key is not an authenticated pass ----------------


@pytest.fixture
def forged(tmp_path: Path) -> dict[str, Path]:
    """A ledger and a bundle made, consistently, by a stranger who calls himself the court."""
    stranger = write_key(tmp_path / "stranger.key", OTHER_KEY)
    court_pub = write_key(tmp_path / "court.key", KEY).with_suffix(".key.pub")
    wav = make_wav(tmp_path / "part1.wav", 12.0)
    db = tmp_path / "forged.db"
    assert run("ledger", "init", db, "--key", stranger, "--origin", ORIGIN)[0] == 0
    assert run("ledger", "add", db, wav, "--key", stranger, "--chunk-seconds", "5")[0] == 0
    zipped = tmp_path / "forged.zip"
    assert run("ledger", "bundle", db, wav, "-o", zipped)[0] == 0
    return {"db": db, "zip": zipped, "wav": wav, "court_pub": court_pub}


def test_ledger_verify_without_key_is_not_a_pass(forged: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", forged["db"], forged["wav"])
    assert code == 2, out
    assert "internally consistent, signer NOT authenticated (no trusted key given)" in out
    assert "--key" in out and "--no-key" in out
    code, out = run("ledger", "verify", forged["db"], "--format", "json")
    assert code == 2
    report = json.loads(out[: out.rindex("}") + 1])
    assert report["ledger"]["authenticated"] is False


def test_ledger_verify_no_key_accepts_consistency_only(forged: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", forged["db"], forged["wav"], "--no-key")
    assert code == 0, out
    assert "internally consistent, signer NOT authenticated (--no-key)" in out
    code, out = run("ledger", "verify", forged["db"], "--key", forged["court_pub"])
    assert code == 1 and "not signed by the trusted key" in out
    code, out = run("ledger", "verify", forged["db"], "--key", forged["court_pub"], "--no-key")
    assert code == 2 and "either --key or --no-key" in out


def test_ledger_verify_with_the_right_key_says_authenticated(court: dict[str, Path]) -> None:
    code, out = run("ledger", "verify", court["db"], court["wav"], "--key", f"{court['key']}.pub")
    assert code == 0, out
    assert "signer authenticated: the trusted key" in out
    assert "NOT authenticated" not in out


def test_bundle_verify_without_key_is_not_a_pass(forged: dict[str, Path]) -> None:
    code, out = run("bundle", "verify", forged["zip"])
    assert code == 2, out
    assert "bundle verified" not in out
    assert "internally consistent, signer NOT authenticated (no trusted key given)" in out
    code, out = run("bundle", "verify", forged["zip"], "--no-key")
    assert code == 0, out
    assert out.rstrip().endswith(
        "bundle internally consistent, signer NOT authenticated (--no-key)"
    )
    code, out = run("bundle", "verify", forged["zip"], "--key", forged["court_pub"])
    assert code == 1 and "FAILED" in out
