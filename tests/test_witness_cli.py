"""`auditor witness init / add-log / serve` as a court's partner runs them: real processes on
loopback, a clean stop on Ctrl-C, and help with an example for every new command."""

from __future__ import annotations

import inspect
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest_ledger import KEY, ORIGIN, OTHER_KEY, new_ledger, write_key
from conftest_witness import post, serving, witness_db

from auditor.cli import cli
from auditor.cli.attest import compare_checkpoints, witness_cmd
from auditor.cli.witness import witness
from auditor.ledger._merkle import EMPTY_ROOT
from auditor.ledger.cosignature import CosignerKey


def auditor(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], text=True,
                          capture_output=True, timeout=60, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("command", [witness, *witness.commands.values(),  # type: ignore[attr-defined]
                                     witness_cmd, compare_checkpoints], ids=lambda c: c.name)
def test_every_new_command_has_help_with_an_example(command: click.Command) -> None:
    assert command.help and "\b\nExample:\n  auditor " in inspect.cleandoc(command.help)


def test_init_add_log_serve_and_stop(tmp_path: Path) -> None:
    out = auditor("witness", "init", tmp_path / "bar.db", "--key", tmp_path / "bar.key",
                  "--name", "bar.example/witness", "--no-encrypt")
    assert out.returncode == 0, out.stderr
    vkey = CosignerKey.parse((tmp_path / "bar.key.pub").read_text())
    assert vkey.name == "bar.example/witness" and str(vkey) in out.stdout
    assert "NOT encrypted" in out.stderr
    again = auditor("witness", "init", tmp_path / "bar.db", "--key", tmp_path / "bar.key")
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    write_key(tmp_path / "court.key", KEY)
    out = auditor("witness", "add-log", tmp_path / "bar.db", tmp_path / "court.key.pub")
    assert out.returncode == 0 and "witnessing court.example/hearings" in out.stdout
    out = auditor("witness", "add-log", tmp_path / "bar.db", tmp_path / "court.key")
    assert out.returncode == 2 and "private key" in out.stderr
    refused = auditor("witness", "serve", tmp_path / "bar.db", "--listen", "0.0.0.0:0")
    assert refused.returncode == 2 and "not a loopback address" in refused.stderr

    server = subprocess.Popen([sys.executable, "-m", "auditor", "witness", "serve",
                               str(tmp_path / "bar.db"), "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("witness bar.example/witness listening on http://127.0.0.1:")
        url = line.split(" on ")[1].split()[0].removesuffix("/add-checkpoint")
        new_ledger(tmp_path / "court.db").close()
        new_ledger(tmp_path / "stranger.db", key=KEY).close()
        policy = tmp_path / "witnesses.txt"
        policy.write_text(f"witness bar {vkey} {url}\nquorum 1\n")
        result = CliRunner().invoke(cli, ["ledger", "witness", str(tmp_path / "court.db"),
                                          "--witnesses", str(policy)])
        assert result.exit_code == 0 and "bar: cosigned size 3" in result.output
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=20)
    assert server.returncode == 0 and "witness stopped" in err and "Traceback" not in err


def test_unknown_log_is_named(tmp_path: Path) -> None:
    from conftest_witness import serving, witness_db

    from auditor.ledger._signing import SigningKey

    db, ckey = witness_db(tmp_path / "w.db", 0)
    stranger = SigningKey.from_seed(bytes([5]) * 32)
    write_key(tmp_path / "s.key", stranger, name="stranger.example/log")
    from auditor.ledger.store import Ledger

    Ledger.create(tmp_path / "s.db", key=stranger, origin="stranger.example/log").close()
    with serving(db, 0) as w:
        (tmp_path / "p.txt").write_text(f"witness bar {ckey} {w.url}\n")
        result = CliRunner().invoke(cli, ["ledger", "witness", str(tmp_path / "s.db"),
                                          "--witnesses", str(tmp_path / "p.txt")])
    assert result.exit_code == 2
    assert "refused (HTTP 404): unknown log 'stranger.example/log'" in result.output


def test_add_log_accepts_the_key_under_the_logs_origin(tmp_path: Path) -> None:
    # a new key (after a key rotation, or `ledger init --origin`) has a name of its own; the
    # ledger signs its checkpoints under its origin, and the witness must accept them so
    from auditor.ledger.note import Checkpoint
    from auditor.witness.store import WitnessDB

    db, _ = witness_db(tmp_path / "w.db")
    db.close()
    write_key(tmp_path / "new.key", OTHER_KEY, name="auditor.local/new")
    result = CliRunner().invoke(cli, ["witness", "add-log", str(tmp_path / "w.db"),
                                      str(tmp_path / "new.key.pub"), "--origin", ORIGIN])
    assert result.exit_code == 0 and f"witnessing {ORIGIN} signed by {ORIGIN}+" in result.output
    note = Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(OTHER_KEY)  # as the ledger signs
    with WitnessDB.open(tmp_path / "w.db") as db, serving(db) as server:
        status, _, text = post(server, f"old 0\n\n{note}".encode())
    assert status == 200, text
    # an empty --origin is a mistake, not "the key's name"
    for empty in ("", "  "):
        result = CliRunner().invoke(cli, ["witness", "add-log", str(tmp_path / "w.db"),
                                          str(tmp_path / "new.key.pub"), "--origin", empty])
        assert result.exit_code == 2 and "--origin is empty" in result.output, result.output


def test_show_lists_the_refused_checkpoints_as_evidence(tmp_path: Path) -> None:
    import json

    from auditor.ledger.note import Checkpoint

    db, _ = witness_db(tmp_path / "w.db")
    good = Checkpoint(ORIGIN, 0, EMPTY_ROOT).sign(KEY)
    bad = Checkpoint(ORIGIN, 0, bytes(32)).sign(KEY)
    with serving(db) as server:
        assert post(server, f"old 0\n\n{good}".encode())[0] == 200
        assert post(server, f"old 0\n\n{bad}".encode())[0] == 422
    db.close()
    result = CliRunner().invoke(cli, ["witness", "show", str(tmp_path / "w.db")])
    assert result.exit_code == 0, result.output
    assert f"{ORIGIN}: latest cosigned size 0 (root {EMPTY_ROOT.hex()}); 1 refused" in result.output
    assert "(HTTP 422): a checkpoint of size 0 must have the empty tree's root" in result.output
    assert bad.rstrip("\n") in result.output
    result = CliRunner().invoke(cli, ["witness", "show", str(tmp_path / "w.db"), "--format",
                                      "json"])
    shown = json.loads(result.output)
    assert shown["witness"] == "w0.example/witness"
    (log,) = shown["logs"]
    assert log["latest"]["size"] == 0 and log["latest"]["note"].startswith(good)
    assert [r["note"] for r in log["refused"]] == [bad] and log["refused"][0]["status"] == 422
    result = CliRunner().invoke(cli, ["witness", "show", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no such witness database" in result.output
