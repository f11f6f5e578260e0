"""Read a session record from a file: JSON or CSV by its suffix, with size and type checks.

The one place that opens a session record, so that every command (``scan --session``,
``ledger add --session``, ``archive audit``) reads JSON and CSV alike.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from ..errors import SessionError
from .csvform import session_from_csv
from .record import MAX_RECORD_BYTES, Session

__all__ = ["load_session"]


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read a session record from a ``.json`` or ``.csv`` file.

    Parameters
    ----------
    path
        The record. Relative recording paths in it resolve against its folder.

    Returns
    -------
    Session

    Raises
    ------
    SessionError
        If the file cannot be read, is not JSON/CSV, or breaks a rule of ``auditor.session/1``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise SessionError(
            f"cannot tell the format of a {suffix or 'suffix-less'} file",
            path=p,
            hint="name the session record *.json or *.csv",
        )
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SessionError(
                "the session record is not a regular file", path=p, hint="give the record's file"
            )
        size = info.st_size
        if size > MAX_RECORD_BYTES:
            raise SessionError(
                f"the file is {size / 2**20:.1f} MB; a session record is a few kilobytes "
                f"(at most {MAX_RECORD_BYTES // 2**20} MB are read)",
                path=p,
                hint="check that this is the session record of one hearing",
            )
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SessionError("session record not found", path=p, hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(
            f"cannot read the session record: {exc}", path=p, hint="save it as UTF-8 text"
        ) from None
    if suffix == ".csv":
        return session_from_csv(text, base_dir=p.parent, source=p)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            path=p,
            hint="fix the JSON syntax",
        ) from None
    except ValueError as exc:  # an integer of thousands of digits
        what = str(exc).partition(";")[0]
        raise SessionError(f"not valid JSON: {what}", path=p, hint="fix the value") from None
    except RecursionError:
        raise SessionError(
            "the JSON is nested too deeply to be a session record",
            path=p,
            hint="a session record nests objects and lists three levels deep; check the file",
        ) from None
    return Session.from_json(data, base_dir=p.parent, source=p)
