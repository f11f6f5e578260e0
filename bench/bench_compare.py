"""Accuracy and speed of ``auditor compare`` on transcoded copies of a real-speech hearing.

For each copy format (MP3 64 and 32 kbit/s, AAC 32 kbit/s, Opus 24 kbit/s, 8 kHz mono MP3)
and each edit type (cut, insertion from the same hearing, insertion from another hearing,
muted span, replaced span: three edits of 1-60 s per copy), and for unedited copies (plain;
trimmed 0.35 s / 0.25 s, loudness-normalised, downmixed and resampled; padded 0.3 s / 0.2 s;
split into two files; compared with a reference split into two files), the benchmark reports:
edits found and missed, boundary errors in both timelines (median, max), errors of the length
of missing and inserted spans, findings that match no planted edit (false edits), and the
CPU seconds each pair costs beyond decoding (fingerprinting both sides and aligning, in this
process: CPU time, so that other jobs on the machine do not count), scaled to a 2 h pair.
Decoding (ffmpeg, which also downmixes and resamples to 8 kHz) is timed apart, as the wall time
spent waiting for its blocks.

Usage::

    python bench/bench_compare.py                # 2 h reference (the target length)
    python bench/bench_compare.py --minutes 20   # a shorter hearing
    python bench/bench_compare.py --quick        # 4 minutes, two formats: a smoke test
    python bench/bench_compare.py --minutes 20 --reference-stride 10   # a sparser reference

One process, one core. Inputs and results go to ``bench/out/compare/`` only.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _compare_cases import CLEAN, EDITS, FORMATS, OUT, Case, build_cases  # noqa: E402

from auditor.compare import (  # noqa: E402
    REFERENCE_STRIDE,
    compare_fingerprints,
    fingerprint_copy,
    fingerprint_reference,
)

#: a finding matches a planted edit of its kind when their copy spans come this close (s)
MATCH_S = 2.0


def _match(case: Case, findings: list[dict[str, Any]]) -> dict[str, Any]:
    used: set[int] = set()
    rows = []
    for p in case.planted:
        best = None
        for i, f in enumerate(findings):
            if i in used or f["kind"] != p.kind:
                continue
            gap = max(f["copy_start"] - p.copy_end, p.copy_start - f["copy_end"], 0.0)
            if gap <= MATCH_S and (best is None or abs(f["copy_start"] - p.copy_start)
                                   < abs(findings[best]["copy_start"] - p.copy_start)):
                best = i
        if best is None:
            rows.append({"planted": p.__dict__, "found": False})
            continue
        used.add(best)
        f = findings[best]
        span = (f["ref_end"] - f["ref_start"] if p.kind == "missing_in_copy"
                else f["copy_end"] - f["copy_start"])
        rows.append({"planted": p.__dict__, "found": True,
                     "boundary_copy": [abs(f["copy_start"] - p.copy_start),
                                       abs(f["copy_end"] - p.copy_end)],
                     "boundary_ref": [abs(f["ref_start"] - p.ref_start),
                                      abs(f["ref_end"] - p.ref_end)],
                     "length_error": abs(span - p.length)})
    false = [f for i, f in enumerate(findings) if i not in used]
    return {"edits": rows, "false": false}


def run_case(case: Case, ref_cache: dict[tuple[str, ...], Any], stride: int) -> dict[str, Any]:
    key = tuple(str(p) for p in case.references)
    timer: dict[str, float] = {}
    if key not in ref_cache:
        rt: dict[str, float] = {}
        ref_cache[key] = (fingerprint_reference(case.references, stride=stride, timer=rt), rt)
    ref, rt = ref_cache[key]
    copy = fingerprint_copy(case.copies, timer=timer)
    timing: dict[str, float] = {}
    result = compare_fingerprints(ref, copy, timing=timing)
    findings = [{"kind": e.kind, "copy_start": e.copy_start, "copy_end": e.copy_end,
                 "ref_start": e.ref_start, "ref_end": e.ref_end} for e in result.edits]
    scored = _match(case, findings)
    beyond = rt["fingerprint"] + timer["fingerprint"] + timing["align_s"]
    hours = max(ref.duration, copy.duration) / 7200
    return {"format": case.fmt, "case": case.name, "copies": [p.name for p in case.copies],
            "findings": findings, **scored, "offset": result.offset,
            "speed_ratio": result.speed_ratio, "coverage": result.coverage,
            "decode_s": rt["decode"] + timer["decode"],
            "fingerprint_s": rt["fingerprint"] + timer["fingerprint"],
            "align_s": timing["align_s"], "searches": timing.get("searches", 0),
            "beyond_decoding_s": beyond,
            "longest_unmatched_s": max([sg["copy_end"] - sg["copy_start"]
                                        for sg in result.segments if sg["offset"] is None],
                                       default=0.0), "beyond_per_2h_s": beyond / hours}


def _stat(values: list[float]) -> str:
    return f"{median(values):.2f} / {max(values):.2f}" if values else "-"


def table(results: list[dict[str, Any]]) -> str:
    head = ("| format | case | found | missed | false edits | boundary copy (med / max s) | "
            "boundary ref (med / max s) | length err (med / max s) | beyond decoding per 2 h "
            "(s) |\n|---|---|---:|---:|---:|---|---|---|---:|")
    lines = [head]
    for r in results:
        found = [e for e in r["edits"] if e["found"]]
        bc = [x for e in found for x in e["boundary_copy"]]
        br = [x for e in found for x in e["boundary_ref"]]
        le = [e["length_error"] for e in found
              if e["planted"]["kind"] != "altered_in_copy"]
        lines.append(f"| {r['format']} | {r['case']} | {len(found)} | "
                     f"{len(r['edits']) - len(found)} | {len(r['false'])} | {_stat(bc)} | "
                     f"{_stat(br)} | {_stat(le)} | {r['beyond_per_2h_s']:.2f} |")
    return "\n".join(lines)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    found = [e for r in results for e in r["edits"] if e["found"]]
    planted = [e for r in results for e in r["edits"]]
    bounds = [x for e in found for x in e["boundary_copy"] + e["boundary_ref"]]
    lens = [e["length_error"] for e in found if e["planted"]["kind"] != "altered_in_copy"]
    return {"planted": len(planted), "found": len(found),
            "false_edits": sum(len(r["false"]) for r in results),
            "false_edits_on_unedited": sum(len(r["false"]) for r in results
                                           if r["case"] in CLEAN),
            "boundary_max_s": max(bounds, default=0.0),
            "longest_unmatched_on_unedited_s": max((r["longest_unmatched_s"] for r in results
                                                    if r["case"] in CLEAN), default=0.0),
            "length_error_max_s": max(lens, default=0.0),
            "beyond_decoding_per_2h_max_s": max(r["beyond_per_2h_s"] for r in results),
            "beyond_decoding_per_2h_median_s": median(r["beyond_per_2h_s"] for r in results),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=120.0, help="reference length")
    ap.add_argument("--quick", action="store_true", help="4 minutes, two formats")
    ap.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    ap.add_argument("--cases", default=",".join(CLEAN + EDITS), help="comma-separated")
    ap.add_argument("--reference-stride", type=int, default=REFERENCE_STRIDE,
                    help="hops (20 ms) between the reference's stored sub-fingerprints")
    args = ap.parse_args(argv)
    minutes = 4.0 if args.quick else args.minutes
    formats = ["mp3-32k", "opus-24k"] if args.quick else args.formats.split(",")
    chosen = args.cases.split(",")
    # edit lengths are no whole number of 20 ms hops (the fingerprint's grid)
    lengths = [1.013, 3.217, 12.009] if minutes < 10 else [1.013, 7.537, 60.011]
    t0 = time.perf_counter()
    cases = build_cases(minutes * 60, formats, [c for c in EDITS if c in chosen],
                        [c for c in CLEAN if c in chosen], lengths)
    print(f"inputs ready in {time.perf_counter() - t0:.0f} s", flush=True)
    results, cache = [], {}
    for case in cases:
        r = run_case(case, cache, args.reference_stride)
        results.append(r)
        found = sum(e["found"] for e in r["edits"])
        print(f"{case.fmt:12} {case.name:15} found {found}/{len(r['edits'])} "
              f"false {len(r['false'])} offset {r['offset']:+.3f} "
              f"coverage {r['coverage']:.4f} decode {r['decode_s']:.1f} s "
              f"beyond {r['beyond_decoding_s']:.2f} s", flush=True)
    out = {"minutes": minutes, "formats": formats, "reference_stride": args.reference_stride,
           "summary": summary(results), "results": results}
    tag = f"{int(minutes)}min" + ("" if args.reference_stride == REFERENCE_STRIDE
                                  else f"-stride{args.reference_stride}")
    (OUT / f"results-{tag}.json").write_text(json.dumps(out, indent=1))
    text = table(results)
    (OUT / f"table-{tag}.md").write_text(text + "\n")
    print(text)
    print(json.dumps(out["summary"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
