"""Typed ledger entries and their canonical encoding.

An entry is a JSON object with ``type``, ``v`` (entry format version, 1) and ``at`` (UTC time of
the append, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) plus the fields of its type below. Its bytes -- the
Merkle leaf -- are the canonical form: keys sorted, no insignificant whitespace, UTF-8, integers
only (no floats, so one set of facts always gives one byte string; RFC 8785 without numbers'
corner cases). Decoding re-encodes and rejects anything not already canonical.

Types and fields (``recording`` is the leaf index of the recording's ``ingest`` entry):

- ``key``: ``action`` (introduced | rotated | revoked), ``vkey`` (C2SP verifier key), ``previous``
  (verifier key or null), ``signatures`` (base64 Ed25519 signatures of :func:`statement` by
  ``vkey`` and, for a rotation, by ``previous``).
- ``ingest``: ``name``, ``size`` (bytes), ``sha256`` (of the bytes), ``media`` (container, codec,
  sample_rate, channels, frames, bit_depth, pcm), ``chunk_frames``, ``session`` (object or null).
  ``media.pcm`` names the sample format the chunks hash: ``s16le`` or ``f32le`` (absent: f32le).
- ``chunk``: ``recording``, ``index``, ``start``/``end`` (frames, end exclusive), ``pcm_sha256``:
  SHA-256 of the decoded samples of ``[start, end)``, interleaved little-endian in the ingest
  entry's ``media.pcm`` format (int16 as stored, or IEEE float32), and ``bytes``:
  ``{offset, length, sha256}`` of the same
  span's bytes in the file when the container stores PCM uncompressed, else null.
- ``seal``: ``recording``, ``chunks`` (count), ``root`` (hex Merkle Tree Hash over the chunk
  entries' leaf hashes, in order), ``frames``, ``sha256``.
- ``retention``: ``recording``, ``policy``, ``start``, ``until`` (ISO dates).
- ``hold`` / ``hold_release``: ``recording``, ``by``, ``reason``.
- ``access``: ``recording``, ``action`` (export, listen, copy, ...), ``by``, ``purpose``.
- ``destruction``: ``recording``, ``by``, ``authority``, ``order`` (the order cited),
  ``authorizer`` (verifier key), ``signature`` (base64 Ed25519 of :func:`statement`).
- ``fingerprint`` (entry format version 2): ``recording``, ``first_chunk``/``last_chunk`` (the
  chunks whose decoded audio it was computed from), ``chunks_root`` (hex Merkle Tree Hash of
  those chunk entries' leaf hashes: the seal's ``root`` when it covers them all), ``method``
  (``haitsma-kalker-2002/1``), ``stride`` and ``data`` (base64 of the fingerprint's versioned
  bytes, :mod:`auditor.compare`).

Versions: every type above is written with ``v`` 1, as before, except ``fingerprint``, which
was added later and is written with ``v`` 2; an entry is accepted only with its type's version.
A ledger without fingerprints is therefore byte for byte what it was, and an older auditor
meeting a fingerprint entry says that its version is unknown rather than misreading it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from types import MappingProxyType
from typing import Any

from ..errors import InputError, VerificationError

__all__ = ["ENTRY_VERSION", "ENTRY_TYPES", "TYPE_VERSIONS", "Entry", "canonical_json",
           "encode_batch", "statement", "format_time", "version_of"]

ENTRY_VERSION = 1
_STR, _INT, _OBJ, _LIST = (str,), (int,), (dict,), (list,)
_NULL = (type(None),)

#: Fields of each entry type: name -> allowed JSON types.
ENTRY_TYPES: Mapping[str, Mapping[str, tuple[type, ...]]] = MappingProxyType(
    {
        "key": {"action": _STR, "vkey": _STR, "previous": _STR + _NULL, "signatures": _LIST},
        "ingest": {
            "name": _STR,
            "size": _INT,
            "sha256": _STR,
            "media": _OBJ,
            "chunk_frames": _INT,
            "session": _OBJ + _NULL,
        },
        "chunk": {
            "recording": _INT,
            "index": _INT,
            "start": _INT,
            "end": _INT,
            "pcm_sha256": _STR,
            "bytes": _OBJ + _NULL,
        },
        "seal": {"recording": _INT, "chunks": _INT, "root": _STR, "frames": _INT, "sha256": _STR},
        "retention": {"recording": _INT, "policy": _STR, "start": _STR, "until": _STR},
        "hold": {"recording": _INT, "by": _STR, "reason": _STR},
        "hold_release": {"recording": _INT, "by": _STR, "reason": _STR},
        "access": {"recording": _INT, "action": _STR, "by": _STR, "purpose": _STR},
        "destruction": {
            "recording": _INT,
            "by": _STR,
            "authority": _STR,
            "order": _STR,
            "authorizer": _STR,
            "signature": _STR,
        },
        "fingerprint": {
            "recording": _INT,
            "first_chunk": _INT,
            "last_chunk": _INT,
            "chunks_root": _STR,
            "method": _STR,
            "stride": _INT,
            "data": _STR,
        },
    }
)
#: Entry format version of the types added after version 1 (every other type: 1).
TYPE_VERSIONS: Mapping[str, int] = MappingProxyType({"fingerprint": 2})
_SIGNATURE_FIELDS = ("signature", "signatures")
#: The canonical encoder, made once: ``json.dumps`` with these options builds a new one per call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
#: Each type's members in canonical (sorted) order, with their JSON key and colon, for
#: :func:`encode_batch`: the keys of an entry of a type are always the same.
_LAYOUTS = {
    kind: tuple((k, encode_basestring(k) + ":") for k in sorted({"type", "v", "at", *spec}))
    for kind, spec in ENTRY_TYPES.items()
}
_STATEMENT_DOMAIN = b"auditor.ledger.statement/1\n"


def version_of(kind: str) -> int:
    """The entry format version an entry of type ``kind`` is written with."""
    return TYPE_VERSIONS.get(kind, ENTRY_VERSION)


def format_time(now: datetime) -> str:
    """UTC time with microseconds and a ``Z``: the one spelling entries use."""
    if now.tzinfo is None:
        raise InputError(f"time must be timezone-aware, got naive {now.isoformat()}")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, float) or (isinstance(value, int) and isinstance(value, bool)):
        raise InputError(f"{where}: entries hold no floats or booleans, got {value!r}")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise InputError(f"{where}: object keys must be strings, got {k!r}")
            _check_value(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_value(v, f"{where}[{i}]")
    elif not isinstance(value, str | int | type(None)):
        raise InputError(f"{where}: unsupported value {value!r}")


def canonical_json(value: Any) -> bytes:
    """Canonical bytes of a JSON value: sorted keys, no spaces, UTF-8, no floats."""
    _check_value(value, "entry")
    return _ENCODER.encode(value).encode()


@dataclass(frozen=True)
class Entry:
    """One ledger entry: a type, its fields and (once appended) the time of the append."""

    type: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    at: str | None = None
    _nested: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec = ENTRY_TYPES.get(self.type)
        if spec is None:
            raise InputError(f"unknown entry type {self.type!r}; known: {', '.join(ENTRY_TYPES)}")
        missing = sorted(set(spec) - set(self.fields))
        extra = sorted(set(self.fields) - set(spec))
        if missing or extra:
            raise InputError(f"{self.type} entry: missing fields {missing}, unknown fields {extra}")
        nested = []
        for name, allowed in spec.items():
            value = self.fields[name]
            if not isinstance(value, allowed) or isinstance(value, bool):
                raise InputError(f"{self.type} entry: field {name!r} has bad value {value!r}")
            if isinstance(value, dict | list):  # a str, int or None needs no deeper look
                _check_value(value, f"{self.type}.{name}")
                nested.append(name)
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        # the mapping is a private copy behind a read-only proxy and its top-level values are
        # immutable; only the objects and lists it holds can still change after this check
        object.__setattr__(self, "_nested", tuple(nested))

    @property
    def recording(self) -> int | None:
        """Leaf index of the recording this entry is about (an ingest is about itself: None)."""
        value = self.fields.get("recording")
        return value if isinstance(value, int) else None

    def stamped(self, now: datetime) -> Entry:
        """This entry with ``at`` set to ``now``."""
        return Entry(self.type, self.fields, format_time(now))

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object."""
        if self.at is None:
            raise InputError(f"{self.type} entry has no time yet: append it first")
        return {"type": self.type, "v": version_of(self.type), "at": self.at, **self.fields}

    def encode(self) -> bytes:
        """The canonical bytes: the Merkle leaf input."""
        return canonical_json(self.to_json())

    def _encode_at(self, at: str) -> bytes:
        # encode() of this entry stamped with ``at``, checking again only what can have changed,
        # and writing the members in the order _LAYOUTS keeps rather than sorting them each
        # time: a str, int or None as the encoder writes it, anything else by the encoder
        for name in self._nested:
            _check_value(self.fields[name], f"{self.type}.{name}")
        kind = self.type
        obj = {"type": kind, "v": version_of(kind), "at": at, **self.fields}
        members = []
        for key, head in _LAYOUTS[kind]:
            value = obj[key]
            if type(value) is str:
                members.append(head + encode_basestring(value))
            elif type(value) is int:
                members.append(head + int.__repr__(value))
            elif value is None:
                members.append(head + "null")
            else:
                members.append(head + _ENCODER.encode(value))
        return ("{" + ",".join(members) + "}").encode()

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        """Parse canonical entry bytes.

        Raises
        ------
        VerificationError
            If the bytes are not JSON, not canonical, of an unknown version or type, or do not
            have the fields of their type.
        """
        try:
            obj = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VerificationError(f"entry is not UTF-8 JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise VerificationError("entry is not a JSON object")
        obj = dict(obj)
        kind, version, at = obj.pop("type", None), obj.pop("v", None), obj.pop("at", None)
        if not isinstance(kind, str) or not isinstance(at, str):
            raise VerificationError("entry lacks a string 'type' or 'at'")
        if version != version_of(kind) or isinstance(version, bool):
            raise VerificationError(
                f"{kind} entry: format version {version!r} is not {version_of(kind)}",
                hint="a newer auditor may have written it; upgrade")
        try:
            entry = cls(kind, obj, at)
            canonical = entry.encode()
        except InputError as exc:
            raise VerificationError(exc.what) from None
        if canonical != data:
            raise VerificationError(f"{kind} entry is not in canonical form")
        return entry


def encode_batch(entries: Sequence[Entry], now: datetime) -> list[bytes]:
    """The canonical bytes of each entry stamped with time ``now``, in order.

    Byte for byte ``[e.stamped(now).encode() for e in entries]``, without building the stamped
    copies: an entry's fields were checked when it was made, so only the objects and lists
    among them, which a caller could have changed since, are checked again.
    """
    at = format_time(now)
    return [e._encode_at(at) for e in entries]


def statement(entry: Entry) -> bytes:
    """Bytes an authorising key signs for an entry: its type and fields minus signatures and time.

    Prefixed by a domain string so a statement can never be mistaken for a note or a leaf.
    """
    body = {k: v for k, v in entry.fields.items() if k not in _SIGNATURE_FIELDS}
    return _STATEMENT_DOMAIN + canonical_json({"type": entry.type, **body})
