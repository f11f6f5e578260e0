"""Click commands for the ledger: ``auditor keygen``, ``auditor ledger ...``, ``auditor bundle ...``."""

from __future__ import annotations

import click


@click.group()
def ledger() -> None:
    """Append-only signed ledger of recordings.

    \b
    Example:
      auditor keygen court.key
      auditor ledger init court.db --key court.key
    """
