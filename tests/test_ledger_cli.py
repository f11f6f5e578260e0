"""The ledger commands end to end through click, and key-file handling."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest_ledger import RATE, make_wav

from auditor.cli.bundle import bundle
from auditor.cli.keys import keygen
from auditor.cli.ledger import ledger
from auditor.errors import AuditorError, InputError
from auditor.ledger._signing import SigningKey


def _commands() -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = [("keygen", keygen), ("ledger", ledger),
                                            ("bundle", bundle)]  # fmt: skip
    for group in (ledger, bundle):
        assert isinstance(group, click.Group)
        out += [(f"{group.name} {n}", c) for n, c in group.commands.items()]
    return out


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda x: str(x))
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    import inspect

    assert command.help and "\b\nExample:\n  auditor " in inspect.cleandoc(command.help), name


def run(cmd: click.Command, args: list[str], env: dict[str, str] | None = None):  # noqa: ANN201
    """Invoke like the root group: an AuditorError becomes exit 2 with its diagnostics."""
    result = CliRunner().invoke(cmd, args, env=env, catch_exceptions=True)
    if isinstance(result.exception, AuditorError):
        return 2, result.output + result.exception.diagnostics()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    # a command's result is its standard output: an old option spelling's deprecation warning
    # goes to standard error (tests/test_cli_vocabulary.py checks it)
    return result.exit_code, result.stdout if result.exit_code in (0, 1) else result.output


def test_keygen_writes_0600_and_public_key(tmp_path: Path) -> None:
    code, out = run(keygen, [str(tmp_path / "k.key"), "--name", "court.example/log",
                             "--no-encrypt"])
    assert code == 0, out
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600
    pub = (tmp_path / "k.key.pub").read_text()
    assert pub.startswith("court.example/log+")
    private = (tmp_path / "k.key").read_text()
    assert "PRIVATE KEY" in private and private.strip().splitlines()[1] not in out
    code, out = run(keygen, [str(tmp_path / "k.key"), "--no-encrypt"])
    assert code == 2 and "refusing to overwrite" in out


def test_passphrase_protected_key(tmp_path: Path) -> None:
    env = {"AUDITOR_KEY_PASSPHRASE": "correct horse"}
    assert run(keygen, [str(tmp_path / "k.key")], env)[0] == 0
    assert "ENCRYPTED" in (tmp_path / "k.key").read_text()
    SigningKey.load(tmp_path / "k.key", b"correct horse")
    with pytest.raises(InputError, match="wrong passphrase"):
        SigningKey.load(tmp_path / "k.key", b"wrong")
    with pytest.raises(InputError, match="passphrase-protected"):
        SigningKey.load(tmp_path / "k.key", None)
    code, out = run(ledger, ["init", str(tmp_path / "l.db"), "--key", str(tmp_path / "k.key")],
                    {"AUDITOR_KEY_PASSPHRASE": "nope"})  # fmt: skip
    assert code == 2 and "wrong passphrase" in out and not (tmp_path / "l.db").exists()


def test_bad_key_files(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    with pytest.raises(InputError, match="expected an Ed25519 private key"):
        SigningKey.from_pem(pem)
    good = SigningKey.from_seed(bytes(32)).to_pem()
    with pytest.raises(InputError, match="truncated or damaged"):
        SigningKey.from_pem(good[: len(good) // 2])
    with pytest.raises(InputError, match="not encrypted but a passphrase"):
        SigningKey.from_pem(good, b"pw")
    with pytest.raises(InputError, match="32 bytes"):
        SigningKey.from_seed(bytes(31))
    assert "PRIVATE" not in repr(SigningKey.from_seed(bytes(32)))


def test_end_to_end(tmp_path: Path) -> None:
    k, db, wav = str(tmp_path / "k.key"), str(tmp_path / "l.db"), make_wav(tmp_path / "a.wav", 25)
    assert run(keygen, [k, "--name", "court.example/log", "--no-encrypt"])[0] == 0
    assert run(ledger, ["init", db, "--key", k])[0] == 0
    code, out = run(ledger, ["add", db, str(wav), "--key", k, "--chunk-seconds", "10"])
    assert code == 0 and "recording 1, sealed" in out and out.startswith(f"{wav}")
    seen = str(tmp_path / "seen.txt")
    code, out = run(ledger, ["verify", db, str(wav), "--key", k + ".pub", "--trusted", seen])
    assert code == 0, out
    assert Path(seen).read_text().startswith("court.example/log\n")
    for kind, extra in (
        ("retention", ["--policy", "kz-2015", "--start", "2026-04-01", "--until", "2027-04-01"]),
        ("hold", ["--by", "judge", "--reason", "appeal"]),
        ("access", ["--by", "lawyer", "--purpose", "defence"]),
    ):
        code, out = run(ledger, ["event", db, kind, "--file", str(wav), "--key", k, *extra])
        assert code == 0, out
    assert run(keygen, [str(tmp_path / "auth.key"), "--name", "court.example/chair",
                       "--no-encrypt"])[0] == 0
    code, out = run(ledger, ["event", db, "destruction", "--recording", "1", "--key", k,
                             "--by", "archivist", "--authority", "chair", "--order", "No. 7",
                             "--authorizer-key", str(tmp_path / "auth.key")])  # fmt: skip
    assert code == 0, out
    code, out = run(ledger, ["prove", db, "--index", "2"])
    proof = json.loads(out)
    assert code == 0 and proof["entry"]["type"] == "chunk" and proof["tree_size"] == 11
    code, out = run(ledger, ["prove", db, "--from-size", "3"])
    assert code == 0 and json.loads(out)["from_size"] == 3
    assert run(ledger, ["verify", db, "--key", k + ".pub", "--trusted", seen])[0] == 0
    out_zip = str(tmp_path / "ev.zip")
    assert run(ledger, ["bundle", db, str(wav), "-o", out_zip, "--start", "12"])[0] == 0
    code, out = run(bundle, ["verify", out_zip, "--key", k + ".pub"])
    assert code == 0 and out.rstrip().endswith("bundle verified")
    code, out = run(bundle, ["verify", out_zip, "--key", str(tmp_path / "auth.key.pub")])
    assert code == 1 and "FAILED" in out

    import soundfile as sf

    x, _ = sf.read(wav, dtype="int16")
    x[15 * RATE] += 1
    sf.write(wav, x, RATE, subtype="PCM_16")
    code, out = run(ledger, ["verify", db, str(wav), "--key", k + ".pub", "--format", "json"])
    report = json.loads(out)
    assert code == 1
    assert report["schema"] == "auditor.report/1" and report["session"] is None
    assert report["summary"] == {"findings": 1, "by_kind": {"hash_mismatch": 1},
                                 "by_severity": {"high": 1}}
    assert (report["findings"][0]["start"], report["findings"][0]["end"]) == (10.0, 20.0)
    code, out = run(ledger, ["verify", db, str(wav), "--fail-on", "high", "--key", k + ".pub",
                             "--format", "text"])
    assert code == 1 and "HIGH: hash_mismatch" in out


def test_wrong_public_key_and_bad_ledger(tmp_path: Path) -> None:
    k, db = str(tmp_path / "k.key"), str(tmp_path / "l.db")
    run(keygen, [k, "--no-encrypt"])
    run(keygen, [str(tmp_path / "o.key"), "--no-encrypt"])
    run(ledger, ["init", db, "--key", k])
    code, out = run(ledger, ["verify", db, "--key", str(tmp_path / "o.key.pub")])
    assert code == 1 and "not signed by the trusted key" in out
    (tmp_path / "junk.db").write_bytes(b"\x00" * 4096)
    code, out = run(ledger, ["verify", str(tmp_path / "junk.db")])
    assert code == 2 and "junk.db" in out


def test_ledger_verify_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, auditor.cli.ledger, auditor.ledger.verify, auditor.ledger.bundle\n"
        "heavy = [m for m in ('librosa', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_a_ledger_whose_origin_is_not_its_keys_name_verifies_with_that_key(tmp_path: Path) -> None:
    k, db, wav = str(tmp_path / "k.key"), str(tmp_path / "l.db"), make_wav(tmp_path / "a.wav", 5)
    other = str(tmp_path / "other.key")
    assert run(keygen, [k, "--name", "court.example/key-2026", "--no-encrypt"])[0] == 0
    assert run(keygen, [other, "--name", "court.example/log", "--no-encrypt"])[0] == 0
    assert run(ledger, ["init", db, "--key", k, "--origin", "court.example/log"])[0] == 0
    assert run(ledger, ["add", db, str(wav), "--key", k])[0] == 0
    # the trust is in the key's bytes; its name in the .pub file is a label
    code, out = run(ledger, ["verify", db, str(wav), "--key", k + ".pub"])
    assert code == 0, out
    out_zip = str(tmp_path / "ev.zip")
    assert run(ledger, ["bundle", db, str(wav), "-o", out_zip])[0] == 0
    code, out = run(bundle, ["verify", out_zip, "--key", k + ".pub"])
    assert code == 0 and out.rstrip().endswith("bundle verified"), out
    # another key named like the origin is still another key
    code, out = run(ledger, ["verify", db, str(wav), "--key", other + ".pub"])
    assert code == 1 and "not signed by the trusted key" in out
    code, out = run(bundle, ["verify", out_zip, "--key", other + ".pub"])
    assert code == 1 and "FAILED" in out
