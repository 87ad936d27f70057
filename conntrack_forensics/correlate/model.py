"""Result objects of the correlator: incidents and the evidence inside them.

Each has ``to_dict()`` giving the postmortem JSON shape of CONTRACT section 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._display import ReprHtmlMixin
from ..times import rfc3339


def ref(source: str, line: Any) -> str:
    """``path:line`` (or just ``path`` when there is no line)."""
    return f"{source}:{int(line)}" if line is not None and not pd.isna(line) else source


def command_text(row: Any) -> str:
    """An event's command, else its message (``row``: a Series or an itertuples row)."""
    command = row.command
    return command if isinstance(command, str) else str(row.message)


def evidence_text(row: Any) -> str:
    """An event's original line, else its message (``row``: a Series or an itertuples row)."""
    evidence = row.evidence
    return evidence if isinstance(evidence, str) else str(row.message)


@dataclass
class ModuleLoad:
    """A kernel module load seen in the evidence."""

    time: pd.Timestamp | None
    module: str | None  # None: the record does not name it (an audit finit_module call)
    source: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"time": rfc3339(self.time), "module": self.module, "source": self.source,
                "evidence": self.evidence}


@dataclass
class Candidate:
    """A command or event that may have triggered the incident, with its score."""

    time: pd.Timestamp | None
    command: str
    user: str | None
    source: str
    confidence: float
    reasons: list[str]
    rule: str
    not_before: pd.Timestamp | None = None
    not_after: pd.Timestamp | None = None
    time_quality: str = "exact"
    #: Every record of this one action (history, sudo, audit, journal), the shown one first.
    records: list[CommandRecord] = field(default_factory=list)
    #: The acting user's numeric id, when the evidence gives it.
    uid: int | None = None
    #: ``sudo`` or ``su`` when the command ran through one, and as whom.
    via: str | None = None
    run_as: str | None = None
    #: Who acted and as whom, in words (``alice (uid 1000), through sudo as root``).
    identity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape (``not_before``/``not_after`` only for untimed candidates)."""
        out: dict[str, Any] = {
            "time": rfc3339(self.time),
            "command": self.command,
            "user": self.user,
            "source": self.source,
            "confidence": round(self.confidence, 2),
            "reasons": list(self.reasons),
            "rule": self.rule,
            "time_quality": self.time_quality,
        }
        if self.time is None:
            out["not_before"] = rfc3339(self.not_before)
            out["not_after"] = rfc3339(self.not_after)
        out["identity"] = self.identity
        out["uid"] = self.uid
        out["via"] = self.via
        out["run_as"] = self.run_as
        out["records"] = [r.to_dict() for r in self.records]
        return out


@dataclass(frozen=True)
class CommandRecord:
    """One source's record of a command (a history line, a sudo line, an audit event)."""

    source: str
    format: str
    time: pd.Timestamp | None
    command: str

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"source": self.source, "format": self.format, "time": rfc3339(self.time),
                "command": self.command}


@dataclass
class Recovery:
    """How and when the drops ended."""

    time: pd.Timestamp | None
    kind: str
    source: str
    evidence: str | None = None
    #: The table size a ``conntrack_max_raised`` recovery set, when the evidence shows it.
    conntrack_max: int | None = None
    #: Why this is the recovery, and what was ruled out (a reload that raised nothing known).
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"time": rfc3339(self.time), "kind": self.kind, "source": self.source,
                "evidence": self.evidence, "conntrack_max": self.conntrack_max,
                "reasons": list(self.reasons)}


@dataclass
class Recommendation:
    """A remedy, with the exact commands for this host."""

    id: str
    text: str
    commands: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"id": self.id, "text": self.text, "commands": list(self.commands)}


@dataclass
class TimelineEntry:
    """One row of an incident's timeline."""

    time: pd.Timestamp | None
    kind: str
    message: str
    source: str
    time_quality: str = "exact"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"time": rfc3339(self.time), "kind": self.kind, "message": self.message,
                "source": self.source, "time_quality": self.time_quality}


@dataclass
class Incident(ReprHtmlMixin):
    """One conntrack table-full incident on one host (CONTRACT section 4)."""

    _html_template = "incident_card.html.j2"

    host: str
    start: pd.Timestamp
    end: pd.Timestamp
    drops_logged: int
    drops_suppressed: int
    peak_drops_per_second: int
    peak_drops_per_minute: int = 0
    #: Which ``callbacks suppressed`` summaries ``drops_suppressed`` counts or leaves out, and why.
    suppressed_reasons: list[str] = field(default_factory=list)
    conntrack_max: int | None = None
    conntrack_buckets: int | None = None
    #: Entries in the table per the snapshot nearest the incident, when and where it was read.
    conntrack_count: int | None = None
    conntrack_count_time: pd.Timestamp | None = None
    conntrack_count_source: str | None = None
    kernel: str | None = None
    explanation: list[str] = field(default_factory=list)
    module_loads: list[ModuleLoad] = field(default_factory=list)
    trigger: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    cause: str = "unknown"
    cause_reasons: list[str] = field(default_factory=list)
    recovery: Recovery | None = None
    recommendations: list[Recommendation] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    drops_per_second: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"),
                                        repr=False)

    @property
    def id(self) -> str:
        """``host-YYYYMMDDTHHMMSSZ`` of the first drop."""
        return f"{self.host}-{self.start.strftime('%Y%m%dT%H%M%SZ')}"

    @property
    def duration_seconds(self) -> float:
        """Seconds from the first to the last drop."""
        return float((self.end - self.start).total_seconds())

    def __repr__(self) -> str:
        return (f"<Incident {self.host} {rfc3339(self.start)} {self.drops_logged:,} drops "
                f"cause={self.cause}>")

    def to_dict(self) -> dict[str, Any]:
        """The incident as postmortem JSON."""
        return {
            "id": self.id,
            "host": self.host,
            "start": rfc3339(self.start),
            "end": rfc3339(self.end),
            "duration_seconds": round(self.duration_seconds, 6),
            "drops_logged": self.drops_logged,
            "drops_suppressed": self.drops_suppressed,
            "peak_drops_per_second": self.peak_drops_per_second,
            "peak_drops_per_minute": self.peak_drops_per_minute,
            "suppressed_reasons": list(self.suppressed_reasons),
            "conntrack_max": self.conntrack_max,
            "conntrack_buckets": self.conntrack_buckets,
            "conntrack_count": self.conntrack_count,
            "conntrack_count_time": rfc3339(self.conntrack_count_time),
            "conntrack_count_source": self.conntrack_count_source,
            "kernel": self.kernel,
            "explanation": list(self.explanation),
            "module_loads": [m.to_dict() for m in self.module_loads],
            "trigger": self.trigger.to_dict() if self.trigger else None,
            "candidates": [c.to_dict() for c in self.candidates],
            "cause": self.cause,
            "cause_reasons": list(self.cause_reasons),
            "recovery": self.recovery.to_dict() if self.recovery else None,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "timeline": [t.to_dict() for t in self.timeline],
        }

    def _html_context(self) -> dict[str, Any]:
        return {"inc": self.to_dict()}
