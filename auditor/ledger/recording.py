"""Hash a recording into ledger entries: ``ingest``, one ``chunk`` per span, ``seal``.

Chunk hashes are over decoded PCM, so they survive a re-wrap of the same audio and name the
exact span that changed: the recording is decoded once (:func:`auditor.media.decode_blocks`) in
blocks of ``round(chunk_seconds * sample_rate)`` frames and each block is hashed as interleaved
little-endian samples in the format the ingest entry names in ``media.pcm``:

- ``s16le`` (16-bit integer PCM and 16-bit FLAC): the samples as stored, two bytes each;
- ``f32le`` (everything else; also every ledger written before ``pcm`` existed): IEEE float32.

For PCM in RIFF/WAVE the same span's bytes in the file are hashed too, so a verifier can check a
span without a decoder. For 16-bit little-endian PCM in RIFF/WAVE those bytes *are* the samples,
so the one digest serves both (the span is read once, not decoded and hashed twice).

A recording is hashed whole before anything is appended, then its ``ingest``, every ``chunk``
and its ``seal`` go in as one signed, atomic append. A file that cannot be read to its end, a
file that changes while it is hashed, a full disk or a crash therefore leave the ledger as it
was: an append-only log never keeps a half-ingested recording. (A ledger written by an older
auditor, which appended in stages, may still hold one; verification reports it as unsealed.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, LedgerError, MediaError
from ..lanes import Lane
from ._merkle import leaf_hashes, tree_hash
from ._signing import SigningKey
from .entries import Entry, encode_batch
from .fingerprints import fingerprint_entry, new_fingerprinter
from .store import Ledger

if TYPE_CHECKING:
    from ..compare import Fingerprint

__all__ = [
    "DEFAULT_CHUNK_SECONDS",
    "fingerprint_lane",
    "ChunkHash",
    "logged_pcm",
    "chunk_frames_for",
    "media_facts",
    "pcm_layout",
    "hash_chunks",
    "add_recording",
    "add_recording_at",
]

DEFAULT_CHUNK_SECONDS = 60
_WAVE_CONTAINERS = ("wav", "wavex", "rf64")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChunkHash:
    """Hashes of one span of a recording: frames ``[start, end)``."""

    index: int
    start: int
    end: int
    pcm_sha256: str
    bytes: dict[str, Any] | None


def chunk_frames_for(sample_rate: int, chunk_seconds: float) -> int:
    """Frames per chunk: ``round(chunk_seconds * sample_rate)``, at least 1."""
    if not chunk_seconds > 0:
        raise InputError(f"chunk length must be positive seconds, got {chunk_seconds}")
    return max(1, round(chunk_seconds * sample_rate))


def logged_pcm(media: dict[str, Any]) -> str:
    """The chunk sample format an ingest entry's ``media`` object names (``f32le`` if none)."""
    pcm = media.get("pcm", "f32le")
    if pcm not in ("f32le", "s16le"):
        from ..errors import VerificationError

        raise VerificationError(f"unknown chunk sample format {pcm!r} in the ingest entry",
                                hint="this ledger was written by a newer auditor; upgrade")
    return str(pcm)


def media_facts(info: Any) -> dict[str, Any]:
    """The ``media`` object of an ingest entry, from :class:`auditor.media.MediaInfo`."""
    from ..media import native_pcm

    return {
        "pcm": native_pcm(info),
        "container": info.container,
        "codec": info.codec,
        "sample_rate": int(info.sample_rate),
        "channels": int(info.channels),
        "frames": None if info.frames is None else int(info.frames),
        "bit_depth": None if info.bit_depth is None else int(info.bit_depth),
    }


def pcm_layout(info: Any) -> tuple[int, int] | None:
    """``(data offset, bytes per frame)`` when the file stores integer/float PCM in RIFF/WAVE."""
    if info.container not in _WAVE_CONTAINERS or not str(info.codec).startswith("pcm_"):
        return None
    if not info.bit_depth or info.bit_depth % 8 or info.codec in ("pcm_mulaw", "pcm_alaw"):
        return None
    from ..riff import read_riff_layout

    with open(info.path, "rb") as fh:
        layout = read_riff_layout(fh, info.size)
    if layout is None or layout.header_unfinalised:
        return None
    return layout.data_offset, info.channels * info.bit_depth // 8


def hash_chunks(
    path: str | os.PathLike[str], *, chunk_frames: int, info: Any = None,
    pcm: str | None = None, on_block: Callable[[np.ndarray], None] | None = None,
) -> Iterator[ChunkHash]:
    """Decode a recording once and yield the hashes of each ``chunk_frames`` span.

    Parameters
    ----------
    path
        The recording.
    chunk_frames
        Frames per chunk; the last chunk may be shorter.
    info
        :class:`auditor.media.MediaInfo` of the file, if already probed.
    pcm
        Sample format hashed: ``s16le`` or ``f32le``; default the file's own
        (:func:`auditor.media.native_pcm`).
    on_block
        Called with each chunk's samples, shape ``(frames, channels)`` (int16 or float32),
        before its hash is yielded: another reader of the same decode (the fingerprint).
    """
    from ..media import decode_blocks, native_pcm, probe

    info = info or probe(path)
    pcm = pcm or native_pcm(info)
    layout = pcm_layout(info)
    if pcm == "s16le" and layout is not None and info.codec == "pcm_s16le":
        yield from _stored_s16_chunks(info, layout[0], layout[1], chunk_frames, on_block)
        return
    start = 0
    dtype = "<i2" if pcm == "s16le" else "<f4"
    with open(path, "rb") if layout else contextlib.nullcontext() as fh:
        for index, block in enumerate(decode_blocks(path, block_frames=chunk_frames, info=info,
                                                    pcm=pcm)):
            end = start + block.shape[0]
            if on_block is not None:
                on_block(block)
            samples = np.ascontiguousarray(block, dtype=dtype)
            digest = hashlib.sha256(samples.data).hexdigest()
            span: dict[str, Any] | None = None
            if layout is not None and fh is not None:
                offset, length = layout[0] + start * layout[1], (end - start) * layout[1]
                fh.seek(offset)
                data = fh.read(length)
                span = {"offset": offset, "length": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip
            yield ChunkHash(index, start, end, digest, span)
            start = end


def _stored_s16_chunks(info: Any, offset: int, frame_bytes: int, chunk_frames: int,
                       on_block: Callable[[np.ndarray], None] | None = None,
                       ) -> Iterator[ChunkHash]:
    """Chunks of 16-bit little-endian PCM in RIFF/WAVE, straight from the data chunk's bytes.

    libsndfile would return exactly these bytes as int16 samples; the frame count is the one it
    reports (a data chunk whose declared size overruns the file is cut to whole frames here too).
    """
    total = int(info.frames or 0)
    start = 0
    with open(info.path, "rb") as fh:
        fh.seek(offset)
        index = 0
        while start < total:
            want = min(chunk_frames, total - start) * frame_bytes
            data = fh.read(want)
            n = len(data) // frame_bytes
            if n == 0:
                break
            data = data[: n * frame_bytes]
            if on_block is not None:
                on_block(np.frombuffer(data, "<i2").reshape(n, -1))
            digest = hashlib.sha256(data).hexdigest()
            span = {"offset": offset + start * frame_bytes, "length": len(data), "sha256": digest}
            yield ChunkHash(index, start, start + n, digest, span)
            start += n
            index += 1
            if len(data) < want:
                break


class _Fingerprinting:
    """The content fingerprinter (:func:`.fingerprints.new_fingerprinter`) as a stream
    analyser, to run on a :class:`~auditor.lanes.Lane` of its own."""

    def __init__(self, rate: int) -> None:
        self._printer = new_fingerprinter(rate)

    def update(self, block: np.ndarray, start: int) -> None:
        self._printer.update(block)

    def finish(self) -> Fingerprint:
        return self._printer.finish()


@contextlib.contextmanager
def fingerprint_lane(rate: int) -> Iterator[Lane]:
    """The content fingerprint of the blocks :func:`hash_chunks` reads, computed on a thread
    of its own while they are decoded and hashed (``on_block=lambda b: lane.update(b, 0)``,
    then ``lane.finish()``); numpy, hashlib and the decoder's pipe all release the GIL, so for
    a lossy file the fingerprint costs little more than the decode it shares. The thread
    ends with the block, whether the hashing finished or failed."""
    lane = Lane(_Fingerprinting(rate), "fingerprint")
    try:
        yield lane
    finally:
        lane.close()  # after finish(), nothing to do


def add_recording(
    ledger: Ledger, path: str | os.PathLike[str], *, key: SigningKey, **options: Any
) -> int:
    """:func:`add_recording_at` at the current time."""
    return add_recording_at(ledger, path, key=key, now=datetime.now(UTC), **options)


def add_recording_at(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    key: SigningKey,
    now: datetime,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    session: dict[str, Any] | None = None,
    progress: Progress | None = None,
    fingerprint: bool = True,
) -> int:
    """Hash a recording, then append its ``ingest``, ``chunk``, ``seal`` and ``fingerprint``
    entries at once.

    Parameters
    ----------
    ledger
        An open, writable ledger.
    path
        The recording; its file name (not its folder) is what the ledger records.
    key
        The ledger's signing key.
    now
        Time stamped on every entry of this recording.
    chunk_seconds
        Length of a chunk of decoded audio.
    session
        What to record about the session record (strings only), or None.
    progress
        Called with (frames hashed, total frames) after each chunk.
    fingerprint
        Also log a content fingerprint of the decoded audio (:mod:`.fingerprints`), computed
        from the same decode as the chunk hashes.

    Returns
    -------
    int
        The ledger index of the recording's ``ingest`` entry (its recording id).

    Raises
    ------
    MediaError
        If the file cannot be read or decoded to its end, holds no audio, or changes while it
        is being hashed: nothing is appended.
    LedgerError
        If the append fails (a full disk, a locked ledger): nothing is appended.
    """
    from ..media import file_sha256, probe

    spath = os.fspath(path)
    name = os.path.basename(spath)
    info = probe(spath)
    before = os.stat(spath)
    frames_per_chunk = chunk_frames_for(info.sample_rate, chunk_seconds)
    hashed: list[ChunkHash] = []
    # the fingerprint on a thread of its own (fingerprint_lane) and the file's bytes hashed on
    # another, while this thread decodes
    try:
        with (fingerprint_lane(info.sample_rate) if fingerprint
              else contextlib.nullcontext()) as printer, \
                ThreadPoolExecutor(max_workers=1) as pool:
            file_hash = pool.submit(file_sha256, spath)
            for chunk in hash_chunks(spath, chunk_frames=frames_per_chunk, info=info,
                                     on_block=(lambda b: printer.update(b, 0)) if printer
                                     else None):
                hashed.append(chunk)
                if progress is not None:
                    progress(chunk.end, info.frames or chunk.end)
            sha256 = file_hash.result()
            content = printer.finish() if printer is not None and hashed else None
        after = os.stat(spath)
    except OSError as exc:
        raise MediaError(
            f"the file could not be read to its end: {exc.strerror or exc}; nothing was "
            "written to the ledger",
            path=spath,
            hint="fix the cause (free space, a readable copy) and add the file again",
        ) from None
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise MediaError(
            "the file changed while it was hashed; nothing was written to the ledger",
            path=spath,
            hint="add it again once nothing is writing to it",
        )
    if not hashed:
        raise MediaError("the file holds no audio frames; nothing was written to the ledger",
                         path=spath)  # fmt: skip

    def entries(first: int) -> list[Entry]:
        ingest = Entry("ingest", {
            "name": name, "size": info.size, "sha256": sha256, "media": media_facts(info),
            "chunk_frames": frames_per_chunk, "session": session,
        })  # fmt: skip
        chunks = [Entry("chunk", {
            "recording": first, "index": c.index, "start": c.start, "end": c.end,
            "pcm_sha256": c.pcm_sha256, "bytes": c.bytes,
        }) for c in hashed]  # fmt: skip
        leaves = leaf_hashes(encode_batch(chunks, now))  # as append_at encodes them
        seal = Entry("seal", {
            "recording": first, "chunks": len(chunks), "root": tree_hash(leaves).hex(),
            "frames": hashed[-1].end, "sha256": sha256,
        })  # fmt: skip
        if content is None:
            return [ingest, *chunks, seal]
        return [ingest, *chunks, seal, fingerprint_entry(first, 0, len(chunks) - 1, leaves,
                                                         content)]

    try:
        indices = ledger.append_at(entries, key=key, now=now)
    except LedgerError as exc:
        raise LedgerError(f"{exc.what}: {name} was not added (no entry of it is in the ledger)",
                          path=exc.path, hint=exc.hint) from None  # fmt: skip
    return indices[0]


def session_facts(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What an ``ingest`` entry records of the session record a recording belongs to: its
    court and case, its file name and the SHA-256 of its bytes. The record is read (and
    checked) as ``auditor scan --session`` reads it, JSON or CSV."""
    from ..media import file_sha256
    from ..session import load_session

    record = load_session(path)
    facts = {k: v for k, v in (("court", record.court), ("case", record.case))
             if isinstance(v, str)}
    return {**facts, "file": os.path.basename(path), "sha256": file_sha256(path)}
