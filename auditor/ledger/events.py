"""Lifecycle entries about a logged recording: retention, legal hold, access, destruction.

Each constructor validates its values and returns an unstamped :class:`~.entries.Entry`; append
it with :meth:`~.store.Ledger.append_at`. A destruction carries the Ed25519 signature of its
statement (:func:`~.entries.statement`) by the key of whoever authorised it, so the entry proves
the authority's consent and not only the ledger operator's.
"""

from __future__ import annotations

import base64
from datetime import date

from ..errors import InputError
from ._signing import SigningKey
from .entries import Entry, statement
from .note import VerifierKey

__all__ = [
    "EVENT_TYPES",
    "retention_entry",
    "hold_entry",
    "access_entry",
    "destruction_entry",
]

EVENT_TYPES = ("retention", "hold", "hold_release", "access", "destruction")


def _text(value: str, what: str) -> str:
    if not value or not value.strip():
        raise InputError(f"{what} must not be empty")
    return value.strip()


def _date(value: str, what: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InputError(f"{what} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def retention_entry(recording: int, *, policy: str, start: str, until: str) -> Entry:
    """Retention assigned: keep the recording under ``policy`` from ``start`` until ``until``."""
    start, until = _date(start, "retention start"), _date(until, "retention end")
    if until < start:
        raise InputError(f"retention ends ({until}) before it starts ({start})")
    return Entry("retention", {"recording": recording, "policy": _text(policy, "policy"),
                               "start": start, "until": until})  # fmt: skip


def hold_entry(recording: int, *, by: str, reason: str, release: bool = False) -> Entry:
    """A legal hold placed on the recording (or released, with ``release``)."""
    return Entry("hold_release" if release else "hold",
                 {"recording": recording, "by": _text(by, "by"),
                  "reason": _text(reason, "reason")})  # fmt: skip


def access_entry(recording: int, *, action: str, by: str, purpose: str) -> Entry:
    """The recording was exported, listened to or copied, by whom and why."""
    return Entry("access", {"recording": recording, "action": _text(action, "action"),
                            "by": _text(by, "by"),
                            "purpose": _text(purpose, "purpose")})  # fmt: skip


def destruction_entry(
    recording: int, *, by: str, authority: str, order: str, authorizer: SigningKey, name: str
) -> Entry:
    """The recording was destroyed by ``by`` on ``authority``'s ``order``, signed by its key.

    Parameters
    ----------
    recording
        Ledger index of the recording's ingest entry.
    by
        Who destroyed it.
    authority
        Who authorised it (person and office).
    order
        The order cited (number and date).
    authorizer
        The authorising key; ``name`` is its key name.
    """
    vkey = str(VerifierKey(name, authorizer.public_bytes()))
    draft = Entry("destruction", {
        "recording": recording, "by": _text(by, "by"), "authority": _text(authority, "authority"),
        "order": _text(order, "order"), "authorizer": vkey, "signature": "",
    })  # fmt: skip
    signature = base64.b64encode(authorizer.sign(statement(draft))).decode()
    return Entry("destruction", {**draft.fields, "signature": signature})
