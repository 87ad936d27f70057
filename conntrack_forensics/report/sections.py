"""The postmortem as a view model: what each section of the HTML and Markdown reports says.

The templates only lay out; the words, the derived figures and the links to the evidence are
built here from :meth:`Analysis.to_dict` (the JSON contract, left untouched) and, for what the
JSON does not carry (the original line behind each ``path:line``, which sources logged the
drops, how long the evidence goes on after the last drop), from ``analysis.events``.

Sections, in the order of a classic SRE postmortem (:data:`SECTIONS`): summary, impact, then
for each incident its trigger, root cause, detection and resolution, then action items,
lessons, timeline and evidence.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup, escape

from ..correlate.knowledge import CommandRule, command_rules, normalize_command
from ..correlate.model import ref as make_ref
from ..correlate.triggers import TRIGGER_THRESHOLD
from ..errors import UsageError
from ..model import Kind
from ..timefmt import rfc3339
from ..timeutil import parse_tz
from .templating import md_code, md_text

if TYPE_CHECKING:
    from ..analysis import Analysis

#: Document-level section headings, in order (each incident adds :data:`INCIDENT_SECTIONS`
#: between "Impact" and "Action items").
SUMMARY, IMPACT, ACTIONS, LESSONS, TIMELINE, EVIDENCE = (
    "Summary", "Impact", "Action items", "Lessons", "Timeline", "Evidence")
TRIGGER, ROOT_CAUSE, DETECTION, RESOLUTION = (
    "Trigger", "Root cause", "Detection", "Resolution and recovery")
SECTIONS = (SUMMARY, IMPACT, ACTIONS, LESSONS, TIMELINE, EVIDENCE)
INCIDENT_SECTIONS = (TRIGGER, ROOT_CAUSE, DETECTION, RESOLUTION)

DROP_LINE = "nf_conntrack: table full, dropping packet"
_CONNTRACK_MODULES = ("nf_conntrack", "ip_conntrack")
_SUPPRESSED = re.compile(r"(\d+) callbacks suppressed")

CAUSE_LABELS = {
    "module_autoload": "module autoload",
    "capacity": "capacity",
    "unknown": "unknown",
}
CAUSE_MEANING = {
    "module_autoload": "connection tracking was loaded shortly before the drops, by a command "
                       "or rule change that need not have loaded it",
    "capacity": "connection tracking was already loaded; the table simply filled",
    "unknown": "the evidence does not show why the table filled",
}
RECOVERY_LABELS = {
    "reboot": "reboot",
    "conntrack_max_raised": "table size raised",
    "module_unloaded": "conntrack unloaded",
    "rules_changed": "firewall rules changed",
    "drops_stopped": "drops stopped",
}
ACTION_TITLES = {
    "avoid_autoload": "Stop loading connection tracking by accident",
    "raise_conntrack_max": "Raise the table size",
    "persist_settings": "Make the settings survive reboots and module reloads",
    "shorten_tcp_timeouts": "Shorten the established-TCP timeout",
    "notrack_service_traffic": "Exempt the service's traffic from tracking",
}


def section_headings(n_incidents: int) -> list[str]:
    """The section headings a postmortem of ``n_incidents`` incidents has, in order."""
    return [SUMMARY, IMPACT, *(list(INCIDENT_SECTIONS) * n_incidents), ACTIONS, LESSONS,
            TIMELINE, EVIDENCE]


# --- small formatting helpers -------------------------------------------------------------

def _ts(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text)


def _num(n: int | float | None) -> str:
    return "—" if n is None else f"{n:,}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def duration(seconds: float) -> str:
    """Seconds in words: ``6 s``, ``6 min 2 s``, ``2 h 5 min``, ``55.9 h``."""
    s = abs(seconds)
    if s < 1:
        return f"{s:.1f} s" if s >= 0.05 else "0 s"
    if s < 60:
        return f"{round(s)} s"
    if s < 3600:
        m, r = divmod(round(s), 60)
        return f"{m} min {r} s" if r else f"{m} min"
    if s < 10 * 3600:
        h, r = divmod(round(s / 60), 60)
        return f"{h} h {r} min" if r else f"{h} h"
    return f"{s / 3600:.1f} h"


def when(text: str | None, *, date: bool = True) -> str:
    """An RFC 3339 UTC time for prose: ``2017-04-26 16:03:27 UTC`` (milliseconds if any)."""
    t = _ts(text)
    if t is None:
        return "an unrecorded time"
    clock = t.strftime("%H:%M:%S")
    if t.microsecond or t.nanosecond:
        clock += f".{t.microsecond // 1000:03d}"
    return f"{t.strftime('%Y-%m-%d')} {clock} UTC" if date else f"{clock} UTC"


def _span(start: str, end: str) -> str:
    a, b = _ts(start), _ts(end)
    assert a is not None and b is not None
    if a.date() == b.date():
        return f"on {a.strftime('%Y-%m-%d')} from {when(start, date=False)[:-4]} to " \
               f"{when(end, date=False)}"
    return f"from {when(start)} to {when(end)}"


def _local(text: str | None, zone: str | None) -> str | None:
    """``from 00:03:27 on 2017-04-27 Asia/Shanghai time`` for a zone other than UTC, else None."""
    t = _ts(text)
    if t is None or not zone or zone in ("UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"):
        return None
    try:
        local = t.tz_convert(parse_tz(zone))
    except (UsageError, TypeError, ValueError):
        return None
    if local.utcoffset() == pd.Timedelta(0):
        return None
    same_day = local.date() == t.date()
    day = "" if same_day else f" on {local.strftime('%Y-%m-%d')}"
    return f"from {local.strftime('%H:%M:%S')}{day} {zone} time"


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _code(text: str) -> str:
    """Backtick-quoted text for prose (both renderers turn it into code)."""
    return f"`{' '.join(text.split())}`"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- evidence: every path:line, its anchor and its original line ---------------------------

_REF = re.compile(r"^(?P<path>.*):(?P<line>\d+)$")


class Evidence:
    """The sources a report cites: display names, anchors, original lines, links in text."""

    def __init__(self, analysis: Analysis, data: dict[str, Any]) -> None:
        paths = sorted({str(i["path"]) for i in data["inputs"]}
                       | {str(s) for s in analysis.events["source"].dropna().unique()})
        self.root = _common_root(str(i["path"]) for i in data["inputs"])
        self._paths = paths
        alternation = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
        self._in_text = (re.compile(rf"(?:{alternation})(?::\d+)?(?![\w./-])")
                         if paths else None)
        self._lines: dict[str, str] = {}
        self._cited: dict[str, None] = {}
        self._occurrences: dict[str, int] = {}
        self._events = analysis.events

    # which lines the report cites, and what they said
    def cite(self, ref: str | None) -> None:
        """Record that the report shows ``ref``."""
        if ref:
            self._cited.setdefault(ref, None)

    def cite_text(self, text: str | None) -> None:
        """Record the references inside a sentence."""
        for m in self._refs_in(text or ""):
            if _REF.match(m.group(0)):
                self.cite(m.group(0))

    def resolve(self) -> None:
        """Look up the original line of every cited reference in the events."""
        wanted: dict[str, set[int]] = {}
        for r in self._cited:
            m = _REF.match(r)
            if m:
                wanted.setdefault(m["path"], set()).add(int(m["line"]))
        if not wanted:
            return
        ev = self._events
        rows = ev.loc[ev["source"].isin(list(wanted)), ["source", "line", "evidence", "message"]]
        for source, line, evidence, message in rows.itertuples(index=False, name=None):
            if pd.isna(line) or int(line) not in wanted.get(source, ()):
                continue
            key = make_ref(source, line)
            if key in self._lines:
                continue
            text = evidence if isinstance(evidence, str) else message
            if isinstance(text, str):
                self._lines[key] = text

    @property
    def cited(self) -> list[tuple[str, str, str | None]]:
        """``(anchor, ref, original line)`` of every cited reference, by path and line."""
        def order(r: str) -> tuple[str, int]:
            m = _REF.match(r)
            return (m["path"], int(m["line"])) if m else (r, 0)
        return [(self.anchor(r), r, self._lines.get(r))
                for r in sorted(self._cited, key=order)]

    def line(self, ref: str | None) -> str | None:
        """The original line behind ``ref``, when the evidence has it."""
        return self._lines.get(ref) if ref else None

    def display(self, ref: str) -> str:
        """``ref`` relative to the common root of the inputs."""
        if self.root and ref.startswith(self.root + "/"):
            return ref[len(self.root) + 1:]
        return ref

    @staticmethod
    def anchor(ref: str) -> str:
        """A stable HTML id for ``ref``: ``ev-messages-57-1a2b3c4d``."""
        tail = ref.rsplit("/", 1)[-1].replace("!", "")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", tail).strip("-")[:40] or "src"
        return f"ev-{slug}-{hashlib.sha1(ref.encode()).hexdigest()[:8]}"

    # HTML
    def path(self, ref: str | None) -> Markup:
        """``ref`` for display, with line-break opportunities after each ``/``."""
        if not ref:
            return Markup("—")
        parts = self.display(ref).split("/")
        return Markup("/<wbr>").join(escape(p) for p in parts)

    def src(self, ref: str | None) -> Markup:
        """``path:line`` with its own id, opening on the original line (``<details>``)."""
        if not ref:
            return Markup("—")
        n = self._occurrences.get(ref, 0) + 1
        self._occurrences[ref] = n
        anchor = f"{self.anchor(ref)}-{n}"
        line = self.line(ref)
        label = self.path(ref)
        if line is None:
            return Markup('<span class="src" id="{}" title="{}">{}</span>').format(
                anchor, ref, label)
        return Markup(
            '<details class="src" id="{}"><summary title="{}">{}</summary>'
            '<pre><code>{}</code></pre>'
            '<a class="src-all" href="#{}">all cited lines</a></details>'
        ).format(anchor, ref, label, line, self.anchor(ref))

    def text(self, text: str | None) -> Markup:
        """A sentence: escaped, backtick spans as code, references linked to the evidence."""
        text = text or ""
        out: list[Markup] = []
        pos = 0
        for m in self._refs_in(text):
            out.append(_html_code_spans(text[pos:m.start()]))
            r = m.group(0)
            if r in self._cited:
                out.append(Markup('<a class="ref" href="#{}" title="{}">{}</a>').format(
                    self.anchor(r), r, self.path(r)))
            else:
                out.append(Markup('<code class="path" title="{}">{}</code>').format(
                    r, self.path(r)))
            pos = m.end()
        out.append(_html_code_spans(text[pos:]))
        return Markup("").join(out)

    # Markdown
    def md(self, text: str | None, cell: bool = False, start: bool = True) -> str:
        """A sentence for Markdown: escaped, backtick spans kept, references as code."""
        text = text or ""
        out: list[str] = []
        pos = 0
        for m in self._refs_in(text):
            out.append(md_text(text[pos:m.start()], cell=cell, start=start and not out))
            out.append(md_code(self.display(m.group(0)), cell=cell))
            pos = m.end()
        out.append(md_text(text[pos:], cell=cell, start=start and not out))
        return "".join(out)

    def md_ref(self, ref: str | None, cell: bool = True) -> str:
        """``path:line`` as Markdown code."""
        return md_code(self.display(ref), cell=cell) if ref else "—"

    def _refs_in(self, text: str) -> Iterator[re.Match[str]]:
        if self._in_text is None or not text:
            return iter(())
        return self._in_text.finditer(text)


def _common_root(paths: Iterable[str]) -> str:
    dirs = [posixpath.dirname(p.split("!", 1)[0]) for p in paths if p and p != "-"]
    if not dirs:
        return ""
    try:
        root = posixpath.commonpath(dirs)
    except ValueError:
        return ""
    return "" if root in ("", "/", ".") else root


_BACKTICKS = re.compile(r"`([^`\n]+)`")


def _html_code_spans(text: str) -> Markup:
    out: list[Markup] = []
    pos = 0
    for m in _BACKTICKS.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<code>{}</code>").format(m.group(1)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


# --- the view model ----------------------------------------------------------------------

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


def build(analysis: Analysis) -> Postmortem:
    """The view model of ``analysis``'s postmortem."""
    data = analysis.to_dict()
    ev = Evidence(analysis, data)
    incidents = [_incident(analysis, data, inc, ev, n)
                 for n, inc in enumerate(data["incidents"], 1)]
    fleet = [dict(w) for w in data["fleet"]]
    fleet_text = [
        f"{_join(w['hosts'])} dropped together {_span(w['start'], w['end'])} "
        f"({duration((_ts(w['end']) - _ts(w['start'])).total_seconds())}): "  # type: ignore[operator]
        f"{_plural(w['drops_logged'], 'drop')} logged and {_num(w['drops_suppressed'])} "
        "suppressed across the hosts."
        for w in fleet
    ]
    for w in data["conntrack_warnings"]:
        for s in w["sources"]:
            ev.cite(s)
    for inc in data["incidents"]:
        ev.cite(inc.get("conntrack_count_source"))
    ev.resolve()

    status, status_class = _overall_status(incidents)
    hosts = data["hosts"]
    inc_hosts = sorted({i.host for i in incidents})
    title = ("Postmortem: conntrack table full on " + _join(inc_hosts) if inc_hosts
             else "Conntrack postmortem" + (": " + ", ".join(hosts) if hosts else ""))
    header = _header(data, incidents, ev)
    lessons = _merge_lessons(incidents, data)
    pm = Postmortem(
        data=data, ev=ev, title=title, status=status, status_class=status_class,
        header=header, incidents=incidents, fleet=fleet, fleet_text=fleet_text,
        warnings=[dict(w) for w in data["conntrack_warnings"]],
        actions=_action_groups(data["incidents"]), lessons=lessons,
        zones=_zones(data), time_facts=_time_facts(data),
        generic_summary=_generic_summary(data),
    )
    pm.sections = _toc(pm)
    return pm


def _overall_status(incidents: Sequence[IncidentView]) -> tuple[str, str]:
    if not incidents:
        return "No incident in the evidence", "none"
    ongoing = [i for i in incidents if i.d["recovery"] is None]
    if ongoing:
        if len(incidents) == 1:
            return "Ongoing at end of evidence", "ongoing"
        return (f"Ongoing at end of evidence ({len(ongoing)} of {len(incidents)} incidents)",
                "ongoing")
    if len(incidents) == 1:
        return incidents[0].status, "resolved"
    kinds = sorted({RECOVERY_LABELS.get(i.d["recovery"]["kind"], i.d["recovery"]["kind"])
                    for i in incidents})
    return f"Resolved: {', '.join(kinds)} ({len(incidents)} incidents)", "resolved"


def _header(data: dict[str, Any], incidents: Sequence[IncidentView], ev: Evidence) -> list[Fact]:
    out: list[Fact] = []
    if incidents:
        starts = [i.d["start"] for i in incidents]
        ends = [i.d["end"] for i in incidents]
        out.append(Fact("Drops", _span(min(starts, key=pd.Timestamp),
                                       max(ends, key=pd.Timestamp))))
        logged = sum(i.d["drops_logged"] for i in incidents)
        supp = sum(i.d["drops_suppressed"] for i in incidents)
        hosts = len({i.host for i in incidents})
        out.append(Fact("Impact", f"{_plural(logged, 'drop')} logged, {_num(supp)} more "
                                  f"suppressed, on {_plural(hosts, 'host')}"))
        causes = sorted({i.d["cause"] for i in incidents})
        out.append(Fact("Cause", ", ".join(causes)))
        trig = [i.d["trigger"]["command"] for i in incidents if i.d["trigger"]]
        out.append(Fact("Trigger", _join([_code(c) for c in dict.fromkeys(trig)])
                        if trig else "none credible in the evidence"))
    files = [i for i in data["inputs"] if i["format"]]
    where = f" under {_code(ev.root + '/')}" if ev.root else ""
    out.append(Fact("Evidence", f"{_plural(len(data['inputs']), 'input file')}{where}, "
                                f"{len(files):,} read as logs or snapshots; "
                                f"{_plural(len(data['diagnostics']), 'diagnostic')}"))
    out.append(Fact("Generated by", f"{data['generator']}; all times UTC"))
    return out


def _toc(pm: Postmortem) -> list[tuple[str, str]]:
    out = [("summary", SUMMARY), ("impact", IMPACT)]
    out += [(i.id, f"Analysis: {i.id}") for i in pm.incidents]
    out += [("action-items", ACTIONS), ("lessons", LESSONS), ("timeline", TIMELINE),
            ("evidence", EVIDENCE)]
    return out


# --- one incident ------------------------------------------------------------------------

def _incident(analysis: Analysis, data: dict[str, Any], d: dict[str, Any], ev: Evidence,
              n: int) -> IncidentView:
    for key in ("module_loads", "candidates", "timeline"):
        for item in d[key]:
            ev.cite(item.get("source"))
    for c in d["candidates"]:
        for r in c["reasons"]:
            ev.cite_text(r)
    for text in (*d["cause_reasons"], *d["explanation"]):
        ev.cite_text(text)
    if d["trigger"]:
        ev.cite(d["trigger"]["source"])
    if d["recovery"]:
        ev.cite(d["recovery"]["source"])

    zone = _host_zone(data, d["host"])
    rec = d["recovery"]
    if rec:
        status = f"Resolved: {RECOVERY_LABELS.get(rec['kind'], rec['kind'])}"
        status_class = "resolved"
    else:
        status, status_class = "Ongoing at end of evidence", "ongoing"
    host_end = _host_evidence_end(analysis, d["host"])
    loads = _conntrack_loads(d)
    view = IncidentView(
        d=d, n=n, status=status, status_class=status_class,
        summary=_summary(d, zone, loads, host_end),
        impact=_impact(d, zone),
        chart_caption=(f"Drops logged per second on {d['host']}, with the trigger, module "
                       "loads, boots and the recovery marked. Times UTC."),
        trigger_facts=_trigger_facts(d),
        trigger_reasons=list(d["trigger"]["reasons"]) if d["trigger"] else [],
        trigger_none=_trigger_none(d),
        candidate_groups=_candidate_groups(d),
        cause_label=CAUSE_LABELS.get(d["cause"], d["cause"]),
        cause_meaning=CAUSE_MEANING.get(d["cause"], ""),
        table_facts=_table_facts(d),
        detection=_detection(d),
        drop_sources=_drop_sources(analysis, d),
        recovery=_recovery(d, host_end),
        recovery_evidence=rec.get("evidence") if rec else None,
        lessons=_lessons(d, loads, host_end),
        timeline=_timeline(d),
    )
    return view


def _host_zone(data: dict[str, Any], host: str) -> str | None:
    zones = [i["tz"] for i in data["inputs"] if i["host"] == host and i["tz"]]
    if not zones:
        return None
    return max(sorted(set(zones)), key=zones.count)


def _host_evidence_end(analysis: Analysis, host: str) -> pd.Timestamp | None:
    ev = analysis.events
    times = ev.loc[ev["host"] == host, "time"].dropna()
    return times.max() if len(times) else None


def _conntrack_loads(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in d["module_loads"]
            if (m["module"] in _CONNTRACK_MODULES or m["module"] is None) and m["time"]]


def _summary(d: dict[str, Any], zone: str | None, loads: list[dict[str, Any]],
             host_end: pd.Timestamp | None) -> str:
    start, end = d["start"], d["end"]
    secs = d["duration_seconds"]
    local = _local(start, zone)
    out = [_cap(_span(start, end))
           + (f" ({duration(secs)}; {local})" if local else f" ({duration(secs)})") + ","
           + f" the connection-tracking table of {d['host']} was full and its kernel dropped "
           f"packets: {_plural(d['drops_logged'], 'drop')} logged and "
           f"{_num(d['drops_suppressed'])} more suppressed by its rate limit, at most "
           f"{_num(d['peak_drops_per_second'])} logged per second."]
    size = f"{d['conntrack_max']:,}-entry " if d["conntrack_max"] else ""
    trig = d["trigger"]
    first = pd.Timestamp(start)
    if d["cause"] == "module_autoload":
        load = next((m for m in reversed(loads) if pd.Timestamp(m["time"]) <= first), None)
        what = (f"loaded {load['module'] or 'connection tracking'} "
                f"{duration((first - pd.Timestamp(load['time'])).total_seconds())} before the "
                "first drop" if load else "loaded connection tracking")
        if trig:
            at = when(trig["time"]) if trig["time"] else "an unrecorded time"
            out.append(f"The cause was a module autoload: {_code(trig['command'])}, run by "
                       f"{trig['user'] or 'an unknown user'} at {at} (confidence "
                       f"{trig['confidence']}), {what}, and the host's traffic filled its "
                       f"{size}table.")
        else:
            best = d["candidates"][0] if d["candidates"] else None
            maybe = (f" The most likely command, {_code(best['command'])} (confidence "
                     f"{best['confidence']}), stays below the {TRIGGER_THRESHOLD} threshold."
                     if best and best["confidence"] >= 0.3 else "")
            out.append(f"The cause was a module autoload: something {what}, with no "
                       f"conntrack activity earlier in the boot, and the host's traffic "
                       f"filled its {size}table; no command in the evidence is a credible "
                       f"trigger.{maybe}")
    elif d["cause"] == "capacity":
        load = loads[0] if loads else None
        since = (f" since {when(load['time'])} "
                 f"({duration((first - pd.Timestamp(load['time'])).total_seconds())} before "
                 "the first drop)" if load and pd.Timestamp(load["time"]) <= first else "")
        fill = (f" A snapshot at {when(d['conntrack_count_time'])} showed "
                f"{d['conntrack_count']:,} entries in use."
                if d["conntrack_count"] is not None else "")
        active = (f"connection tracking had been active{since}" if since
                  else "connection tracking was already active before the drops")
        out.append(f"The cause was capacity: {active}, and the {size}table filled under the "
                   f"host's own traffic; no command triggered it.{fill}")
    else:
        out.append("The evidence does not show why the table filled.")
    out.append(_recovery_sentence(d, host_end))
    return " ".join(out)


def _recovery_sentence(d: dict[str, Any], host_end: pd.Timestamp | None) -> str:
    rec = d["recovery"]
    first = pd.Timestamp(d["start"])
    if rec is None:
        tail = ""
        if host_end is not None:
            tail = f"; the host's evidence ends at {when(str(host_end.isoformat()))}"
        return (f"Drops were still being logged when the evidence ends (the last at "
                f"{when(d['end'])}{tail}).")
    t = _ts(rec["time"])
    after = (f", {duration((t - first).total_seconds())} after the first drop"
             if t is not None else "")
    at = when(rec["time"])
    kind = rec["kind"]
    if kind == "reboot":
        return f"It ended with a reboot at {at}{after}."
    if kind == "conntrack_max_raised":
        return f"It ended when the table size was raised at {at}{after}."
    if kind == "module_unloaded":
        return f"It ended when connection tracking was unloaded at {at}{after}."
    if kind == "rules_changed":
        return f"It ended when the firewall rules were changed at {at}{after}."
    if kind == "drops_stopped":
        return (f"The drops stopped by themselves after {when(d['end'])}; no recovery action "
                "is in the evidence.")
    return f"It ended ({kind}) at {at}."


def _impact(d: dict[str, Any], zone: str | None) -> list[Fact]:
    host = d["host"] + (f" (kernel {d['kernel']})" if d["kernel"] else "")
    span = f"{d['start']} → {d['end']} ({duration(d['duration_seconds'])})"
    local = _local(d["start"], zone)
    out = [
        Fact("Host", host),
        Fact("Drops", span + (f"; {local}" if local else "")),
        Fact("Drops logged", f"{_num(d['drops_logged'])} (each “table full” line once, "
                             "repeats expanded, copies in several logs counted once)"),
        Fact("Drops suppressed", f"{_num(d['drops_suppressed'])} more, counted from the "
                                 "kernel's “callbacks suppressed” lines"),
        Fact("Peak", f"{_num(d['peak_drops_per_second'])} logged per second, "
                     f"{_num(d['peak_drops_per_minute'])} per minute"),
        Fact("Status", _status_text(d)),
    ]
    return out


def _status_text(d: dict[str, Any]) -> str:
    rec = d["recovery"]
    if rec is None:
        return "ongoing at the end of the evidence"
    return f"resolved: {rec['kind']} at {rec['time'] or 'an unrecorded time'}"


def _table_facts(d: dict[str, Any]) -> list[Fact]:
    out = [Fact("nf_conntrack_max", _num(d["conntrack_max"])),
           Fact("Hash buckets", _num(d["conntrack_buckets"]))]
    if d["conntrack_count"] is not None:
        pct = ""
        if d["conntrack_max"]:
            pct = f" ({d['conntrack_count'] / d['conntrack_max']:.0%} of the table)"
        out.append(Fact("Entries in use", f"{d['conntrack_count']:,}{pct} at "
                                          f"{d['conntrack_count_time']}",
                        d["conntrack_count_source"]))
    return out


def _trigger_facts(d: dict[str, Any]) -> list[Fact]:
    t = d["trigger"]
    if not t:
        return []
    out = [Fact("Command", _code(t["command"])),
           Fact("User", t["user"] or "unknown"),
           Fact("Time", _candidate_time(t)),
           Fact("Confidence", f"{t['confidence']} (threshold {TRIGGER_THRESHOLD})")]
    rule = _rules().get(t.get("rule") or "")
    if rule is not None:
        out.append(Fact("Rule", f"{_code(rule.id)}: {rule.reason}"))
    out.append(Fact("Source", "", t["source"]))
    return out


def _candidate_time(c: dict[str, Any]) -> str:
    if c["time"]:
        q = c.get("time_quality") or "exact"
        return c["time"] + ("" if q == "exact" else f" ({q.replace('_', ' ')})")
    lo, hi = c.get("not_before"), c.get("not_after")
    if lo and hi:
        return f"not recorded; between {lo} and {hi}"
    if hi:
        return f"not recorded; before {hi}"
    if lo:
        return f"not recorded; after {lo}"
    return "not recorded"


def _trigger_none(d: dict[str, Any]) -> str:
    if d["trigger"]:
        return ""
    if d["cause"] == "capacity":
        return (f"No trigger: connection tracking was already active before the drops, so no "
                f"command needed to load it, and no candidate reached confidence "
                f"{TRIGGER_THRESHOLD}.")
    if d["candidates"]:
        return (f"No credible trigger: no candidate reached confidence {TRIGGER_THRESHOLD}; "
                "the candidates considered are below.")
    return "No credible trigger: no command or service start in the evidence matches a rule."


@functools.cache
def _rules() -> dict[str, CommandRule]:
    return {r.id: r for r in command_rules()}


def _candidate_groups(d: dict[str, Any]) -> list[CandidateGroup]:
    t = d["trigger"]
    same: list[dict[str, Any]] = []
    credible: list[dict[str, Any]] = []
    ruled: list[dict[str, Any]] = []
    key = normalize_command(t["command"]) if t else None
    for c in d["candidates"]:
        if t and c["source"] == t["source"] and c["command"] == t["command"]:
            continue
        row = dict(c, when=_candidate_time(c))
        if t and normalize_command(c["command"]) == key and c["confidence"] >= TRIGGER_THRESHOLD:
            same.append(row)
        elif c["confidence"] >= TRIGGER_THRESHOLD:
            credible.append(row)
        else:
            ruled.append(row)
    out = []
    if same:
        out.append(CandidateGroup(
            "The same command in other records",
            "Other logs recorded the trigger too (sudo, audit, another history file); they "
            "corroborate it and are not separate causes.", same))
    if credible:
        out.append(CandidateGroup(
            "Other credible candidates", "Ranked below the trigger.", credible))
    if ruled:
        title = "Candidates ruled out" if t or d["cause"] == "capacity" else \
            "Candidates considered"
        out.append(CandidateGroup(
            title, f"Below the {TRIGGER_THRESHOLD} threshold, for the reasons given.", ruled))
    return out


def _detection(d: dict[str, Any]) -> list[Fact]:
    tl = d["timeline"]
    first = _first(tl, Kind.CONNTRACK_DROP.value)
    supp = _first(tl, Kind.RATELIMIT_SUPPRESSED.value)
    out: list[Fact] = []
    t0 = pd.Timestamp(d["start"])
    if first:
        out.append(Fact("First drop logged", f"{first['time']} on {d['host']}: "
                                             f"{_code(first['message'])}", first["source"]))
    else:
        out.append(Fact("First drop logged", f"{d['start']} on {d['host']}"))
    if supp:
        m = _SUPPRESSED.search(supp["message"])
        n = f": {int(m.group(1)):,} messages already suppressed" if m else ""
        out.append(Fact("First rate-limit line",
                        f"{supp['time']} ({_after(supp['time'], t0)} after the first drop){n}",
                        supp["source"]))
    alert = [f"An alert on the kernel line {_code(DROP_LINE)} would have fired at "
             f"{d['start']}"]
    trig = d["trigger"]
    if trig and trig["time"]:
        alert.append(f"{duration((t0 - pd.Timestamp(trig['time'])).total_seconds())} after "
                     "the trigger")
    rec = d["recovery"]
    if rec and rec["time"]:
        alert.append(f"{duration((pd.Timestamp(rec['time']) - t0).total_seconds())} before "
                     "the recovery")
    out.append(Fact("Alert on the drop line", ", ".join(alert) + "."))
    last = _last(tl, Kind.CONNTRACK_DROP.value)
    out.append(Fact("Last drop logged",
                    f"{d['end']} ({duration(d['duration_seconds'])} after the first)",
                    last["source"] if last and last["time"] == d["end"] else None))
    return out


def _after(text: str | None, t0: pd.Timestamp) -> str:
    t = _ts(text)
    return "?" if t is None else duration((t - t0).total_seconds())


def _first(tl: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    rows = [t for t in tl if t["kind"] == kind and t["time"]]
    return min(rows, key=lambda t: pd.Timestamp(t["time"])) if rows else None


def _last(tl: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    rows = [t for t in tl if t["kind"] == kind and t["time"]]
    return max(rows, key=lambda t: pd.Timestamp(t["time"])) if rows else None


def _drop_sources(analysis: Analysis, d: dict[str, Any]) -> list[DropSource]:
    ev = analysis.events
    start, end = pd.Timestamp(d["start"]), pd.Timestamp(d["end"])
    rows = ev.loc[(ev["host"] == d["host"])
                  & ev["kind"].isin([Kind.CONNTRACK_DROP.value])
                  & (ev["time"] >= start) & (ev["time"] <= end)]
    out = []
    for source, grp in rows.groupby("source", sort=True):
        times = grp["time"].dropna()
        out.append(DropSource(str(source), len(grp),
                              _iso(times.min()) if len(times) else None,
                              _iso(times.max()) if len(times) else None))
    return out


def _iso(t: pd.Timestamp) -> str | None:
    return rfc3339(t)


def _recovery(d: dict[str, Any], host_end: pd.Timestamp | None) -> list[Fact]:
    rec = d["recovery"]
    end = pd.Timestamp(d["end"])
    if rec is None:
        out = [Fact("Status", "Ongoing at end of evidence: no recovery in the evidence."),
               Fact("Last drop", d["end"])]
        if host_end is not None:
            out.append(Fact("Evidence ends", f"{_iso(host_end)} "
                            f"({duration((host_end - end).total_seconds())} after the last "
                            "drop)"))
        return out
    t = _ts(rec["time"])
    first = pd.Timestamp(d["start"])
    label = RECOVERY_LABELS.get(rec["kind"], rec["kind"])
    out = [Fact("Kind", rec["kind"] if label == rec["kind"] else f"{rec['kind']}: {label}"),
           Fact("Time", rec["time"] or "not recorded", rec["source"])]
    if t is not None:
        out.append(Fact("Time to recover",
                        f"{duration((t - first).total_seconds())} after the first drop, "
                        f"{duration((t - end).total_seconds())} "
                        f"{'after' if t >= end else 'before'} the last"))
    if host_end is not None:
        ref_t = max(x for x in (t, end) if x is not None)
        quiet = (host_end - ref_t).total_seconds()
        if quiet > 0:
            out.append(Fact("Afterwards", f"no drop in the {duration(quiet)} of evidence "
                                          f"that follows (to {_iso(host_end)})"))
    return out


def _lessons(d: dict[str, Any], loads: list[dict[str, Any]],
             host_end: pd.Timestamp | None) -> list[str]:
    out: list[str] = []
    rules = _rules()
    first = pd.Timestamp(d["start"])
    on_host = f"On {d['host']} (kernel {d['kernel']})" if d["kernel"] else f"On {d['host']}"
    t = d["trigger"]
    if t:
        rule = rules.get(t.get("rule") or "")
        if rule is not None and not rule.harmless:
            lead = ""
            if t["time"]:
                lead = (f", {duration((first - pd.Timestamp(t['time'])).total_seconds())} "
                        "before the first drop")
            out.append(f"{_code(t['command'])}: {rule.reason}. {on_host} it started "
                       f"connection tracking{lead}.")
    seen: set[str] = set()
    for c in d["candidates"]:
        rule = rules.get(c.get("rule") or "")
        if rule is None or not rule.harmless or rule.id in seen:
            continue
        seen.add(rule.id)
        out.append(f"{_code(c['command'])} {rule.reason} (ruled out on {d['host']}).")
    size = d["conntrack_max"]
    if size:
        table = f"The table on {d['host']} held {size:,} entries (nf_conntrack_max)"
        if d["conntrack_buckets"]:
            table += f" in {d['conntrack_buckets']:,} hash buckets"
        if d["cause"] == "module_autoload":
            load = next((m for m in reversed(loads) if pd.Timestamp(m["time"]) <= first), None)
            if load:
                fill = (first - pd.Timestamp(load["time"])).total_seconds()
                table += f"; it filled {duration(fill)} after connection tracking was loaded"
        elif d["conntrack_count"] is not None:
            table += (f"; a snapshot at {d['conntrack_count_time']} showed "
                      f"{d['conntrack_count']:,} in use")
        elif loads and pd.Timestamp(loads[0]["time"]) <= first:
            since = (first - pd.Timestamp(loads[0]["time"])).total_seconds()
            table += (f"; the first drop came {duration(since)} after connection tracking "
                      "was loaded")
        out.append(table + ".")
    logged, supp = d["drops_logged"], d["drops_suppressed"]
    if supp and logged:
        total = logged + supp
        if supp >= logged:
            out.append(f"Only {logged:,} of {total:,} drop messages on {d['host']} "
                       f"({logged / total:.1%}) were logged one by one; the kernel's rate "
                       f"limit suppressed the rest, so counting {_code(DROP_LINE)} lines "
                       f"alone understates the outage {total / logged:,.0f}-fold.")
        else:
            out.append(f"{logged:,} of {total:,} drop messages on {d['host']} "
                       f"({logged / total:.1%}) were logged one by one; the kernel's rate "
                       f"limit suppressed the other {supp:,}.")
    rec = d["recovery"]
    if rec and host_end is not None:
        t = _ts(rec["time"]) or pd.Timestamp(d["end"])
        quiet = (host_end - max(t, pd.Timestamp(d["end"]))).total_seconds()
        if rec["kind"] == "drops_stopped":
            out.append(f"The drops on {d['host']} stopped without a recovery action in the "
                       f"evidence, which goes on for {duration(quiet)} without a drop.")
        elif quiet > 0:
            label = {"reboot": "The reboot", "conntrack_max_raised": "Raising the table size",
                     "module_unloaded": "Unloading connection tracking",
                     "rules_changed": "Changing the rules"}.get(rec["kind"], rec["kind"])
            out.append(f"{label} ended the drops on {d['host']}: none in the "
                       f"{duration(quiet)} of evidence after it.")
    return out


def _merge_lessons(incidents: Sequence[IncidentView], data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for i in incidents:
        out.extend(x for x in i.lessons if x not in out)
    for w in data["fleet"]:
        out.append(f"{_join(w['hosts'])} filled their tables in the same window "
                   f"({_span(w['start'], w['end'])}).")
    for k in data["settings"]["clock_skew"]:
        out.append(f"The clock of {k['source']} was {abs(k['seconds']):,} s "
                   f"{'behind' if k['seconds'] > 0 else 'ahead of'} {k['reference']} "
                   f"({k['lines']:,} identical kernel lines agree); its times were corrected.")
    return out


def _timeline(d: dict[str, Any]) -> list[dict[str, Any]]:
    trig = d["trigger"]
    rec = d["recovery"]
    out = []
    for t in d["timeline"]:
        mark = ""
        if trig and t["source"] == trig["source"]:
            mark = "trigger"
        elif rec and t["source"] == rec["source"]:
            mark = "recovery"
        elif t["kind"] == Kind.CONNTRACK_DROP.value and t["time"] == d["start"]:
            mark = "first-drop"
        out.append(dict(t, mark=mark))
    return out


def _action_groups(incidents: list[dict[str, Any]]) -> list[ActionGroup]:
    groups: list[ActionGroup] = []
    for inc in incidents:
        items = [dict(r, title=ACTION_TITLES.get(r["id"], _cap(r["id"].replace("_", " "))))
                 for r in inc["recommendations"]]
        for g in groups:
            if g.items == items:
                g.incidents.append(inc["id"])
                break
        else:
            groups.append(ActionGroup([inc["id"]], items))
    return groups


def _zones(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Zone and year per host, as the inputs were read (inputs without a zone left out)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for i in data["inputs"]:
        if not i["format"] or not i["tz"]:
            continue
        row = rows.setdefault((i["host"] or "—", i["tz"], i["tz_source"] or "—"),
                              {"years": {}, "files": 0})
        row["files"] += 1
        if i["year"] is not None:
            row["years"][f"{i['year']} ({i['year_source'] or '—'})"] = None
    return [{"host": h, "tz": tz, "tz_source": src, "files": r["files"],
             "years": ", ".join(r["years"]) or "not needed"}
            for (h, tz, src), r in sorted(rows.items())]


def _time_facts(data: dict[str, Any]) -> list[Fact]:
    s = data["settings"]
    src = {"cli": "given with --tz", "evidence": "found in the evidence",
           "default": "no zone in the evidence, UTC assumed"}
    ysrc = {"cli": "given with --year", "evidence": "inferred from dated evidence",
            "mtime": "inferred from file modification times",
            "default": "assumed: the latest year not in the future"}
    out = [Fact("Zone for times without one",
                f"{s['tz']} ({src.get(s['tz_source'], s['tz_source'])})")]
    if s["year"] is not None:
        out.append(Fact("Year for syslog lines without one",
                        f"{s['year']} ({ysrc.get(s['year_source'], s['year_source'])})"))
    else:
        out.append(Fact("Year for syslog lines without one", "not needed: every time had one"))
    out.append(Fact("Gap that separates incidents", f"{s['gap_seconds']} s"))
    if s.get("host"):
        out.append(Fact("Host", f"{s['host']} (--host)"))
    out.append(Fact("Clock skew", f"{len(s['clock_skew'])} source(s) corrected"
                    if s["clock_skew"] else "none: the sources of each host agree"))
    return out


def _generic_summary(data: dict[str, Any]) -> str:
    if data["incidents"]:
        return ""
    hosts = data["hosts"]
    what = (f"the evidence of {_join(hosts)}" if hosts else "the evidence")
    warn = ""
    if data["conntrack_warnings"]:
        warn = (" Other conntrack warnings were logged; they are listed under Impact and are "
                "not table-full incidents.")
    return (f"No {_code(DROP_LINE)} line was found in {what} "
            f"({_plural(len(data['inputs']), 'input file')}): no table-full incident.{warn}")

