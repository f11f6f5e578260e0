"""The CSV form of a session record, for court IT exports.

One row per event, with a header row. The ``event`` column says what the row is:

========== ==================================================================================
event      columns it uses (others stay empty)
========== ==================================================================================
session    ``start``, ``end``, ``court``, ``case``, ``judge``, ``secretary``,
           ``verdict_in_force``, ``grid_hz`` (optional: 50 or 60),
           ``schema`` (optional; ``auditor.session/1`` if empty)
break      ``start``, ``end``, ``reason``
recording  ``file``, ``start`` (optional)
act        ``start``, ``end``, ``reason``, ``signed_at``, ``signed_by`` (names separated by ``;``)
========== ==================================================================================

Exactly one ``session`` row; rows may come in any order. Only the ``event`` column is required in
the header; a column the file does not use may be left out. Times are ISO 8601 with a UTC offset,
as in the JSON form. Example::

    event,start,end,file,reason,signed_at,signed_by
    session,2026-03-02T10:00:00+05:00,2026-03-02T12:30:00+05:00,,,,
    break,2026-03-02T11:00:00+05:00,2026-03-02T11:15:00+05:00,,recess,,
    recording,2026-03-02T10:00:04+05:00,,part1.wav,,,
    act,2026-03-02T10:47:00+05:00,2026-03-02T10:59:00+05:00,,power cut,2026-03-02T13:00+05:00,A;B
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from ..errors import SessionError
from ._parse import show
from .record import SCHEMA, Session

__all__ = ["CSV_COLUMNS", "session_from_csv", "session_to_csv"]

CSV_COLUMNS = (
    "event",
    "start",
    "end",
    "file",
    "reason",
    "signed_at",
    "signed_by",
    "court",
    "case",
    "judge",
    "secretary",
    "verdict_in_force",
    "schema",
    "grid_hz",
)

_EVENTS = {"session": None, "break": "breaks", "recording": "recordings", "act": "acts"}


def session_from_csv(
    text: str,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    source: str | os.PathLike[str] | None = None,
) -> Session:
    """Parse and validate a session record in CSV form.

    Parameters
    ----------
    text
        The CSV text, header first.
    base_dir
        The folder relative recording paths resolve against.
    source
        The file, named in error messages.

    Returns
    -------
    Session

    Raises
    ------
    SessionError
        Naming the row, the column and the value.
    """
    src = None if source is None else os.fspath(source)
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise SessionError(
            "the CSV session record is empty",
            path=src,
            hint=f"start with a header row: {','.join(CSV_COLUMNS)}",
        ) from None
    except csv.Error as exc:
        raise SessionError(f"not valid CSV: {exc}", path=src) from None
    if "event" not in header:
        raise SessionError(
            f"the header row {show(','.join(header))} has no 'event' column",
            path=src,
            hint=f"start with a header row: {','.join(CSV_COLUMNS)}",
        )
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise SessionError(
            f"the header names the column {show(twice[0])} twice",
            path=src,
            hint="name each column once; the second would silently replace the first",
        )
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise SessionError(
            f"the header names an unknown column {show(unknown[0])}",
            path=src,
            hint=f"known columns are {', '.join(CSV_COLUMNS)}",
        )
    data: dict[str, Any] = {"schema": SCHEMA, "breaks": [], "recordings": [], "acts": []}
    labels: dict[str, str] = {}
    session_row: int | None = None
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise SessionError(
            f"not valid CSV: {exc}", path=src, hint="check the quotes: a cell left open runs on"
        ) from None
    for lineno, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise SessionError(
                f"row {lineno} has {len(row)} cells but the header has {len(header)}",
                path=src,
                hint="quote cells that contain commas",
            )
        cells: dict[str, Any] = {
            k: v.strip() for k, v in zip(header, row, strict=False) if v.strip()
        }
        event = cells.pop("event", "").lower()
        if event not in _EVENTS:
            raise SessionError(
                f"row {lineno} event {show(event)} is not one of {', '.join(_EVENTS)}",
                path=src,
                hint="write session, break, recording or act in the event column",
            )
        if "signed_by" in cells:
            cells["signed_by"] = [s.strip() for s in cells["signed_by"].split(";") if s.strip()]
        key = _EVENTS[event]
        if key is None:
            if session_row is not None:
                raise SessionError(
                    f"row {lineno} is a second session row (the first is row {session_row})",
                    path=src,
                    hint="a CSV record holds one session",
                )
            session_row = lineno
            if "schema" in cells and cells["schema"] != SCHEMA:
                data["schema"] = cells.pop("schema")
            cells.pop("schema", None)
            data.update(cells)
            for name in ("start", "end", "verdict_in_force", "court", "case", "grid_hz"):
                labels[name] = f"{name} (CSV row {lineno})"
        else:
            labels[f"{key}[{len(data[key])}]"] = f"{key}[{len(data[key])}] (CSV row {lineno})"
            data[key].append(cells)
    if session_row is None:
        raise SessionError(
            "the CSV session record has no session row",
            path=src,
            hint="add a row with event=session and the session's start and end",
        )
    return Session.from_json(data, base_dir=base_dir, source=src, labels=labels)


def session_to_csv(session: Session) -> str:
    """Write a session record in CSV form (the inverse of :func:`session_from_csv`).

    Parameters
    ----------
    session
        The record.

    Returns
    -------
    str
        CSV text with a header row.
    """
    out = io.StringIO()
    head = session.to_json()
    grid = {"grid_hz": head["grid_hz"]} if "grid_hz" in head else {}
    columns = [c for c in CSV_COLUMNS if c != "grid_hz" or grid]  # only when the record says
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerow(
        {
            "event": "session",
            **{k: head[k] or "" for k in ("start", "end", "court", "case", "judge", "secretary")},
            "verdict_in_force": head["verdict_in_force"] or "",
            "schema": SCHEMA,
            **grid,
        }
    )
    for b in head["breaks"]:
        writer.writerow({"event": "break", **{k: v or "" for k, v in b.items()}})
    for r in head["recordings"]:
        writer.writerow({"event": "recording", **{k: v or "" for k, v in r.items()}})
    for a in head["acts"]:
        writer.writerow(
            {
                "event": "act",
                **{k: v or "" for k, v in a.items() if k != "signed_by"},
                "signed_by": ";".join(a["signed_by"]),
            }
        )
    return out.getvalue()
