"""Check that ``auditor scan`` still writes the same reports, byte for byte, as a reference tree.

A change that makes the scan faster must not change a single finding, number or word of its
reports. This script scans a fixed set of recordings with a reference checkout of the code
(``--base``, for example a ``git worktree`` of the commit before the change) once, keeping its
JSON reports, and then with the code under test, and compares the two byte for byte. Both runs
set ``SOURCE_DATE_EPOCH`` so the ``created`` field matches too.

The set: the benchmark's 2 h speech hearing and its 2 h noise-burst recording (``bench_scan.py
--only wav`` / ``--only bursts``, with every detector, with the core detectors only, and with
``--grid 50``), their 64 kbit/s MP3 and AAC copies when present, the ``samples/`` demo files,
a 10-minute 48 kHz stereo excerpt of the 8 h recording (``--only rss --keep``) when it is
there, and a few of the splice stress-test hearings (``bench/out/stress-test``, WAV, MP3 and M4A),
which are copied into the output folder when the reference is made, so a later rebuild of that
folder does not change what is compared.

Usage::

    git worktree add ../auditor-base <commit>
    python bench/check_identical.py --base ../auditor-base      # once: the reference reports
    python bench/check_identical.py                             # after every change
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "identical"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
STRESS = ("tes-000-gated.wav", "tes-000-gated.m4a", "tes-021-distance.wav",
          "tes-021-distance.mp3", "tes-004-nohum.wav", "tes-1000-cut.wav",
          "tes-1021-insert.mp3", "tes-003-tonal.m4a")
STEREO = "hearing-48k-2ch-600s.wav"
CORE = ("digital_silence,dropout,silence,timestamp_gap,level_jump,format_change,video_gap,"
        "video_black,video_frozen")


def cases(inputs: Path) -> list[tuple[str, Path, list[str]]]:
    """``(name, file, extra arguments)`` of every scan compared."""
    out: list[tuple[str, Path, list[str]]] = []
    bench = HERE / "out"
    for stem in ("hearing-16k-1ch-7200s", "bursts-16k-1ch-7200s"):
        wav = bench / f"{stem}.wav"
        if wav.is_file():
            out += [(stem, wav, []), (f"{stem}-core", wav, ["--detectors", CORE]),
                    (f"{stem}-grid50", wav, ["--grid", "50"])]
        for ext in ("mp3", "m4a"):
            lossy = bench / f"{stem}.{ext}"
            if lossy.is_file():
                out.append((f"{stem}-{ext}", lossy, []))
    for wav in sorted((ROOT / "samples").glob("*.wav")):
        out.append((f"sample-{wav.stem}", wav, []))
    for name in STRESS:
        path = inputs / name
        if path.is_file():
            out.append((f"stress-{name.replace('.', '-')}", path, []))
    out.append(("stress-tes-021-distance-wav-grid60", inputs / "tes-021-distance.wav",
                ["--grid", "60"]))
    stereo = inputs / STEREO
    if stereo.is_file():
        out.append(("stereo-48k-600s", stereo, []))
    return out


def cut_stereo(inputs: Path) -> None:
    """A 10-minute 48 kHz stereo excerpt of the benchmark's 8 h recording, when it is there
    (``bench_scan.py --only rss --keep``): the only stereo input of the set."""
    src = HERE / "out" / "hearing-48k-2ch-28800s.wav"
    if src.is_file() and not (inputs / STEREO).is_file():
        from _inputs import ffmpeg

        subprocess.run([ffmpeg(), "-nostdin", "-v", "error", "-i", str(src), "-t", "600",
                        "-c", "copy", str(inputs / STEREO)], check=True)


def scan(tree: Path, path: Path, extra: list[str], report: Path) -> float:
    """Scan ``path`` with the code in ``tree``; the wall time (s)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "SOURCE_DATE_EPOCH": EPOCH}
    cmd = [sys.executable, "-m", "auditor", "scan", str(path), "--format", "json", "-o",
           str(report), "-q", *extra]
    t0 = time.perf_counter()
    # run from the tree: ``python -m`` puts the working directory first on sys.path
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=tree)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scan of {path} failed (exit {proc.returncode}):\n{proc.stderr}")
    return wall


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def first_difference(a: Path, b: Path) -> str:
    """Where two reports part: the first differing line of their pretty-printed JSON."""
    la = json.dumps(json.loads(a.read_text()), indent=1, sort_keys=True).splitlines()
    lb = json.dumps(json.loads(b.read_text()), indent=1, sort_keys=True).splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            return f"line {i}: {x.strip()!r} != {y.strip()!r}"
    return f"lengths {len(la)} != {len(lb)}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--base", type=Path,
                    help="make the reference reports with the code in this tree (a checkout)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the code under test")
    ap.add_argument("--out", type=Path, default=OUT, help="reference reports and inputs")
    ap.add_argument("--only", action="append", help="only cases whose name contains this")
    args = ap.parse_args(argv)
    ref, inputs = args.out / "reference", args.out / "inputs"
    if args.base is not None:
        ref.mkdir(parents=True, exist_ok=True)
        inputs.mkdir(parents=True, exist_ok=True)
        for name in STRESS:
            src = HERE / "out" / "stress-test" / name
            if src.is_file() and not (inputs / name).is_file():
                shutil.copy2(src, inputs / name)
        cut_stereo(inputs)
    chosen = [c for c in cases(inputs) if not args.only or any(o in c[0] for o in args.only)]
    failed = 0
    for name, path, extra in chosen:
        if args.base is not None:
            wall = scan(args.base, path, extra, ref / f"{name}.json")
            print(f"reference {name}: {wall:.1f} s", flush=True)
            continue
        want = ref / f"{name}.json"
        if not want.is_file():
            print(f"SKIP {name}: no reference (make it with --base)")
            continue
        got = args.out / "current" / f"{name}.json"
        got.parent.mkdir(parents=True, exist_ok=True)
        wall = scan(args.tree, path, extra, got)
        same = got.read_bytes() == want.read_bytes()
        failed += not same
        print(f"{'same' if same else 'DIFF'} {name}: {wall:.1f} s {digest(got)}"
              + ("" if same else f"  ({first_difference(want, got)})"), flush=True)
    if args.base is None:
        print(f"{len(chosen) - failed} of {len(chosen)} reports identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
