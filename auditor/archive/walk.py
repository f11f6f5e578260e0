"""Discover an archive: recordings and session records at any depth, and what could not be read.

The walk is breadth-first over sorted names, so two walks of the same tree list the same files in
the same order. A symbolic link to something inside the archive is noted and skipped (it is
walked at its own path: a link to a parent folder is a loop); a link that leads out of the
archive is followed, and every folder and file is visited once by its device and inode, so
nothing is counted twice and no loop is walked forever. Names starting with ``.`` are skipped
(hidden files, the audit's own state). A folder or file the audit cannot read is a problem the
report lists, never a silent omission.

A file is a recording by its extension (:data:`RECORDING_EXTENSIONS`); a session record is a
``.json`` file that declares ``"schema": "auditor.session/1"`` in its first 4 KiB, or a ``.csv``
file whose name contains ``session``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RECORDING_EXTENSIONS", "Found", "Problem", "Walk", "walk_archive"]

#: File name extensions of the recordings an archive holds (lower case).
RECORDING_EXTENSIONS = frozenset({
    ".wav", ".bwf", ".rf64", ".w64", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aac", ".m4a",
    ".wma", ".asf", ".mp4", ".mov", ".mkv", ".avi", ".ts", ".mts", ".m2ts", ".webm", ".3gp",
})  # fmt: skip
_SESSION_MARK = b"auditor.session/1"


@dataclass(frozen=True)
class Found:
    """A file found in the archive.

    ``rel`` is its path from the archive root with ``/`` separators (the name reports use);
    ``path`` the absolute path to open; ``size`` bytes, ``mtime_ns`` and ``inode`` its identity:
    a file whose identity is unchanged since it was audited is not read again.
    """

    rel: str
    path: str
    size: int
    mtime_ns: int
    inode: int

    @property
    def identity(self) -> tuple[int, int, int]:
        """``(size, mtime_ns, inode)``."""
        return self.size, self.mtime_ns, self.inode


@dataclass(frozen=True)
class Problem:
    """A path the walk could not use: ``kind`` is ``denied``, ``loop``, ``alias``,
    ``duplicate`` or ``dangling``; ``blocking`` when files may be missing from the audit."""

    rel: str
    kind: str
    message: str
    blocking: bool

    def to_json(self) -> dict[str, object]:
        """The problem as the report lists it."""
        return {"path": self.rel, "kind": self.kind, "message": self.message,
                "blocking": self.blocking}  # fmt: skip


@dataclass
class Walk:
    """What :func:`walk_archive` found."""

    root: str
    recordings: list[Found] = field(default_factory=list)
    sessions: list[Found] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _is_session(path: str, name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".csv"):
        return "session" in lower
    if not lower.endswith(".json"):
        return False
    try:
        with open(path, "rb") as fh:
            return _SESSION_MARK in fh.read(4096)
    except OSError:
        return False


def _rel(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def walk_archive(root: str | os.PathLike[str], *, extra: str | os.PathLike[str] | None = None,
                 skip: tuple[str, ...] = ()) -> Walk:
    """Walk ``root`` (and the session folder ``extra``, if given) at any depth.

    Parameters
    ----------
    root
        The archive folder.
    extra
        A folder of session records kept apart from the recordings (``--sessions``); its files
        are named ``sessions:REL`` in the report.
    skip
        Absolute paths never to list (the audit's own state and report files).

    Returns
    -------
    Walk
        Recordings and session records sorted by their ``rel`` path, and the problems met.
    """
    top = os.path.abspath(root)
    out = Walk(root=top)
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    skipped = {os.path.abspath(p) for p in skip}
    starts = [("", top)] + ([("sessions:", os.path.abspath(extra))] if extra else [])
    real_roots = [os.path.realpath(start) for _, start in starts]
    for prefix, start in starts:
        queue: deque[tuple[str, str]] = deque([(prefix.rstrip("/"), start)])
        try:
            st = os.stat(start)
            seen_dirs.add((st.st_dev, st.st_ino))
        except OSError as exc:
            out.problems.append(Problem(prefix or ".", "denied", f"cannot open: {exc.strerror}",
                                        True))  # fmt: skip
            continue
        while queue:
            base, folder = queue.popleft()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                out.problems.append(Problem(base or ".", "denied",
                                            f"cannot list the folder: {exc.strerror}", True))
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.path in skipped:
                    continue
                rel = _rel(base, entry.name) if base != "sessions:" else f"sessions:{entry.name}"
                if entry.is_symlink() and _inside(entry.path, real_roots):
                    out.problems.append(_alias(entry, rel))
                    continue
                _visit(out, entry, rel, queue, seen_dirs, seen_files, is_extra=bool(prefix))
    out.recordings.sort(key=lambda f: f.rel)
    out.sessions.sort(key=lambda f: f.rel)
    return out


def _inside(path: str, roots: list[str]) -> bool:
    target = os.path.realpath(path)
    return any(target == r or target.startswith(r + os.sep) for r in roots)


def _alias(entry: os.DirEntry[str], rel: str) -> Problem:
    """A link to something inside the archive: it is walked at its own path, not here."""
    try:
        os.stat(entry.path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Problem(rel, "loop", "symbolic link loop: skipped", False)
        return Problem(rel, "dangling", "symbolic link to nothing: skipped", False)
    target = os.path.realpath(entry.path)
    if os.path.isdir(target):
        here = os.path.realpath(os.path.dirname(entry.path))
        if here == target or here.startswith(target + os.sep):
            return Problem(rel, "loop", "symbolic link to a folder above it (a loop): skipped",
                           False)
        return Problem(rel, "alias", "symbolic link to a folder of the archive, walked at its "
                       "own path: skipped", False)  # fmt: skip
    return Problem(rel, "duplicate", "symbolic link to a file of the archive, listed at its own "
                   "path: skipped", False)  # fmt: skip


def _visit(out: Walk, entry: os.DirEntry[str], rel: str, queue: deque[tuple[str, str]],
           seen_dirs: set[tuple[int, int]], seen_files: set[tuple[int, int]], *,
           is_extra: bool) -> None:
    try:
        st = entry.stat(follow_symlinks=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            out.problems.append(Problem(rel, "loop", "symbolic link loop: skipped", False))
        elif exc.errno == errno.ENOENT and entry.is_symlink():
            out.problems.append(Problem(rel, "dangling",
                                        "symbolic link to nothing: skipped", False))
        elif exc.errno == errno.ENOENT:
            pass  # removed between listing and stat: it is simply not in the archive now
        else:
            out.problems.append(Problem(rel, "denied", f"cannot stat: {exc.strerror}", True))
        return
    ident = (st.st_dev, st.st_ino)
    if stat.S_ISDIR(st.st_mode):
        if ident in seen_dirs:
            out.problems.append(Problem(rel, "loop", "a link to a folder already walked (a loop "
                                        "or a second path to it): skipped", False))
            return
        seen_dirs.add(ident)
        queue.append((rel, entry.path))
        return
    if not stat.S_ISREG(st.st_mode):
        return
    suffix = Path(entry.name).suffix.lower()
    recording = suffix in RECORDING_EXTENSIONS and not is_extra
    if not recording and not (suffix in (".json", ".csv") and _is_session(entry.path, entry.name)):
        return
    if ident in seen_files:
        out.problems.append(Problem(rel, "duplicate", "a second path to a file already listed "
                                    "(hard or symbolic link): skipped", False))
        return
    seen_files.add(ident)
    found = Found(rel, entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
    (out.recordings if recording else out.sessions).append(found)
