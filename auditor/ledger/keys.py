"""The ledger's signing-key history, kept in the log itself as ``key`` entries.

- ``introduced`` (only as entry 0): the first key, signed by itself (proof of possession).
- ``rotated``: a new key, signed by the new key *and* the key it replaces, so trust in the first
  key carries over to its successors without any out-of-band step.
- ``revoked``: a key that must sign nothing after this entry, signed by the key in use.

The key that must sign a checkpoint of size ``n`` is the one in use after entries ``0..n-1``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import AuditorError, LedgerError, VerificationError
from ._signing import SigningKey, verify_signature
from .entries import Entry, statement
from .note import VerifierKey

__all__ = ["KeyEvent", "KeyHistory", "key_entry"]

_ACTIONS = ("introduced", "rotated", "revoked")


def key_entry(
    action: str, origin: str, key: SigningKey, *, signer: SigningKey | None = None
) -> Entry:
    """A signed ``key`` entry.

    Parameters
    ----------
    action
        ``introduced`` (``key`` is the first key), ``rotated`` (``key`` replaces ``signer``) or
        ``revoked`` (``key`` is withdrawn; ``signer`` is the key in use, default ``key``).
    origin
        The ledger origin, which is the key name in its checkpoints.
    key, signer
        The key the entry is about, and the other key that signs it.
    """
    if action not in _ACTIONS:
        raise LedgerError(f"key action must be one of {_ACTIONS}, got {action!r}")
    if action == "rotated" and signer is None:
        raise LedgerError("a key rotation needs the key being replaced to sign it")
    vkey = str(VerifierKey(origin, key.public_bytes()))
    previous = (
        str(VerifierKey(origin, signer.public_bytes())) if action == "rotated" and signer else None
    )
    draft = Entry("key", {"action": action, "vkey": vkey, "previous": previous, "signatures": []})
    message = statement(draft)
    signers: list[SigningKey] = [key] if action == "introduced" else [signer or key]
    if action == "rotated":
        signers.insert(0, key)
    sigs = [base64.b64encode(s.sign(message)).decode() for s in signers]
    return Entry("key", {**draft.fields, "signatures": sigs})


@dataclass(frozen=True)
class KeyEvent:
    """One ``key`` entry: where it is, what it did, and to which key."""

    index: int
    action: str
    key: VerifierKey


class KeyHistory:
    """Checked sequence of key events of one ledger (see the module docstring)."""

    def __init__(self, origin: str, events: Sequence[KeyEvent]) -> None:
        self.origin = origin
        self.events = list(events)

    @classmethod
    def from_entries(cls, origin: str, rows: Iterable[tuple[int, bytes]]) -> KeyHistory:
        """Parse and check ``(index, entry bytes)`` of the log's key entries, in order.

        Raises
        ------
        VerificationError
            If an entry is not a key entry, a signature does not verify, a rotation is not signed
            by the key in use, or the first key is not introduced at entry 0.
        """
        history = cls(origin, [])
        for index, data in rows:
            history.add(index, Entry.decode(data))
        if not history.events:
            raise VerificationError("the ledger introduces no signing key at entry 0")
        return history

    def add(self, index: int, entry: Entry) -> None:
        if entry.type != "key":
            raise VerificationError(f"entry {index} is a {entry.type} entry, not a key entry")
        f = entry.fields
        try:
            key = VerifierKey.parse(f["vkey"])
        except AuditorError as exc:
            raise VerificationError(f"entry {index}: {exc.what}") from None
        if key.name != self.origin:
            raise VerificationError(f"entry {index}: key name {key.name!r} is not {self.origin!r}")
        action, sigs = f["action"], f["signatures"]
        if (action == "introduced") != (index == 0) or action not in _ACTIONS:
            raise VerificationError(f"entry {index}: key action {action!r} is not allowed here")
        current = None if index == 0 else self.current(index)
        if action == "rotated":
            if f["previous"] != str(current):
                raise VerificationError(
                    f"entry {index}: rotation replaces {f['previous']}, but {current} is in use"
                )
            signers = [key, current]
        elif action == "revoked":
            signers = [current]
        else:
            signers = [key]
        if len(sigs) != len(signers) or not all(isinstance(s, str) for s in sigs):
            raise VerificationError(f"entry {index}: {action} key needs {len(signers)} signatures")
        message = statement(entry)
        for signer, sig in zip(signers, sigs, strict=True):
            assert signer is not None
            try:
                raw = base64.b64decode(sig, validate=True)
            except ValueError:
                raise VerificationError(f"entry {index}: signature is not base64") from None
            try:
                verify_signature(signer.public, raw, message)
            except VerificationError as exc:
                raise VerificationError(f"entry {index} ({action} key): {exc.what}") from None
        self.events.append(KeyEvent(index, action, key))

    def current(self, size: int) -> VerifierKey:
        """The key that signs a checkpoint of ``size`` entries.

        Raises
        ------
        VerificationError
            If no key is in use at that size or the key in use has been revoked.
        """
        active: VerifierKey | None = None
        revoked: set[VerifierKey] = set()
        for event in self.events:
            if event.index >= size:
                break
            if event.action == "revoked":
                revoked.add(event.key)
            else:
                active = event.key
        if active is None:
            raise VerificationError(f"no signing key is in use at size {size}")
        if active in revoked:
            raise VerificationError(f"the signing key {active} was revoked before size {size}")
        return active

    def check_signer(self, public: bytes, *, at: int, new: Sequence[Entry]) -> None:
        """Raise :class:`LedgerError` unless ``public`` may sign the checkpoint of size ``at``
        once ``new`` (the last entries, ending at ``at``) are appended."""
        history = KeyHistory(self.origin, self.events)
        try:
            for offset, entry in enumerate(new):
                if entry.type == "key":
                    history.add(at - len(new) + offset, entry)
            expected = history.current(at)
        except VerificationError as exc:
            raise LedgerError(exc.what) from None
        if expected.public != public:
            raise LedgerError(
                f"this is not the ledger's signing key (the ledger expects {expected})",
                hint="use the key the ledger was created with, or rotate keys",
            )

    def knows(self, key: VerifierKey) -> bool:
        """Whether ``key`` was ever introduced or rotated in: the same public key, whatever
        name its ``.pub`` file gives it (the chain holds it under the log's origin, which
        ``ledger init --origin`` may set to another name than the key's)."""
        return any(e.key.public == key.public and e.action != "revoked" for e in self.events)
