"""``auditor ledger verify`` as one library call: check the log, re-hash files, say who signed.

:func:`check_ledger` runs :func:`~auditor.ledger.verify.verify_log` and
:func:`~auditor.ledger.verify.verify_file` and states what the result proves: a ledger signed
by the key the caller trusts is *authenticated*; without a trusted key a clean ledger is only
*internally consistent* (anyone can make a consistent ledger with a key of his own). The result
renders as the contract's JSON report or as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..findings import Finding

if TYPE_CHECKING:  # the verifier (and numpy under it) loads only when a ledger is checked
    from .verify import LogReport

__all__ = ["NOT_AUTHENTICATED", "LedgerCheck", "check_ledger", "unauthenticated"]

NOT_AUTHENTICATED = "internally consistent, signer NOT authenticated"


@dataclass
class LedgerCheck:
    """What checking a ledger (and files against it) found, and what that proves."""

    path: str
    log: LogReport
    findings: list[Finding]
    files: list[dict[str, str]] = field(default_factory=list)
    consistent: bool = True
    authenticated: bool = False
    trust: str = ""

    def to_report(self, parameters: dict[str, Any], created: datetime | None) -> dict[str, Any]:
        """The contract's JSON report, with the log's facts under ``ledger``."""
        from ..report.model import build_report

        extra = {
            "ledger": {
                "path": self.path,
                "size": self.log.size,
                "root": self.log.root.hex(),
                "checkpoint": self.log.checkpoint,
                "checks": self.log.checks,
                "authenticated": self.authenticated,
                "trust": self.trust,
            }
        }
        return build_report(files=self.files, findings=self.findings, parameters=parameters,
                            created=created, extra=extra)  # fmt: skip

    def to_text(self) -> str:
        """One line per check made, one per finding, and a summary with the trust statement."""
        lines = [f"ok: {c}" for c in self.log.checks]
        lines += [f"{f.severity.upper()}: {f.kind}: {f.file or self.path}: {f.message}"
                  for f in sorted(self.findings, key=Finding.sort_key)]  # fmt: skip
        lines.append(f"{len(self.findings)} finding(s); ledger size {self.log.size}; {self.trust}")
        return "\n".join(lines) + "\n"


def check_ledger(path: str, files: Sequence[str], *, trusted_key: Any = None,
                 trusted_checkpoint: str | None = None, no_key: bool = False) -> LedgerCheck:
    """Check the ledger at ``path`` read-only, and re-hash ``files`` against it.

    ``no_key`` says the caller accepted a consistency-only check (it only changes the words).
    """
    from ..media import file_sha256
    from .store import Ledger
    from .verify import verify_file, verify_log

    with Ledger.open(path) as led:
        log = verify_log(led, trusted_key=trusted_key, trusted_checkpoint=trusted_checkpoint)
        findings = list(log.findings)
        facts = []
        for f in files:
            digest = file_sha256(f)
            findings.extend(verify_file(led, f, sha256=digest))
            facts.append({"path": f, "sha256": digest})
    consistent = not any(f.kind == "ledger_inconsistent" and f.severity == "high"
                         for f in findings)  # fmt: skip
    authenticated = consistent and trusted_key is not None
    if authenticated:
        trust = ("signer authenticated: the trusted key "
                 f"{trusted_key.name}+{trusted_key.key_id.hex()} signs this ledger")  # fmt: skip
    elif consistent:
        trust = f"{NOT_AUTHENTICATED} ({'--no-key' if no_key else 'no trusted key given'})"
    else:
        trust = "the ledger is NOT consistent"
    return LedgerCheck(path, log, findings, facts, consistent, authenticated, trust)


def unauthenticated(what: str) -> InputError:
    """The exit-2 error of a clean check made without a trusted key and without ``--no-key``."""
    return InputError(
        f"{what} is {NOT_AUTHENTICATED} (no trusted key given): anyone can make a consistent "
        f"{what.split()[-1]} with a key of his own",
        hint="give the signer's public key you trust with --key KEYFILE.pub, or --no-key to "
        "accept a consistency-only check",
    )
