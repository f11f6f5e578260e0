"""Probe a recording: container, codec, rate, channels, duration, start time, video."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import MediaError
from ..riff import RiffLayout, read_riff_layout
from ._ffmpeg import SOUNDFILE_FORMATS, _input_args, _last_error, _run_ffmpeg, ffprobe_exe
from ._ffprobe import ffprobe_json, integer, number

#: Lowest sample rate taken as audio: no recorder writes speech below it (telephone is 8 kHz).
MIN_SAMPLE_RATE = 4000
#: Shortest recording audited: below it no check applies (a click test alone needs 20 ms).
MIN_DURATION = 0.1
#: Containers whose edit list states exactly where the audio starts and ends, encoder priming
#: and padding excluded (ISO/IEC 14496-12, ``elst``). Matroska is not among them: its decoders
#: already drop Opus's pre-skip, and trimming it again would cut sound.
_EXACT_EXTENT = ("mov,",)


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

    ``start_time`` is the container time (seconds) of the first decoded sample: packet times
    are measured from it, so that a finding's time is seconds into the decoded audio whatever
    the container's own origin (MPEG-TS starts at 1.4 s). ``audio_window`` is the span that
    holds the audio, encoder priming and padding excluded, where the container states it
    exactly (MP4/MOV edit lists), in seconds from the file's start time (the clock of
    ffmpeg's filters): the decoder keeps only that span, so every ffmpeg version gives the same
    samples (ffmpeg before 6.0 keeps AAC's padding).
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
    start_time: float = 0.0
    audio_window: tuple[float, float] | None = None

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
    if info.sample_rate < MIN_SAMPLE_RATE:
        raise MediaError(
            f"the file declares a sample rate of {info.sample_rate} Hz: no recorder writes "
            f"audio below {MIN_SAMPLE_RATE} Hz, so its header is damaged or it is not a "
            "recording", path=spath,
            hint="re-copy the recording from the recorder or the archive; if this is the "
            "original, have its header examined")
    if info.frames == 0 or info.duration <= 0:
        raise MediaError("zero-length audio: the file holds no samples", path=spath,
                         hint="re-copy the recording from the recorder or the archive")
    if info.duration < MIN_DURATION:
        raise MediaError(
            f"the audio lasts {info.duration * 1000:.1f} ms: no check applies to less than "
            f"{MIN_DURATION * 1000:.0f} ms, so nothing in it can be audited", path=spath,
            hint="check that this is the whole recording; re-copy it from the recorder")
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
    exe = ffprobe_exe()
    if exe is not None:
        return _probe_ffprobe(exe, path, st)
    return _probe_ffmpeg_log(path, st)


def _probe_ffprobe(exe: str, path: str, st: os.stat_result) -> MediaInfo:
    """Probe through ffprobe's JSON (``-show_format -show_streams``)."""
    data = ffprobe_json(exe, path, ["-show_format", "-show_streams"], timeout=120)
    fmt: dict[str, Any] = data["format"] if isinstance(data.get("format"), dict) else {}
    streams = [s for s in data.get("streams") or [] if isinstance(s, dict)]
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    if audio is None:
        what = "a video with no audio stream" if video else "a file with no audio stream"
        raise MediaError(f"{what}: there is no sound to audit", path=path,
                         hint="audit the file that carries the hearing's sound")
    container = str(fmt.get("format_name") or "unknown")
    duration = number(fmt.get("duration"))
    a_start = number(audio.get("start_time"))
    start = a_start if a_start is not None else number(fmt.get("start_time")) or 0.0
    a_dur = number(audio.get("duration"))
    window = None
    if container.startswith(_EXACT_EXTENT) and a_start is not None and a_dur is not None:
        # the edit list; ffmpeg's filters measure time from the file's start time
        f_start = number(fmt.get("start_time")) or 0.0
        window = (max(a_start, 0.0) - f_start, a_start + a_dur - f_start)
    tags = {str(k): str(v) for k, v in (fmt.get("tags") or {}).items()}
    creation = tags.get("creation_time") or (audio.get("tags") or {}).get("creation_time")
    vs = None
    if video is not None:
        vs = VideoStream(codec=str(video.get("codec_name") or "unknown"),
                         width=integer(video.get("width")) or 0,
                         height=integer(video.get("height")) or 0,
                         fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")))
    return MediaInfo(
        path=path, size=st.st_size, mtime=st.st_mtime, container=container,
        codec=str(audio.get("codec_name") or "unknown"),
        sample_rate=integer(audio.get("sample_rate")) or 0,
        channels=integer(audio.get("channels")) or 0,
        duration=duration if duration is not None and duration > 0 else float("inf"),
        bit_depth=integer(audio.get("bits_per_raw_sample")) or None, frames=None,
        backend="ffmpeg", embedded_start=_parse_creation(creation) if creation else None,
        tags=tags, video=vs, start_time=max(start, 0.0), audio_window=window,
    )  # fmt: skip


def _rate(text: object) -> float | None:
    """``"30000/1001"`` as a float; None for ``0/0`` or absent."""
    try:
        num, den = str(text).split("/")
        return round(int(num) / int(den), 3) if int(den) and int(num) else None
    except ValueError:
        return None


_START = re.compile(r"Duration: [^,]*, start: (-?[\d.]+)")


def _probe_ffmpeg_log(path: str, st: os.stat_result) -> MediaInfo:
    """Probe from ffmpeg's own report of its input: the one way when ffprobe is absent (ffmpeg
    has no JSON writer for it). The imageio-ffmpeg wheel's ffmpeg (6.0 and later) trims encoder
    priming and padding itself, so no ``audio_window`` is needed on this path."""
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
    m_start = _START.search(err)
    start = float(m_start.group(1)) if m_start else 0.0
    return MediaInfo(
        path=path, size=st.st_size, mtime=st.st_mtime, container=m_in.group(1),
        codec=audio.group(2), sample_rate=int(audio.group(3)), channels=channels,
        duration=duration if duration >= 0 else float("inf"),
        bit_depth=int(bits.group(1)) if bits else None, frames=None, backend="ffmpeg",
        embedded_start=embedded, tags=tags, video=vs, start_time=max(start, 0.0),
    )  # fmt: skip


def _channels_from_text(layout: str) -> int:
    m = re.match(r"(\d+) channels", layout)
    return int(m.group(1)) if m else 1


def _parse_creation(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
