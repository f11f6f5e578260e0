"""Outputs that appear whole or not at all, and never in place of an input.

A report is written to a temporary file in the target's own folder, flushed to disk, then
renamed over the target (``os.replace``, atomic on POSIX and Windows): a crash, a full disk or an
interrupted run leaves the previous file as it was and no half-written one. A folder or a zip that
must not replace anything (an evidence bundle) is built under a temporary name beside its target
and moved into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError

__all__ = ["write_atomic", "new_path", "refuse_inputs"]


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file beside it, fsync, ``os.replace``).

    An existing file keeps its permission bits; a new one gets the usual ``0666 & ~umask``. A
    symbolic link stays a link (the file it names is replaced); what is not a regular file (a
    device such as ``/dev/null``, a pipe) is written to, never replaced.

    Raises
    ------
    InputError
        If the folder cannot be written or the disk is full; the temporary file is removed and
        the previous ``path``, if any, is left as it was.
    """
    target = Path(path)
    try:
        st = target.stat()  # follows a symbolic link
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        # a device, a pipe or a terminal (-o /dev/null, -o /dev/stdout): written to as it is;
        # replacing it would put a plain file where the system's device was
        try:
            with open(target, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise InputError(f"cannot write the output: {exc.strerror or exc}",
                             path=target) from None
        return
    if st is not None:
        target = Path(os.path.realpath(target))  # the file a link names: the link stays a link
    mode = stat.S_IMODE(st.st_mode) if st is not None else _new_file_mode()
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise InputError(f"cannot write the output: {exc.strerror or exc}", path=target,
                         hint="check the folder exists, is writable and has space") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def new_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to build a new file or folder in, moved to ``path`` when
    the block ends without an error, and removed when it raises.

    Nothing existing is replaced: if ``path`` appeared in the meantime, :class:`InputError`.
    """
    target = Path(path)
    if os.path.lexists(target):
        raise InputError("refusing to overwrite an existing output", path=target,
                         hint="choose a new name")
    try:
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    except OSError as exc:
        raise InputError(f"cannot write the output: {exc.strerror or exc}", path=target) from None
    try:
        built = work / target.name
        try:
            yield built
        except OSError as exc:
            raise InputError(f"the output was not written: {exc.strerror or exc}", path=target,
                             hint="check the folder is writable and has space") from None
        try:
            if built.is_dir():
                os.rename(built, target)  # fails on an existing non-empty folder
            else:
                os.link(built, target)  # fails on any existing file: no overwrite
        except FileExistsError:
            raise InputError("refusing to overwrite an existing output", path=target,
                             hint="choose a new name") from None
        except OSError as exc:
            raise InputError(f"cannot write the output: {exc.strerror or exc}",
                             path=target) from None
        _sync_folder(target.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def refuse_inputs(output: str | os.PathLike[str], inputs: Iterable[object]) -> None:
    """Raise :class:`InputError` if ``output`` is one of ``inputs`` or inside an input folder.

    Files are compared by identity (device and inode), so a symbolic link, a hard link, a
    ``./`` or another spelling of an input is caught as well as its own name. Values in
    ``inputs`` that are not paths of existing files are ignored.
    """
    try:
        out = os.stat(output)
    except (OSError, ValueError):
        return  # a new file replaces nothing
    real_out = os.path.realpath(output)
    for value in inputs:
        if not isinstance(value, str | os.PathLike) or not os.fspath(value):
            continue
        try:
            st = os.stat(value)
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            raise InputError(
                f"the output is also an input of this command ({os.fspath(value)}); writing it "
                "would destroy that input",
                path=output, hint="write the output to another file")
        if stat.S_ISDIR(st.st_mode):
            folder = os.path.realpath(value)
            if os.path.commonpath([folder, real_out]) == folder:
                raise InputError(
                    f"the output is an existing file inside {os.fspath(value)}, a folder this "
                    "command reads; writing it would replace one of its files",
                    path=output, hint="write the output outside that folder")
