"""Accuracy of splice detection on real recordings, the calibration of its confidence, and
the cost of splice detection in ``auditor scan``.

Hearings (``_splice_cases.py``) are built from ``../shared/corpus``: real speech over room noise
and, in the ``hum`` cases, mains hum following a real ENF reference; then cut, inserted into
from another recording, or replaced, with the exact sample of every join recorded. Some are
re-encoded to 64 kbit/s MP3 (and AAC with ``--aac``) after editing. Every file is scanned with
``scan_file(path, ScanParams(detectors=("splice",), splice_min_confidence=0))`` so every fused
candidate is kept; a finding is a candidate whose confidence reaches the reporting threshold
(``ScanParams.splice_min_confidence``). Scored per case type and per cue: recall, precision,
false alarms per hour, location error, ENF applicability (``_splice_metrics.py``).

``--calibrate`` also builds a *training* set (seed + 1), fits the confidence model on it, writes
``auditor/detect/splice_calibration.json``, and reports calibration (reliability table, Brier
score) on the *test* set (``--seed``), whose figures then use the new table.

Speed: ``scan_file`` on the 2 h 16 kHz mono WAV of ``bench_scan.py`` with every detector
(splice included) against every detector but splice, median of 3, interleaved.

Usage::

    python bench/bench_splice.py                  # the figures (12 h of hearings per seed)
    python bench/bench_splice.py --quick          # one short hearing per case type: a smoke test
    python bench/bench_splice.py --calibrate      # fit the confidence table, then the figures
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import _splice_cases as sc  # noqa: E402 - bench/ is on sys.path when run as a script
import _splice_metrics as sm  # noqa: E402
from _splice_report import table, targets  # noqa: E402

from auditor.detect import REGISTRY, ScanParams
from auditor.detect.splice import CALIBRATION_FILE, Calibration, load_calibration
from auditor.scan import scan_file

HERE = Path(__file__).resolve().parent
CAL_PATH = HERE.parent / "auditor" / "detect" / "splice" / CALIBRATION_FILE
TOL = 0.5  # seconds between a finding and a join for a match


def groups_of(fs: Any) -> list[dict[str, Any]]:
    """Every fused candidate of a scan, as the metrics read it."""
    out = []
    for f in fs.findings:
        if f.kind != "splice":
            continue
        cues = f.evidence["cues"]
        out.append({"time": round(float(f.start), 4),
                    "uncertainty": f.evidence["location_uncertainty"],
                    "strengths": {c: v["strength"] for c, v in cues.items()},
                    "cue_times": {c: v["time"] for c, v in cues.items()},
                    "confidence": f.confidence})
    return out


def run_hearing(job: tuple[int, sc.Case, float, str, bool]) -> dict[str, Any]:
    """Build one hearing (and its re-encodings), scan every file, delete them unless kept."""
    seed, case, seconds, folder, keep = job
    out = Path(folder)
    t0 = time.perf_counter()
    truth = sc.build(seed, case, seconds, out)
    built = time.perf_counter() - t0
    params = ScanParams(detectors=("splice",), splice_min_confidence=0.0)
    recs = []
    for kind, meta in truth["files"].items():
        path = out / meta["path"]
        t1 = time.perf_counter()
        fs = scan_file(path, params)
        ctype = f"{case.op}/{'hum' if case.hum else 'nohum'}" + ("" if kind == "wav"
                                                                 else f"/{kind}")
        recs.append({"case": ctype, "file": meta["path"], "seconds": fs.decoded_duration,
                     "truth": [round((j["sample"] + meta["offset"]) / sc.RATE, 6)
                               for j in truth["joins"]],
                     "where": [truth["edits"][j["edit"]]["where"] for j in truth["joins"]],
                     "enf_step": [j["enf_phase_step"] for j in truth["joins"]],
                     "checks": fs.checks.get("splice", {}), "groups": groups_of(fs),
                     "scan_s": round(time.perf_counter() - t1, 3)})
        if not keep:
            path.unlink()
    (out / f"{case.name}.truth.json").write_text(json.dumps(truth, indent=1))
    return {"name": case.name, "build_s": round(built, 3), "records": recs}


def plan(seed: int, hours: float, seconds: float, aac: bool) -> list[tuple[int, sc.Case]]:
    enc = ("mp3", "aac") if aac else ("mp3",)
    # clean hum hearings twice as often: false alarms per hour need the hours
    kinds = [("cut", True, enc), ("insert", True, enc), ("clean", True, enc),
             ("cut", False, ()), ("insert", False, ()), ("clean", False, ()),
             ("replace", True, ()), ("clean", True, enc)]
    n = max(len(kinds), round(hours * 3600 / seconds))
    return [(seed, sc.Case(i, *kinds[i % len(kinds)])) for i in range(n)]


def run_set(seed: int, hours: float, seconds: float, aac: bool, jobs: int, folder: Path,
            keep: bool) -> list[dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    work = [(s, c, seconds, str(folder), keep) for s, c in plan(seed, hours, seconds, aac)]
    print(f"  seed {seed}: {len(work)} hearings of {seconds / 60:.1f} min into {folder}",
          flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = []
        for i, res in enumerate(pool.map(run_hearing, work)):
            done.append(res)
            if (i + 1) % max(1, len(work) // 10) == 0:
                print(f"    {i + 1}/{len(work)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return done


def score_all(hearings: list[dict[str, Any]], threshold: float,
              cal: Calibration | None) -> dict[str, Any]:
    by: dict[str, list[dict[str, Any]]] = {}
    for h in hearings:
        for r in h["records"]:
            by.setdefault(r["case"], []).append(r)
    return {ct: sm.score(recs, threshold=threshold, tol=TOL, cal=cal)
            for ct, recs in sorted(by.items())}


def labelled(hearings: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[bool]]:
    groups, labels = [], []
    for h in hearings:
        for r in h["records"]:
            groups += r["groups"]
            labels += sm.label_groups(r, TOL)
    return groups, labels


def long_hearing(out: Path, seconds: float, seed: int) -> Path:
    """A long 16 kHz mono hearing with real-ENF hum for the speed measure: clean 9.5-minute
    hearings end to end (each joint is an edit, as in a recording assembled from parts)."""
    import numpy as np
    import soundfile as sf

    path = out / f"splice-speed-{int(seconds)}s.wav"
    meta = {"version": sc.BUILD_VERSION, "seed": seed, "seconds": seconds}
    side = path.with_name(path.name + ".json")
    if path.is_file() and side.is_file() and json.loads(side.read_text()) == meta:
        return path
    print(f"  generating {path.name} ...", flush=True)
    n, written, i = int(seconds * sc.RATE), 0, 0
    tmp = path.with_suffix(".tmp.wav")
    with sf.SoundFile(tmp, "w", samplerate=sc.RATE, channels=1, subtype="PCM_16") as snd:
        while written < n:
            y = sc.compose(seed, sc.Case(1000 + i, "clean", True), 570.0)[3][: n - written]
            snd.write(np.clip(y, -1.0, 1.0))
            written += y.size
            i += 1
    tmp.replace(path)
    side.write_text(json.dumps(meta))
    return path


def speed(wav: Path, seconds: float, repeat: int) -> dict[str, Any]:
    """Median wall time of scan_file with and without splice detection on one WAV."""
    without = tuple(n for n in REGISTRY if n != "splice")
    modes = {"all detectors": ScanParams(), "all but splice": ScanParams(detectors=without)}
    walls: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(repeat):
        for m, p in modes.items():
            t0 = time.perf_counter()
            scan_file(wav, p)
            walls[m].append(time.perf_counter() - t0)
    med = {m: statistics.median(w) for m, w in walls.items()}
    return {"file": wav.name, "seconds": seconds, "repeat": repeat,
            "wall_s": {m: round(v, 3) for m, v in med.items()},
            "walls": {m: [round(x, 3) for x in w] for m, w in walls.items()},
            "x_realtime": {m: round(seconds / v, 1) for m, v in med.items()},
            "ratio": round(med["all detectors"] / med["all but splice"], 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="one 4-minute hearing per case type")
    ap.add_argument("--hours", type=float, default=12.0, help="hours of hearings per seed")
    ap.add_argument("--minutes", type=float, default=9.5, help="length of one hearing")
    ap.add_argument("--seed", type=int, default=2015, help="test seed (training: seed + 1)")
    ap.add_argument("--calibrate", action="store_true",
                    help="fit the confidence table on seed + 1 and write it into the package")
    ap.add_argument("--table", type=Path, default=CAL_PATH,
                    help="where --calibrate writes the table (default: into the package)")
    ap.add_argument("--aac", action="store_true", help="also re-encode to 64 kbit/s AAC")
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2), help="processes (max 2)")
    ap.add_argument("--no-speed", action="store_true", help="skip the scan speed measure")
    ap.add_argument("--keep", action="store_true", help="keep the generated audio")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="results folder")
    args = ap.parse_args(argv)
    if not sc.corpus_present():
        print(f"../shared/corpus is not present at {sc.CORPUS}", file=sys.stderr)
        return 2
    hours, seconds = (0.45, 240.0) if args.quick else (args.hours, args.minutes * 60)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="splice-", dir=out)) if not args.keep \
        else out / "splice"
    threshold = ScanParams().splice_min_confidence
    shipped = load_calibration()
    res: dict[str, Any] = {"quick": args.quick, "seed": args.seed, "hours": hours,
                           "hearing_seconds": seconds, "tolerance_s": TOL,
                           "threshold": threshold, "build_version": sc.BUILD_VERSION}
    t0 = time.perf_counter()
    try:
        cal = shipped
        if args.calibrate:
            print("[train]", flush=True)
            train = run_set(args.seed + 1, hours, seconds, args.aac, args.jobs,
                            work / "train", args.keep)
            g, y = labelled(train)
            if sum(y) and len(y) - sum(y):
                meta = {"train_seed": args.seed + 1, "test_seed": args.seed, "hours": hours,
                        "tolerance_s": TOL}
                cal = sm.fit_calibration(g, y, meta=meta)
                args.table.write_text(json.dumps(cal.to_json(), indent=1, sort_keys=True)
                                      + "\n")
                load_calibration.cache_clear()
                print(f"  wrote {args.table} ({cal.version})", flush=True)
            else:
                print("  not fitted: the training set needs both real and false candidates",
                      flush=True)
        print("[test]", flush=True)
        test = run_set(args.seed, hours, seconds, args.aac, args.jobs, work / "test",
                       args.keep)
        res["calibration"] = cal.to_json() if cal else None
        res["cases"] = score_all(test, threshold, cal)
        g, y = labelled(test)
        res["reliability"] = sm.reliability([sm.group_confidence(x["strengths"], cal)
                                             for x in g], y)
        if args.calibrate and shipped is not None and cal is not shipped:
            res["reliability_before"] = sm.reliability(
                [sm.group_confidence(x["strengths"], shipped) for x in g], y)
        res["build_s"] = round(sum(h["build_s"] for h in test), 1)
        res["scan_s"] = round(sum(r["scan_s"] for h in test for r in h["records"]), 1)
        res["hearings"] = test
        if not args.no_speed:
            print("[speed]", flush=True)
            from _inputs import make_wav

            secs, rep = (600.0, 1) if args.quick else (7200.0, 3)
            res["speed"] = speed(long_hearing(out, secs, args.seed), secs, rep)
            # bench_scan.py's input: its synthetic hum wanders far faster than a grid does
            res["speed_synthetic_hum"] = speed(make_wav(out, secs, 16000, 1), secs, rep)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    res["wall_s"] = round(time.perf_counter() - t0, 1)
    res["targets"] = targets(res)
    name = "splice-results-quick.json" if args.quick else "splice-results.json"
    (out / name).write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    print()
    print(table(res))
    print(f"\nwritten: {out / name}")
    return 0 if all(t["met"] for t in res["targets"] if t["met"] is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
