"""What logging a content fingerprint adds to `ledger add`: wall time and ledger bytes.

Run: .venv/bin/python bench/bench_ledger_fingerprint.py [--minutes 20] [--repeat 5]
     [--rate 16000] [--channels 1]

A hearing WAV (corpus speech over room noise and hum, bench/_inputs.py) and its 64 kbit/s MP3
are added to fresh ledgers with and without the fingerprint, alternately, ``--repeat`` times;
medians of wall time are printed with the overhead, and the fingerprint entry's size per
minute of audio (its base64 ``data``, and the whole entry as stored). Targets (issue 21): at
most +10 % of `ledger add` wall time, at most 2 KB per minute in the ledger.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _inputs import HERE, make_lossy, make_wav

from auditor.ledger._signing import SigningKey
from auditor.ledger.recording import add_recording_at
from auditor.ledger.store import Ledger

KEY = SigningKey.from_seed(bytes(range(32)))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _add(folder: Path, path: Path, run: int,
         fingerprint: bool) -> tuple[float, float, bytes | None]:
    led = Ledger.create(folder / f"{path.suffix[1:]}-{run}-{int(fingerprint)}.db", key=KEY,
                        origin="bench.example/log", now=NOW)
    t, c = time.perf_counter(), time.process_time()
    add_recording_at(led, path, key=KEY, now=NOW, fingerprint=fingerprint)
    spent, cpu = time.perf_counter() - t, time.process_time() - c
    last = led.data(led.size - 1)
    led.close()
    return spent, cpu, (last if fingerprint else None)


def bench(path: Path, repeat: int, minutes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _add(folder, path, -1, True)   # warm the page cache and the imports
        plain, with_fp, entry = [], [], b""
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for run in range(repeat):
            for fingerprint in ((False, True) if run % 2 == 0 else (True, False)):
                spent, used, data = _add(folder, path, run, fingerprint)
                (with_fp if fingerprint else plain).append(spent)
                cpu[fingerprint].append(used)
                entry = data or entry
    a, b = statistics.median(plain), statistics.median(with_fp)
    ca, cb = statistics.median(cpu[False]), statistics.median(cpu[True])
    fields = json.loads(entry)
    print(f"{path.name}: ledger add {a:.2f} s without the fingerprint, {b:.2f} s with it: "
          f"+{100 * (b - a) / a:.1f} % (target <= 10 %); runs without {_fmt(plain)}, "
          f"with {_fmt(with_fp)}")
    print(f"  CPU time of this process (all threads; ffmpeg's own is not counted): {ca:.2f} s "
          f"without, {cb:.2f} s with: +{cb - ca:.2f} s")
    print(f"  fingerprint entry: data {len(fields['data']) / minutes:.0f} B/min in base64, "
          f"whole entry {len(entry) / minutes:.0f} B/min (target <= 2048)")


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rate", type=int, default=16000)
    parser.add_argument("--channels", type=int, default=1)
    args = parser.parse_args()
    out = HERE / "out" / "ledger-fingerprint"
    out.mkdir(parents=True, exist_ok=True)
    wav = make_wav(out, args.minutes * 60, args.rate, args.channels)
    mp3 = make_lossy(out, wav, "mp3")
    print(f"{args.minutes:g} min, {args.rate} Hz, {args.channels} channel(s); median of "
          f"{args.repeat} runs each, wall seconds")
    for path in (wav, mp3):
        bench(path, args.repeat, args.minutes)


if __name__ == "__main__":
    main()
