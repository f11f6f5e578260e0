"""False alarms of splice detection on unedited hearings it has never seen, and recall next to
them, on a split of voices, rooms and mains references (``_voices.py``).

Unedited stress hearings (gated microphones, court-room SNR, a quiet room, machine tones, no
hum, speakers at several distances) and edited hearings (cuts, insertions) are built from one
split (``_stress_cases.py``), each written as 16 kHz WAV and copied to 64 kbit/s MP3 and AAC,
cached in ``--out``. Every file is scanned with ``auditor.scan.scan_file`` and
``splice_min_confidence = 0`` (every fused candidate kept; a *reported* finding is one at or
above the default reporting threshold, at ``warning`` or ``high``). Reported: false alarms per
hour of unedited audio at ``warning`` and above and at ``high``, per stress kind, encoding, cue
and severity; recall of the edited hearings' joins; recall against false alarms per hour as the
confidence threshold rises.

Usage::

    python bench/fetch_voices.py                       # once: the extra voices
    python bench/bench_splice_fa.py --quick            # ~20 min of audio: a smoke test
    python bench/bench_splice_fa.py                    # the figures: 12 h of test-split hearings
    python bench/bench_splice_fa.py --split calibration --hours 6
    python bench/fetch_independent.py ...              # once: the held-out material
    python bench/bench_splice_fa.py --split independent --hours 4   # the independent check
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _splice_cases as sc  # noqa: E402
import _stress_cases as st  # noqa: E402
import _voices as vo  # noqa: E402
import numpy as np  # noqa: E402

TOL = 0.5  # s between a finding and a join for a match
#: confidence thresholds of the recall / false-alarm curve, besides the scan's report threshold
#: (default_threshold: at a prior of one edited join per 10 hours confidences are small): the
#: stricter ones a user may choose with --splice-min-confidence
THRESHOLDS = (0.002, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 0.8)
LEVELS = {"info": 0, "warning": 1, "high": 2}


def default_threshold() -> float:
    try:
        from auditor.detect import ScanParams

        return float(ScanParams().splice_min_confidence)
    except Exception:  # the package layout may change: 0.5 is the documented default
        return 0.5


# ----------------------------------------------------------------------------- build


def build(case: st.Case, folder: Path) -> dict[str, Any]:
    """Write the case's WAV, MP3 and AAC copies (unless cached) and return its truth."""
    import soundfile as sf

    from auditor.media import transcode

    key = {"build": st.BUILD_VERSION, "splice_build": sc.BUILD_VERSION, "split": case.split,
           "kind": case.kind, "index": case.index, "seconds": case.seconds}
    note = folder / f"{case.name}.json"
    if note.is_file():
        truth = json.loads(note.read_text())
        if truth.get("key") == key and all((folder / f["path"]).is_file()
                                           for f in truth["files"].values()):
            return truth
    host, edits, y, joins = st.compose(case)
    wav = folder / f"{case.name}.wav"
    sf.write(wav, np.clip(y, -1.0, 1.0), st.RATE, subtype="PCM_16")
    files = {"wav": {"path": wav.name, "offset": 0}}
    for enc in ("mp3", "aac"):
        ext, opts = sc.ENCODINGS[enc]
        dst = transcode(wav, folder / f"{case.name}.{ext}", options=opts)
        files[enc] = {"path": dst.name,
                      "offset": sc.decoder_offset(y, dst) if case.edited else 0}
    truth = {"key": key, "name": case.name, "kind": case.kind, "seconds": y.size / st.RATE,
             "files": files, "joins": joins, "scene": st.describe(host),
             "edits": [{"op": e.op, "at": e.at, "removed": e.removed, "inserted": e.inserted,
                        "where": e.where} for e in edits]}
    note.write_text(json.dumps(truth, indent=1, default=float))
    return truth


# ----------------------------------------------------------------------------- scan


def _scan(path: Path) -> tuple[list[dict[str, Any]], float, dict[str, Any]]:
    """(findings as JSON dicts, decoded seconds, splice checks); in process, or through the CLI
    when the library's layout has moved (then only reported findings are seen)."""
    try:
        from auditor.detect import ScanParams
        from auditor.scan import scan_file
    except ImportError:
        out = subprocess.run([sys.executable, "-m", "auditor", "scan", str(path), "--format",
                              "json", "--fail-on", "high"], capture_output=True, text=True)
        rep = json.loads(out.stdout)
        return rep["findings"], float(rep["files"][0]["duration"]), {}
    fs = scan_file(path, ScanParams(splice_min_confidence=0.0))
    finds = [f.to_json() if hasattr(f, "to_json") else {
        "kind": f.kind, "start": f.start, "severity": f.severity, "confidence": f.confidence,
        "detector": f.detector, "evidence": f.evidence} for f in fs.findings]
    checks = {k: v for k, v in fs.checks.items() if k.startswith("splice")}
    return finds, float(fs.decoded_duration), checks


def _compact(f: dict[str, Any]) -> dict[str, Any]:
    ev = f.get("evidence") or {}
    return {"time": round(float(f["start"]), 4), "confidence": float(f["confidence"]),
            "severity": f["severity"], "detector": f.get("detector"),
            "cues": {c: v for c, v in (ev.get("cues") or {}).items()},
            "gated": ev.get("gated")}


def run_case(job: tuple[st.Case, str]) -> dict[str, Any]:
    case, folder = job
    t0 = time.perf_counter()
    truth = build(case, Path(folder))
    built = time.perf_counter() - t0
    recs = []
    for enc, meta in truth["files"].items():
        t1 = time.perf_counter()
        finds, seconds, checks = _scan(Path(folder) / meta["path"])
        others: dict[str, int] = {}
        for f in finds:
            if f["kind"] != "splice" and LEVELS.get(f["severity"], 0) >= 1:
                others[f["kind"]] = others.get(f["kind"], 0) + 1
        recs.append({"case": case.name, "kind": case.kind, "edited": case.edited,
                     "encoding": enc, "seconds": seconds,
                     "truth": [(j["sample"] + meta["offset"]) / st.RATE for j in truth["joins"]],
                     "splice": [_compact(f) for f in finds if f["kind"] == "splice"],
                     "other_findings": others, "checks": checks,
                     "scan_s": round(time.perf_counter() - t1, 3)})
    return {"name": case.name, "build_s": round(built, 2), "records": recs}


# ----------------------------------------------------------------------------- score


def _reported(f: dict[str, Any], thr: float) -> bool:
    return f["confidence"] >= thr and LEVELS.get(f["severity"], 0) >= 1


def _near(truth: list[float], t: float) -> bool:
    return bool(truth) and min(abs(x - t) for x in truth) <= TOL


def score(recs: list[dict[str, Any]], thr: float) -> dict[str, Any]:
    """Every table of the report from the scan records."""
    clean = [r for r in recs if not r["edited"]]
    edited = [r for r in recs if r["edited"]]
    fa: dict[str, Any] = {}

    def bump(key: str, r: dict[str, Any], f: dict[str, Any] | None) -> None:
        row = fa.setdefault(key, {"hours": 0.0, "files": 0, "warning+": 0, "high": 0})
        if f is None:
            row["hours"] += r["seconds"] / 3600
            row["files"] += 1
            return
        row["warning+"] += 1
        row["high"] += f["severity"] == "high"

    by_cue: dict[str, dict[str, int]] = {}
    strengths: dict[str, list[float]] = {}
    false = []
    for r in clean:
        keys = [f"{r['kind']}/{r['encoding']}", f"all/{r['encoding']}", "all/all"]
        for k in keys:
            bump(k, r, None)
        for f in r["splice"]:
            if not _reported(f, thr):
                continue
            for k in keys:
                bump(k, r, f)
            for c, v in f["cues"].items():
                row = by_cue.setdefault(c, {"warning+": 0, "high": 0, "lead": 0})
                row["warning+"] += 1
                row["high"] += f["severity"] == "high"
                row["lead"] += f["detector"] == c
                strengths.setdefault(c, []).append(float(v.get("strength", 0.0)))
            false.append({"case": r["case"], "encoding": r["encoding"], **f})
    for row in fa.values():
        h = row["hours"]
        row["hours"] = round(h, 3)
        row["warning+_per_h"] = round(row["warning+"] / h, 2) if h else None
        row["high_per_h"] = round(row["high"] / h, 2) if h else None
    hours = fa.get("all/all", {}).get("hours") or 0.0
    for c, row in by_cue.items():
        row["warning+_per_h"] = round(row["warning+"] / hours, 2) if hours else None
        s = np.asarray(strengths[c])
        row["strength_median"] = round(float(np.median(s)), 3)
        row["strength_p90"] = round(float(np.percentile(s, 90)), 3)
    recall: dict[str, Any] = {}
    for r in edited:
        for key in (f"{r['kind']}/{r['encoding']}", f"{r['kind']}/all"):
            row = recall.setdefault(key, {"hours": 0.0, "joins": 0, "found": 0,
                                          "found_high": 0, "false": 0})
            row["hours"] += r["seconds"] / 3600
            rep = [f for f in r["splice"] if _reported(f, thr)]
            times = [f["time"] for f in rep]
            for t in r["truth"]:
                row["joins"] += 1
                row["found"] += _near(times, t)
                row["found_high"] += _near([f["time"] for f in rep
                                            if f["severity"] == "high"], t)
            row["false"] += sum(1 for f in rep if not _near(r["truth"], f["time"]))
    for row in recall.values():
        row["recall"] = round(row["found"] / row["joins"], 3) if row["joins"] else None
        row["recall_high"] = round(row["found_high"] / row["joins"], 3) if row["joins"] else None
        row["false_per_h"] = round(row["false"] / row["hours"], 2) if row["hours"] else None
        row["hours"] = round(row["hours"], 3)
    return {"false_alarms": dict(sorted(fa.items())), "by_cue": by_cue,
            "recall": dict(sorted(recall.items())), "curve": curve(recs),
            "false_alarm_findings": sorted(false, key=lambda f: -f["confidence"])}


def curve(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pooled false alarms per hour of unedited audio and recall (cuts, insertions) at each
    confidence threshold, per encoding and over all."""
    out = []
    for thr in sorted({*THRESHOLDS, default_threshold()}):
        row: dict[str, Any] = {"threshold": thr}
        for enc in ("wav", "mp3", "aac", "all"):
            sel = [r for r in recs if enc in ("all", r["encoding"])]
            clean = [r for r in sel if not r["edited"]]
            h = sum(r["seconds"] for r in clean) / 3600
            n = sum(1 for r in clean for f in r["splice"] if _reported(f, thr))
            row[f"fa_per_h/{enc}"] = round(n / h, 2) if h else None
            for op in st.EDITED:
                ed = [r for r in sel if r["kind"] == op]
                joins = sum(len(r["truth"]) for r in ed)
                found = sum(_near([f["time"] for f in r["splice"] if _reported(f, thr)], t)
                            for r in ed for t in r["truth"])
                row[f"recall_{op}/{enc}"] = round(found / joins, 3) if joins else None
        out.append(row)
    return out


# ----------------------------------------------------------------------------- report


def table(res: dict[str, Any]) -> str:
    s = res["score"]
    lines = [f"split {res['split']}, {res['hours_unedited']:.2f} h unedited per encoding, "
             f"reporting threshold {res['threshold']}, match within {TOL} s"
             + (" (--quick: not the figures)" if res["quick"] else ""), "",
             "| stress case | encoding | files | hours | warning+ | /h | high | /h |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for key, row in s["false_alarms"].items():
        kind, enc = key.split("/")
        lines.append(f"| {kind} | {enc} | {row['files']} | {row['hours']:.2f} | "
                     f"{row['warning+']} | {row['warning+_per_h']} | {row['high']} | "
                     f"{row['high_per_h']} |")
    lines += ["", "| cue (in a false alarm) | warning+ | /h (all encodings) | high | lead cue | "
              "strength median / p90 |", "|---|---:|---:|---:|---:|---:|"]
    for c, row in sorted(s["by_cue"].items()):
        lines.append(f"| {c} | {row['warning+']} | {row['warning+_per_h']} | {row['high']} | "
                     f"{row['lead']} | {row['strength_median']} / {row['strength_p90']} |")
    lines += ["", "| edited | joins | recall (warning+) | recall (high) | false/h beside joins |",
              "|---|---:|---:|---:|---:|"]
    for key, row in s["recall"].items():
        lines.append(f"| {key} | {row['joins']} | {row['recall']} | {row['recall_high']} | "
                     f"{row['false_per_h']} |")
    lines += ["", "| threshold | FA/h all | FA/h wav | recall cut | recall insert | "
              "recall cut wav | recall insert wav |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for row in s["curve"]:
        lines.append(f"| {row['threshold']} | {row['fa_per_h/all']} | {row['fa_per_h/wav']} | "
                     f"{row['recall_cut/all']} | {row['recall_insert/all']} | "
                     f"{row['recall_cut/wav']} | {row['recall_insert/wav']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--split", choices=vo.SPLITS, default="test")
    ap.add_argument("--hours", type=float, default=12.0,
                    help="hours of unedited hearings (edited ones add a third of that)")
    ap.add_argument("--minutes", type=float, default=7.5, help="length of one hearing")
    ap.add_argument("--quick", action="store_true", help="~20 min of audio: a smoke test")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="cache and results folder")
    args = ap.parse_args(argv)
    if not vo.corpus_present():
        print(f"../shared/corpus is not present at {vo.CORPUS}", file=sys.stderr)
        return 2
    if not vo.voices_present(args.split):
        print(vo.INDEPENDENT_HINT if args.split in vo.HELD_OUT else vo.FETCH_HINT,
              file=sys.stderr)
        return 2
    hours, seconds = (0.3, 180.0) if args.quick else (args.hours, args.minutes * 60)
    folder = args.out / f"stress-{args.split}"
    folder.mkdir(parents=True, exist_ok=True)
    cases = st.plan(args.split, hours, seconds)
    print(f"{len(cases)} hearings of {seconds / 60:.1f} min ({args.split}) into {folder}",
          flush=True)
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, res in enumerate(pool.map(run_case, [(c, str(folder)) for c in cases])):
            results.append(res)
            if (i + 1) % max(1, len(cases) // 10) == 0:
                print(f"  {i + 1}/{len(cases)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    recs = [r for h in results for r in h["records"]]
    thr = default_threshold()
    res: dict[str, Any] = {
        "split": args.split, "quick": args.quick, "threshold": thr, "tolerance_s": TOL,
        "hearing_seconds": seconds, "build_version": st.BUILD_VERSION,
        "speakers": [s.name for s in vo.speakers(args.split)],
        "rooms": [r.id for r in vo.rooms(args.split)],
        "references": [r.rel for r in vo.references(args.split)],
        "hours_unedited": round(sum(r["seconds"] for r in recs
                                    if not r["edited"] and r["encoding"] == "wav") / 3600, 3),
        "score": score(recs, thr), "records": recs,
        "build_s": round(sum(h["build_s"] for h in results), 1),
        "scan_s": round(sum(r["scan_s"] for r in recs), 1),
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    name = f"splice-fa-{args.split}" + ("-quick" if args.quick else "") + ".json"
    (args.out / name).write_text(json.dumps(res, indent=1, default=float) + "\n")
    print()
    print(table(res))
    print(f"\nwall {res['wall_s']} s; written: {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
