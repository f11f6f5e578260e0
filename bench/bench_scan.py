"""Speed and memory of ``auditor scan``, measured against ffmpeg on the same files in one run.

Cases (``--only NAME``):

``wav``
    2 h, 16 kHz mono 16-bit WAV with a 15 s digital gap: ``auditor scan`` (every audio detector
    and the file's SHA-256) against ``ffmpeg -af silencedetect``. Target: ratio <= 1.0, and
    >= 10,000x real time.
``lossy``
    The same recording as 64 kbit/s MP3 and AAC (M4A): scan against ffmpeg's bare decode
    (``-f null``). Target: ratio <= 1.3.
``rss``
    8 h, 48 kHz stereo 16-bit WAV (about 5.5 GB, written in streamed chunks): peak RSS of the
    scan. Target: <= 400 MB. Skipped when the disk has less than 15 GB free; deleted at the end
    unless ``--keep``.
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
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "speech" / "asterisk-en"
GEN_VERSION = 1
SEED = 2015
GAP_SECONDS = 15.0
BLACK_SECONDS = 3.0
MIN_FREE_GB = 15.0
TOLERANCE = 0.010  # digital silence must be located to +-10 ms
CASES = ("wav", "lossy", "rss", "video")


# ----------------------------------------------------------------------------- signal


def _speech_clips() -> list[Path]:
    return sorted(CORPUS.glob("*.wav")) if CORPUS.is_dir() else []


class _Speech:
    """An endless, seeded stream of utterances separated by pauses of 0.5-3 s, at ``rate``.

    Utterances are corpus clips resampled to ``rate`` one at a time (so memory holds one clip),
    or, without the corpus, voiced bursts: harmonics of a gliding 90-220 Hz pitch under a
    4-6 Hz syllable envelope.
    """

    def __init__(self, rate: int, rng: np.random.Generator) -> None:
        self.rate = rate
        self.rng = rng
        self.clips = _speech_clips()
        self.buf = np.zeros(0, np.float32)

    def _utterance(self) -> np.ndarray:
        if self.clips:
            import soundfile as sf
            from scipy.signal import resample_poly

            x, sr = sf.read(self.clips[int(self.rng.integers(len(self.clips)))], dtype="float32")
            if x.ndim > 1:
                x = x.mean(axis=1)
            g = np.gcd(self.rate, sr)
            y = resample_poly(x, self.rate // g, sr // g).astype(np.float32)
            return y * np.float32(0.8 / max(1e-3, float(np.abs(y).max())))
        n = int(self.rng.uniform(1.0, 4.0) * self.rate)
        t = np.arange(n) / self.rate
        f0 = self.rng.uniform(90, 220) * (1 + 0.15 * np.sin(2 * np.pi * 0.7 * t))
        phase = 2 * np.pi * np.cumsum(f0) / self.rate
        voice = sum(np.sin(k * phase) / k for k in range(1, 12))
        env = np.sin(np.pi * t * self.rng.uniform(4, 6)) ** 2 * np.hanning(n)
        return (0.25 * voice * env).astype(np.float32)

    def read(self, n: int) -> np.ndarray:
        parts, have = [], 0
        while have < n:
            if self.buf.size == 0:
                pause = np.zeros(int(self.rng.uniform(0.5, 3.0) * self.rate), np.float32)
                self.buf = np.concatenate([self._utterance(), pause])
            take = self.buf[: n - have]
            self.buf = self.buf[take.size :]
            parts.append(take)
            have += take.size
        return np.concatenate(parts)


class Hearing:
    """A seeded, streamed court recording: speech, room noise, mains hum and one digital gap.

    Channel 1 carries the speech at full level, further channels at 0.7 with their own noise
    (another microphone in the same room). Room noise is brown-ish at about -50 dBFS; the hum
    is 50 Hz (+ harmonics) whose frequency wanders like a grid's. Samples ``gap`` (a
    ``(first, count)`` pair) are exact zeros on every channel.
    """

    def __init__(self, rate: int, channels: int, *, gap: tuple[int, int], seed: int = SEED):
        from scipy.signal import lfilter_zi

        self.rate, self.channels, self.gap = rate, channels, gap
        self.rng = np.random.default_rng(seed)
        self.speech = _Speech(rate, np.random.default_rng(seed + 1))
        self.zi = [lfilter_zi([1.0], [1.0, -0.95]) * 0.0 for _ in range(channels)]
        self.phase = 0.0
        self.dfreq = 0.0
        self.pos = 0

    def block(self, n: int) -> np.ndarray:
        """The next ``n`` frames as int16, shape ``(n, channels)``."""
        from scipy.signal import lfilter

        speech = self.speech.read(n)
        # the grid frequency drifts slowly: a random walk sampled every 10 ms, clipped
        steps = max(1, n // (self.rate // 100))
        walk = self.dfreq + np.cumsum(self.rng.normal(0, 2e-3, steps)).clip(-0.05, 0.05)
        self.dfreq = float(walk[-1])
        freq = 50.0 + np.repeat(walk, -(-n // steps))[:n]
        phase = self.phase + 2 * np.pi * np.cumsum(freq) / self.rate
        self.phase = float(phase[-1] % (2 * np.pi))
        s, c = np.sin(phase), np.cos(phase)
        hum = (0.004 * s + 0.003 * s * c + 0.001 * (3 * s - 4 * s**3)).astype(np.float32)
        out = np.empty((n, self.channels), np.int16)
        for ch in range(self.channels):
            white = self.rng.standard_normal(n, dtype=np.float32)
            brown, self.zi[ch] = lfilter([1.0], [1.0, -0.95], white, zi=self.zi[ch])
            x = np.float32(10 ** (-50 / 20) / 3.2) * brown.astype(np.float32)
            x += np.float32(10 ** (-66 / 20)) * white
            x += hum
            x += speech * np.float32(1.0 if ch == 0 else 0.7)
            np.clip(x * 32767.0, -32768, 32767, out=x)
            out[:, ch] = np.rint(x)
        a, b = max(self.gap[0], self.pos), min(self.gap[0] + self.gap[1], self.pos + n)
        if a < b:
            out[a - self.pos : b - self.pos] = 0
        self.pos += n
        return out

    def blocks(self, frames: int, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
        step = int(block_seconds * self.rate)
        for start in range(0, frames, step):
            yield self.block(min(step, frames - start))


# ----------------------------------------------------------------------------- inputs


def ffmpeg() -> str:
    from auditor.media import ffmpeg_exe

    return ffmpeg_exe()


def gap_for(seconds: float) -> tuple[float, float]:
    """Where the digital gap is planted: at 40% of the recording plus 1.35 s, 15 s long."""
    return round(0.4 * seconds) + 1.35, GAP_SECONDS


def _fresh(path: Path, meta: dict[str, Any], sources: tuple[Path, ...] = ()) -> bool:
    side = path.with_name(path.name + ".json")
    if not path.is_file() or not side.is_file():
        return False
    if json.loads(side.read_text()) != meta:
        return False
    return all(path.stat().st_mtime >= s.stat().st_mtime for s in sources)


def _done(path: Path, tmp: Path, meta: dict[str, Any]) -> Path:
    tmp.replace(path)
    path.with_name(path.name + ".json").write_text(json.dumps(meta))
    return path


def make_wav(out: Path, seconds: float, rate: int, channels: int) -> Path:
    """Generate (or reuse) a hearing WAV, streamed in 30 s chunks through soundfile."""
    import soundfile as sf

    path = out / f"hearing-{rate // 1000}k-{channels}ch-{int(seconds)}s.wav"
    g0, glen = gap_for(seconds)
    meta = {"version": GEN_VERSION, "seed": SEED, "seconds": seconds, "rate": rate,
            "channels": channels, "gap": [g0, glen], "speech": bool(_speech_clips())}
    if _fresh(path, meta):
        return path
    print(f"  generating {path.name} ...", flush=True)
    t0 = time.perf_counter()
    frames = int(round(seconds * rate))
    hearing = Hearing(rate, channels, gap=(int(round(g0 * rate)), int(round(glen * rate))))
    tmp = path.with_suffix(".tmp.wav")
    fmt = "RF64" if frames * channels * 2 >= 2**32 - 64 else "WAV"
    with sf.SoundFile(tmp, "w", samplerate=rate, channels=channels, subtype="PCM_16",
                      format=fmt) as snd:
        for blk in hearing.blocks(frames):
            snd.write(blk)
    print(f"  ... {time.perf_counter() - t0:.0f} s", flush=True)
    return _done(path, tmp, meta)


def make_lossy(out: Path, wav: Path, kind: str) -> Path:
    """64 kbit/s MP3 (libmp3lame) or AAC in M4A (ffmpeg's aac encoder) made from ``wav``."""
    ext, codec = {"mp3": ("mp3", "libmp3lame"), "aac": ("m4a", "aac")}[kind]
    path = wav.with_suffix("." + ext)
    meta = {"version": GEN_VERSION, "source": wav.name, "codec": codec, "bitrate": "64k"}
    if _fresh(path, meta, (wav,)):
        return path
    print(f"  encoding {path.name} ...", flush=True)
    tmp = path.with_name(path.stem + ".tmp." + ext)
    subprocess.run([ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-i", str(wav), "-c:a", codec, "-b:a", "64k", str(tmp)], check=True)
    return _done(path, tmp, meta)


def black_for(seconds: float) -> tuple[float, float]:
    """Where the black picture is planted: 3 s from 1/3 of the recording plus 0.52 s."""
    start = round(seconds / 3) + 0.52
    return start, start + BLACK_SECONDS


def make_video(out: Path, seconds: float) -> Path:
    """1280x720 25 fps H.264 (testsrc2) + 48 kHz stereo AAC (tone over pink noise), with black."""
    path = out / f"hearing-720p-{int(seconds)}s.mp4"
    b0, b1 = black_for(seconds)
    meta = {"version": GEN_VERSION, "seconds": seconds, "black": [b0, b1]}
    if _fresh(path, meta):
        return path
    print(f"  generating {path.name} ...", flush=True)
    t0 = time.perf_counter()
    tmp = path.with_name(path.stem + ".tmp.mp4")
    video = (f"testsrc2=size=1280x720:rate=25:duration={seconds},"
             f"drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{b0},{b1})'")
    audio = (f"sine=frequency=220:sample_rate=48000:duration={seconds},volume=0.3[s];"
             f"anoisesrc=color=pink:amplitude=0.02:sample_rate=48000:seed={SEED}"
             f":duration={seconds}[n];[s][n]amix=inputs=2:normalize=0,"
             f"aformat=channel_layouts=stereo")
    subprocess.run([ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio,
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-g", "50", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
                    "-shortest", str(tmp)], check=True)
    print(f"  ... {time.perf_counter() - t0:.0f} s", flush=True)
    return _done(path, tmp, meta)


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
                                stdout=subprocess.DEVNULL, stderr=err)
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


def auditor_cmd(path: Path, report: Path) -> list[str]:
    exe = Path(sys.executable).with_name("auditor")
    base = [str(exe)] if exe.is_file() else [sys.executable, "-m", "auditor"]
    return [*base, "scan", str(path), "--format", "json", "-o", str(report)]


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
    """Median of ``repeat`` interleaved runs of each tool; ``check[tool](run)`` after each run."""
    runs: dict[str, list[Run]] = {t: [] for t in tools}
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


def case_wav(out: Path, seconds: float, repeat: int) -> dict[str, Any]:
    wav = make_wav(out, seconds, 16000, 1)
    warm(wav)
    gap = gap_for(seconds)
    report = out / "report-wav.json"
    seen: dict[str, Any] = {"sha256": sha256(wav)}
    silences: list[int] = []

    def check_sd(r: Run) -> None:
        if r.rc != 0:
            raise CheckFailed(f"silencedetect failed:\n{r.stderr[-2000:]}")
        silences.append(r.stderr.count("silence_start"))

    m = measure({
        "auditor scan": auditor_cmd(wav, report),
        "ffmpeg silencedetect": [ffmpeg(), "-nostdin", "-i", str(wav), "-af", "silencedetect",
                                 "-f", "null", "-"],
    }, seconds, repeat, {
        "auditor scan": scan_checker(report, seconds, lambda rep: check_gap(
            rep, gap, ("digital_silence",), TOLERANCE), seen),
        "ffmpeg silencedetect": check_sd,
    })  # fmt: skip
    a, p = m["auditor scan"], m["ffmpeg silencedetect"]
    ratio = a.wall_s / p.wall_s
    return {
        "file": wav.name, "seconds": seconds, "size_mb": round(wav.stat().st_size / 1e6, 1),
        "gap": gap, "found": seen["finding"]["message"], "finding_kinds": seen["findings"],
        "silencedetect_spans": silences[-1],
        "measures": [asdict(a), asdict(p)],
        "targets": [
            target("2 h WAV: scan / silencedetect", ratio, "<=", 1.0),
            target("2 h WAV: scan x real time", a.x_realtime, ">=", 10000.0),
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
        m = measure({
            name: auditor_cmd(path, report),
            peer: [ffmpeg(), "-nostdin", "-i", str(path), "-f", "null", "-"],
        }, seconds, repeat, {name: scan_checker(report, seconds, lambda rep: check_gap(
            rep, gap, ("digital_silence", "silence"), 0.1), seen)})  # fmt: skip
        res["files"][kind] = {"file": path.name, "size_mb": round(path.stat().st_size / 1e6, 1),
                              "found": seen["finding"]["message"],
                              "finding_kinds": seen["findings"]}
        res["measures"] += [asdict(m[name]), asdict(m[peer])]
        res["targets"].append(target(f"2 h {kind.upper()}: scan / bare decode",
                                     m[name].wall_s / m[peer].wall_s, "<=", 1.3))
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
                "targets": [target("8 h 48 kHz stereo WAV: peak RSS (MB)", a.rss_mb, "<=", 400.0)]}
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
    durations = {"wav": short or 7200.0, "lossy": short or 7200.0, "rss": short or 28800.0,
                 "video": 180.0 if args.quick else 1800.0}
    results: dict[str, Any] = {"quick": args.quick, "repeat": args.repeat,
                               "speech": "asterisk-en corpus" if _speech_clips()
                               else "synthetic", "machine": machine(), "cases": {}}
    for case in args.only or CASES:
        print(f"[{case}] {durations[case] / 3600:.2f} h", flush=True)
        t0 = time.perf_counter()
        if case == "wav":
            res = case_wav(out, durations[case], args.repeat)
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
