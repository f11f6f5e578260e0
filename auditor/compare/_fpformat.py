"""The :class:`Fingerprint` value and its versioned, compact serialisation (bytes, base64, JSON).

Binary layout (all little-endian), the whole zlib-compressed after the 6-byte header::

    b"AUFP" | version u8 | stride u8 | zlib(
        duration f64 | n_parts u16 | parts f64[n_parts] | n u32 | words u32[n] | loudness u8[n])

``words`` are the 32-bit sub-fingerprints (one every ``stride`` x 20 ms), ``loudness`` the
energy of each one's frame in 0.5 dB steps (``2 * (dB + 120)``, clipped to 0..255). A reference
fingerprint (stride 8) takes about 1.75 KB per minute of speech.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["Fingerprint", "FORMAT_VERSION", "METHOD"]

MAGIC = b"AUFP"
#: version of the method and of the layout; a fingerprint of another version is refused
FORMAT_VERSION = 1
#: what version 1 means, recorded in every report
METHOD = {"name": "haitsma-kalker-2002", "version": FORMAT_VERSION, "rate_hz": 8000,
          "hop_s": 0.02, "frame_s": 0.364, "bands": 33, "band_low_hz": 300.0,
          "band_high_hz": 2000.0, "bits": 32}


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """Sub-fingerprints of one recording (or of several files joined in order).

    ``words[j]`` is the sub-fingerprint at 20 ms hop ``j * stride`` (time
    ``TIME0 + j * stride * 0.02`` s); ``loudness[j]`` its frame's level (0.5 dB steps);
    ``duration`` the audio's length (s); ``parts`` the durations of the files joined.
    """

    words: np.ndarray
    loudness: np.ndarray
    stride: int
    duration: float
    parts: tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.words.dtype != np.uint32 or self.words.ndim != 1:
            raise ValueError("words must be a 1-d uint32 array")
        if self.loudness.shape != self.words.shape or self.loudness.dtype != np.uint8:
            raise ValueError("loudness must be uint8, one per word")
        if not 1 <= self.stride <= 255:
            raise ValueError(f"stride must be 1..255, got {self.stride}")

    def to_bytes(self) -> bytes:
        """The compact binary form (see the module's docstring)."""
        body = struct.pack("<dH", self.duration, len(self.parts))
        body += struct.pack(f"<{len(self.parts)}d", *self.parts)
        body += struct.pack("<I", self.words.size)
        body += self.words.astype("<u4").tobytes() + self.loudness.tobytes()
        return MAGIC + bytes([FORMAT_VERSION, self.stride]) + zlib.compress(body, 9)

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Parse :meth:`to_bytes`' output; raises :class:`InputError` on anything else."""
        if len(data) < 6 or data[:4] != MAGIC:
            raise InputError("not an auditor fingerprint (bad magic bytes)")
        if data[4] != FORMAT_VERSION:
            raise InputError(f"fingerprint version {data[4]} is not supported (this auditor "
                             f"reads version {FORMAT_VERSION})",
                             hint="fingerprint the reference again with this version")
        try:
            body = zlib.decompress(data[6:])
            duration, n_parts = struct.unpack_from("<dH", body, 0)
            pos = 10
            parts = struct.unpack_from(f"<{n_parts}d", body, pos)
            pos += 8 * n_parts
            (n,) = struct.unpack_from("<I", body, pos)
            pos += 4
            if len(body) != pos + 5 * n:
                raise ValueError(f"expected {pos + 5 * n} bytes, got {len(body)}")
            words = np.frombuffer(body, "<u4", n, pos).astype(np.uint32)
            loud = np.frombuffer(body, np.uint8, n, pos + 4 * n).copy()
        except (zlib.error, struct.error, ValueError) as exc:
            raise InputError(f"damaged fingerprint: {exc}") from None
        return cls(words=words, loudness=loud, stride=data[5], duration=duration,
                   parts=tuple(parts))

    def to_base64(self) -> str:
        """:meth:`to_bytes` as base64 text."""
        return base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_base64(cls, text: str) -> Fingerprint:
        """Parse :meth:`to_base64`' output."""
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeError) as exc:
            raise InputError(f"fingerprint is not base64: {exc}") from None
        return cls.from_bytes(raw)

    def to_json(self) -> dict[str, Any]:
        """A JSON object: the method, and the fingerprint itself in base64."""
        return {"schema": "auditor.fingerprint/1", "method": METHOD, "stride": self.stride,
                "duration": round(self.duration, 6), "data": self.to_base64()}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Fingerprint:
        """Parse :meth:`to_json`' output."""
        if not isinstance(obj, dict) or obj.get("schema") != "auditor.fingerprint/1":
            raise InputError("not an auditor.fingerprint/1 object")
        data = obj.get("data")
        if not isinstance(data, str):
            raise InputError("fingerprint object has no base64 'data'")
        return cls.from_base64(data)

    def subsample(self, stride: int) -> Fingerprint:
        """Keep every ``stride // self.stride``-th word (a copy's made a reference's)."""
        if stride % self.stride:
            raise ValueError(f"stride {stride} is not a multiple of {self.stride}")
        step = stride // self.stride
        return Fingerprint(words=self.words[::step].copy(), loudness=self.loudness[::step].copy(),
                           stride=stride, duration=self.duration, parts=self.parts)
