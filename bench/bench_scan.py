"""Speed and memory of ``auditor scan``, measured against ffmpeg on the same files in one run.

Cases (``--only NAME``):

``wav``
    2 h, 16 kHz mono 16-bit WAV with a 15 s digital gap: ``auditor scan`` (every audio detector
    and the file's SHA-256) against ``ffmpeg -af silencedetect``, with and without the splice
    detectors. Targets: the scan core (every detector but splice) ratio <= 1.0 and >= 10,000x
    real time; with splice >= 3,000x real time.
``bursts``
    The same with noise bursts at syllable rate (a 4-6 Hz envelope, the hardest input for the
    waveform cue's screening) over the hum instead of speech; the same targets, and with every
    detector the scan must take no longer than silencedetect (in both cases).
``lossy``
    The same recording as 64 kbit/s MP3 and AAC (M4A): scan against ffmpeg's bare decode
    (``-f null``). Target: the scan core's ratio <= 1.3; with splice, the ratio is reported.
``rss``
    8 h, 48 kHz stereo 16-bit WAV (about 5.5 GB, written in streamed chunks): peak RSS of the
    scan. Targets: <= 400 MB and >= 2000x real time. Runs by default; skipped (with the reason)
    when the disk has less than 15 GB free; deleted at the end unless ``--keep``.
``video``
    30 min 1280x720 25 fps H.264 MP4 with AAC audio and a 3 s black stretch: scan (audio and
    video checks) against ffmpeg decoding the file. Target: >= 20x real time.

Inputs are generated once into ``bench/out/`` (deterministic, seeded): real speech from
``../shared/corpus/speech/asterisk-en`` when present (else a synthetic speech-like signal), over
room noise and a wandering 50 Hz hum. Every scan's report is checked against what was planted,
so a fast run that finds nothing fails instead of winning. Figures are medians of ``--repeat``
runs, each tool's runs interleaved with its peer's; wall time, CPU time (user + system) and peak
RSS come from ``wait4`` on the process (the same source as ``/usr/bin/time -v``), so they include
the ffmpeg processes the scan starts. Results go to stdout and ``bench/out/results.json``.

Usage::

    python bench/bench_scan.py                 # everything (about an hour on 2 cores)
    python bench/bench_scan.py --quick         # 10-minute inputs: a smoke test
    python bench/bench_scan.py --only wav --repeat 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _inputs import (  # noqa: E402 - bench/ is on sys.path when run as a script
    HERE,
    MIN_FREE_GB,
    ROOT,
    TOLERANCE,
    _speech_clips,
    black_for,
    ffmpeg,
    gap_for,
    make_lossy,
    make_video,
    make_wav,
)

from auditor.detect import REGISTRY  # noqa: E402

CASES = ("wav", "bursts", "lossy", "rss", "video")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    rc: int
    stderr: str


TIME = Path("/usr/bin/time")
#: the scans run as installed: Python keeps the package's compiled bytecode (pip compiles it
#: at install); with PYTHONDONTWRITEBYTECODE every run would compile every module again,
#: about 0.2 s that no installed copy spends
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> Run:
    """Run ``cmd`` to completion: wall time, CPU time (user + system) and peak RSS.

    CPU time and peak RSS come from ``/usr/bin/time -v`` (which covers the ffmpeg processes
    a scan starts). Without it they come from ``wait4`` on the process, and the peak RSS is then
    an upper bound: a child started by ``vfork`` from this (large) Python process is charged
    this process's resident size until it calls ``exec``.
    """
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as tv:
        wrap = [str(TIME), "-v", "-o", tv.name] if TIME.is_file() else []
        t0 = time.perf_counter()
        proc = subprocess.Popen([*wrap, *cmd], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err, env=ENV)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
        cpu, rss_kb = ru.ru_utime + ru.ru_stime, float(ru.ru_maxrss)
        if wrap:
            stats = dict(ln.strip().rsplit(": ", 1) for ln in tv.read().splitlines()
                         if ": " in ln)
            cpu = float(stats["User time (seconds)"]) + float(stats["System time (seconds)"])
            rss_kb = float(stats["Maximum resident set size (kbytes)"])
            rc = stats.get("Exit status")
            if rc is not None:
                proc.returncode = int(rc)
    return Run(wall, cpu, rss_kb / 1024, proc.returncode, text)


#: the scan core's detectors: every one but the splice family
CORE = ",".join(n for n in REGISTRY if n != "splice")


def auditor_cmd(path: Path, report: Path, *, core: bool = False) -> list[str]:
    exe = Path(sys.executable).with_name("auditor")
    base = [str(exe)] if exe.is_file() else [sys.executable, "-m", "auditor"]
    only = ["--detectors", CORE] if core else []
    return [*base, "scan", str(path), "--format", "json", "-o", str(report), *only]


def warm(path: Path) -> None:
    """Read the file once so every timed run starts from the page cache."""
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(1 << 24)
        while fh.readinto(buf):
            pass


@dataclass
class Measure:
    tool: str
    command: str
    runs: int
    wall_s: float
    cpu_s: float
    rss_mb: float
    x_realtime: float
    walls: list[float]


def measure(tools: dict[str, list[str]], seconds: float, repeat: int,
            check: dict[str, Any]) -> dict[str, Measure]:
    """Median of ``repeat`` interleaved runs of each tool; ``check[tool](run)`` after each run.

    Each tool runs once first, untimed (and checked): the file in the page cache, the
    package's bytecode written."""
    runs: dict[str, list[Run]] = {t: [] for t in tools}
    for tool, cmd in tools.items():
        r = run(cmd)
        if tool in check:
            check[tool](r)
    for _ in range(repeat):
        for tool, cmd in tools.items():
            r = run(cmd)
            if tool in check:
                check[tool](r)
            elif r.rc != 0:
                raise SystemExit(f"{tool} failed (exit {r.rc}):\n{r.stderr[-2000:]}")
            runs[tool].append(r)
    out = {}
    for tool, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        out[tool] = Measure(tool=tool, command=" ".join(tools[tool]), runs=len(rs),
                            wall_s=round(wall, 3),
                            cpu_s=round(statistics.median(r.cpu for r in rs), 3),
                            rss_mb=round(max(r.rss_mb for r in rs), 1),
                            x_realtime=round(seconds / wall, 1),
                            walls=[round(r.wall, 3) for r in rs])
    return out


# ----------------------------------------------------------------------------- checks


class CheckFailed(AssertionError):
    pass


def load_report(r: Run, report: Path) -> dict[str, Any]:
    if r.rc not in (0, 1):
        raise CheckFailed(f"auditor scan failed (exit {r.rc}):\n{r.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    report.unlink()
    return data


def check_decoded(rep: dict[str, Any], seconds: float, *, sha: str | None = None) -> None:
    f = rep["files"][0]
    if abs(f["decoded_duration"] - seconds) > 0.5:
        raise CheckFailed(f"decoded {f['decoded_duration']} s of a {seconds} s recording")
    if sha is not None and f["sha256"] != sha:
        raise CheckFailed(f"sha256 {f['sha256']} != {sha}")


def check_gap(rep: dict[str, Any], gap: tuple[float, float], kinds: tuple[str, ...],
              tol: float) -> dict[str, Any]:
    """The finding that locates the planted gap within ``tol`` seconds at both ends."""
    g0, g1 = gap[0], gap[0] + gap[1]
    for f in rep["findings"]:
        if f["kind"] in kinds and abs(f["start"] - g0) <= tol and abs(f["end"] - g1) <= tol:
            return dict(f)
    found = [(f["kind"], f["start"], f["end"]) for f in rep["findings"]][:20]
    raise CheckFailed(f"no {'/'.join(kinds)} finding at {g0:.3f}-{g1:.3f} s (+-{tol} s); "
                      f"findings: {found}")


def scan_checker(report: Path, seconds: float, verify: Any, sink: dict[str, Any]) -> Any:
    def check(r: Run) -> None:
        rep = load_report(r, report)
        check_decoded(rep, seconds, sha=sink.get("sha256"))
        sink["finding"] = verify(rep)
        sink["findings"] = sorted({f["kind"] for f in rep["findings"]})
        sink["n_findings"] = len(rep["findings"])
    return check


# ----------------------------------------------------------------------------- cases


def case_wav(out: Path, seconds: float, repeat: int, *, bursts: bool = False) -> dict[str, Any]:
    wav = make_wav(out, seconds, 16000, 1, bursts=bursts)
    what = "noise bursts" if bursts else "WAV"
    warm(wav)
    gap = gap_for(seconds)
    report = out / ("report-bursts.json" if bursts else "report-wav.json")
    seen: dict[str, Any] = {"sha256": sha256(wav)}
    silences: list[int] = []

    def check_sd(r: Run) -> None:
        if r.rc != 0:
            raise CheckFailed(f"silencedetect failed:\n{r.stderr[-2000:]}")
        silences.append(r.stderr.count("silence_start"))

    core_report = report.with_name(report.stem + "-core.json")
    m = measure({
        "auditor scan": auditor_cmd(wav, report),
        "auditor scan, core": auditor_cmd(wav, core_report, core=True),
        "ffmpeg silencedetect": [ffmpeg(), "-nostdin", "-i", str(wav), "-af", "silencedetect",
                                 "-f", "null", "-"],
    }, seconds, repeat, {
        "auditor scan": scan_checker(report, seconds, lambda rep: check_gap(
            rep, gap, ("digital_silence",), TOLERANCE), seen),
        "auditor scan, core": scan_checker(core_report, seconds, lambda rep: check_gap(
            rep, gap, ("digital_silence",), TOLERANCE), {"sha256": seen["sha256"]}),
        "ffmpeg silencedetect": check_sd,
    })  # fmt: skip
    a, c, p = m["auditor scan"], m["auditor scan, core"], m["ffmpeg silencedetect"]
    return {
        "file": wav.name, "seconds": seconds, "size_mb": round(wav.stat().st_size / 1e6, 1),
        "gap": gap, "found": seen["finding"]["message"], "finding_kinds": seen["findings"],
        "silencedetect_spans": silences[-1],
        "measures": [asdict(a), asdict(c), asdict(p)],
        "targets": [
            target(f"2 h {what}, every detector: scan / silencedetect", a.wall_s / p.wall_s,
                   "<=", 1.0),
            target(f"2 h {what}, core detectors: scan / silencedetect", c.wall_s / p.wall_s,
                   "<=", 1.0),
            target(f"2 h {what}, core detectors: scan x real time", c.x_realtime, ">=",
                   10000.0),
            target(f"2 h {what}, with splice: scan x real time", a.x_realtime, ">=", 3000.0),
            {"name": f"2 h {what}: with splice / core (no target)",
             "value": round(a.wall_s / c.wall_s, 3), "target": "", "met": True},
        ],
    }


def case_lossy(out: Path, seconds: float, repeat: int) -> dict[str, Any]:
    wav = make_wav(out, seconds, 16000, 1)
    gap = gap_for(seconds)
    res: dict[str, Any] = {"seconds": seconds, "files": {}, "measures": [], "targets": []}
    for kind in ("mp3", "aac"):
        path = make_lossy(out, wav, kind)
        warm(path)
        report = out / f"report-{kind}.json"
        seen: dict[str, Any] = {"sha256": sha256(path)}
        name = f"auditor scan {kind.upper()}"
        peer = f"ffmpeg decode {kind.upper()}"
        # an encoder smears the gap's edges by a frame or two: locate it to 0.1 s
        core = f"{name}, core"
        core_report = out / f"report-{kind}-core.json"
        m = measure({
            name: auditor_cmd(path, report),
            core: auditor_cmd(path, core_report, core=True),
            peer: [ffmpeg(), "-nostdin", "-i", str(path), "-f", "null", "-"],
        }, seconds, repeat, {
            name: scan_checker(report, seconds, lambda rep: check_gap(
                rep, gap, ("digital_silence", "silence"), 0.1), seen),
            core: scan_checker(core_report, seconds, lambda rep: check_gap(
                rep, gap, ("digital_silence", "silence"), 0.1), {"sha256": seen["sha256"]}),
        })  # fmt: skip
        res["files"][kind] = {"file": path.name, "size_mb": round(path.stat().st_size / 1e6, 1),
                              "found": seen["finding"]["message"],
                              "finding_kinds": seen["findings"]}
        res["measures"] += [asdict(m[name]), asdict(m[core]), asdict(m[peer])]
        # issue 24: every detector within 1.3x the bare decode (the core detectors alone met it
        # before the splice cues came)
        res["targets"].append(target(f"2 h {kind.upper()}, every detector: scan / bare decode",
                                     m[name].wall_s / m[peer].wall_s, "<=", 1.3))
        res["targets"].append(target(f"2 h {kind.upper()}, core detectors: scan / bare decode",
                                     m[core].wall_s / m[peer].wall_s, "<=", 1.3))
    return res


def case_rss(out: Path, seconds: float, repeat: int, keep: bool) -> dict[str, Any]:
    free = shutil.disk_usage(out).free / 1e9
    if free < MIN_FREE_GB and not _fresh_any(out, seconds):
        msg = f"skipped: {free:.1f} GB free on {out}, need {MIN_FREE_GB:.0f} GB"
        print("  " + msg)
        return {"skipped": msg}
    wav = make_wav(out, seconds, 48000, 2)
    try:
        warm(wav)
        gap = gap_for(seconds)
        report = out / "report-rss.json"
        seen: dict[str, Any] = {"sha256": sha256(wav)}
        m = measure({"auditor scan": auditor_cmd(wav, report)}, seconds, repeat, {
            "auditor scan": scan_checker(report, seconds, lambda rep: check_gap(
                rep, gap, ("digital_silence",), TOLERANCE), seen)})  # fmt: skip
        a = m["auditor scan"]
        return {"file": wav.name, "seconds": seconds,
                "size_mb": round(wav.stat().st_size / 1e6, 1),
                "found": seen["finding"]["message"], "finding_kinds": seen["findings"],
                "measures": [asdict(a)],
                "targets": [target("8 h 48 kHz stereo WAV: peak RSS (MB)", a.rss_mb, "<=", 400.0),
                            target("8 h 48 kHz stereo WAV: scan x real time", a.x_realtime,
                                   ">=", 2000.0)]}
    finally:
        if not keep:
            wav.unlink(missing_ok=True)
            wav.with_name(wav.name + ".json").unlink(missing_ok=True)


def _fresh_any(out: Path, seconds: float) -> bool:
    return (out / f"hearing-48k-2ch-{int(seconds)}s.wav").is_file()


def case_video(out: Path, seconds: float, repeat: int) -> dict[str, Any]:
    mp4 = make_video(out, seconds)
    warm(mp4)
    black = black_for(seconds)
    report = out / "report-video.json"
    seen: dict[str, Any] = {"sha256": sha256(mp4)}

    def verify(rep: dict[str, Any]) -> dict[str, Any]:
        # blackdetect reports frame times: 25 fps, so one frame (40 ms) either side
        return check_gap(rep, (black[0], black[1] - black[0]), ("video_black",), 0.05)

    m = measure({
        "auditor scan": auditor_cmd(mp4, report),
        "ffmpeg decode": [ffmpeg(), "-nostdin", "-i", str(mp4), "-f", "null", "-"],
    }, seconds, repeat, {"auditor scan": scan_checker(report, seconds, verify, seen)})
    a, p = m["auditor scan"], m["ffmpeg decode"]
    return {"file": mp4.name, "seconds": seconds, "size_mb": round(mp4.stat().st_size / 1e6, 1),
            "found": seen["finding"]["message"], "finding_kinds": seen["findings"],
            "measures": [asdict(a), asdict(p)],
            "targets": [target("30 min 720p MP4: scan x real time", a.x_realtime, ">=", 20.0),
                        {"name": "30 min 720p MP4: scan / ffmpeg decode (peer, no target)",
                         "value": round(a.wall_s / p.wall_s, 3)}]}


def target(name: str, value: float, op: str, limit: float) -> dict[str, Any]:
    met = value <= limit if op == "<=" else value >= limit
    return {"name": name, "value": round(value, 3), "target": f"{op} {limit:g}", "met": met}


# ----------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    ver = subprocess.run([ffmpeg(), "-version"], capture_output=True, text=True).stdout
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "ffmpeg": ffmpeg(),
            "ffmpeg_version": ver.split("\n", 1)[0], "code": code_version(),
            "load_avg": os.getloadavg()}


def code_version() -> str:
    """The commit being measured, with ``+dirty`` when auditor/ differs from it."""
    try:
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "auditor"]).returncode
    except OSError:
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def table(results: dict[str, Any]) -> str:
    rows = [("case", "tool", "runs", "wall s", "x real time", "cpu s", "peak RSS MB")]
    for case, res in results["cases"].items():
        if "skipped" in res:
            rows.append((case, res["skipped"], "", "", "", "", ""))
            continue
        for m in res["measures"]:
            rows.append((case, m["tool"], str(m["runs"]), f"{m['wall_s']:.2f}",
                         f"{m['x_realtime']:,.0f}", f"{m['cpu_s']:.2f}", f"{m['rss_mb']:.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    m = results["machine"]
    lines.insert(0, f"code {m['code']}, {m['cpus']} CPUs, load {m['load_avg'][0]:.2f} at start; "
                 f"medians of {results['repeat']} runs{' (--quick)' if results['quick'] else ''}")
    lines.append("")
    for res in results["cases"].values():
        for t in res.get("targets", []):
            if "met" in t:
                mark = "MET " if t["met"] else "MISS"
                lines.append(f"{mark} {t['name']}: {t['value']:,.3f} (target {t['target']})")
            else:
                lines.append(f"     {t['name']}: {t['value']:,.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--only", choices=CASES, action="append",
                    help="run only this case (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="10-minute inputs (3 min of video): a smoke test, not the figures")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (median; default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the 8 h WAV for the next run")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="inputs and results.json")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    short = 600.0 if args.quick else None
    durations = {"wav": short or 7200.0, "bursts": short or 7200.0, "lossy": short or 7200.0,
                 "rss": short or 28800.0,
                 "video": 180.0 if args.quick else 1800.0}
    results: dict[str, Any] = {"quick": args.quick, "repeat": args.repeat,
                               "speech": "asterisk-en corpus" if _speech_clips()
                               else "synthetic", "machine": machine(), "cases": {}}
    for case in args.only or CASES:
        print(f"[{case}] {durations[case] / 3600:.2f} h", flush=True)
        t0 = time.perf_counter()
        if case in ("wav", "bursts"):
            res = case_wav(out, durations[case], args.repeat, bursts=case == "bursts")
        elif case == "lossy":
            res = case_lossy(out, durations[case], args.repeat)
        elif case == "rss":
            res = case_rss(out, durations[case], args.repeat, args.keep)
        else:
            res = case_video(out, durations[case], args.repeat)
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
        results["cases"][case] = res
    results["machine"]["load_avg_end"] = os.getloadavg()
    if code_version() != results["machine"]["code"]:
        print(f"WARNING: the code changed during the run ({results['machine']['code']} -> "
              f"{code_version()}): the figures mix versions; run again", file=sys.stderr)
        results["machine"]["code_end"] = code_version()
    name = "results-quick.json" if args.quick else "results.json"
    (out / name).write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nwritten: {out / name}")
    met = [t["met"] for r in results["cases"].values() for t in r.get("targets", []) if "met" in t]
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
