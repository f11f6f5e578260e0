"""Running ffprobe and reading its JSON (``-of json``): never its text.

ffprobe's CSV and default writers change between versions (ffprobe 5.1 writes an empty line
after a packet that carries side data, such as the skip-samples record of an AAC priming
packet), so every reading goes through the JSON writer and ``json.loads``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._ffmpeg import DEMUXERS, _run_tool, _unreadable

__all__ = ["ffprobe_json", "number", "integer"]


def ffprobe_json(exe: str, path: str, args: list[str], *, timeout: float = 3600) -> dict[str, Any]:
    """Run ``ffprobe ARGS`` on one local file with the JSON writer; return the parsed object.

    ffprobe is confined as ffmpeg is: the ``file`` protocol only and the demuxer whitelist.

    Raises
    ------
    MediaError
        ffprobe could not run, could not read the file, or wrote no JSON.
    """
    cmd = [exe, "-v", "error", "-hide_banner", "-protocol_whitelist", "file",
           "-format_whitelist", DEMUXERS, *args, "-of", "json=compact=1",
           "file:" + os.path.abspath(path)]  # fmt: skip
    proc, err = _run_tool("ffprobe", cmd, path, timeout=timeout,
                         hint="check the ffprobe installation, or set AUDITOR_FFPROBE=none to "
                         "read files with ffmpeg alone")  # fmt: skip
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "null")
    except json.JSONDecodeError:
        data = None
    if proc.returncode != 0 or not isinstance(data, dict):
        raise _unreadable("ffprobe", err, path)
    return data


def number(value: Any) -> float | None:
    """A float from an ffprobe field (a string such as ``"5.000000"``), None for N/A or absent."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and abs(out) != float("inf") else None


def integer(value: Any) -> int | None:
    """An int from an ffprobe field, None for N/A or absent."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
