"""The SQLite store: append-only, atomic, reproducible, serialised, and tamper-evident."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_ledger import KEY, NOW, ORIGIN, OTHER_KEY, make_wav, new_ledger

from auditor.errors import LedgerError
from auditor.ledger._merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from auditor.ledger.entries import Entry
from auditor.ledger.events import hold_entry
from auditor.ledger.keys import key_entry
from auditor.ledger.note import Checkpoint, VerifierKey
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger
from auditor.ledger.verify import verify_log

VKEY = VerifierKey(ORIGIN, KEY.public_bytes())


def _holds(n: int) -> list[Entry]:
    return [hold_entry(1, by=f"clerk {i}", reason="appeal") for i in range(n)]


def _kinds(ledger: Ledger, **kw: object) -> list[str]:
    return [f.kind for f in verify_log(ledger, **kw).findings]  # type: ignore[arg-type]


def test_signed_output_is_reproducible(tmp_path: Path) -> None:
    notes = []
    for name in ("a.db", "b.db"):
        with new_ledger(tmp_path / name) as led:
            led.append_at(_holds(3), key=KEY, now=NOW)
            notes.append(led.checkpoint())
    assert notes[0] == notes[1]
    assert notes[0].startswith(f"{ORIGIN}\n6\n")


def test_proofs_from_store_verify_against_signed_checkpoints(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        for n in (1, 6, 2, 9):
            led.append_at(_holds(n), key=KEY, now=NOW)
        leaves = [leaf_hash(row.data) for row in led.rows()]
        assert len(leaves) == led.size == 21
        sizes = [size for size, _ in led.checkpoints()]
        assert sizes == [1, 3, 4, 10, 12, 21]
        for size in sizes:
            cp = Checkpoint.open(led.checkpoint(size), VKEY, origin=ORIGIN)
            assert cp.root == tree_hash(leaves[:size]) == led.root(size)
            for index in range(size):
                proof = led.inclusion_proof(index, size)
                verify_inclusion(index, size, leaves[index], proof, cp.root)
        verify_consistency(10, 21, led.consistency_proof(10), led.root(10), led.root())
        assert _kinds(led, trusted_key=VKEY) == []


def test_triggers_refuse_update_delete_and_replace(tmp_path: Path) -> None:
    new_ledger(tmp_path / "l.db").close()
    conn = sqlite3.connect(tmp_path / "l.db")
    for sql in (
        "UPDATE entries SET data = x'00'",
        "DELETE FROM entries",
        "DELETE FROM checkpoints",
        "UPDATE nodes SET hash = x'00'",
        "UPDATE meta SET value = '9' WHERE key = 'schema'",
        "INSERT OR REPLACE INTO nodes VALUES (0, 0, x'00')",
        "INSERT INTO entries VALUES (5, 'hold', 0, NULL, NULL, x'00', x'00')",
        "INSERT INTO checkpoints VALUES (1, 'x')",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only|UNIQUE"):
            conn.execute(sql)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _drop_triggers(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    return conn


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE entries SET data = replace(data, 'clerk 1', 'clerk 7') WHERE idx = 4", "leaf"),
        ("DELETE FROM entries WHERE idx = 4", "deleted"),
        ("UPDATE entries SET idx = idx + 100 WHERE idx = 3", "deleted or renumbered"),
        ("UPDATE nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0", "tree node"),
        ("DELETE FROM checkpoints WHERE size = 6", "not covered by a checkpoint"),
        ("UPDATE entries SET name = 'y.wav' WHERE idx = 1", "lookup columns"),
        ("DELETE FROM entries WHERE idx = 2", "never sealed"),
    ],
)
def test_hand_edits_are_ledger_inconsistent(tmp_path: Path, sql: str, message: str) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        led.append_at(_holds(3), key=KEY, now=NOW)
        assert _kinds(led) == []
    conn = _drop_triggers(tmp_path / "l.db")
    conn.execute(sql)
    conn.close()
    with Ledger.open(tmp_path / "l.db") as led:
        findings = verify_log(led, trusted_key=VKEY).findings
    assert "ledger_inconsistent" in {f.kind for f in findings}
    assert any(message in f.message for f in findings), [f.message for f in findings]


def test_rewritten_leaf_with_fixed_hash_still_breaks_the_signed_root(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        led.append_at(_holds(3), key=KEY, now=NOW)
        forged = led.data(4).replace(b"clerk 1", b"clerk 9")
    conn = _drop_triggers(tmp_path / "l.db")
    conn.execute("UPDATE entries SET data = ?, leaf = ? WHERE idx = 4", (forged, leaf_hash(forged)))
    conn.close()
    with Ledger.open(tmp_path / "l.db") as led:
        messages = [f.message for f in verify_log(led).findings]
    assert any("checkpoint 6 signs root" in m for m in messages)


def test_replaced_key_is_caught_with_a_trusted_key(tmp_path: Path) -> None:
    """An attacker rebuilds the whole ledger under their own key: only a pinned key catches it."""
    with new_ledger(tmp_path / "l.db", key=OTHER_KEY) as led:
        led.append_at(_holds(2), key=OTHER_KEY, now=NOW)
        assert _kinds(led) == []
        findings = verify_log(led, trusted_key=VKEY).findings
    assert [f.kind for f in findings] == ["ledger_inconsistent"]
    assert "not signed by the trusted key" in findings[0].message


def test_trusted_checkpoint_demands_consistency(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "a.db") as led:
        led.append_at(_holds(5), key=KEY, now=NOW)
        seen = led.checkpoint()
        led.append_at(_holds(4), key=KEY, now=NOW)
        assert _kinds(led, trusted_checkpoint=seen) == []
    # A fork: same key, different history of the same length and beyond.
    with new_ledger(tmp_path / "b.db") as fork:
        fork.append_at([hold_entry(1, by="someone else", reason="x")] * 9, key=KEY, now=NOW)
        findings = verify_log(fork, trusted_checkpoint=seen).findings
    assert [f.kind for f in findings] == ["ledger_inconsistent"]
    assert "does not extend the trusted checkpoint" in findings[0].message


def test_append_refuses_a_foreign_key(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        with pytest.raises(LedgerError, match="not the ledger's signing key"):
            led.append_at(_holds(1), key=OTHER_KEY, now=NOW)
        assert led.size == 3


def test_key_rotation_moves_signing_to_the_new_key(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        led.append_at([key_entry("rotated", ORIGIN, OTHER_KEY, signer=KEY)], key=OTHER_KEY, now=NOW)
        led.append_at(_holds(2), key=OTHER_KEY, now=NOW)
        with pytest.raises(LedgerError, match="not the ledger's signing key"):
            led.append_at(_holds(1), key=KEY, now=NOW)
        assert _kinds(led, trusted_key=VKEY) == []
        new = VerifierKey(ORIGIN, OTHER_KEY.public_bytes())
        Checkpoint.open(led.checkpoint(), new)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"this is not a database, just text" * 100, "not a readable SQLite ledger")],
)
def test_not_sqlite(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "x.db").write_bytes(content)
    with pytest.raises(LedgerError, match=message):
        Ledger.open(tmp_path / "x.db")


def test_other_sqlite_and_missing_and_newer_schema(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LedgerError, match="not an auditor ledger"):
        Ledger.open(tmp_path / "other.db")
    with pytest.raises(LedgerError, match="no such ledger"):
        Ledger.open(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    new_ledger(tmp_path / "l.db").close()
    conn = _drop_triggers(tmp_path / "l.db")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    conn.close()
    with pytest.raises(LedgerError, match="schema 2 is newer than this auditor supports"):
        Ledger.open(tmp_path / "l.db")


def test_disk_full_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        led.append_at(_holds(2), key=KEY, now=NOW)
        pages = led._conn.execute("PRAGMA page_count").fetchone()[0]
        led._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now "full"
        big = [hold_entry(1, by="x" * 2000, reason="fill") for _ in range(50)]
        with pytest.raises(LedgerError, match="disk is full"):
            led.append_at(big, key=KEY, now=NOW)
        assert led.size == 5
        assert _kinds(led, trusted_key=VKEY) == []


def _append_many(path: str, who: str, rounds: int) -> None:
    with Ledger.open(path, writable=True) as led:
        for i in range(rounds):
            led.append_at([hold_entry(1, by=f"{who}{i}", reason="r")] * 3, key=KEY, now=NOW)


def test_two_processes_appending_are_serialised(tmp_path: Path) -> None:
    new_ledger(tmp_path / "l.db").close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path / "l.db"), w, 15)) for w in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Ledger.open(tmp_path / "l.db") as led:
        assert led.size == 3 + 2 * 15 * 3
        assert _kinds(led, trusted_key=VKEY) == []
        sizes = [s for s, _ in led.checkpoints()]
        assert sizes == [1] + [3 + 3 * i for i in range(31)]  # every append: a block of 3


_KILL_SCRIPT = """
import sys
from datetime import UTC, datetime
from auditor.ledger._signing import SigningKey
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger
led = Ledger.open(sys.argv[1], writable=True)
print("start", flush=True)
add_recording_at(led, sys.argv[2], key=SigningKey.from_seed(bytes(range(32))),
                 now=datetime(2026, 3, 2, 10, tzinfo=UTC), chunk_seconds=0.01,
                 progress=lambda done, total: print(done, flush=True))
print("done", flush=True)
"""


@pytest.mark.parametrize("at_frames", [8000, 470000])
def test_kill_9_mid_add_leaves_a_verifying_ledger_without_the_recording(
    tmp_path: Path, at_frames: int
) -> None:
    # a recording is appended in one transaction once hashed: killed while hashing (or while
    # appending), the ledger is as it was, never holding a half-ingested recording
    wav = make_wav(tmp_path / "long.wav", 60.0)
    new_ledger(tmp_path / "l.db").close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(tmp_path / "l.db"), str(wav)],
        stdout=subprocess.PIPE, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
    while (line := proc.stdout.readline().strip()) and line != b"done":
        if int(line) >= at_frames:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Ledger.open(tmp_path / "l.db") as led:
        assert led.size in (3, 3 + 1 + 6000 + 1)
        report = verify_log(led, trusted_key=VKEY)
        assert report.findings == []
        from auditor.ledger.verify import verify_file

        kinds = [f.kind for f in verify_file(led, wav)]
        assert kinds == (["unlogged_file"] if led.size == 3 else [])


def test_add_recording_is_reproducible(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", 3.0)
    notes = []
    for name in ("x.db", "y.db"):
        with new_ledger(tmp_path / name) as led:
            add_recording_at(led, wav, key=KEY, now=NOW, chunk_seconds=1)
            notes.append(led.checkpoint())
    assert notes[0] == notes[1]
