"""The postmortem as a view model: what each section of the HTML and Markdown reports says.

The templates only lay out; the words, the derived figures and the links to the evidence are
built here from :meth:`Analysis.to_dict` (the JSON contract, left untouched) and, for what the
JSON does not carry (the original line behind each ``path:line``, which sources logged the
drops, how long the evidence goes on after the last drop), from ``analysis.events``.

Sections, in the order of a classic SRE postmortem (:data:`SECTIONS`): summary, impact, then
for each incident its trigger, root cause, detection and resolution, then action items,
lessons, timeline and evidence.

Modules, one job each:

- :mod:`._words`: the small formatting helpers (times, numbers, plurals, durations, lists).
- :mod:`.evidence`: :class:`Evidence`, every ``path:line``, its anchor and its original line.
- :mod:`.view`: the view-model dataclasses the templates lay out.
- :mod:`.incident`: one incident's summary, impact, trigger and candidates, and root cause.
- :mod:`.outcome`: one incident's detection, recovery, lessons and timeline.
- :mod:`.build`: :func:`build`, the header, table of contents, action items and time facts.
"""

from __future__ import annotations

from ._words import duration, when
from .build import (
    ACTION_TITLES,
    ACTIONS,
    CAUSE_LABELS,
    CAUSE_MEANING,
    DETECTION,
    EVIDENCE,
    IMPACT,
    INCIDENT_SECTIONS,
    LESSONS,
    RESOLUTION,
    ROOT_CAUSE,
    SECTIONS,
    SUMMARY,
    TIMELINE,
    TRIGGER,
    build,
    section_headings,
)
from .evidence import Evidence
from .outcome import DROP_LINE, RECOVERY_LABELS
from .view import ActionGroup, CandidateGroup, DropSource, Fact, IncidentView, Postmortem

__all__ = [
    "ACTIONS",
    "ACTION_TITLES",
    "CAUSE_LABELS",
    "CAUSE_MEANING",
    "DETECTION",
    "DROP_LINE",
    "EVIDENCE",
    "IMPACT",
    "INCIDENT_SECTIONS",
    "LESSONS",
    "RECOVERY_LABELS",
    "RESOLUTION",
    "ROOT_CAUSE",
    "SECTIONS",
    "SUMMARY",
    "TIMELINE",
    "TRIGGER",
    "ActionGroup",
    "CandidateGroup",
    "DropSource",
    "Evidence",
    "Fact",
    "IncidentView",
    "Postmortem",
    "build",
    "duration",
    "section_headings",
    "when",
]
