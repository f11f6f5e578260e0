"""The continuity audit end to end on multi-file hearings built from real speech.

Recordings are concatenated from the Asterisk prompts in ``../shared/corpus/speech`` (CC BY-SA
3.0, Allison Smith), written as WAV, probed with :func:`auditor.media.probe`, and audited against a
session record with planted defects whose wall-clock truth is known. Skipped when ``../shared``
is absent (a fresh clone).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditor.findings import Finding
from auditor.session import load_session
from auditor.session.continuity import audit_continuity
from auditor.session.policy_load import load_policy
from auditor.session.render import render_timeline
from auditor.session.timeline import build_coverage

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "speech" / "asterisk-en"
pytestmark = pytest.mark.skipif(
    not SPEECH.is_dir(), reason=f"real speech corpus not present at {SPEECH}"
)
RATE = 8000


def speech(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """``seconds`` of real speech: shuffled prompts end to end, over a faint noise floor."""
    import soundfile as sf

    files = sorted(p for p in SPEECH.glob("*.wav") if "tone" not in p.name and "beep" not in p.name)
    need = int(round(seconds * RATE))
    parts: list[np.ndarray] = []
    got = 0
    while got < need:
        data, rate = sf.read(files[int(rng.integers(len(files)))], dtype="int16")
        assert rate == RATE
        parts.append(data)
        got += len(data)
    out = np.concatenate(parts)[:need].astype(np.int32)
    out += rng.integers(-2, 3, size=need)  # the room's noise floor: no accidental digital silence
    return np.clip(out, -32768, 32767).astype(np.int16)


def add_bext(path: Path, when: datetime) -> None:
    """Insert a BWF ``bext`` chunk (EBU Tech 3285) with origination date/time ``when``."""
    body = bytearray(602)
    body[256:260] = b"test"
    body[320:330] = when.strftime("%Y-%m-%d").encode()
    body[330:338] = when.strftime("%H:%M:%S").encode()
    raw = path.read_bytes()
    chunk = b"bext" + struct.pack("<I", len(body)) + bytes(body)
    out = raw[:12] + chunk + raw[12:]
    path.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])


def zero_runs(path: Path, min_seconds: float) -> list[tuple[float, float]]:
    """Runs of exact digital silence, as the scan reports them (``(start_s, end_s)``)."""
    import soundfile as sf

    data, rate = sf.read(path, dtype="int16")
    zero = np.concatenate([[False], data == 0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    runs = edges.reshape(-1, 2) / rate
    return [(a, b) for a, b in runs.tolist() if b - a >= min_seconds]


@pytest.fixture(
    params=[(5, "2026-03-02T10:00:00"), (-3, "2026-03-02T23:55:00")], ids=["kz", "midnight-utc-3"]
)
def hearing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A 10-minute session with a 1-minute break and five declared files, with planted defects.

    Seconds from the session's start (truth):
    - 0–10 late start; part1.wav 10–160 holds 8 s of digital silence at 70–78;
    - 160–180 gap explained by an act; part2.wav 180–240; break 240–300;
    - part3.wav 300–420, its bext start says 330 (wrong); the name of part4 gives 410:
      overlap 410–420; part4 410–560; part5.wav declared at 560 is missing; early stop 560–600.
    """
    import soundfile as sf

    hours, day = request.param
    tz = timezone(timedelta(hours=hours))
    t0 = datetime.fromisoformat(day).replace(tzinfo=tz)
    rng = np.random.default_rng(20260302)

    def at(s: float) -> datetime:
        return t0 + timedelta(seconds=s)

    part4 = at(410).strftime("%Y%m%d_%H%M%S") + ".wav"
    lengths = {"part1.wav": 150, "part2.wav": 60, "part3.wav": 120, part4: 150}
    for name, seconds in lengths.items():
        audio = speech(seconds, rng)
        if name == "part1.wav":
            audio[70 * RATE : 78 * RATE] = 0
        sf.write(tmp_path / name, audio, RATE, subtype="PCM_16")
    add_bext(tmp_path / "part3.wav", at(330).replace(tzinfo=None))
    record = {
        "schema": "auditor.session/1",
        "case": "2-123/2026",
        "start": at(0).isoformat(),
        "end": at(600).isoformat(),
        "breaks": [{"start": at(240).isoformat(), "end": at(300).isoformat(), "reason": "recess"}],
        "recordings": [
            {"file": "part1.wav", "start": at(10).isoformat()},
            {"file": "part2.wav", "start": at(180).isoformat()},
            {"file": "part3.wav", "start": at(300).isoformat()},
            {"file": part4},
            {"file": "part5.wav", "start": at(560).isoformat()},
        ],
        "acts": [
            {
                "start": at(160).isoformat(),
                "end": at(180).isoformat(),
                "reason": "microphone failure",
                "signed_at": at(900).isoformat(),
                "signed_by": ["secretary", "head of office"],
            }
        ],
    }
    (tmp_path / "session.json").write_text(json.dumps(record), encoding="utf-8")
    policy = {
        "schema": "auditor.policy/1",
        "name": "test-court",
        "extends": "kz-2015",
        "tolerances": {
            "start_grace_s": 5, "end_grace_s": 5, "break_grace_s": 5, "min_gap_s": 1,
            "overlap_min_s": 1, "timestamp_tolerance_s": 2, "act_tolerance_s": 2,
        },
    }  # fmt: skip
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    yield {"dir": tmp_path, "at": at, "part4": part4}


def run(folder: Path) -> tuple[list[Finding], str]:
    from auditor.media import probe

    session = load_session(folder / "session.json")
    policy = load_policy(folder / "policy.json")
    coverages = []
    for rec in session.recordings:
        path = session.resolve(rec)
        info = probe(path) if path.exists() else None
        uncovered = zero_runs(path, 2.0) if info is not None else []
        coverages.append(
            build_coverage(
                rec,
                info,
                uncovered=uncovered,
                session=session,
                name_patterns=policy.name_patterns,
                problem=None if info else "not found",
            )
        )
    findings = audit_continuity(session, coverages, policy)
    return findings, render_timeline(session, coverages, findings, width=90)


def test_every_planted_defect_is_found_within_a_second(hearing: dict[str, Any]) -> None:
    findings, timeline = run(hearing["dir"])
    at = hearing["at"]

    def one(kind: str, start: float, end: float, **fields: Any) -> Finding:
        hits = []
        for f in findings:
            if f.kind != kind or f.wall_start is None or f.wall_end is None:
                continue
            a, b = datetime.fromisoformat(f.wall_start), datetime.fromisoformat(f.wall_end)
            if (
                abs((a - at(start)).total_seconds()) <= 1
                and abs((b - at(end)).total_seconds()) <= 1
            ):
                hits.append(f)
        assert len(hits) == 1, (kind, start, end, [f.to_json() for f in findings])
        for key, value in fields.items():
            assert getattr(hits[0], key) == value, (key, hits[0])
        return hits[0]

    one("late_start", 0, 10, file="part1.wav")
    one("act_issue", 0, 10, rule="test-court p.19")
    silence = one("missing_segment", 80, 88, file="part1.wav", rule="test-court p.6")
    assert silence.start == pytest.approx(70.0, abs=0.01)
    assert silence.end == pytest.approx(78.0, abs=0.01)
    one("act_issue", 80, 88, rule="test-court p.19")
    explained = one("missing_segment", 160, 180, severity="warning", rule="test-court p.6, p.17")
    assert explained.evidence["explained_by_act"] == "full"
    one("timestamp_mismatch", 300, 300, file="part3.wav")
    one("overlap", 410, 420, file=hearing["part4"])
    one("missing_file", 560, 560, file="part5.wav")
    early = one("early_stop", 560, 600, file=hearing["part4"])
    assert early.evidence["declared_missing_files"] == ["part5.wav"]
    one("act_issue", 560, 600)
    assert len(findings) == 10, [f.message for f in findings]

    breaks = [(at(240), at(300))]
    for f in findings:
        assert f.wall_start is not None and f.wall_end is not None
        a, b = datetime.fromisoformat(f.wall_start), datetime.fromisoformat(f.wall_end)
        assert all(not (max(a, s) < min(b, e)) for s, e in breaks), f

    assert "part5.wav" in timeline and "MISSING" in timeline
    assert "start from the filename" in timeline
    assert "start from the record" in timeline


def test_report_json_is_serialisable(hearing: dict[str, Any]) -> None:
    findings, _ = run(hearing["dir"])
    text = json.dumps([f.to_json() for f in findings])
    assert '"detector": "continuity"' in text
