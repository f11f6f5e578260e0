"""A checkpoint with 2 witnesses on loopback: target <= 50 ms (median).

Run: .venv/bin/python bench/bench_witness.py [--repeat 50] [--entries 1000]

Two witnesses run as real processes (`auditor witness serve` on 127.0.0.1, port 0). The ledger
(in this process) appends one entry and signs a checkpoint, then asks both witnesses for
cosignatures (`add-checkpoint` with a consistency proof from the size each last cosigned; both
asked at once), verifies and stores them: what `auditor ledger event ... --witnesses FILE` does
after its append. Prints the medians of the append, of the witnessing and of the whole, over
``--repeat`` checkpoints, and exits 1 if the whole misses the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from auditor.ledger._signing import SigningKey
from auditor.ledger.cosignature import CosignerKey
from auditor.ledger.entries import Entry
from auditor.ledger.note import VerifierKey
from auditor.ledger.store import Ledger
from auditor.ledger.witnesses import WitnessPolicy
from auditor.ledger.witnessing import witness_checkpoint
from auditor.witness.store import WitnessDB

KEY = SigningKey.from_seed(bytes(range(32)))
ORIGIN = "bench.example/log"
TARGET_MS = 50.0


def _witness(folder: Path, n: int) -> tuple[subprocess.Popen[str], CosignerKey, str]:
    key = SigningKey.from_seed(bytes([40 + n]) * 32)
    key.save(folder / f"w{n}.key")
    name = f"w{n}.bench.example/witness"
    db = WitnessDB.create(folder / f"w{n}.db", name=name, key_path=str(folder / f"w{n}.key"))
    db.add_log(VerifierKey(ORIGIN, KEY.public_bytes()), ORIGIN)
    db.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "witness", "serve",
                             str(folder / f"w{n}.db"), "--listen", "127.0.0.1:0", "--quiet"],
                            stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.split(" on ")[1].split()[0].removesuffix("/add-checkpoint")
    return proc, CosignerKey(name, key.public_bytes()), url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--entries", type=int, default=1000,
                        help="entries in the ledger before the timed checkpoints")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-witness-") as tmp:
        folder = Path(tmp)
        witnesses = [_witness(folder, n) for n in (0, 1)]
        try:
            policy = WitnessPolicy.parse([f"witness w{n} {key} {url}"
                                          for n, (_, key, url) in enumerate(witnesses)]
                                         + ["quorum 2"])  # fmt: skip
            now = datetime(2026, 1, 1, tzinfo=UTC)
            led = Ledger.create(folder / "court.db", key=KEY, origin=ORIGIN, now=now)
            led.append_at([Entry("access", {"recording": 0, "action": "export", "by": "b",
                                            "purpose": str(i)})
                           for i in range(args.entries)], key=KEY, now=now)  # fmt: skip
            assert witness_checkpoint(led, policy).quorum.met  # first contact: old size 0
            appends, witnessing, whole = [], [], []
            for i in range(args.repeat):
                t0 = time.perf_counter()
                led.append_at([Entry("access", {"recording": 0, "action": "export", "by": "b",
                                                "purpose": f"timed {i}"})], key=KEY, now=now)
                t1 = time.perf_counter()
                run = witness_checkpoint(led, policy)
                t2 = time.perf_counter()
                if not run.quorum.met:
                    print(run.describe(), file=sys.stderr)
                    return 2
                appends.append(t1 - t0)
                witnessing.append(t2 - t1)
                whole.append(t2 - t0)
            led.close()
        finally:
            for proc, _, _ in witnesses:
                proc.terminate()
                proc.wait(timeout=10)
    ms = [1000 * statistics.median(x) for x in (appends, witnessing, whole)]
    p90 = 1000 * statistics.quantiles(whole, n=10)[-1]
    print(f"checkpoints: {args.repeat} (ledger of {args.entries + 1}+ entries), "
          "2 witnesses on loopback, quorum 2")
    print(f"append + sign (median):        {ms[0]:7.2f} ms")
    print(f"2 witnesses cosign (median):   {ms[1]:7.2f} ms")
    print(f"checkpoint with 2 witnesses:   {ms[2]:7.2f} ms median, {p90:.2f} ms p90 "
          f"(target <= {TARGET_MS:g} ms: {'met' if ms[2] <= TARGET_MS else 'NOT met'})")
    return 0 if ms[2] <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
