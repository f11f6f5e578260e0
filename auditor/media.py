"""The one place that touches ffmpeg and libsndfile: probe a recording and stream-decode it.

* WAV/BWF/RF64/W64, FLAC and Ogg Vorbis/Opus decode through libsndfile (``soundfile``); every other
  format (MP3, AAC/M4A, WMA/ASF, MP4/MOV, MKV, AVI, MPEG-TS, ...) through ffmpeg, driven by
  ffmpeg-python, never through a shell.
* ffmpeg is the system binary when present, else the one the ``imageio-ffmpeg`` wheel ships, so a
  machine with only pip decodes every format. It runs with ``-nostdin``, the ``file`` protocol only
  and a whitelist of demuxers (no playlists, no concat lists), so a hostile input cannot make it
  read other files or the network.
* Decoding streams fixed-size float32 blocks ``(frames, channels)`` in constant memory.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import MediaError
from .riff import RiffLayout, read_riff_layout

__all__ = [
    "MediaInfo",
    "VideoStream",
    "PacketTimes",
    "VideoEvents",
    "probe",
    "decode_blocks",
    "Decoder",
    "packet_times",
    "file_sha256",
    "ffmpeg_exe",
    "ffprobe_exe",
    "transcode",
]

#: libsndfile major formats the auditor decodes with soundfile.
SOUNDFILE_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "FLAC", "OGG"})
#: Demuxers ffmpeg may use. Playlists (hls, concat, ...) and network formats are not on it.
DEMUXERS = (
    "wav,w64,flac,ogg,mp3,aac,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,asf,wma,"
    "ac3,eac3,amr,au,aiff,caf,flv,mpeg,mpegps,mp2,wv,ape,tta,mxf,dv,h264,hevc,m4v,dts,spdif"
)
#: Containers without timestamps of their own: elementary audio streams.
RAW_AUDIO = frozenset({"mp3", "aac", "ac3", "eac3", "dts", "mp2", "amr"})
_HASH_CHUNK = 1 << 22


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: ``$AUDITOR_FFMPEG``, the system one, else imageio-ffmpeg's."""
    override = os.environ.get("AUDITOR_FFMPEG")
    if override:
        return override
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # noqa: BLE001 - any failure means "no ffmpeg"
        raise MediaError(
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


def _run_ffmpeg(args: list[str], path: str, *, timeout: float | None = None) -> str:
    """Run ffmpeg to completion; return its stderr (where it reports). Raises MediaError."""
    try:
        proc = subprocess.run(
            [ffmpeg_exe(), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not run ffmpeg: {exc}", path=path) from exc
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 and "Input #0" not in err:
        raise MediaError(
            f"not a readable audio/video file (ffmpeg: {_last_error(err)})",
            path=path,
            hint="check that this is the original recording; re-copy it from the recorder",
        )
    return err


def _last_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    useful = [ln for ln in lines if "Error opening" not in ln] or lines
    return useful[-1][:300] if useful else "no message"


# ----------------------------------------------------------------------------- probe


@dataclass(frozen=True)
class VideoStream:
    """Facts of the first video stream."""

    codec: str
    width: int
    height: int
    fps: float | None


@dataclass(frozen=True)
class MediaInfo:
    """What a recording is, before decoding it.

    ``duration`` is what the container claims (seconds); ``frames`` the exact sample count where
    the container states it. ``declared_duration`` differs from ``duration`` only when a WAV
    header claims more data than the file holds. ``embedded_start`` is the recorder's own start
    time: timezone-aware for MP4/MOV ``creation_time``, naive local time for BWF ``bext``.
    """

    path: str
    size: int
    mtime: float
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration: float
    bit_depth: int | None
    frames: int | None
    backend: str
    declared_duration: float | None = None
    header_unfinalised: bool = False
    embedded_start: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    video: VideoStream | None = None

    def to_json(self) -> dict[str, Any]:
        """The file facts of the report contract."""
        out: dict[str, Any] = {
            "duration": round(self.duration, 6),
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "codec": self.codec,
            "container": self.container,
            "bit_depth": self.bit_depth,
            "size": self.size,
            "embedded_start": None if self.embedded_start is None
            else self.embedded_start.isoformat(),
        }
        if self.video is not None:
            out["video"] = {
                "codec": self.video.codec, "width": self.video.width,
                "height": self.video.height, "fps": self.video.fps,
            }  # fmt: skip
        return out


def _check_path(path: str) -> os.stat_result:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MediaError("file not found", path=path, hint="check the path and name") from None
    except OSError as exc:
        raise MediaError(f"cannot access file: {exc.strerror}", path=path) from None
    if stat.S_ISDIR(st.st_mode):
        raise MediaError("is a directory, not a recording", path=path,
                         hint="name the recording files, or use 'auditor archive audit DIR'")
    if not stat.S_ISREG(st.st_mode):
        raise MediaError("not a regular file", path=path)
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise MediaError(f"cannot read file: {exc.strerror}", path=path,
                         hint="check the file's permissions") from None
    if st.st_size == 0:
        raise MediaError("empty file (0 bytes): there is no recording in it", path=path,
                         hint="re-copy the recording from the recorder or the archive")
    return st


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a recording: container, codec, rate, channels, duration, start time, video.

    Raises
    ------
    MediaError
        The file is missing, unreadable, empty, not a recording, or carries no audio.
    """
    spath = os.fspath(path)
    st = _check_path(spath)
    info = _probe_soundfile(spath, st)
    if info is None:
        info = _probe_ffmpeg(spath, st)
    if info.header_unfinalised:
        raise MediaError(
            "the WAV header was never finalised (its size fields are empty): the recording is "
            "still being written, or the recorder stopped without closing the file",
            path=spath,
            hint="wait until the recording is closed; if the recorder crashed, keep this file "
            "as it is and have a repaired copy made for the audit",
        )
    if info.channels < 1 or info.sample_rate < 1:
        raise MediaError("the audio stream has no channels or no sample rate", path=spath)
    if info.frames == 0 or info.duration <= 0:
        raise MediaError("zero-length audio: the file holds no samples", path=spath,
                         hint="re-copy the recording from the recorder or the archive")
    return info


def _probe_soundfile(path: str, st: os.stat_result) -> MediaInfo | None:
    import soundfile as sf

    try:
        sfi = sf.info(path)
    except Exception as exc:  # noqa: BLE001 - libsndfile could not open it: let ffmpeg try
        with open(path, "rb") as fh:
            head = fh.read(12)
        if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
            reason = str(exc).split(": ", 1)[-1]
            raise MediaError(f"damaged WAV file: {reason}", path=path,
                             hint="the header is cut short or corrupt; re-copy the recording "
                             "from the recorder or the archive") from None
        return None
    if sfi.format not in SOUNDFILE_FORMATS:
        return None
    layout: RiffLayout | None = None
    if sfi.format in ("WAV", "WAVEX", "RF64"):
        with open(path, "rb") as fh:
            layout = read_riff_layout(fh, st.st_size)
    frames = int(sfi.frames)
    duration = frames / sfi.samplerate if sfi.samplerate else 0.0
    declared = None
    embedded = None
    tags: dict[str, str] = {}
    if layout is not None:
        frame_bytes = sfi.channels * _subtype_bytes(sfi.subtype)
        if frame_bytes and layout.data_declared > layout.data_present:
            declared = layout.data_declared // frame_bytes / sfi.samplerate
        origination = layout.bext.get("origination")
        if isinstance(origination, datetime):
            embedded = origination
        tags = {f"bext_{k}": str(v) for k, v in layout.bext.items() if v not in ("", None)}
    codec = {"FLAC": "flac", "OGG": sfi.subtype.lower()}.get(
        sfi.format, _PCM_CODECS.get(sfi.subtype, sfi.subtype.lower())
    )
    return MediaInfo(
        path=path, size=st.st_size, mtime=st.st_mtime,
        container=sfi.format.lower(), codec=codec,
        sample_rate=int(sfi.samplerate), channels=int(sfi.channels),
        duration=duration, bit_depth=_subtype_bits(sfi.subtype), frames=frames,
        backend="soundfile", declared_duration=declared,
        header_unfinalised=bool(layout and layout.header_unfinalised),
        embedded_start=embedded, tags=tags,
    )  # fmt: skip


_PCM_CODECS = {"PCM_U8": "pcm_u8", "PCM_S8": "pcm_s8", "PCM_16": "pcm_s16le",
               "PCM_24": "pcm_s24le", "PCM_32": "pcm_s32le", "FLOAT": "pcm_f32le",
               "DOUBLE": "pcm_f64le", "ULAW": "pcm_mulaw", "ALAW": "pcm_alaw"}


def _subtype_bits(subtype: str) -> int | None:
    m = re.search(r"(\d+)$", subtype)
    return int(m.group(1)) if m and subtype.startswith(("PCM", "FLOAT", "DOUBLE")) else (
        32 if subtype == "FLOAT" else 64 if subtype == "DOUBLE" else None
    )


def _subtype_bytes(subtype: str) -> int:
    return {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4,
            "DOUBLE": 8, "ULAW": 1, "ALAW": 1}.get(subtype, 0)


_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, ([^,\s][^ ]*?), from", re.M)
_AUDIO = re.compile(r"Stream #0:(\d+)[^:]*: Audio: (\w+)[^,]*, (\d+) Hz, ([^,]+), (\w+)")
_VIDEO = re.compile(r"Stream #0:(\d+)[^:]*: Video: (\w+)(.*)")
_CREATION = re.compile(r"^\s+creation_time\s*:\s*(\S+)", re.M)
_TAG = re.compile(r"^    (\w+)\s*:\s(.*)$", re.M)
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4, "5.0": 5,
            "5.1": 6, "5.1(side)": 6, "6.1": 7, "7.1": 8}


def _probe_ffmpeg(path: str, st: os.stat_result) -> MediaInfo:
    err = _run_ffmpeg(_input_args(path), path, timeout=120)
    m_in = _INPUT.search(err)
    if m_in is None:
        raise MediaError(f"not a readable audio/video file (ffmpeg: {_last_error(err)})",
                         path=path, hint="check that this is the original recording")
    audio = _AUDIO.search(err)
    video = _VIDEO.search(err)
    if audio is None:
        what = "a video with no audio stream" if video else "a file with no audio stream"
        raise MediaError(f"{what}: there is no sound to audit", path=path,
                         hint="audit the file that carries the hearing's sound")
    layout = audio.group(4).strip()
    channels = _LAYOUTS.get(layout) or _channels_from_text(layout)
    m_dur = _DURATION.search(err)
    duration = (int(m_dur.group(1)) * 3600 + int(m_dur.group(2)) * 60 + float(m_dur.group(3))
                if m_dur else 0.0)
    if m_dur is None:
        duration = -1.0  # unknown (e.g. a raw stream): decoding will tell
    creation = _CREATION.search(err)
    embedded = _parse_creation(creation.group(1)) if creation else None
    vs = None
    if video is not None:
        dims = re.search(r"(\d{2,5})x(\d{2,5})", video.group(3))
        fps = re.search(r"([\d.]+) fps", video.group(3))
        vs = VideoStream(codec=video.group(2), width=int(dims.group(1)) if dims else 0,
                         height=int(dims.group(2)) if dims else 0,
                         fps=float(fps.group(1)) if fps else None)
    bits = re.search(r"\((\d+) bit\)", err)
    tags = {k: v.strip() for k, v in _TAG.findall(err.split("Duration:")[0])}
    return MediaInfo(
        path=path, size=st.st_size, mtime=st.st_mtime, container=m_in.group(1),
        codec=audio.group(2), sample_rate=int(audio.group(3)), channels=channels,
        duration=duration if duration >= 0 else float("inf"),
        bit_depth=int(bits.group(1)) if bits else None, frames=None, backend="ffmpeg",
        embedded_start=embedded, tags=tags, video=vs,
    )  # fmt: skip


def _channels_from_text(layout: str) -> int:
    m = re.match(r"(\d+) channels", layout)
    return int(m.group(1)) if m else 1


def _parse_creation(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# ----------------------------------------------------------------------------- decode


@dataclass(frozen=True)
class VideoEvents:
    """Black and frozen spans (seconds) that ffmpeg's blackdetect/freezedetect reported."""

    black: list[tuple[float, float]]
    frozen: list[tuple[float, float]]


class Decoder:
    """Stream-decode a recording once, in float32 blocks of ``block_frames`` frames.

    Iterate to get arrays of shape ``(n, channels)``; every block is exactly ``block_frames`` long
    except the last. For a file with a video stream and ``video_checks=True``, the same ffmpeg run
    also applies ``blackdetect`` and ``freezedetect`` to a reduced-size copy of the picture; read
    :attr:`video_events` after iterating. ``warnings`` holds decoder complaints (corrupt frames).
    """

    def __init__(self, info: MediaInfo, *, block_frames: int, video_checks: bool = False,
                 black_min: float = 2.0, frozen_min: float = 5.0) -> None:
        if block_frames < 1:
            raise ValueError("block_frames must be positive")
        self.info = info
        self.block_frames = block_frames
        self.video_checks = video_checks and info.video is not None
        self.black_min = black_min
        self.frozen_min = frozen_min
        self.frames_decoded = 0
        self.warnings: list[str] = []
        self.video_events: VideoEvents | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.info.backend == "soundfile" and not self.video_checks:
            yield from self._soundfile_blocks()
        else:
            yield from self._ffmpeg_blocks()

    def _soundfile_blocks(self) -> Iterator[np.ndarray]:
        import soundfile as sf

        path = self.info.path
        # integer PCM is read as integers and scaled here: exact (x / 2**15 or x / 2**31, as
        # libsndfile and ffmpeg scale it) and several times faster than libsndfile's conversion
        raw, scale = {16: ("int16", 2.0**-15), 24: ("int32", 2.0**-31), 32: ("int32", 2.0**-31)
                      }.get(self.info.bit_depth or 0, ("float32", 1.0))
        if not self.info.codec.startswith("pcm_s") and self.info.codec != "flac":
            raw, scale = "float32", 1.0
        try:
            with sf.SoundFile(path) as snd:
                while True:
                    block = snd.read(self.block_frames, dtype=raw, always_2d=True)
                    if block.shape[0] == 0:
                        break
                    if raw != "float32":
                        block = block.astype(np.float32)
                        block *= np.float32(scale)
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
        audio = (src["a:0"].filter("asetnsamples", n=16384, p=0)
                 .output("pipe:", format="f32le", acodec="pcm_f32le",
                         ac=self.info.channels, ar=self.info.sample_rate))
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
        nch = self.info.channels
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


def decode_blocks(path: str | os.PathLike[str], *, block_frames: int,
                  info: MediaInfo | None = None) -> Iterator[np.ndarray]:
    """Decode a recording into float32 blocks of shape ``(block_frames, channels)``.

    The last block may be shorter. Memory stays constant whatever the recording's length.
    """
    yield from Decoder(info or probe(path), block_frames=block_frames)


# ----------------------------------------------------------------------------- packets


@dataclass(frozen=True)
class PacketTimes:
    """Presentation times and durations (seconds) of a stream's packets, in file order."""

    pts: np.ndarray
    duration: np.ndarray


_FRAMECRC = re.compile(r"^\d+,\s*(-?\d+),\s*(-?\d+),\s*(\d+),", re.M)
_TB = re.compile(r"^#tb \d+: (\d+)/(\d+)", re.M)


def packet_times(info: MediaInfo, stream: str = "a") -> PacketTimes | None:
    """Packet timestamps of the first audio (``"a"``) or video (``"v"``) stream.

    Uses ``ffprobe`` when it is installed, else ffmpeg's ``framecrc`` muxer on a stream copy
    (no decoding), which needs only the ffmpeg binary. Returns None for formats without
    packet timestamps of their own (PCM in WAV, FLAC through libsndfile, raw MP3 and ADTS
    streams, whose demuxer makes timestamps up from frame lengths).
    """
    if stream == "a" and (info.backend == "soundfile" or info.container in RAW_AUDIO):
        return None
    probe_exe = ffprobe_exe()
    if probe_exe is not None:
        return _ffprobe_packets(probe_exe, info.path, stream)
    args = [*_input_args(info.path), "-map", f"0:{stream}:0", "-c", "copy", "-f", "framecrc", "-"]
    try:
        proc = subprocess.run([ffmpeg_exe(), "-loglevel", "error", *args], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=3600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not read packet timestamps: {exc}", path=info.path) from exc
    return _parse_framecrc(proc.stdout.decode("ascii", "replace"))


def _parse_framecrc(text: str) -> PacketTimes | None:
    """Packet times from ffmpeg's ``framecrc`` output (one stream)."""
    tb = _TB.search(text)
    if tb is None:
        return None
    try:  # numpy's C parser: four times faster than the regular expression
        rows = np.loadtxt(io.StringIO(text), delimiter=",", usecols=(1, 2, 3), dtype=np.int64,
                          comments="#", ndmin=2)
    except ValueError:
        rows = np.array(_FRAMECRC.findall(text), dtype=np.int64).reshape(-1, 3)
    unit = int(tb.group(1)) / int(tb.group(2))
    return PacketTimes(pts=rows[:, 1] * unit, duration=rows[:, 2] * unit)


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


def _ffprobe_packets(exe: str, path: str, stream: str) -> PacketTimes | None:
    cmd = [exe, "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", DEMUXERS,
           "-select_streams", f"{stream}:0", "-show_entries", "packet=pts_time,duration_time",
           "-of", "csv=p=0", "file:" + os.path.abspath(path)]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=3600,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"could not read packet timestamps: {exc}", path=path) from exc
    rows = [ln.split(",")[:2] for ln in proc.stdout.decode("ascii", "replace").splitlines()]
    vals = [(float(a), float(b)) for a, b in rows if a not in ("", "N/A") and b not in ("", "N/A")]
    if not vals:
        return None
    arr = np.array(vals)
    return PacketTimes(pts=arr[:, 0], duration=arr[:, 1])


# ----------------------------------------------------------------------------- bytes


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's bytes, read in 4 MiB chunks."""
    h = hashlib.sha256()
    try:
        with open(path, "rb", buffering=0) as fh:
            buf = bytearray(_HASH_CHUNK)
            view = memoryview(buf)
            while n := fh.readinto(buf):
                h.update(view[:n])
    except OSError as exc:
        raise MediaError(f"cannot read file: {exc.strerror}", path=os.fspath(path)) from None
    return h.hexdigest()


def transcode(src: str | os.PathLike[str], dst: str | os.PathLike[str],
              *, options: dict[str, Any] | None = None, audio_filter: str | None = None) -> Path:
    """Encode ``src`` into ``dst`` with ffmpeg (used to build samples and test files).

    ``options`` are ffmpeg output options (``{"acodec": "libmp3lame", "audio_bitrate": "64k"}``).
    """
    import ffmpeg

    out_opts = dict(options or {})
    if audio_filter:
        out_opts["af"] = audio_filter
    stream = ffmpeg.input("file:" + os.path.abspath(src), protocol_whitelist="file").output(
        os.fspath(dst), **out_opts)
    args = stream.global_args("-nostdin", "-hide_banner", "-loglevel", "error").overwrite_output(
        ).get_args()
    _run_ffmpeg(args, os.fspath(src), timeout=3600)
    if not Path(dst).is_file():
        raise MediaError("ffmpeg produced no output", path=os.fspath(dst))
    return Path(dst)
