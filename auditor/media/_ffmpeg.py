"""Running ffmpeg: finding the binary, confining it to one local file, reading its errors."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import MediaError, ToolError

SOUNDFILE_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "FLAC", "OGG"})
#: Demuxers ffmpeg may use. Playlists (hls, concat, ...) and network formats are not on it.
DEMUXERS = (
    "wav,w64,flac,ogg,mp3,aac,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,asf,wma,"
    "ac3,eac3,amr,au,aiff,caf,flv,mpeg,mpegps,mp2,wv,ape,tta,mxf,dv,h264,hevc,m4v,dts,spdif"
)
#: Containers without timestamps of their own: elementary audio streams.
RAW_AUDIO = frozenset({"mp3", "aac", "ac3", "eac3", "dts", "mp2", "amr"})


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: ``$AUDITOR_FFMPEG``, the system one, else imageio-ffmpeg's.

    ``AUDITOR_FFMPEG=wheel`` takes the imageio-ffmpeg wheel's binary even where a system
    ffmpeg is installed (with ``AUDITOR_FFPROBE=none``: the path of a machine with pip only).
    """
    override = os.environ.get("AUDITOR_FFMPEG")
    if override and override != "wheel":
        return override
    found = None if override == "wheel" else shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # noqa: BLE001 - any failure means "no ffmpeg"
        raise ToolError(
            f"ffmpeg not found ({exc})",
            hint="install ffmpeg (apt-get install ffmpeg) or pip install imageio-ffmpeg",
        ) from exc


def _input_args(path: str) -> list[str]:
    """Global and input options that confine ffmpeg to one local file."""
    return [
        "-nostdin", "-hide_banner", "-nostats",
        "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
        "-i", "file:" + os.path.abspath(path),
    ]  # fmt: skip


def _run_ffmpeg(args: list[str], path: str, *, timeout: float | None = None,
                exe: str | None = None) -> str:
    """Run ffmpeg to completion; return its stderr (where it reports). Raises MediaError."""
    proc, err = _run_tool("ffmpeg", [exe or ffmpeg_exe(), *args], path, timeout=timeout,
                          hint="check the ffmpeg installation (AUDITOR_FFMPEG names the binary "
                          "in use)")  # fmt: skip
    if proc.returncode != 0 and "Input #0" not in err:
        raise _unreadable("ffmpeg", err, path)
    return err


def _run_tool(name: str, cmd: list[str], path: str, *, timeout: float | None,
              hint: str) -> tuple[subprocess.CompletedProcess[bytes], str]:
    """Run ffmpeg or ffprobe (``name``) to completion; return it and its stderr as text.

    A binary that cannot start is a ToolError (with ``hint``), one that times out a MediaError.
    """
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except OSError as exc:
        raise ToolError(f"could not run {name} ({cmd[0]}): {exc}", hint=hint) from exc
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{name} did not finish reading the file: {exc}", path=path) from exc
    return proc, proc.stderr.decode("utf-8", "replace")


def _unreadable(name: str, stderr: str, path: str) -> MediaError:
    return MediaError(
        f"not a readable audio/video file ({name}: {_last_error(stderr)})",
        path=path,
        hint="check that this is the original recording; re-copy it from the recorder",
    )


def _last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    useful = [ln for ln in lines if "Error opening" not in ln] or lines
    return useful[-1][:300] if useful else "no message"



def ffprobe_exe() -> str | None:
    """``ffprobe`` beside the ffmpeg in use, or on PATH; None when there is none.

    ``AUDITOR_FFPROBE=none`` forces the ffmpeg-only path.
    """
    override = os.environ.get("AUDITOR_FFPROBE")
    if override:
        return None if override == "none" else override
    beside = Path(ffmpeg_exe()).with_name("ffprobe")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("ffprobe")



def transcode(src: str | os.PathLike[str], dst: str | os.PathLike[str],
              *, options: dict[str, Any] | None = None, audio_filter: str | None = None,
              exe: str | None = None) -> Path:
    """Encode ``src`` into ``dst`` with ffmpeg (used to build samples and test files).

    ``options`` are ffmpeg output options (``{"acodec": "libmp3lame", "audio_bitrate": "64k"}``);
    ``exe`` another ffmpeg binary than the one in use (the same encoder on every machine).
    """
    import ffmpeg

    out_opts = dict(options or {})
    if audio_filter:
        out_opts["af"] = audio_filter
    stream = ffmpeg.input("file:" + os.path.abspath(src), protocol_whitelist="file").output(
        os.fspath(dst), **out_opts)
    args = stream.global_args("-nostdin", "-hide_banner", "-loglevel", "error").overwrite_output(
        ).get_args()
    _run_ffmpeg(args, os.fspath(src), timeout=3600, exe=exe)
    if not Path(dst).is_file():
        raise MediaError("ffmpeg produced no output", path=os.fspath(dst))
    return Path(dst)
