"""auditor: court hearing recording integrity auditor."""

from __future__ import annotations

__all__ = ["__version__", "AuditorError", "Finding"]

__version__ = "0.1.0"

from .errors import AuditorError  # noqa: E402
from .findings import Finding  # noqa: E402
