"""Running ffprobe and reading its JSON (``-of json``): never its text.

ffprobe's CSV and default writers change between versions (ffprobe 5.1 writes an empty line
after a packet that carries side data, such as the skip-samples record of an AAC priming
packet), so every reading goes through the JSON writer and ``json.loads``.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from ..errors import MediaError, ToolError
from ._ffmpeg import DEMUXERS, _last_error

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
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except OSError as exc:
        raise ToolError(f"could not run ffprobe ({exe}): {exc}",
                        hint="check the ffprobe installation, or set AUDITOR_FFPROBE=none "
                        "to read files with ffmpeg alone") from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffprobe did not finish reading the file: {exc}", path=path) from exc
    err = proc.stderr.decode("utf-8", "replace")
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "null")
    except json.JSONDecodeError:
        data = None
    if proc.returncode != 0 or not isinstance(data, dict):
        raise MediaError(f"not a readable audio/video file (ffprobe: {_last_error(err)})",
                         path=path, hint="check that this is the original recording; re-copy "
                         "it from the recorder")
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
