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

from ..digest import file_sha256
from ._ffmpeg import DEMUXERS, RAW_AUDIO, SOUNDFILE_FORMATS, ffmpeg_exe, ffprobe_exe, transcode
from .decode import Decoder, VideoEvents, decode_blocks, native_pcm
from .packets import PacketTimes, packet_times
from .probe import MediaInfo, VideoStream, probe

__all__ = [
    "DEMUXERS",
    "RAW_AUDIO",
    "SOUNDFILE_FORMATS",
    "MediaInfo",
    "VideoStream",
    "PacketTimes",
    "VideoEvents",
    "probe",
    "decode_blocks",
    "native_pcm",
    "Decoder",
    "packet_times",
    "file_sha256",
    "ffmpeg_exe",
    "ffprobe_exe",
    "transcode",
]

