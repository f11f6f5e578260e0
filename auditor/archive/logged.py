"""The ledger as the archive audit sees it: every logged recording, its events, and lookups.

The ledger is read once, in log order, through :class:`auditor.ledger.structure.RecordingChecker`
(the same code that checks it), into one :class:`Logged` per ``ingest`` entry. The ledger's own
integrity is checked separately by :func:`auditor.ledger.verify.verify_log`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..ledger._merkle import leaf_hash
from ..ledger.entries import Entry
from ..ledger.recording import logged_pcm
from ..ledger.store import Ledger
from ..ledger.structure import RecordingChecker, RecordingState

__all__ = ["Logged", "LedgerView"]


@dataclass
class Logged:
    """One logged recording."""

    state: RecordingState

    @property
    def index(self) -> int:
        """Its recording id (the ledger index of its ingest entry)."""
        return self.state.index

    @property
    def name(self) -> str:
        """The file name it was logged under."""
        return str(self.state.ingest.fields["name"])

    @property
    def sha256(self) -> str:
        """SHA-256 of the logged bytes."""
        return str(self.state.ingest.fields["sha256"])

    @property
    def session(self) -> dict[str, Any]:
        """What the ingest recorded about its session record (court, case, file, sha256)."""
        return dict(self.state.ingest.fields.get("session") or {})

    @property
    def case(self) -> str | None:
        """The case it belongs to, if the ingest recorded one."""
        case = self.session.get("case")
        return None if case is None else str(case)

    @property
    def logged_at(self) -> str:
        """When it was ingested (UTC, ``...Z``)."""
        return str(self.state.ingest.at)

    @property
    def layout(self) -> tuple[int, str]:
        """``(chunk_frames, pcm)``: how its chunks were hashed."""
        media = self.state.ingest.fields["media"]
        return int(self.state.ingest.fields["chunk_frames"]), logged_pcm(dict(media))

    @property
    def events(self) -> list[tuple[int, Entry]]:
        """Lifecycle entries (retention, hold, access, destruction), in log order."""
        return list(self.state.events)


class LedgerView:
    """Every recording of a ledger, looked up by SHA-256 and by file name."""

    def __init__(self, ledger: Ledger) -> None:
        checker = RecordingChecker(lambda *a, **k: None)
        for row in ledger.rows():
            try:
                entry = Entry.decode(row.data)
            except Exception:  # noqa: BLE001 - verify_log reports a broken entry
                continue
            checker.add(row.idx, entry, leaf_hash(row.data))
        self.recordings = [Logged(s) for _, s in sorted(checker.states.items())]
        self.by_sha: dict[str, list[Logged]] = defaultdict(list)
        self.by_name: dict[str, list[Logged]] = defaultdict(list)
        for rec in self.recordings:
            self.by_sha[rec.sha256].append(rec)
            self.by_name[rec.name].append(rec)

    def named(self, rel: str, case: str | None) -> list[Logged]:
        """Recordings logged under ``rel``'s file name, of ``case`` when both name a case."""
        out = self.by_name.get(os.path.basename(rel), [])
        return [r for r in out if case is None or r.case is None or r.case == case]

    @staticmethod
    def pick(candidates: list[Logged]) -> Logged:
        """The one a file is checked against: the latest sealed candidate, else the latest."""
        sealed = [c for c in candidates if c.state.sealed]
        return (sealed or candidates)[-1]
