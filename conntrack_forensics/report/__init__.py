"""Reporters: the postmortem as JSON, Markdown and self-contained HTML; words live in templates.

In: an analysis (:class:`.subject.Analyzed`: the events, the incidents, the postmortem JSON).
Out: text: ``postmortem.json``, ``postmortem.md``, ``postmortem.html`` (chart inline), and
timelines of the events for other tools (:mod:`.timeline_export`).
"""

from __future__ import annotations

from .json_report import render_json
from .markdown import render_markdown

__all__ = ["render_json", "render_markdown"]
