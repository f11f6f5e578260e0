"""``auditor demo``: build a short hearing with known defects, audit it, and compare.

The hearing is real speech (``samples/``, Asterisk prompts by Allison Smith, CC BY-SA 3.0) over
generated room noise and a wandering 50 Hz mains hum, in two recordings:

* ``hearing-part1.wav`` (BWF, 120 s): a 4 ms dropout at 40.000 s and 4 s muted (exact zeros)
  at 75.000 s;
* ``hearing-part2.m4a`` (AAC, 60 s of sound): 12 s of time missing from the container at 32.0 s
  (on an AAC frame boundary, so that every encoder puts it at the same time);
* ``session.json``: the session ran 10:00-10:20 (+05:00) with a recess 10:02:30-10:15:00, so the
  muted span and the time gap are missing segments of the session, and the recording stops
  3 min 48 s early; no act explains any of it.

``truth.json`` lists what was planted; the demo scans the files and shows each planted defect
next to the finding that located it.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .detect import ScanParams
from .errors import InputError
from .media import transcode
from .report import dumps, exit_code, render_text
from .riff import add_bext
from .scan import scan_with_session

__all__ = ["build_hearing", "run_demo", "PLANTED"]

RATE = 16000
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CLIPS = ("demo-congrats.wav", "demo-echotest.wav", "demo-moreinfo.wav")
PLANTED: list[dict[str, Any]] = [
    {"file": "hearing-part1.wav", "kind": "dropout", "start": 40.0, "end": 40.004},
    {"file": "hearing-part1.wav", "kind": "digital_silence", "start": 75.0, "end": 79.0},
    {"file": "hearing-part2.m4a", "kind": "timestamp_gap", "start": 32.0, "end": 44.0},
    {"kind": "missing_segment", "wall_start": "2026-03-02T10:01:19+05:00"},
    {"kind": "missing_segment", "wall_start": "2026-03-02T10:15:32+05:00"},
    {"kind": "early_stop", "wall_start": "2026-03-02T10:16:12+05:00"},
]


def _speech(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Speech clips at 16 kHz, separated by pauses of 1-4 s, filling ``seconds``."""
    import soundfile as sf
    from scipy.signal import resample_poly

    clips = []
    for name in CLIPS:
        path = SAMPLES / name
        if not path.is_file():
            raise InputError("sample speech is missing", path=path,
                             hint="run the demo from a checkout of the auditor repository")
        x, sr = sf.read(path, dtype="float32")
        clips.append(resample_poly(x, RATE, sr).astype(np.float32))
    out = np.zeros(int(seconds * RATE), np.float32)
    pos, i = int(0.5 * RATE), 0
    while pos < out.size:
        clip = clips[i % len(clips)]
        n = min(clip.size, out.size - pos)
        out[pos : pos + n] = clip[:n] * 0.8
        pos += n + int(rng.uniform(1.0, 4.0) * RATE)
        i += 1
    return out


def _room(rng: np.random.Generator, n: int, start_phase: float = 0.0) -> np.ndarray:
    """Room noise (-50 dBFS, brown-ish) plus a 50 Hz hum whose frequency wanders like a grid."""
    from scipy.signal import lfilter

    noise = lfilter([1.0], [1.0, -0.95], rng.normal(0, 1, n)).astype(np.float32)
    noise *= 10 ** (-50 / 20) / float(np.std(noise))
    noise += rng.normal(0, 10 ** (-66 / 20), n).astype(np.float32)
    freq = 50.0 + np.cumsum(rng.normal(0, 2e-5, n)).clip(-0.05, 0.05)
    phase = start_phase + 2 * np.pi * np.cumsum(freq) / RATE
    hum = 0.004 * np.sin(phase) + 0.0015 * np.sin(2 * phase) + 0.001 * np.sin(3 * phase)
    return noise + hum.astype(np.float32)


def build_hearing(directory: Path, *, seed: int = 2015) -> list[Path]:
    """Write the two demo recordings, ``session.json`` and ``truth.json`` into ``directory``."""
    import soundfile as sf

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    part1 = _speech(rng, 120.0) + _room(rng, 120 * RATE)
    # a speech clip always covers 40.0 s (the 2nd clip): put the dropout there
    a = int(40.0 * RATE)
    part1[a : a + int(0.004 * RATE)] = 0.0
    b = int(75.0 * RATE)
    part1[b : b + 4 * RATE] = 0.0
    buf = io.BytesIO()
    sf.write(buf, np.clip(part1, -1, 1), RATE, subtype="PCM_16", format="WAV")
    p1 = directory / "hearing-part1.wav"
    p1.write_bytes(add_bext(buf.getvalue(), origination=datetime(2026, 3, 2, 10, 0, 4),
                            description="Demo hearing, part 1"))
    part2 = _speech(rng, 60.0) + _room(rng, 60 * RATE, start_phase=1.0)
    tmp = directory / ".part2-source.wav"
    sf.write(tmp, np.clip(part2, -1, 1), RATE, subtype="PCM_16")
    p2 = directory / "hearing-part2.m4a"
    try:
        transcode(tmp, p2, options={"acodec": "aac", "audio_bitrate": "64k"},
                  # whole 1024-sample frames (AAC's) through the shift: 32 s is frame 500
                  audio_filter="asetnsamples=n=1024:p=0,asetpts='if(gte(T,32),PTS+12/TB,PTS)'")
    finally:
        tmp.unlink(missing_ok=True)
    session = {
        "schema": "auditor.session/1", "court": "Demo District Court", "case": "2-1234/2026",
        "judge": "A. Judge", "secretary": "B. Secretary",
        "start": "2026-03-02T10:00:00+05:00", "end": "2026-03-02T10:20:00+05:00",
        "breaks": [{"start": "2026-03-02T10:02:30+05:00", "end": "2026-03-02T10:15:00+05:00",
                    "reason": "recess"}],
        "recordings": [{"file": "hearing-part1.wav", "start": "2026-03-02T10:00:04+05:00"},
                       {"file": "hearing-part2.m4a", "start": "2026-03-02T10:15:00+05:00"}],
        "acts": [], "verdict_in_force": "2026-04-01",
    }  # fmt: skip
    (directory / "session.json").write_text(json.dumps(session, indent=2) + "\n")
    (directory / "truth.json").write_text(json.dumps({"planted": PLANTED}, indent=2) + "\n")
    return [p1, p2]


def match_planted(report: dict[str, Any], planted: list[dict[str, Any]] = PLANTED,
                  tolerance: float = 0.05) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Pair each planted defect with the finding of its kind that locates it within tolerance."""
    def close(f: dict[str, Any], p: dict[str, Any]) -> bool:
        if f["kind"] != p["kind"]:
            return False
        if "wall_start" in p:
            return f["wall_start"] is not None and abs(
                (datetime.fromisoformat(f["wall_start"])
                 - datetime.fromisoformat(p["wall_start"])).total_seconds()) <= 1.0
        return Path(f["file"] or "").name == p["file"] and abs(f["start"] - p["start"]) <= tolerance

    return [(p, next((f for f in report["findings"] if close(f, p)), None)) for p in planted]


def write_renderings(report: dict[str, Any], directory: Path) -> list[str]:
    """Write ``report.html`` / ``report.pdf`` and the ``.ru`` / ``.kk`` copies beside the JSON.

    Returns lines for the user; without chromium the PDFs are skipped and the lines say how to
    get them.
    """
    from .errors import AuditorError
    from .report.html import prepare_excerpts, render_html
    from .report.pdf import render_pdf

    media = prepare_excerpts(report, base=directory)
    names = {"en": "report", "ru": "report.ru", "kk": "report.kk"}
    htmls = {lang: render_html(report, lang=lang, excerpts=media) for lang in names}
    for lang, html in htmls.items():
        (directory / f"{names[lang]}.html").write_text(html, encoding="utf-8")
    lines = ["HTML reports: " + ", ".join(str(directory / f"{n}.html") for n in names.values())]
    try:
        case = (report.get("session") or {}).get("case")
        pdfs = render_pdf([(htmls[lang], case, lang) for lang in names])
    except AuditorError as exc:
        return [*lines, f"PDF reports skipped: {exc.what}",
                f"  to get them: {exc.hint or 'install chromium'}, then run "
                f"auditor report {directory / 'report.json'} --format pdf -o report.pdf"]
    for lang, pdf in zip(names, pdfs, strict=True):
        (directory / f"{names[lang]}.pdf").write_bytes(pdf)
    return [*lines, "PDF reports: " + ", ".join(str(directory / f"{n}.pdf")
                                                for n in names.values())]


def run_demo(directory: Path, *, fail_on: str = "warning", lang: str = "en") -> tuple[str, int]:
    """Build the demo hearing, scan it, write ``report.json`` and its HTML/PDF renderings.

    Returns (text, exit code).
    """
    build_hearing(directory)
    report, timeline = scan_with_session([], str(directory / "session.json"), "kz-2015",
                                         ScanParams(), created=datetime.now(UTC), lang=lang)
    (directory / "report.json").write_text(dumps(report))
    report = json.loads(dumps(report))
    lines = [f"Demo hearing written to {directory}/", "",
             render_text(report, timeline=timeline, lang=lang),
             "Planted defects and what the audit found:"]
    for p, hit in match_planted(report):
        where = f"{p['file']} at {p['start']:.3f} s" if "file" in p else p["wall_start"]
        found = "NOT FOUND" if hit is None else (
            f"found at {hit['start']:.3f} s" if "file" in p else f"found at {hit['wall_start']}")
        lines.append(f"  {p['kind']:<16} planted {where}: {found}")
    lines += ["", f"Full report: {directory / 'report.json'}", *write_renderings(report, directory)]
    return "\n".join(lines) + "\n", exit_code(report["findings"], fail_on)
