"""Helpers of the hostile-input tests: a valid session record to break, and the command line
run as a user runs it (never an internal error, never a traceback)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from auditor.cli import cli

SR = 8000

RECORD: dict[str, Any] = {
    "schema": "auditor.session/1",
    "court": "Almaty district court No. 2",
    "case": "2-123/2026",
    "start": "2026-03-02T10:00:00+05:00",
    "end": "2026-03-02T12:30:00+05:00",
    "breaks": [{"start": "2026-03-02T11:00:00+05:00", "end": "2026-03-02T11:15:00+05:00",
                "reason": "recess"}],
    "recordings": [{"file": "part1.wav", "start": "2026-03-02T10:00:00+05:00"}],
    "acts": [],
}


def record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(RECORD)
    data.update(changes)
    return data


def save(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(*args: object) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "internal error" not in result.output, result.output
    assert "Traceback" not in result.output, result.output
    return result



@dataclass(frozen=True)
class ProbeFacts:
    """What the continuity audit reads of a probed file."""

    duration: float = 60.0
    embedded_start: datetime | None = None


def probe_result(**kw: Any) -> ProbeFacts:
    return ProbeFacts(**kw)

