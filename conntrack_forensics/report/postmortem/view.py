"""The view-model dataclasses: what the templates lay out, section by section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._words import duration
from .evidence import Evidence


@dataclass
class Fact:
    """One row of a facts table: a label, a sentence, and the evidence behind it."""

    label: str
    text: str
    source: str | None = None


@dataclass
class CandidateGroup:
    """Candidates of one kind (the same command elsewhere, ruled out, ...)."""

    title: str
    note: str
    rows: list[dict[str, Any]]


@dataclass
class DropSource:
    """A source that logged the incident's drops."""

    source: str
    lines: int
    first: str | None
    last: str | None


@dataclass
class IncidentView:
    """What the report says about one incident."""

    d: dict[str, Any]
    n: int
    status: str
    status_class: str
    summary: str
    impact: list[Fact]
    chart_caption: str
    trigger_facts: list[Fact]
    trigger_reasons: list[str]
    trigger_none: str
    candidate_groups: list[CandidateGroup]
    cause_label: str
    cause_meaning: str
    table_facts: list[Fact]
    detection: list[Fact]
    drop_sources: list[DropSource]
    recovery: list[Fact]
    recovery_evidence: str | None
    lessons: list[str]
    timeline: list[dict[str, Any]]

    @property
    def id(self) -> str:
        """The incident id."""
        return str(self.d["id"])

    @property
    def host(self) -> str:
        """The host."""
        return str(self.d["host"])

    @property
    def duration(self) -> str:
        """First to last drop, in words."""
        return duration(float(self.d["duration_seconds"]))


@dataclass
class ActionGroup:
    """Recommendations shared by one or more incidents."""

    incidents: list[str]
    items: list[dict[str, Any]]


@dataclass
class Postmortem:
    """The whole report."""

    data: dict[str, Any]
    ev: Evidence
    title: str
    status: str
    status_class: str
    header: list[Fact]
    incidents: list[IncidentView]
    fleet: list[dict[str, Any]]
    fleet_text: list[str]
    warnings: list[dict[str, Any]]
    actions: list[ActionGroup]
    lessons: list[str]
    zones: list[dict[str, Any]]
    time_facts: list[Fact]
    generic_summary: str
    sections: list[tuple[str, str]] = field(default_factory=list)
