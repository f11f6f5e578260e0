"""Ledger speed: batch appends, proofs on 1,000,000 leaves, and `ledger add` vs decode+hash.

Run: .venv/bin/python bench/bench_ledger.py [--leaves 1000000] [--repeat 5] [--minutes 120]
Prints medians over ``--repeat`` runs. Targets (issue 5): >= 10,000 appends/s in batch;
inclusion proof generation and verification <= 1 ms at 1,000,000 leaves; `ledger add` of a
2 h 16 kHz mono WAV <= 1.2x the decode + file hash that `auditor scan` does on the same file.
"""

from __future__ import annotations

import argparse
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


def bench_appends(folder: Path, leaves: int, batch: int = 100_000) -> tuple[Ledger, float]:
    led = Ledger.create(folder / "big.db", key=KEY, origin=ORIGIN, now=NOW)
    rates = []
    done = 1
    while done < leaves:
        n = min(batch, leaves - done)
        entries = _chunks(0, done, n)
        t = time.perf_counter()
        led.append_at(entries, key=KEY, now=NOW)
        rates.append(n / (time.perf_counter() - t))
        done += n
    return led, statistics.median(rates)


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        led, rate = bench_appends(folder, args.leaves)
        print(f"append, batches of 100,000: median {rate:,.0f} leaves/s (target >= 10,000)")
        gen, ver = bench_proofs(led, args.repeat)
        print(f"inclusion proof at {led.size:,} leaves: generate {gen:.3f} ms, "
              f"verify {ver:.3f} ms (target <= 1 ms)")  # fmt: skip
        led.close()
        scan, add = bench_add(folder, args.minutes, args.repeat)
        print(f"{args.minutes:g} min 16 kHz mono WAV: decode+file hash {scan:.2f} s, "
              f"ledger add {add:.2f} s, ratio {add / scan:.2f} (target <= 1.2)")  # fmt: skip


if __name__ == "__main__":
    main()
