"""Stream-decode a recording once, in fixed-size float32 blocks, in constant memory."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MediaError
from ._ffmpeg import DEMUXERS, _last_error, ffmpeg_exe
from .probe import MediaInfo, probe


@dataclass(frozen=True)
class VideoEvents:
    """Black and frozen spans (seconds) that ffmpeg's blackdetect/freezedetect reported."""

    black: list[tuple[float, float]]
    frozen: list[tuple[float, float]]


class Decoder:
    """Stream-decode a recording once, in float32 blocks of ``block_frames`` frames.

    Iterate to get arrays of shape ``(n, channels)``; every block is exactly ``block_frames`` long
    except the last. ``rate`` and ``channels`` (default: the file's) ask for the audio resampled
    and mixed to that many channels while decoding (by ffmpeg, whatever the file's backend);
    ``block_frames`` then counts frames at ``rate``. For a file with a video stream and
    ``video_checks=True``, the same ffmpeg run also applies ``blackdetect`` and ``freezedetect``
    to a reduced-size copy of the picture; read :attr:`video_events` after iterating.
    ``warnings`` holds decoder complaints (corrupt frames).
    """

    def __init__(self, info: MediaInfo, *, block_frames: int, video_checks: bool = False,
                 black_min: float = 2.0, frozen_min: float = 5.0, pcm: str = "f32le",
                 rate: int | None = None, channels: int | None = None) -> None:
        if block_frames < 1:
            raise ValueError("block_frames must be positive")
        if pcm not in ("f32le", "s16le"):
            raise ValueError(f"pcm must be f32le or s16le, got {pcm!r}")
        self.info = info
        self.rate = rate or info.sample_rate
        self.channels = channels or info.channels
        # resampling or mixing is ffmpeg's (libsndfile reads as stored)
        self.converts = (self.rate, self.channels) != (info.sample_rate, info.channels)
        if self.converts and pcm != "f32le":
            raise ValueError("rate and channels are converted in f32le only")
        self.pcm = pcm
        self.block_frames = block_frames
        self.video_checks = video_checks and info.video is not None
        self.black_min = black_min
        self.frozen_min = frozen_min
        self.frames_decoded = 0
        self.warnings: list[str] = []
        self.video_events: VideoEvents | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.pcm == "s16le":
            yield from self._s16_blocks()
        elif self.info.backend == "soundfile" and not (self.video_checks or self.converts):
            yield from self._soundfile_blocks()
        else:
            yield from self._ffmpeg_blocks()

    def _s16_blocks(self) -> Iterator[np.ndarray]:
        """int16 blocks: read as stored when the file holds 16-bit PCM, else the float32 decode
        quantised back (``round(x * 32768)``, exact for audio that was 16-bit)."""
        if native_pcm(self.info) == "s16le":
            yield from self._soundfile_blocks(raw="int16")
            return
        for block in (self._soundfile_blocks() if self.info.backend == "soundfile"
                      and not self.video_checks else self._ffmpeg_blocks()):
            yield np.clip(np.rint(block * np.float32(32768.0)), -32768, 32767).astype(np.int16)

    def _soundfile_blocks(self, raw: str | None = None) -> Iterator[np.ndarray]:
        import soundfile as sf

        path = self.info.path
        keep = raw is not None
        # integer PCM is read as integers and scaled here: exact (x / 2**15 or x / 2**31, as
        # libsndfile and ffmpeg scale it) and several times faster than libsndfile's conversion
        if raw is None:
            raw, scale = {16: ("int16", 2.0**-15), 24: ("int32", 2.0**-31),
                          32: ("int32", 2.0**-31)}.get(self.info.bit_depth or 0, ("float32", 1.0))
            if not self.info.codec.startswith("pcm_s") and self.info.codec != "flac":
                raw, scale = "float32", 1.0
        try:
            with sf.SoundFile(path) as snd:
                while True:
                    block = snd.read(self.block_frames, dtype=raw, always_2d=True)
                    if block.shape[0] == 0:
                        break
                    if raw != "float32" and not keep:  # one pass: each integer cast, then scaled
                        block = np.multiply(block, np.float32(scale), dtype=np.float32)
                    self.frames_decoded += block.shape[0]
                    yield block
                    if block.shape[0] < self.block_frames:
                        break
        except sf.LibsndfileError as exc:
            raise MediaError(f"decoding failed after {self.frames_decoded} frames: {exc}",
                             path=path, hint="the file is damaged; re-copy it") from None

    def _ffmpeg_args(self) -> list[str]:
        import ffmpeg

        src = ffmpeg.input("file:" + os.path.abspath(self.info.path), nostdin=None,
                           protocol_whitelist="file", format_whitelist=DEMUXERS)
        # large frames through ffmpeg's pipeline: MP3 decodes 576-sample frames, and handing
        # each across ffmpeg's threads costs more than the decoding (measured in bench/)
        stream = src["a:0"]
        window = self.info.audio_window
        if window is not None:  # priming and padding off, as the container states them
            rate = self.info.sample_rate
            stream = stream.filter("atrim", start_sample=round(window[0] * rate),
                                   end_sample=round(window[1] * rate))
        audio = (stream.filter("asetnsamples", n=16384, p=0)
                 .output("pipe:", format="f32le", acodec="pcm_f32le",
                         ac=self.channels, ar=self.rate))
        if self.video_checks:
            pic = (src["v:0"].filter("scale", 160, -2)
                   .filter("blackdetect", d=self.black_min, pix_th=0.10)
                   .filter("freezedetect", n="-60dB", d=self.frozen_min)
                   .output("-", format="null"))
            out = ffmpeg.merge_outputs(audio, pic)
        else:
            out = audio
        args: list[str] = out.global_args("-hide_banner", "-nostats", "-loglevel", "info"
                                          ).get_args()
        return args

    def _ffmpeg_blocks(self) -> Iterator[np.ndarray]:
        path = self.info.path
        nch = self.channels
        need = self.block_frames * nch * 4
        with tempfile.TemporaryFile() as errf:
            proc = subprocess.Popen([ffmpeg_exe(), *self._ffmpeg_args()],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf,
                                    bufsize=0)
            assert proc.stdout is not None
            _widen_pipe(proc.stdout.fileno())
            try:
                while True:
                    raw = _read_full(proc.stdout, need)
                    if not raw:
                        break
                    usable = len(raw) - len(raw) % (nch * 4)
                    block = np.frombuffer(raw, dtype="<f4", count=usable // 4).reshape(-1, nch)
                    self.frames_decoded += block.shape[0]
                    yield block
                    if len(raw) < need:
                        break
            finally:
                if proc.poll() is None and proc.stdout.read(1):
                    proc.kill()  # the consumer stopped early
                proc.stdout.close()
                rc = proc.wait()
            errf.seek(0)
            log = errf.read().decode("utf-8", "replace")
        self.warnings = _decoder_warnings(log)
        if rc != 0:
            raise MediaError(f"ffmpeg failed while decoding ({_last_error(log)})", path=path,
                             hint="the file is damaged or not a recording; re-copy it")
        if self.video_checks:
            self.video_events = _parse_video_events(log)


def _read_full(pipe: Any, n: int) -> bytearray:
    """Read ``n`` bytes from an unbuffered pipe, fewer only at its end."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = pipe.readinto(view[got:])
        if not k:
            break
        got += k
    del view
    return buf if got == n else buf[:got]


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe (default 64 KiB): fewer wake-ups between ffmpeg and us."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # not Linux, or over the user's pipe limit: the default works, a little slower


def _decoder_warnings(log: str) -> list[str]:
    keys = ("error", "invalid", "corrupt", "concealing", "overread", "non-monoton")
    return [ln.strip() for ln in log.splitlines()
            if any(k in ln.lower() for k in keys) and "Input #0" not in ln][:50]


_BLACK = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_FREEZE_START = re.compile(r"lavfi\.freezedetect\.freeze_start[=:]\s*([\d.]+)")
_FREEZE_END = re.compile(r"lavfi\.freezedetect\.freeze_end[=:]\s*([\d.]+)")
_PTS_TIME = re.compile(r"pts_time:([\d.]+)")


def _parse_video_events(log: str) -> VideoEvents:
    black = [(float(a), float(b)) for a, b in _BLACK.findall(log)]
    starts = [float(x) for x in _FREEZE_START.findall(log)]
    ends = [float(x) for x in _FREEZE_END.findall(log)]
    last = [float(x) for x in _PTS_TIME.findall(log)]
    if len(ends) < len(starts):  # frozen until the end of the stream
        ends.append(last[-1] if last else starts[-1])
    return VideoEvents(black=black, frozen=list(zip(starts, ends, strict=False)))


def native_pcm(info: MediaInfo) -> str:
    """The sample format a recording stores losslessly: ``s16le`` for 16-bit integer PCM and
    16-bit FLAC (read exactly as stored), else ``f32le`` (the float32 decode)."""
    if (info.backend == "soundfile" and info.bit_depth == 16
            and (info.codec.startswith("pcm_s16") or info.codec == "flac")):
        return "s16le"
    return "f32le"


def decode_blocks(path: str | os.PathLike[str], *, block_frames: int,
                  info: MediaInfo | None = None, pcm: str = "f32le") -> Iterator[np.ndarray]:
    """Decode a recording into blocks of shape ``(block_frames, channels)``.

    ``pcm="f32le"`` gives float32 (full scale 1.0); ``"s16le"`` gives int16 (see
    :meth:`Decoder._s16_blocks`). The last block may be shorter. Memory stays constant whatever
    the recording's length.
    """
    yield from Decoder(info or probe(path), block_frames=block_frames, pcm=pcm)
