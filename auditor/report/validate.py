"""Check a saved report against ``auditor.report/1`` before anything renders it.

A report read back from disk may have been edited by hand or damaged. Every field the renderers
read is checked here, with the same parsers they use (``datetime.fromisoformat`` for times, the
session record's own parser for ``session``), so a bad value is named here, with its field and
what to do, instead of failing somewhere inside a renderer.

This is a small explicit validator rather than a JSON Schema: the checks that matter (a time
that Python's parser reads and that carries an offset, a finite number, a severity the renderers
know, a session record that passes its own validation) are not expressible in JSON Schema
without format-checker extras that are skipped, silently, when they are not installed; and its
messages can say what to do.
"""

from __future__ import annotations

import math
import os
import reprlib
from datetime import UTC
from typing import Any

from ..errors import InputError, SessionError
from ..findings import SEVERITIES
from .model import SCHEMA

__all__ = ["MAX_DEPTH", "validate_report"]

#: How deep objects and lists may nest (a report the tool writes nests six levels deep).
MAX_DEPTH = 32
_FORMAT = ("sample_rate", "channels", "codec", "container")
_HINT = "give the unmodified file written by auditor scan (or ledger verify, archive audit)"


class _Bad(Exception):
    def __init__(self, where: str, what: str, hint: str | None = None) -> None:
        super().__init__(where, what)
        self.where, self.what, self.hint = where, what, hint


def _depth(report: dict[str, Any]) -> None:
    """Refuse nesting past :data:`MAX_DEPTH`, naming the field three levels down it is in."""
    stack: list[tuple[Any, str, int]] = [(v, str(k), 1) for k, v in report.items()]
    while stack:
        obj, at, level = stack.pop()
        if level > MAX_DEPTH:
            raise _Bad(at, f"is nested deeper than {MAX_DEPTH} levels")
        named = level < 3  # findings[0].evidence: deeper keys would make the name unreadable
        if isinstance(obj, dict):
            stack += [(v, f"{at}.{k}" if named else at, level + 1) for k, v in obj.items()]
        elif isinstance(obj, list):
            stack += [(v, f"{at}[{i}]" if named else at, level + 1) for i, v in enumerate(obj)]


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60
_SHOW.maxlevel = 2


def _show(value: Any) -> str:
    return _SHOW.repr(value)


def _text(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _Bad(f"{where}{key}", f"must be text, got {_show(value)}")


def _number(obj: dict[str, Any], key: str, where: str, *, optional: bool = True,
            whole: bool = False, lo: float | None = None, hi: float | None = None) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    kind = "a whole number" if whole else "a number"
    if lo is not None and hi is not None:
        kind += f" in {lo:g}..{hi:g}"
    unit = " of seconds" if key in ("start", "end", "duration") else ""
    if isinstance(value, bool) or not isinstance(value, int | float) or (
            whole and not isinstance(value, int)):
        raise _Bad(f"{where}{key}", f"must be {kind}{unit}, got {_show(value)}")
    if not math.isfinite(value):
        raise _Bad(f"{where}{key}", f"must be a finite number, got {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise _Bad(f"{where}{key}", f"must be {kind}, got {value}")


def _time(obj: dict[str, Any], key: str, where: str, *, optional: bool = True,
          naive: bool = False) -> None:
    """An ISO 8601 time with a UTC offset (``naive``: the offset may be missing)."""
    from datetime import datetime

    from ..session.record import parse_time  # the session record's parser and its messages

    value = obj.get(key)
    if value is None and optional:
        return
    if naive and isinstance(value, str):
        try:
            value = datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
        except ValueError:
            pass  # parse_time says what is wrong with it
    try:
        parse_time(value, where=f"{where}{key}", source=None)
    except SessionError as exc:
        raise _Bad("", exc.what, exc.hint) from None


def _object(value: Any, where: str, *, null: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(where, f"must be an object{' or null' if null else ''}, got "
                          f"{type(value).__name__} {_show(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(where, f"must be a list, got {type(value).__name__} {_show(value)}")
    return value


def _file(entry: Any, where: str) -> None:
    f = _object(entry, where)
    w = where + "."
    _text(f, "path", w)
    _text(f, "sha256", w, optional=True)
    sha = f.get("sha256")
    if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise _Bad(f"{w}sha256", f"must be 64 hexadecimal digits, got {_show(sha)}")
    _number(f, "duration", w, lo=0.0, hi=math.inf)
    for key in ("sample_rate", "channels", "size"):
        _number(f, key, w, whole=True, lo=0, hi=math.inf)
    for key in ("codec", "container", "location"):
        _text(f, key, w, optional=True)
    given = [k for k in _FORMAT if f.get(k) is not None]
    if given and len(given) < len(_FORMAT):
        missing = next(k for k in _FORMAT if k not in given)
        raise _Bad(where, f"gives {given[0]} but no {missing}",
                   f"a file's {', '.join(_FORMAT)} come together; " + _HINT)
    _time(f, "embedded_start", w, naive=True)  # a BWF bext start is local time
    checks = f.get("checks")
    if checks is not None:
        splice = _object(checks, f"{w}checks").get("splice")
        for name, check in (_object(splice, f"{w}checks.splice") if splice is not None
                            else {}).items():
            c = _object(check, f"{w}checks.splice.{name}")
            if not isinstance(c.get("applicable"), bool):
                raise _Bad(f"{w}checks.splice.{name}.applicable",
                           f"must be true or false, got {_show(c.get('applicable'))}")
            _text(c, "reason", f"{w}checks.splice.{name}.", optional=c["applicable"])


def _finding(entry: Any, where: str) -> None:
    f = _object(entry, where)
    w = where + "."
    for key in ("kind", "detector", "message"):
        _text(f, key, w)
    for key in ("file", "rule"):
        _text(f, key, w, optional=True)
    severity = f.get("severity")
    if severity not in SEVERITIES:
        raise _Bad(f"{w}severity", f"{_show(severity)} is not one of {', '.join(SEVERITIES)}")
    _number(f, "confidence", w, optional=False, lo=0.0, hi=1.0)
    _number(f, "start", w)
    _number(f, "end", w)
    _time(f, "wall_start", w)
    _time(f, "wall_end", w)
    if f.get("evidence") is not None:
        _object(f["evidence"], f"{w}evidence")


def _session(value: Any) -> None:
    """The session record's fields that are present, each of the type the renderers read.

    Not :meth:`Session.from_json`: a report may carry part of a record (court, case, start are
    enough for the statistics), and a record that breaks a rule tying fields together (a
    break outside the session) still renders, on the files' own time axes.
    """
    from datetime import date

    from ..session import SCHEMA as SESSION_SCHEMA

    s = _object(value, "session", null=True)
    if s.get("schema", SESSION_SCHEMA) != SESSION_SCHEMA:
        raise _Bad("session.schema", f"{_show(s['schema'])} is not {SESSION_SCHEMA}")
    for key in ("court", "case", "judge", "secretary"):
        _text(s, key, "session.", optional=True)
    for key in ("start", "end"):
        _time(s, key, "session.")
    verdict = s.get("verdict_in_force")
    if verdict is not None:
        try:
            date.fromisoformat(verdict if isinstance(verdict, str) else "")
        except ValueError:
            raise _Bad("session.verdict_in_force", f"{_show(verdict)} is not a date",
                       'write it like "2026-04-01"') from None
    # list -> (times it must give, times it may give, text it must give)
    lists = {"breaks": (("start", "end"), (), ()),
             "acts": (("start", "end"), ("signed_at",), ()),
             "recordings": ((), ("start",), ("file",))}
    for name, (times, maybe_times, texts) in lists.items():
        if s.get(name) is None:
            continue
        for i, item in enumerate(_list(s[name], f"session.{name}")):
            w = f"session.{name}[{i}]."
            obj = _object(item, w[:-1])
            for key in times:
                _time(obj, key, w, optional=False)
            for key in maybe_times:
                _time(obj, key, w)
            for key in texts:
                _text(obj, key, w)
            _text(obj, "reason", w, optional=True)
            signed = obj.get("signed_by")
            if signed is not None and (not isinstance(signed, list)
                                       or not all(isinstance(n, str) for n in signed)):
                raise _Bad(f"{w}signed_by", f"must be a list of names, got {_show(signed)}")


def _comparison(data: dict[str, Any]) -> None:
    """A copy comparison's fields (``auditor compare``), each of the type its page reads."""
    comp = _object(data["comparison"], "comparison")
    for key in ("offset", "speed_ratio", "coverage", "reference_duration", "copy_duration"):
        _number(comp, key, "comparison.", optional=False,
                lo=0.0 if key.endswith("duration") else None, hi=None)
    for i, entry in enumerate(_list(comp.get("segments") or [], "comparison.segments")):
        seg, w = _object(entry, f"comparison.segments[{i}]"), f"comparison.segments[{i}]."
        _number(seg, "copy_start", w, optional=False)
        _number(seg, "copy_end", w, optional=False)
        _number(seg, "offset", w)
        _number(seg, "ber", w)
    if comp.get("reference_source") is not None:
        _object(comp["reference_source"], "comparison.reference_source")
    params = (data["tool"].get("parameters") or {})
    _number(params, "min_span", "tool.parameters.")
    if params.get("fingerprint") is not None:
        _object(params["fingerprint"], "tool.parameters.fingerprint")
    for i, f in enumerate(data["findings"]):
        if f.get("detector") != "compare":
            continue
        w = f"findings[{i}]."
        _number(f, "start", w, optional=False)
        _number(f, "end", w, optional=False)
        ev = _object(f.get("evidence"), f"{w}evidence")
        for key in ("reference_start", "reference_end", "length"):
            _number(ev, key, f"{w}evidence.", optional=False)
        for key in ("copy_start_joined", "copy_end_joined", "reference_start_joined",
                    "reference_end_joined"):
            _number(ev, key, f"{w}evidence.")


def _check(data: Any) -> None:
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise _Bad("", f"not an {SCHEMA} report (schema: {_show(got)})")
    for key in ("tool", "created", "files", "findings"):
        if key not in data:
            raise _Bad("", f"the report has no {key!r} field")
    _depth(data)
    tool = _object(data["tool"], "tool")
    _text(tool, "version", "tool.")
    if tool.get("parameters") is not None:
        _object(tool["parameters"], "tool.parameters")
    _time(data, "created", "", optional=False)
    for i, entry in enumerate(_list(data["files"], "files")):
        _file(entry, f"files[{i}]")
    for i, entry in enumerate(_list(data["findings"], "findings")):
        _finding(entry, f"findings[{i}]")
    if data.get("session") is not None:
        _session(data["session"])
    for i, entry in enumerate(_list(data.get("unreadable") or [], "unreadable")):
        u = _object(entry, f"unreadable[{i}]")
        _text(u, "path", f"unreadable[{i}].")
        _text(u, "error", f"unreadable[{i}].")
    for key in ("summary", "ledger"):
        if data.get(key) is not None:
            _object(data[key], key, null=True)
    if "comparison" in data:
        _comparison(data)


def validate_report(data: Any, *, path: str | os.PathLike[str] | None = None) -> None:
    """Check a decoded report; :class:`InputError` naming the field and the file when it fails.

    Parameters
    ----------
    data
        The decoded JSON.
    path
        The report's file, named in the error.

    Raises
    ------
    InputError
        Naming the field (``findings[3].start``), the value, and what to do.
    """
    try:
        _check(data)
    except _Bad as bad:
        what = f"{bad.where} {bad.what}" if bad.where else bad.what
        raise InputError(what, path=path, hint=bad.hint or _HINT) from None
