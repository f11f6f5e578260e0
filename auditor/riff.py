"""Read the chunk layout of a RIFF/WAVE file: declared data size and the BWF ``bext`` chunk.

libsndfile quietly shortens a WAV whose header claims more data than the file holds; a court
recording cut short is exactly what the auditor must report, so the declared size is read here,
from the bytes, and compared with what decodes.

References: Microsoft/IBM "Multimedia Programming Interface and Data Specifications 1.0" (RIFF,
1991); EBU Tech 3285 v2, "Specification of the Broadcast Wave Format" (bext chunk, 2011).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

__all__ = ["RiffLayout", "read_riff_layout"]

_BEXT_DATE = slice(320, 330)  # OriginationDate "yyyy-mm-dd" (EBU Tech 3285, offset 320)
_BEXT_TIME = slice(330, 338)  # OriginationTime "hh:mm:ss"
_BEXT_TIMEREF = slice(338, 346)  # TimeReference, uint64 samples since midnight
_UNFINALISED_SIZES = (0, 0xFFFFFFFF)  # what recorders write before they close the file


@dataclass(frozen=True)
class RiffLayout:
    """What the RIFF header of a WAV file declares.

    Attributes
    ----------
    data_offset
        Byte offset of the first sample.
    data_declared
        Size of the ``data`` chunk as the header states it, in bytes.
    data_present
        Bytes of sample data actually present in the file.
    header_unfinalised
        The RIFF or data size is 0 or 0xFFFFFFFF while data follows: the writer never closed it.
    bext
        BWF ``bext`` fields: ``origination`` (naive local datetime), ``originator``,
        ``description``, ``time_reference`` (samples since midnight).
    """

    data_offset: int
    data_declared: int
    data_present: int
    header_unfinalised: bool
    bext: dict[str, object] = field(default_factory=dict)


def _parse_bext(body: bytes) -> dict[str, object]:
    def text(raw: bytes) -> str:
        return raw.split(b"\0", 1)[0].decode("latin-1").strip()

    out: dict[str, object] = {
        "description": text(body[:256]),
        "originator": text(body[256:288]),
    }
    date, time = text(body[_BEXT_DATE]), text(body[_BEXT_TIME])
    if date and time:
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H-%M-%S"):
            try:
                out["origination"] = datetime.strptime(f"{date} {time}", fmt)
                break
            except ValueError:
                continue
    if len(body) >= _BEXT_TIMEREF.stop:
        out["time_reference"] = struct.unpack("<Q", body[_BEXT_TIMEREF])[0]
    return out


def read_riff_layout(fh: BinaryIO, file_size: int) -> RiffLayout | None:
    """Walk the chunks of a RIFF/WAVE (or RF64) file.

    Parameters
    ----------
    fh
        The file, opened in binary mode; it is read from offset 0.
    file_size
        The file's size in bytes.

    Returns
    -------
    RiffLayout or None
        None when the file is not RIFF/WAVE or has no ``data`` chunk.
    """
    fh.seek(0)
    head = fh.read(12)
    if len(head) < 12 or head[8:12] != b"WAVE" or head[:4] not in (b"RIFF", b"RF64"):
        return None
    riff_size = struct.unpack("<I", head[4:8])[0]
    unfinalised = head[:4] == b"RIFF" and riff_size in _UNFINALISED_SIZES
    bext: dict[str, object] = {}
    ds64_data: int | None = None
    pos = 12
    while pos + 8 <= file_size:
        fh.seek(pos)
        chunk_id, size = struct.unpack("<4sI", fh.read(8))
        body_at = pos + 8
        if chunk_id == b"ds64":
            ds64_data = struct.unpack("<Q", fh.read(28)[8:16])[0]
        elif chunk_id == b"bext":
            bext = _parse_bext(fh.read(min(size, 602)))
        elif chunk_id == b"data":
            declared = ds64_data if (size == 0xFFFFFFFF and ds64_data is not None) else size
            present = max(file_size - body_at, 0)
            if declared in _UNFINALISED_SIZES and present > 0:
                unfinalised = True
            return RiffLayout(
                data_offset=body_at,
                data_declared=declared,
                data_present=min(present, declared) if not unfinalised else present,
                header_unfinalised=unfinalised,
                bext=bext,
            )
        pos = body_at + size + (size & 1)
    return None


def add_bext(wav: bytes, *, origination: datetime, originator: str = "auditor",
             description: str = "") -> bytes:
    """Return a WAV file's bytes with a BWF ``bext`` chunk (version 1) inserted after ``fmt ``.

    Used to build sample recordings that carry a recorder's start time (EBU Tech 3285).
    """
    body = bytearray(602)
    body[0:256] = description.encode("latin-1")[:256].ljust(256, b"\0")
    body[256:288] = originator.encode("latin-1")[:32].ljust(32, b"\0")
    body[_BEXT_DATE] = origination.strftime("%Y-%m-%d").encode()
    body[_BEXT_TIME] = origination.strftime("%H:%M:%S").encode()
    body[346:348] = struct.pack("<H", 1)
    chunk = b"bext" + struct.pack("<I", len(body)) + bytes(body)
    pos = 12
    while pos + 8 <= len(wav):
        cid, size = struct.unpack("<4sI", wav[pos : pos + 8])
        pos += 8 + size + (size & 1)
        if cid == b"fmt ":
            out = wav[:pos] + chunk + wav[pos:]
            return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]
    raise ValueError("not a WAV file with a fmt chunk")
