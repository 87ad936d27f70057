"""Reporters: the postmortem as JSON, Markdown and self-contained HTML; words live in templates."""

from __future__ import annotations

from .json_report import render_json
from .markdown import render_markdown

__all__ = ["render_json", "render_markdown"]
