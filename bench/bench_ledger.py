"""Ledger speed: batch appends, proofs on 1,000,000 leaves, and `ledger add` vs decode+hash.

Run: .venv/bin/python bench/bench_ledger.py [--leaves 1000000] [--repeat 5] [--minutes 120]
     [--no-add]

Targets (issue 22): batched appends >= 100,000 leaves/s with ``PRAGMA synchronous = FULL``
(the median over the batches of 100,000 that build the ledger), shown next to a plain SQLite
peer run on the same disk at the same time: a WAL-mode loop inserting as many 32-byte hashes
at 100 per commit, also with ``synchronous = FULL`` (median of ``--repeat`` runs), and the
ratio of the two. Kept from issue 5: inclusion proof generation and verification <= 1 ms at
1,000,000 leaves; `ledger add` of a 2 h 16 kHz mono WAV <= 1.2x the decode + file hash that
`auditor scan` does on the same file (medians over ``--repeat`` runs; ``--no-add`` skips it).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from auditor.ledger._merkle import leaf_hash, verify_inclusion
from auditor.ledger._signing import SigningKey
from auditor.ledger.entries import Entry
from auditor.ledger.note import Checkpoint, VerifierKey
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger

KEY = SigningKey.from_seed(bytes(range(32)))
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ORIGIN = "bench.example/log"


def _chunks(recording: int, start: int, n: int) -> list[Entry]:
    return [
        Entry("chunk", {"recording": recording, "index": i, "start": i * 960000,
                        "end": (i + 1) * 960000, "pcm_sha256": f"{i:064x}", "bytes": None})
        for i in range(start, start + n)
    ]  # fmt: skip


def bench_appends(
    folder: Path, leaves: int, batch: int = 100_000
) -> tuple[Ledger, float, float]:
    """Build a ledger of ``leaves`` entries in appends of ``batch``; the median leaves/s of the
    appends and the median CPU seconds (both threads) one append of ``batch`` took."""
    led = Ledger.create(folder / "big.db", key=KEY, origin=ORIGIN, now=NOW)
    sync = led._conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync != 2:
        raise SystemExit(f"the ledger runs with synchronous={sync}, not FULL (2)")
    rates, cpu = [], []
    done = 1
    while done < leaves:
        n = min(batch, leaves - done)
        entries = _chunks(0, done, n)
        t, c = time.perf_counter(), time.process_time()
        led.append_at(entries, key=KEY, now=NOW)
        rates.append(n / (time.perf_counter() - t))
        cpu.append((time.process_time() - c) * batch / n)
        done += n
    return led, statistics.median(rates), statistics.median(cpu)


def bench_peer(folder: Path, count: int, repeat: int, per_commit: int = 100) -> float:
    """Leaves/s of a plain SQLite loop: ``count`` 32-byte hashes into a WAL-mode table with
    ``synchronous = FULL``, ``per_commit`` to a transaction (median of ``repeat`` runs)."""
    hashes = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(count)]
    rates = []
    for r in range(repeat):
        conn = sqlite3.connect(folder / f"peer{r}.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE leaves (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL)")
        t = time.perf_counter()
        for start in range(0, count, per_commit):
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO leaves VALUES (?, ?)",
                enumerate(hashes[start : start + per_commit], start),
            )
            conn.execute("COMMIT")
        rates.append(count / (time.perf_counter() - t))
        conn.close()
    return statistics.median(rates)


def bench_proofs(led: Ledger, repeat: int) -> tuple[float, float]:
    size = led.size
    cp = Checkpoint.open(led.checkpoint(), VerifierKey(ORIGIN, KEY.public_bytes()))
    rng = np.random.default_rng(0)
    gen, ver = [], []
    for _ in range(repeat):
        idx = [int(i) for i in rng.integers(0, size, 200)]
        leaves = [leaf_hash(led.data(i)) for i in idx]
        t = time.perf_counter()
        proofs = [led.inclusion_proof(i, size) for i in idx]
        gen.append((time.perf_counter() - t) / len(idx))
        t = time.perf_counter()
        for i, leaf, proof in zip(idx, leaves, proofs, strict=True):
            verify_inclusion(i, size, leaf, proof, cp.root)
        ver.append((time.perf_counter() - t) / len(idx))
    return statistics.median(gen) * 1e3, statistics.median(ver) * 1e3


def bench_add(folder: Path, minutes: float, repeat: int) -> tuple[float, float]:
    from auditor.media import decode_blocks, file_sha256, probe

    wav = folder / "long.wav"
    rng = np.random.default_rng(1)
    with sf.SoundFile(wav, "w", 16000, 1, "PCM_16") as snd:
        for _ in range(int(minutes)):
            snd.write((0.1 * rng.standard_normal(16000 * 60)).astype(np.float32))
    scan, add = [], []
    for r in range(repeat):
        # what `auditor scan` does before its detectors: probe, then decode while another
        # thread hashes the file's bytes
        t = time.perf_counter()
        info = probe(wav)
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(file_sha256, wav)
            for _block in decode_blocks(wav, block_frames=16000 * 60, info=info):
                pass
            digest.result()
        scan.append(time.perf_counter() - t)
        led = Ledger.create(folder / f"add{r}.db", key=KEY, origin=ORIGIN, now=NOW)
        t = time.perf_counter()
        add_recording_at(led, wav, key=KEY, now=NOW)
        add.append(time.perf_counter() - t)
        led.close()
    return statistics.median(scan), statistics.median(add)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--no-add", action="store_true", help="skip the `ledger add` figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        led, rate, cpu = bench_appends(folder, args.leaves)
        peer = bench_peer(folder, 100_000, args.repeat)
        print(f"append, batches of 100,000, synchronous=FULL: median {rate:,.0f} leaves/s, "
              f"{cpu:.2f} s CPU per batch (target >= 100,000)")  # fmt: skip
        print(f"peer: plain SQLite WAL loop, 100,000 32-byte hashes at 100 per commit, "
              f"synchronous=FULL: median {peer:,.0f} leaves/s; "
              f"ledger/peer {rate / peer:.2f}")  # fmt: skip
        gen, ver = bench_proofs(led, args.repeat)
        print(f"inclusion proof at {led.size:,} leaves: generate {gen:.3f} ms, "
              f"verify {ver:.3f} ms (target <= 1 ms)")  # fmt: skip
        led.close()
        if args.no_add:
            return
        scan, add = bench_add(folder, args.minutes, args.repeat)
        print(f"{args.minutes:g} min 16 kHz mono WAV: decode+file hash {scan:.2f} s, "
              f"ledger add {add:.2f} s, ratio {add / scan:.2f} (target <= 1.2)")  # fmt: skip


if __name__ == "__main__":
    main()
