"""The session record filled in a form: its fields to an ``auditor.session/1`` object.

The form asks for wall-clock times (``datetime-local`` inputs) and one UTC offset for the
hearing; each time is written with that offset, as the record requires. Nothing is checked
here: the object goes through :meth:`auditor.session.Session.from_json`, which names the
field, the value and what to do exactly as it does for a record read by ``auditor scan
--session`` (the same :class:`~auditor.errors.SessionError`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..session import SCHEMA, Session

__all__ = ["SessionForm", "FORM_SOURCE", "OFFSETS"]

#: What an error about the form names instead of a file.
FORM_SOURCE = "the session form"
#: UTC offsets offered, Kazakhstan's first.
OFFSETS = ("+05:00", "+06:00", "+00:00", "+01:00", "+02:00", "+03:00", "+04:00", "+07:00",
           "+08:00", "-05:00")
_OFFSET = re.compile(r"[+-]\d\d:\d\d")
_LOCAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?")
#: Row fields of each list in the form: (form prefix, record key, row keys).
_ROWS = (("break", "breaks", ("start", "end", "reason")),
         ("rec", "recordings", ("file", "start")),
         ("act", "acts", ("start", "end", "reason", "signed_at", "signed_by")))
_TIMES = frozenset({"start", "end", "signed_at"})


@dataclass
class SessionForm:
    """The form's values as typed (lists of rows), kept to show the form again."""

    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Sequence[str]]) -> SessionForm:
        """Read the form's fields (``break_start`` etc. repeated once per row)."""
        def one(name: str) -> str:
            v = fields.get(name) or [""]
            return v[0].strip()

        form = cls({k: one(k) for k in ("court", "case", "judge", "secretary", "start", "end",
                                        "offset", "grid_hz", "verdict_in_force")})
        for prefix, key, cols in _ROWS:
            columns = [list(fields.get(f"{prefix}_{c}") or []) for c in cols]
            count = max((len(c) for c in columns), default=0)
            rows = [{c: (col[i].strip() if i < len(col) else "") for c, col in zip(cols, columns,
                                                                                   strict=True)}
                    for i in range(count)]
            form.rows[key] = [r for r in rows if any(r.values())]
        return form

    @property
    def filled(self) -> bool:
        """Whether anything beyond the offset was typed."""
        return any(v for k, v in self.values.items() if k != "offset") or any(self.rows.values())

    def _time(self, text: str) -> str | None:
        """A ``datetime-local`` value with the form's offset; other text as typed."""
        if not text:
            return None
        offset = self.values.get("offset", "")
        if _LOCAL.fullmatch(text) and _OFFSET.fullmatch(offset):
            return text + (":00" if len(text) == 16 else "") + offset
        return text

    def to_json(self) -> dict[str, Any]:
        """The ``auditor.session/1`` object the form describes (not yet validated)."""
        v = self.values
        record: dict[str, Any] = {"schema": SCHEMA}
        for key in ("court", "case", "judge", "secretary"):
            record[key] = v.get(key) or None
        record["start"], record["end"] = self._time(v.get("start", "")), self._time(
            v.get("end", ""))
        for _, key, _cols in _ROWS:
            items = []
            for row in self.rows.get(key, []):
                item: dict[str, Any] = {}
                for col, text in row.items():
                    if col in _TIMES:
                        item[col] = self._time(text)
                    elif col == "signed_by":
                        item[col] = [s.strip() for s in text.split(";") if s.strip()]
                    else:
                        item[col] = text or None
                items.append(item)
            record[key] = items
        record["verdict_in_force"] = v.get("verdict_in_force") or None
        grid = v.get("grid_hz")
        if grid:
            # ASCII digits only: str.isdigit takes superscripts, which int() refuses
            record["grid_hz"] = int(grid) if grid.isascii() and grid.isdigit() else grid
        return record

    def session(self) -> Session:
        """The validated record.

        Raises
        ------
        SessionError
            The same error, naming the field, that ``auditor scan --session`` gives for the
            same record in a file.
        """
        return Session.from_json(self.to_json(), source=FORM_SOURCE)
