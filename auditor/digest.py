"""SHA-256 of a file's bytes, and the hash of a recording started before the scan needs it.

This module imports nothing heavier than :mod:`hashlib` and :mod:`threading`, so the command
line can start hashing the first recording (:class:`EarlyDigest`) before it imports the scan's
own modules (numpy, libsndfile, the detectors: about 0.2 s of one core). The hash runs on the
other core meanwhile, instead of later beside the decoding, where both cores are busy: on the
2 h benchmark WAV (``bench/bench_scan.py``) that is 0.12-0.17 CPU-seconds taken off the
streaming pass. ``hashlib`` releases the interpreter lock over large buffers, so the imports
do not wait for it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from concurrent.futures import Future

from .errors import MediaError

__all__ = ["file_sha256", "EarlyDigest"]

_HASH_CHUNK = 1 << 22


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


class EarlyDigest:
    """The SHA-256 of one file, computed on a thread of its own from the moment it is made.

    The file's size and modification time are taken before the first byte is read. The scan
    uses the result (:meth:`job`) only for the same file, still of that size and time when
    it was probed: the scan checks them again after decoding (``auditor.scan``), so the hash,
    the decoded audio and the report are all of the same bytes. Only a regular file is hashed
    early (a pipe or a device read here would be read twice, or forever); for anything else,
    :meth:`job` gives None and the scan hashes the file itself, as it would without this.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._future: Future[str] = Future()
        try:
            st = os.stat(self.path)
            self._key: tuple[str, int, float] | None = (
                os.path.realpath(self.path), st.st_size, st.st_mtime)
            regular = stat.S_ISREG(st.st_mode)
        except OSError:
            self._key, regular = None, False
        if regular:
            threading.Thread(target=self._run, name="auditor-digest", daemon=True).start()
        else:
            self._key = None

    def _run(self) -> None:
        try:
            self._future.set_result(file_sha256(self.path))
        except BaseException as exc:  # noqa: BLE001 - handed over by the future
            self._future.set_exception(exc)

    def job(self, path: str, size: int, mtime: float) -> Future[str] | None:
        """The hash under way, if it is of ``path`` as it was probed (``size`` bytes, modified
        at ``mtime``); else None."""
        if self._key is None or self._key != (os.path.realpath(path), size, mtime):
            return None
        return self._future
