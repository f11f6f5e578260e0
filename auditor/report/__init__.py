"""Reports: the JSON contract (``auditor.report/1``) and renderings for people."""

from .model import build_report, dumps, exit_code
from .render import FORMATS, load_report, render_report, write_report
from .text import render_text

__all__ = ["build_report", "dumps", "exit_code", "render_text", "FORMATS", "load_report",
           "render_report", "write_report"]
