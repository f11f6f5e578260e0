"""Benchmark of ``auditor archive audit``: hours of audio per second, parallel efficiency,
resumption after a kill, and an archive of many small files.

Inputs (made once into ``bench/out/``, which git ignores, and reused):

- an archive of ``--files`` recordings (default 120 x 10 min, 16 kHz mono 16-bit WAV: 20 h),
  speech (``../shared/corpus`` when present) over room noise and mains hum, ten per folder with
  a session record per folder, all logged in a ledger;
- ``--small`` tiny recordings (default 10,000 x 1 s, 8 kHz), never logged.

Measured (medians of ``--repeat`` runs, each with a fresh state so every file is read):

- ``--workers 1``, ``--workers 2`` and a 2-worker Dask ``LocalCluster`` (started before the
  clock, its workers without Dask's ``MALLOC_TRIM_THRESHOLD_``): hours of audio audited per
  wall-clock second, and the parallel efficiency of 2 workers (``T1 / (2 * T2)``; target
  >= 0.8); the reports must be identical, with no archive-level finding (the detectors' own
  findings inside the recordings are counted, not judged);
- resumption: ``auditor archive audit --workers 2`` killed with SIGKILL once half of the files
  are recorded, then run again: the rerun's time over a full run's (target <= 0.55);
- the small-file archive with ``--workers 2``: files per second.

Run: ``.venv/bin/python bench/bench_archive.py`` (``--quick`` for a 24-minute archive and
1,000 small files: a smoke test whose figures are not comparable with the targets). Writes
``bench/out/archive-results.json`` (``archive-results-quick.json``); exits 1 when a target is
missed and 2 when an audit does not give the expected findings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
AS_OF = date(2027, 6, 1)
RATE = 16000


def _make_one(args: tuple[str, float, int]) -> None:
    import soundfile as sf
    from _inputs import Hearing

    path, seconds, seed = args
    tmp = path + ".tmp.wav"
    hearing = Hearing(RATE, 1, gap=(0, 0), seed=seed)
    with sf.SoundFile(tmp, "w", samplerate=RATE, channels=1, subtype="PCM_16") as snd:
        for blk in hearing.blocks(int(seconds * RATE)):
            snd.write(blk)
    os.replace(tmp, path)


def make_archive(out: Path, files: int, seconds: float) -> tuple[Path, Path]:
    """The archive folder and its ledger, generated once (two processes) and cached."""
    from auditor.ledger._signing import SigningKey
    from auditor.ledger.recording import add_recording_at
    from auditor.ledger.store import Ledger

    arc = out / f"archive-{files}x{int(seconds)}s"
    ledger = out / f"archive-{files}x{int(seconds)}s.db"
    note = arc / ".made.json"
    meta = {"version": 1, "files": files, "seconds": seconds, "rate": RATE}
    if note.is_file() and json.loads(note.read_text()) == meta and ledger.is_file():
        return arc, ledger
    shutil.rmtree(arc, ignore_errors=True)
    ledger.unlink(missing_ok=True)
    print(f"  generating {files} x {seconds:.0f} s recordings into {arc} ...", flush=True)
    t0 = time.perf_counter()
    jobs = []
    for i in range(files):
        folder = arc / f"court-{i // 40}" / f"day-{i // 10:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        jobs.append((str(folder / f"rec-{i:04d}.wav"), seconds, 1000 + i))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_make_one, jobs))
    key = SigningKey.from_seed(bytes(32))
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with Ledger.create(ledger, key=key, origin="bench.example/archive", now=now) as led:
        for d in range(0, files, 10):
            folder = Path(jobs[d][0]).parent
            start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(days=d // 10)
            names = [Path(p).name for p, _, _ in jobs[d : d + 10]]
            record = {
                "schema": "auditor.session/1", "court": f"Court {d // 40}",
                "case": f"2-{d // 10}/2026", "start": start.isoformat(),
                "end": (start + timedelta(seconds=seconds * len(names))).isoformat(),
                "recordings": [{"file": n, "start": (start + timedelta(seconds=seconds * k))
                                .isoformat()} for k, n in enumerate(names)],
                "verdict_in_force": "2027-01-01",
            }  # fmt: skip
            (folder / "session.json").write_text(json.dumps(record, indent=1))
            for n in names:
                add_recording_at(led, folder / n, key=key, now=now,
                                 session={"court": record["court"], "case": record["case"]})
    note.write_text(json.dumps(meta))
    print(f"  ... {time.perf_counter() - t0:.0f} s", flush=True)
    return arc, ledger


def make_small(out: Path, files: int) -> tuple[Path, Path]:
    """``files`` one-second recordings in folders of 100, and an empty ledger."""
    import numpy as np
    import soundfile as sf

    from auditor.ledger._signing import SigningKey
    from auditor.ledger.store import Ledger

    arc = out / f"small-{files}"
    ledger = out / f"small-{files}.db"
    note = arc / ".made.json"
    if note.is_file() and ledger.is_file():
        return arc, ledger
    shutil.rmtree(arc, ignore_errors=True)
    ledger.unlink(missing_ok=True)
    print(f"  generating {files} small recordings ...", flush=True)
    rng = np.random.default_rng(7)
    for i in range(files):
        folder = arc / f"f{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        x = (0.05 * rng.standard_normal(8000)).astype(np.float32)
        sf.write(folder / f"s{i:05d}.wav", x, 8000, subtype="PCM_16")
    Ledger.create(ledger, key=SigningKey.from_seed(bytes(32)), origin="bench.example/small",
                  now=datetime(2026, 3, 2, tzinfo=UTC)).close()
    note.write_text("{}")
    return arc, ledger


def timed_audit(arc: Path, ledger: Path, state: Path, **kw: Any) -> tuple[float, dict]:
    from auditor.archive import audit_archive

    state.unlink(missing_ok=True)
    t0 = time.perf_counter()
    result = audit_archive(arc, ledger=ledger, policy="kz-2015", as_of=AS_OF, state=state,
                           created=datetime(2027, 6, 1, tzinfo=UTC), **kw)
    return time.perf_counter() - t0, result.report


def cli(arc: Path, ledger: Path, state: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "auditor", "archive", "audit", str(arc), "--ledger",
            str(ledger), "--state", str(state), "--workers", "2", "-q", "--format", "json",
            "-o", str(out), "--as-of", AS_OF.isoformat(), "--policy", "kz-2015"]


def resume_case(arc: Path, ledger: Path, work: Path, files: int) -> dict[str, Any]:
    state = work / "resume.db"
    cmd = cli(arc, ledger, state, work / "resume.json")
    for p in (state, Path(str(state) + "-wal"), Path(str(state) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    full = time.perf_counter() - t0
    for p in (state, Path(str(state) + "-wal"), Path(str(state) + "-shm")):
        p.unlink(missing_ok=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    saved = 0
    while proc.poll() is None:
        time.sleep(0.02)
        try:
            saved = sqlite3.connect(state).execute("SELECT COUNT(*) FROM files").fetchone()[0]
        except sqlite3.Error:
            continue
        if saved >= files // 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    killed_at = time.perf_counter() - t0
    saved = sqlite3.connect(state).execute("SELECT COUNT(*) FROM files").fetchone()[0]
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL).returncode
    rerun = time.perf_counter() - t0
    return {"full_s": round(full, 3), "killed_after_s": round(killed_at, 3),
            "files_saved_at_kill": saved, "files": files, "resume_s": round(rerun, 3),
            "resume_over_full": round(rerun / full, 3), "resume_exit": rc}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small inputs: a smoke test")
    ap.add_argument("--repeat", type=int, default=1, help="runs per mode (median)")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--only", action="append", choices=["rate", "resume", "small"])
    args = ap.parse_args()
    files, seconds, small = (12, 120.0, 1000) if args.quick else (120, 600.0, 10000)
    only = set(args.only or ["rate", "resume", "small"])
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "archive-work"
    work.mkdir(exist_ok=True)
    arc, ledger = make_archive(args.out, files, seconds)
    hours = files * seconds / 3600
    res: dict[str, Any] = {"files": files, "hours": hours, "cpus": os.cpu_count(),
                           "load_start": os.getloadavg(), "repeat": args.repeat}
    bad = False
    if "rate" in only:
        import dask
        from distributed import LocalCluster

        # Dask's workers default to MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and unmap
        # every array over 128 KiB: it doubles the scan's time (measured); unset it, as the
        # README tells cluster operators to
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})

        reports = {}
        for mode, kw in (("workers1", {"workers": 1}), ("workers2", {"workers": 2})):
            times = []
            for _ in range(args.repeat):
                t, reports[mode] = timed_audit(arc, ledger, work / f"{mode}.db", **kw)
                times.append(t)
            res[mode] = {"s": round(statistics.median(times), 3), "runs": times,
                         "hours_per_s": round(hours / statistics.median(times), 3)}
            print(f"  {mode}: {res[mode]['s']:.1f} s, {res[mode]['hours_per_s']:.2f} h/s")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=50) as cluster:
            times = []
            for _ in range(args.repeat):
                t, reports["dask2"] = timed_audit(arc, ledger, work / "dask.db",
                                                  scheduler=cluster.scheduler_address)
                times.append(t)
        res["dask2"] = {"s": round(statistics.median(times), 3), "runs": times,
                        "hours_per_s": round(hours / statistics.median(times), 3)}
        print(f"  dask2: {res['dask2']['s']:.1f} s, {res['dask2']['hours_per_s']:.2f} h/s")
        eff = res["workers1"]["s"] / (2 * res["workers2"]["s"])
        res["efficiency_2_workers"] = {"value": round(eff, 3), "target": 0.8, "met": eff >= 0.8}
        texts = {json.dumps(r, sort_keys=True) for r in reports.values()}
        res["identical_reports"] = len(texts) == 1
        archive_level = [f for f in reports["workers1"]["findings"]
                         if f["detector"] in ("ledger", "retention", "quality", "continuity")]
        res["scan_findings"] = reports["workers1"]["summary"]["by_kind"]
        if len(texts) != 1 or archive_level:
            print("  the modes disagree, or the clean archive has archive-level findings",
                  file=sys.stderr)
            return 2
        bad |= eff < 0.8
    if "resume" in only:
        r = resume_case(arc, ledger, work, files)
        r["target"], r["met"] = 0.55, r["resume_over_full"] <= 0.55
        res["resume"] = r
        print(f"  resume: {r['resume_s']:.1f} s after a kill at {r['files_saved_at_kill']}/"
              f"{files} files, full run {r['full_s']:.1f} s: {r['resume_over_full']:.2f}")
        bad |= not r["met"]
    if "small" in only:
        sarc, sledger = make_small(args.out, small)
        t, report = timed_audit(sarc, sledger, work / "small.db", workers=2)
        if len(report["files"]) != small:
            return 2
        res["small"] = {"files": small, "s": round(t, 3), "files_per_s": round(small / t, 1)}
        print(f"  small: {small} files in {t:.1f} s ({small / t:.0f} files/s)")
    res["load_end"] = os.getloadavg()
    name = "archive-results-quick.json" if args.quick else "archive-results.json"
    (args.out / name).write_text(json.dumps(res, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
