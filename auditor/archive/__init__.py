"""Archive audit: walk an archive, join it with the ledger, session records and retention policy.

Typical use (what ``auditor archive audit DIR --ledger LEDGER.db`` does)::

    result = audit_archive("/archive", ledger="court.db", policy="kz-2015",
                           as_of=date(2027, 6, 1), workers=2)
    result.report            # the auditor.report/1 JSON object, with an "archive" section

The names below are imported on first use, so that ``auditor --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ArchiveAudit", "ClusterError", "audit_archive", "default_state_path"]

_WHERE = {"ArchiveAudit": ".audit", "audit_archive": ".audit", "default_state_path": ".audit",
          "ClusterError": ".run"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
