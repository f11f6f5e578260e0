"""Splice benchmark output: the targets from the issue, checked, and the markdown tables."""

from __future__ import annotations

from typing import Any

from _splice_metrics import CUES  # noqa: E402 - bench/ is on sys.path when run as a script

#: (name, case type, metric, op, limit)
TARGETS = (
    ("cuts with hum: recall", "cut/hum", "recall", ">=", 0.95),
    ("insertions with hum: recall", "insert/hum", "recall", ">=", 0.95),
    ("clean with hum: false alarms per hour", "clean/hum", "false_per_hour", "<=", 1.0),
    ("clean without hum: false alarms per hour", "clean/nohum", "false_per_hour", "<=", 1.0),
    ("cuts with hum: median location error (s)", "cut/hum", "loc_err_median", "<=", 0.05),
    ("insertions with hum: median location error (s)", "insert/hum", "loc_err_median", "<=",
     0.05),
    ("cuts with hum, MP3 64k: recall", "cut/hum/mp3", "recall", ">=", 0.85),
    ("insertions with hum, MP3 64k: recall", "insert/hum/mp3", "recall", ">=", 0.85),
)
SPEED_TARGET = 3000.0


def _check(value: float | None, op: str, limit: float) -> bool | None:
    if value is None:
        return False if op == ">=" else None
    return value >= limit if op == ">=" else value <= limit


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and ``met`` (None when it could not be measured)."""
    out = []
    cases = res.get("cases", {})
    for name, ct, metric, op, limit in TARGETS:
        value = cases.get(ct, {}).get(metric)
        out.append({"name": name, "value": value, "target": f"{op} {limit:g}",
                    "met": _check(value, op, limit) if ct in cases else None})
    for key, what in (("speed", "real-ENF hearing"), ("speed_synthetic_hum",
                                                       "bench_scan's synthetic-hum WAV")):
        sp = res.get(key)
        if sp:
            x = sp["x_realtime"]["all detectors"]
            out.append({"name": f"{sp['seconds'] / 3600:g} h 16 kHz {what}, every detector "
                                "with splice: x real time",
                        "value": x, "target": f">= {SPEED_TARGET:g}",
                        "met": x >= SPEED_TARGET if not res.get("quick") else None})
    return out


def _f(v: Any, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    return "-" if v is None else fmt.format(v * scale)


def table(res: dict[str, Any]) -> str:
    """Markdown: per case type, per cue, reliability, speed, targets."""
    lines = [f"seed {res['seed']}, {res['hearing_seconds'] / 60:.1f}-minute hearings, "
             f"match within {res['tolerance_s']} s, reporting threshold {res['threshold']}, "
             f"calibration {(res.get('calibration') or {}).get('version', 'none')}"
             + (" (--quick: not the figures)" if res["quick"] else ""), ""]
    lines += ["| case | files | hours | joins | recall | speech / pause | precision | false/h | "
              "loc err median ms | p90 ms | uncertainty ms | ENF applicable | "
              "recall where ENF applicable |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for ct, m in res["cases"].items():
        bw = m.get("recall_by_where", {})
        lines.append(
            f"| {ct} | {m['files']} | {m['hours']:.2f} | {m['joins']} | {_f(m['recall'])} | "
            f"{_f(bw.get('speech'))} / {_f(bw.get('pause'))} | "
            f"{_f(m['precision'])} | {_f(m['false_per_hour'], fmt='{:.1f}')} | "
            f"{_f(m['loc_err_median'], 1000, '{:.0f}')} | {_f(m['loc_err_p90'], 1000, '{:.0f}')}"
            f" | {_f(m['uncertainty_median'], 1000, '{:.0f}')} | {_f(m['enf_applicable'])} | "
            f"{_f(m['recall_enf_applicable'])} ({m['joins_enf_applicable']}) |")
    lines += ["", "Per cue (a cue counts for a join when it is in the finding there):", "",
              "| case | " + " | ".join(f"{c} recall | {c} precision | {c} false/h"
                                       for c in CUES) + " |",
              "|---|" + "---:|" * (3 * len(CUES))]
    for ct, m in res["cases"].items():
        cells = []
        for c in CUES:
            v = m["cues"][c]
            cells += [_f(v["recall"]), _f(v["precision"]), _f(v["false_per_hour"], fmt="{:.1f}")]
        lines.append(f"| {ct} | " + " | ".join(cells) + " |")
    steps = {ct: m["recall_by_enf_step"] for ct, m in res["cases"].items()
             if m.get("recall_by_enf_step")}
    if steps:
        bins = sorted({b for v in steps.values() for b in v})
        lines += ["", "Recall by the step of the mains phase at the join (what an ENF phase cue "
                  "can see; joins in brackets):", "",
                  "| case | " + " | ".join(bins) + " |", "|---|" + "---:|" * len(bins)]
        for ct, v in steps.items():
            lines.append(f"| {ct} | " + " | ".join(
                f"{v[b]['recall']:.2f} ({v[b]['joins']})" if b in v else "-" for b in bins)
                + " |")
    rel = res.get("reliability")
    if rel:
        lines += ["", f"Calibration on the test seed: {rel['groups']} candidates, {rel['real']} "
                  f"real; Brier {_f(rel['brier'], fmt='{:.4f}')}, "
                  f"ECE {_f(rel['ece'], fmt='{:.4f}')}"
                  + (f" (before: Brier {res['reliability_before']['brier']}, ECE "
                     f"{res['reliability_before']['ece']})" if res.get("reliability_before")
                     else ""), "",
                  "| confidence | candidates | mean confidence | observed real |",
                  "|---|---:|---:|---:|"]
        for b in rel["bins"]:
            if b["n"]:
                lines.append(f"| {b['bin']} | {b['n']} | {b['mean_confidence']:.3f} | "
                             f"{b['observed']:.3f} |")
    for key in ("speed", "speed_synthetic_hum"):
        sp = res.get(key)
        if sp:
            lines += ["", f"Speed, {sp['file']} ({sp['seconds'] / 3600:.2f} h), median of "
                      f"{sp['repeat']}: every detector {sp['wall_s']['all detectors']:.2f} s "
                      f"({sp['x_realtime']['all detectors']:,.0f}x real time), without splice "
                      f"{sp['wall_s']['all but splice']:.2f} s "
                      f"({sp['x_realtime']['all but splice']:,.0f}x); ratio {sp['ratio']:.2f}"]
    lines.append("")
    for t in res["targets"]:
        mark = {True: "MET ", False: "MISS", None: "    "}[t["met"]]
        lines.append(f"{mark} {t['name']}: {_f(t['value'], fmt='{:.3f}')} "
                     f"(target {t['target']})")
    lines.append(f"\nbuild {res.get('build_s')} s, scans {res.get('scan_s')} s, "
                 f"wall {res.get('wall_s')} s")
    return "\n".join(lines)
