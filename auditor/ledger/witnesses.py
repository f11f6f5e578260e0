"""A witnesses policy file, and whether a checkpoint's cosignatures meet its quorum.

The file (as Rekor v2's and sigsum's policy files) has one statement a line; ``#`` starts a
comment::

    # name     verifier key (cosignature/v1, as the witness's .pub)            add-checkpoint base
    witness bar  bar.example/witness+5e8f3b2a+BHX...                        https://bar.example/w
    witness ngo  ngo.example/w+0d9c66e1+BNq...                              http://127.0.0.1:8470
    quorum 2

``quorum N`` is how many of the listed witnesses must cosign a checkpoint (1..the number of
witnesses; without the line, all of them). The URL is needed only to ask for cosignatures; a
policy used to verify may leave it out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AuditorError, InputError, VerificationError
from ._http import url_problem
from .cosignature import CosignerKey, verified_by

__all__ = ["Witness", "WitnessPolicy", "Quorum", "read_policy"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
_MAX_BYTES = 1 << 20
_MAX_WITNESSES = 64


@dataclass(frozen=True)
class Witness:
    """One ``witness NAME VKEY URL`` line."""

    name: str
    key: CosignerKey
    url: str | None


@dataclass(frozen=True)
class Quorum:
    """Which of a policy's witnesses validly cosigned one checkpoint."""

    size: int
    quorum: int
    signed: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return len(self.signed) >= self.quorum

    def describe(self) -> str:
        signed = ", ".join(self.signed) or "none"
        state = "met" if self.met else "NOT met"
        missing = f"; not cosigned by {', '.join(self.missing)}" if self.missing else ""
        return (f"witnesses: the checkpoint at size {self.size} is cosigned by {signed} "
                f"(quorum {self.quorum} of {len(self.signed) + len(self.missing)} {state})"
                f"{missing}")  # fmt: skip

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "quorum": self.quorum, "met": self.met,
                "signed": list(self.signed), "missing": list(self.missing)}  # fmt: skip


@dataclass(frozen=True)
class WitnessPolicy:
    """The witnesses a ledger asks, and how many must cosign."""

    witnesses: tuple[Witness, ...]
    quorum: int
    path: str = ""

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> WitnessPolicy:
        """Read a policy file; errors name the file and the line.

        Raises
        ------
        InputError
            If the file cannot be read or a line is malformed.
        """
        where = os.fspath(path)
        try:
            with open(where, "rb") as fh:
                raw = fh.read(_MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read the witnesses file: {exc.strerror}",
                             path=where) from None  # fmt: skip
        if len(raw) > _MAX_BYTES:
            raise InputError(f"a witnesses file is at most {_MAX_BYTES} bytes", path=where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("the witnesses file is not UTF-8 text", path=where) from None
        return cls.parse(text.splitlines(), where)

    @classmethod
    def parse(cls, lines: Iterable[str], path: str = "") -> WitnessPolicy:
        """Parse policy lines (see the module docstring)."""
        witnesses: list[Witness] = []
        quorum: int | None = None
        hint = "write `witness NAME VKEY URL` lines and one `quorum N` line (# for comments)"
        for number, line in enumerate(lines, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue

            def bad(what: str, number: int = number) -> InputError:
                return InputError(f"line {number}: {what}", path=path or None, hint=hint)

            if words[0] == "witness":
                if len(words) not in (3, 4):
                    raise bad(f"a witness line is `witness NAME VKEY URL`, got {len(words)} "
                              "words")  # fmt: skip
                name = words[1]
                if not _NAME.fullmatch(name):
                    raise bad(f"witness name {name[:40]!r} must be letters, digits, '.', '_' "
                              "or '-'")  # fmt: skip
                try:
                    key = CosignerKey.parse(words[2])
                except AuditorError as exc:
                    raise bad(f"witness {name}: {exc.what}") from None
                url = words[3] if len(words) == 4 else None
                if url is not None and not _URL.fullmatch(url):
                    raise bad(f"witness {name}: {url[:80]!r} is not an http:// or https:// URL")
                if url is not None and (problem := url_problem(url)) is not None:
                    raise bad(f"witness {name}: {url[:80]!r}: {problem}")
                if any(w.name == name for w in witnesses):
                    raise bad(f"witness {name} is listed twice")
                if any(w.key.public == key.public or w.key.name == key.name
                       for w in witnesses):
                    raise bad(f"witness {name} has the same key (or key name) as another")
                witnesses.append(Witness(name, key, url))
                if len(witnesses) > _MAX_WITNESSES:
                    raise bad(f"more than {_MAX_WITNESSES} witnesses")
            elif words[0] == "quorum":
                if quorum is not None:
                    raise bad("a second quorum line")
                if len(words) != 2 or not re.fullmatch(r"[1-9][0-9]{0,2}", words[1]):
                    raise bad("quorum must be `quorum N` with N a whole number from 1")
                quorum = int(words[1])
            else:
                raise bad(f"unknown statement {words[0][:40]!r}")
        if not witnesses:
            raise InputError("the witnesses file lists no witness", path=path or None, hint=hint)
        quorum = len(witnesses) if quorum is None else quorum
        if quorum > len(witnesses):
            raise InputError(f"quorum {quorum} is more than the {len(witnesses)} witnesses "
                             "listed", path=path or None, hint=hint)  # fmt: skip
        return cls(tuple(witnesses), quorum, path)

    @property
    def keys(self) -> list[CosignerKey]:
        return [w.key for w in self.witnesses]

    def check(self, body: str, size: int, lines: Sequence[str], *,
              now: float | None = None) -> Quorum:
        """Which witnesses validly cosigned checkpoint text ``body`` among signature ``lines``
        (at POSIX time ``now``, default the clock).

        Raises
        ------
        VerificationError
            If a line by a listed witness's key does not verify.
        """
        signed = verified_by(body, lines, self.keys, now=now)
        by_key = {w.key.name: w.name for w in self.witnesses}
        names = tuple(by_key[n] for n in signed)
        missing = tuple(w.name for w in self.witnesses if w.name not in names)
        return Quorum(size, self.quorum, names, missing)

    def require(self, body: str, size: int, lines: Sequence[str], *,
                now: float | None = None) -> Quorum:
        """:meth:`check`, raising :class:`VerificationError` when the quorum is not met."""
        result = self.check(body, size, lines, now=now)
        if not result.met:
            raise VerificationError(result.describe())
        return result


def read_policy(path: str | os.PathLike[str] | None) -> WitnessPolicy | None:
    """The policy at ``path``, or None when no path is given."""
    return None if path is None else WitnessPolicy.read(Path(path))
