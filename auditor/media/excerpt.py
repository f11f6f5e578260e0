"""Short excerpts of a recording for a report: read a few seconds, encode them small.

Reading seeks (libsndfile for the formats it reads, ffmpeg's input seek for the others) and
decodes only the excerpt, so a report on an 8-hour recording does not decode the whole file.
Encoding is Opus in Ogg (RFC 7845) through ffmpeg with bit-exact flags, so the same samples give
the same bytes on every run.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np

from ..errors import MediaError
from ._ffmpeg import DEMUXERS, _last_error, ffmpeg_exe
from .probe import MediaInfo

__all__ = ["read_span", "encode_excerpt", "EXCERPT_MIME"]

#: MIME type of :func:`encode_excerpt`'s output.
EXCERPT_MIME = "audio/ogg; codecs=opus"
_TIMEOUT = 60.0


def read_span(info: MediaInfo, start: float, seconds: float) -> np.ndarray:
    """Decode ``seconds`` of audio from ``start`` (s), mixed down to mono.

    Parameters
    ----------
    info
        The probed recording (:func:`auditor.media.probe`).
    start
        Where the excerpt begins, seconds from the start of the file (clamped at 0).
    seconds
        How much to read; fewer samples come back at the end of the file.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n,)``, ``n <= seconds * info.sample_rate``, at ``info.sample_rate``.

    Raises
    ------
    MediaError
        The file cannot be opened or decoded.
    """
    start = max(0.0, float(start))
    want = max(0, int(round(seconds * info.sample_rate)))
    if info.backend == "soundfile":
        import soundfile as sf

        try:
            with sf.SoundFile(info.path) as snd:
                snd.seek(min(int(round(start * snd.samplerate)), snd.frames))
                block = snd.read(want, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, OSError, RuntimeError) as exc:
            raise MediaError(f"cannot read the excerpt at {start:.3f} s: {exc}", path=info.path,
                             hint="check that the recording is still in place and readable"
                             ) from None
        return np.ascontiguousarray(block.mean(axis=1, dtype=np.float32))
    args = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
            "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
            "-ss", f"{start:.6f}", "-i", "file:" + os.path.abspath(info.path),
            "-map", "0:a:0", "-ac", "1", "-ar", str(info.sample_rate),
            "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        raw = proc.stdout.read(want * 4)
    finally:
        if proc.poll() is None:
            proc.kill()  # the excerpt is read; the rest of the file is not needed
        _, err = proc.communicate()
    if not raw and proc.returncode not in (0, -9):
        raise MediaError(f"cannot read the excerpt at {start:.3f} s "
                         f"(ffmpeg: {_last_error(err.decode('utf-8', 'replace'))})",
                         path=info.path, hint="check that the recording is still readable")
    return np.frombuffer(raw[: len(raw) - len(raw) % 4], dtype="<f4").copy()


def encode_excerpt(samples: np.ndarray, sample_rate: int, *, bitrate: str = "24k") -> bytes:
    """Encode mono float samples as Opus in Ogg, bit-exact (same samples, same bytes).

    Parameters
    ----------
    samples
        float32, shape ``(n,)``, in -1..1.
    sample_rate
        Hz.
    bitrate
        Opus target bitrate (ffmpeg notation); 24k keeps speech intelligible.

    Returns
    -------
    bytes
        An Ogg Opus stream (:data:`EXCERPT_MIME`).

    Raises
    ------
    MediaError
        ffmpeg cannot encode (no Opus encoder in this ffmpeg build).
    """
    pcm = np.clip(np.asarray(samples, dtype="<f4"), -1.0, 1.0).tobytes()
    args = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
            "-f", "f32le", "-ar", str(int(sample_rate)), "-ac", "1", "-i", "pipe:0",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-c:a", "libopus", "-b:a", bitrate, "-application", "voip",
            "-f", "ogg", "pipe:1"]
    try:
        proc = subprocess.run(args, input=pcm, capture_output=True, timeout=_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not run ffmpeg to encode an excerpt: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise MediaError("ffmpeg could not encode an audio excerpt "
                         f"({_last_error(proc.stderr.decode('utf-8', 'replace'))})",
                         hint="use an ffmpeg built with libopus (Debian's, or pip install "
                         "imageio-ffmpeg)")
    return proc.stdout
