"""The batch append path: the same entries give the same bytes, leaves, nodes, roots and signed
checkpoints as the code that wrote the ledgers in use, the file is written with
``synchronous=FULL``, and a batch is one transaction that a killed process never leaves half
written."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from conftest_ledger import KEY, NOW, ORIGIN, OTHER_KEY, new_ledger

from auditor.errors import InputError, LedgerError
from auditor.ledger import _batch, _db
from auditor.ledger._db import insert_rows
from auditor.ledger._merkle import leaf_hash, tree_hash
from auditor.ledger._tree import Frontier
from auditor.ledger.entries import ENTRY_TYPES, Entry, encode_batch
from auditor.ledger.events import hold_entry
from auditor.ledger.keys import key_entry
from auditor.ledger.note import VerifierKey
from auditor.ledger.store import Ledger
from auditor.ledger.verify import verify_log

VKEY = VerifierKey(ORIGIN, KEY.public_bytes())

# Computed by the append path as it was before batches were written with multi-row inserts
# (commit cf97af6): any change to an entry's bytes, a leaf, a stored node or a note shows here.
PINNED_SIZE = 5116
PINNED_ROOT = "9d742df2ec11b62393d532f1384bf1a470ff62353ff1a028c4a62292740b9be2"
PINNED_NOTE = (
    "court.example/hearings\n5116\nnXQt8uwRtiOT1TLxOEvxpHD/YjU/8aAoxKYiknQLm+I=\n\n"
    "— court.example/hearings Qn/gZzQYJF69WgZh5Ozw7Zzod4neaS/21q7o3dACmWdfFjmz2A9th/b4KNkQPFL7Ru"
    "FXWaOKU75UKGmrgZWtDoRFbgo=\n"
)
PINNED_ROWS = "09e36de48339b35292a56943a9ffa6d994540f03befd7d2668bee4af8fcefb49"
PINNED_NODES = "1c4f90392e7f8ea78278ec6c22d26ad414f6cbc5e2aa481b076b82606e4fb119"
PINNED_CHECKPOINTS = "30f3fcc359a0cc42740f72e20274d5f97d55e60732fffa0cda2092cc77361aca"


def _chunks(recording: int, start: int, n: int) -> list[Entry]:
    return [
        Entry("chunk", {"recording": recording, "index": i, "start": i * 960000,
                        "end": (i + 1) * 960000, "pcm_sha256": f"{i:064x}",
                        "bytes": None if i % 3 else {"offset": 44 + 2 * i, "length": 1920000,
                                                     "sha256": f"{7 * i:064x}"}})
        for i in range(start, start + n)
    ]  # fmt: skip


def _holds(n: int) -> list[Entry]:
    return [hold_entry(1, by=f"clerk {i}", reason="appeal") for i in range(n)]


def _ingest(name: str) -> Entry:
    media = {"container": "wav", "codec": "pcm_s16le", "sample_rate": 16000, "channels": 1,
             "frames": 16000 * 3600, "bit_depth": 16, "pcm": "s16le"}  # fmt: skip
    session = {"court": "Sąd Rejonowy", "case": "II K 12/26"}
    return Entry("ingest", {"name": name, "size": 115_200_044, "sha256": "ab" * 32,
                            "media": media, "chunk_frames": 960000,
                            "session": session})  # fmt: skip


def _fill(led: Ledger) -> None:
    """Appends of many sizes (one leaf, ones that straddle powers of two, thousands) and
    entries whose JSON needs escapes, non-ASCII text, nested objects and lookup columns."""
    for n in (1, 5, 1000, 1, 4093, 7):
        led.append_at(_chunks(1, led.size, n), key=KEY, now=NOW)
    odd = hold_entry(1, by="clérk ☃ \U0001f512", reason='appeal "x"\n\t\\ \u2028 \x7f end')
    led.append_at([odd], key=KEY, now=NOW)
    led.append_at(lambda first: [_ingest("rozprawa 1.wav"), *_chunks(first, 0, 4)], key=KEY,
                  now=NOW)  # fmt: skip


def _digests(led: Ledger) -> tuple[str, str, str]:
    rows = hashlib.sha256()
    for r in led.rows():
        rows.update(repr((r.idx, r.type, r.recording, r.name, r.sha256)).encode())
        rows.update(len(r.data).to_bytes(4, "big") + r.data + r.leaf)
    nodes = hashlib.sha256()
    for level in range(led.size.bit_length()):
        for index, h in sorted(led.nodes(level, 0, led.size).items()):
            nodes.update(f"{level},{index},".encode() + h)
    notes = hashlib.sha256()
    for size, note in led.checkpoints():
        notes.update(f"{size}\n{note}".encode())
    return rows.hexdigest(), nodes.hexdigest(), notes.hexdigest()


def test_batches_write_what_the_previous_append_path_wrote(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        _fill(led)
        assert led.size == PINNED_SIZE
        assert led.node_count() == 2 * PINNED_SIZE - bin(PINNED_SIZE).count("1")
        assert led.root().hex() == PINNED_ROOT
        assert led.checkpoint() == PINNED_NOTE
        assert _digests(led) == (PINNED_ROWS, PINNED_NODES, PINNED_CHECKPOINTS)
        types = led._conn.execute(
            "SELECT DISTINCT type, typeof(recording), typeof(name), typeof(sha256), typeof(data), "
            "typeof(leaf) FROM entries ORDER BY 1"
        ).fetchall()
        assert types == [
            ("chunk", "integer", "null", "null", "blob", "blob"),
            ("hold", "integer", "null", "null", "blob", "blob"),
            ("ingest", "integer", "text", "text", "blob", "blob"),
            ("key", "null", "null", "null", "blob", "blob"),
            ("seal", "integer", "null", "null", "blob", "blob"),
        ]
        assert led._conn.execute("SELECT DISTINCT typeof(hash) FROM nodes").fetchall() == [
            ("blob",)
        ]


def test_ledgers_are_written_with_synchronous_full_in_wal_mode(tmp_path: Path) -> None:
    new_ledger(tmp_path / "l.db").close()
    for led in (Ledger.open(tmp_path / "l.db", writable=True), Ledger.open(tmp_path / "l.db")):
        with led:
            assert led._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert led._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(("before", "sizes"), [(0, [1, 1, 2, 5, 8]), (3, [13, 64, 1]),
                                               (1000, [1023, 1, 2048]), (5, [0, 7])])  # fmt: skip
def test_extend_completes_the_nodes_append_does(before: int, sizes: list[int]) -> None:
    leaves = [leaf_hash(b"%d" % i) for i in range(before + sum(sizes))]
    one, many = Frontier(), Frontier()
    for leaf in leaves[:before]:
        one.append(leaf)
    many.extend(leaves[:before])
    done = before
    for n in sizes:
        new = leaves[done : done + n]
        by_leaf = [node for leaf in new for node in one.append(leaf)]
        assert sorted(many.extend(new)) == sorted(by_leaf)
        done += n
        assert many.size == one.size == done
        assert many.root() == one.root() == tree_hash(leaves[:done])


@pytest.mark.parametrize("cores", [1, 2])
def test_a_batch_of_many_statements_and_slices_writes_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    # a batch split at every few rows (statements) and entries (slices, prepared inline or by
    # the worker thread) gives the rows one statement and one slice give
    with new_ledger(tmp_path / "a.db") as led:
        _fill(led)
        expected = _digests(led)
    monkeypatch.setattr(_db, "MAX_PARAMETERS", 23)  # 3 or 4 entries rows, 7 nodes a statement
    monkeypatch.setattr(_batch, "_SLICE", 5)
    monkeypatch.setattr(_batch, "_cores", lambda: cores)
    threads = threading.active_count()
    with patch.object(_batch, "_one_ahead", wraps=_batch._one_ahead) as ahead:
        with new_ledger(tmp_path / "b.db") as led:
            _fill(led)
            assert _digests(led) == expected
    assert ahead.called == (cores > 1)
    assert threading.active_count() == threads  # the worker is gone once the append is done


def test_statements_fit_the_sqlite_build_s_limits(tmp_path: Path) -> None:
    with new_ledger(tmp_path / "a.db") as led:
        led.append_at(_holds(300), key=KEY, now=NOW)
        expected = _digests(led)
    with new_ledger(tmp_path / "b.db") as led:
        led._conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 120)  # 4 entries rows, 11 nodes
        led._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)  # 4 entries (all columns)
        led.append_at(_holds(300), key=KEY, now=NOW)
        assert _digests(led) == expected


def test_an_entry_spoilt_after_it_was_made_stops_the_whole_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_batch, "_SLICE", 100)
    with new_ledger(tmp_path / "l.db") as led:
        entries = _chunks(1, 0, 1000)
        spoilt = entries[951].fields["bytes"]
        assert isinstance(spoilt, dict)
        spoilt["length"] = 1.5  # an object inside an entry is still the caller's to change
        with pytest.raises(InputError, match=r"chunk.bytes.length: entries hold no floats"):
            led.append_at(entries, key=KEY, now=NOW)
        assert led.size == 3 and [s for s, _ in led.checkpoints()] == [1, 3]
        assert led.node_count() == 2 * 3 - 2
        led.append_at(_holds(2), key=KEY, now=NOW)
        assert verify_log(led, trusted_key=VKEY).findings == []


def test_disk_full_mid_batch_leaves_the_ledger_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_batch, "_SLICE", 500)
    with new_ledger(tmp_path / "l.db") as led:
        pages = led._conn.execute("PRAGMA page_count").fetchone()[0]
        led._conn.execute(f"PRAGMA max_page_count = {pages + 40}")
        with pytest.raises(LedgerError, match="disk is full"):
            led.append_at(_chunks(1, 0, 5000), key=KEY, now=NOW)
        assert led.size == 3 and led.node_count() == 4
        assert verify_log(led, trusted_key=VKEY).findings == []


def test_the_triggers_still_refuse_a_gap_or_a_replacement_in_a_multi_row_insert(
    tmp_path: Path,
) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        conn = led._conn
        row = (3, "hold", 1, None, None, b"{}", bytes(32))
        for rows in ([row, (5, *row[1:])], [(2, *row[1:])]):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                insert_rows(conn, "entries", rows)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            insert_rows(conn, "nodes", [(0, 3, bytes(32)), (0, 0, bytes(32))])
        assert led.size == 3 and led.node_count() == 4  # the rows before the bad one too


def test_the_signing_key_check_sees_a_rotation_another_connection_appended(
    tmp_path: Path,
) -> None:
    with new_ledger(tmp_path / "l.db") as led:
        led.append_at(_holds(3), key=KEY, now=NOW)  # the key entries are read now
        with Ledger.open(tmp_path / "l.db", writable=True) as other:
            rotation = key_entry("rotated", ORIGIN, OTHER_KEY, signer=KEY)
            other.append_at([rotation], key=OTHER_KEY, now=NOW)
        with pytest.raises(LedgerError, match="not the ledger's signing key"):
            led.append_at(_holds(2), key=KEY, now=NOW)
        led.append_at(_holds(2), key=OTHER_KEY, now=NOW)
        assert verify_log(led, trusted_key=VKEY).findings == []


_KILL_SCRIPT = """
import sys
from datetime import UTC, datetime
from auditor.ledger._signing import SigningKey
from auditor.ledger.entries import Entry
from auditor.ledger.store import Ledger
led = Ledger.open(sys.argv[1], writable=True)
holds = [Entry("hold", {"recording": 1, "by": f"clerk {i}", "reason": "appeal"})
         for i in range(200_000)]
print("start", flush=True)
led.append_at(holds, key=SigningKey.from_seed(bytes(range(32))),
              now=datetime(2026, 3, 2, 10, tzinfo=UTC))
print("done", flush=True)
"""


@pytest.mark.parametrize("wal_bytes", [1 << 20, 12 << 20])
def test_kill_9_mid_batch_leaves_a_verifying_ledger_without_the_batch(
    tmp_path: Path, wal_bytes: int
) -> None:
    # killed while the worker thread prepares and SQLite inserts (pages of the open transaction
    # already spilt into the write-ahead log), the ledger is as it was
    new_ledger(tmp_path / "l.db").close()
    wal = tmp_path / "l.db-wal"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(tmp_path / "l.db")],
        stdout=subprocess.PIPE, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"start"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size >= wal_bytes:
            break
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Ledger.open(tmp_path / "l.db") as led:
        assert proc.returncode == -signal.SIGKILL and led.size == 3
        assert [s for s, _ in led.checkpoints()] == [1, 3]
        assert verify_log(led, trusted_key=VKEY).findings == []


def _random_value(rng: random.Random, kinds: tuple[type, ...], depth: int = 0) -> object:
    kind = rng.choice(kinds)
    if kind is str:
        alphabet = 'aZ09 "\\/\n\t\x00\x1f\x7fé☃\u2028\U0001f512'
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind is int:
        return rng.choice([0, -1, 1, 2**53 + 1, -(10**30), rng.randrange(-(10**9), 10**9)])
    if kind is dict:
        inner: tuple[type, ...] = (str, int, type(None)) + ((dict, list) if depth < 2 else ())
        return {_random_value(rng, (str,)): _random_value(rng, inner, depth + 1)
                for _ in range(rng.randrange(4))}  # fmt: skip
    if kind is list:
        return [_random_value(rng, (str, int, dict), depth + 1) for _ in range(rng.randrange(3))]
    return None


def test_encode_batch_writes_the_bytes_encode_writes_for_every_type() -> None:
    rng = random.Random(22)
    entries = [
        Entry(kind, {name: _random_value(rng, allowed) for name, allowed in spec.items()})
        for _ in range(60)
        for kind, spec in ENTRY_TYPES.items()
    ]
    assert encode_batch(entries, NOW) == [e.stamped(NOW).encode() for e in entries]
    assert {Entry.decode(d).type for d in encode_batch(entries, NOW)} == set(ENTRY_TYPES)
