"""Uploads: a multipart form streamed to disk inside one job's folder, capped, names made safe.

The body (``multipart/form-data``, RFC 7578) is parsed as it arrives (``python_multipart``,
the parser Starlette itself uses), and each file's bytes go straight to its final place in the
job's folder: nothing is spooled elsewhere. A body whose declared length (``Content-Length``)
exceeds the cap is refused before a byte of it is read; a body that grows past the cap while
streaming (chunked, or lying) is refused as soon as it does, and the caller removes the folder,
so nothing is left written.

A file's name is only ever its last path component, checked by :func:`safe_name`: it cannot
climb out of the folder (``../``), be absolute, hide (a leading dot) or carry control
characters.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from ..report.explain import N_
from .messages import AppError

__all__ = ["UploadError", "Upload", "safe_name", "check_length", "receive_form",
           "MAX_UPLOAD", "MAX_FIELD", "MAX_PARTS"]

#: The default cap on one form's body (bytes): eight hours of 48 kHz 16-bit stereo WAV fit.
MAX_UPLOAD = 8 * 2**30
#: The longest text field read (bytes): far beyond any court's name or act's reason.
MAX_FIELD = 64 * 2**10
#: The most parts (files and fields) one form may hold.
MAX_PARTS = 2000
_NAME_MAX = 255  # bytes in one path component on every common file system


class UploadError(AppError):
    """An upload refused: too large, malformed, or a file name that cannot be used.

    ``status`` is the HTTP status the app answers with (413 too large, 400 otherwise); the
    message and advice are catalog ids, their values apart (:class:`.messages.AppError`).
    """

    def __init__(self, what: str, *, status: int = 400, hint: str | None = None,
                 **values: Any) -> None:
        super().__init__(what, hint=hint, **values)
        self.status = status


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.1f} MB"


def too_large(cap: int, claimed: int | None = None) -> UploadError:
    """The error of a body over ``cap`` bytes."""
    hint = N_("start the app with a larger --max-upload, or check fewer files")
    if claimed:
        return UploadError(N_("the upload is %(size)s, over the limit of %(cap)s; nothing was "
                              "kept"), status=413, hint=hint, size=_size(claimed), cap=_size(cap))
    return UploadError(N_("the upload passed the limit of %(cap)s; nothing was kept"),
                       status=413, hint=hint, cap=_size(cap))


def safe_name(raw: str) -> str:
    """The file name to store an upload under: its last path component, checked.

    Raises
    ------
    UploadError
        When no usable name remains (empty, ``.``/``..``, hidden, control characters, too long).
    """
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise UploadError(N_("the file name %(name)s holds control characters"), name=repr(raw),
                          hint=N_("rename the file with letters, digits, dots and dashes"))
    if name in ("", ".", "..") or name.startswith("."):
        raise UploadError(N_("the file name %(name)s cannot be used"), name=repr(raw),
                          hint=N_("rename the file so that its name does not start with a dot"))
    if len(name.encode("utf-8")) > _NAME_MAX:
        raise UploadError(N_("the file name %(name)s... is longer than %(max)s bytes"),
                          name=repr(name[:40]), max=_NAME_MAX,
                          hint=N_("rename the file with a shorter name"))
    return name


def check_length(headers: Mapping[str, str], cap: int, folder: Path) -> None:
    """Refuse a body whose declared length is over ``cap`` or over the free disk space,
    before any of it is read."""
    text = headers.get("content-length")
    if text is None:
        return  # chunked: the stream is counted as it comes
    try:
        claimed = int(text)
    except ValueError:
        raise UploadError(N_("Content-Length %(value)s is not a number"),
                          value=repr(text[:20])) from None
    if claimed > cap:
        raise too_large(cap, claimed)
    free = _free_bytes(folder)
    if claimed > free:
        raise UploadError(N_("the upload is %(size)s but the disk holding the app's temporary "
                             "folder has %(free)s free; nothing was kept"),
                          size=_size(claimed), free=_size(free), status=413,
                          hint=N_("free some disk space, or check fewer files"))


def _free_bytes(folder: Path) -> int:
    import shutil

    return shutil.disk_usage(folder).free


@dataclass
class Upload:
    """What a form brought: its text fields and the files written, by field name."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[Path]] = field(default_factory=dict)

    def text(self, name: str, default: str = "") -> str:
        """The first value of a text field (stripped), or ``default``."""
        values = self.fields.get(name)
        return values[0].strip() if values else default


class _Receiver:
    """Callbacks for :class:`MultipartParser` that write each file part into ``folder``."""

    def __init__(self, folder: Path, file_fields: frozenset[str]) -> None:
        self.folder, self.file_fields = folder, file_fields
        self.upload = Upload()
        self.names: set[str] = set()
        self.parts = 0
        self._header = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._out: IO[bytes] | None = None
        self._field: str | None = None
        self._text: bytearray | None = None

    def callbacks(self) -> Any:
        return {"on_part_begin": self._begin, "on_header_field": self._hfield,
                "on_header_value": self._hvalue, "on_header_end": self._hend,
                "on_headers_finished": self._headers_done, "on_part_data": self._data,
                "on_part_end": self._end}

    def _begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadError(N_("the form has more than %(max)s parts"), max=MAX_PARTS)
        self._headers, self._field, self._text, self._out = {}, None, None, None

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _hend(self) -> None:
        self._headers[self._header.lower()] = self._value
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        self._field = name
        if b"filename" not in options:
            self._text = bytearray()
            return
        raw = options[b"filename"].decode("utf-8", "replace")
        if not raw:
            return  # a file input left empty
        if name not in self.file_fields:
            raise UploadError(N_("unexpected file in the form field %(field)s"),
                              field=repr(name))
        stored = safe_name(raw)
        if stored in self.names:
            raise UploadError(N_("two files are named %(name)s"), name=repr(stored),
                              hint=N_("give each file once, or rename one of them"))
        self.names.add(stored)
        path = self.folder / stored
        # O_EXCL: never through a link or over a file already there
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        self._out = os.fdopen(fd, "wb")
        self.upload.files.setdefault(name, []).append(path)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > MAX_FIELD:
                raise UploadError(N_("the form field %(field)s is longer than %(max)s KB"),
                                  field=repr(self._field), max=MAX_FIELD // 1024)

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._text is not None and self._field is not None:
            value = self._text.decode("utf-8", "replace")
            self.upload.fields.setdefault(self._field, []).append(value)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive_form(headers: Mapping[str, str], body: AsyncIterator[bytes], folder: Path, *,
                       cap: int, file_fields: frozenset[str]) -> Upload:
    """Stream a ``multipart/form-data`` body into ``folder`` (which must exist and be empty).

    Raises
    ------
    UploadError
        Over ``cap`` bytes (declared or streamed: 413), not a multipart form, malformed, or a
        file name that cannot be used. The caller removes ``folder``: what was written of the
        refused upload goes with it.
    """
    kind, options = parse_options_header(headers.get("content-type", ""))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise UploadError(N_("the form was not sent as multipart/form-data"))
    check_length(headers, cap, folder)
    receiver = _Receiver(folder, file_fields)
    parser = MultipartParser(options[b"boundary"], receiver.callbacks())
    seen = 0
    try:
        async for chunk in body:
            seen += len(chunk)
            if seen > cap:
                raise too_large(cap)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise UploadError(N_("the form is malformed: %(error)s"), error=str(exc)) from None
    except OSError as exc:
        raise UploadError(N_("cannot store the upload: %(error)s"), error=str(exc.strerror),
                          hint=N_("check the free disk space")) from None
    finally:
        receiver.close()
    return receiver.upload
