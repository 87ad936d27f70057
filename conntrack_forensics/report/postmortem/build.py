"""Build the postmortem's view model: header, sections, each incident, action items, time.

:func:`build` assembles the :class:`~.view.Postmortem` from :meth:`Analysis.to_dict` and the
events; each incident's sections come from :mod:`.incident` and :mod:`.outcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._words import _cap, _code, _join, _num, _plural, _span, _ts, duration
from .evidence import Evidence
from .incident import (
    _candidate_groups,
    _impact,
    _summary,
    _table_facts,
    _trigger_facts,
    _trigger_none,
)
from .outcome import (
    DROP_LINE,
    RECOVERY_LABELS,
    _detection,
    _drop_sources,
    _lessons,
    _merge_lessons,
    _recovery,
    _timeline,
)
from .view import ActionGroup, Fact, IncidentView, Postmortem

if TYPE_CHECKING:
    from ..subject import Analyzed


#: Document-level section headings, in order (each incident adds :data:`INCIDENT_SECTIONS`
#: between "Impact" and "Action items").
SUMMARY, IMPACT, ACTIONS, LESSONS, TIMELINE, EVIDENCE = (
    "Summary", "Impact", "Action items", "Lessons", "Timeline", "Evidence")
TRIGGER, ROOT_CAUSE, DETECTION, RESOLUTION = (
    "Trigger", "Root cause", "Detection", "Resolution and recovery")
SECTIONS = (SUMMARY, IMPACT, ACTIONS, LESSONS, TIMELINE, EVIDENCE)
INCIDENT_SECTIONS = (TRIGGER, ROOT_CAUSE, DETECTION, RESOLUTION)

_CONNTRACK_MODULES = ("nf_conntrack", "ip_conntrack")

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


def build(analysis: Analyzed) -> Postmortem:
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

def _incident(analysis: Analyzed, data: dict[str, Any], d: dict[str, Any], ev: Evidence,
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


def _host_evidence_end(analysis: Analyzed, host: str) -> pd.Timestamp | None:
    ev = analysis.events
    times = ev.loc[ev["host"] == host, "time"].dropna()
    return times.max() if len(times) else None


def _conntrack_loads(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in d["module_loads"]
            if (m["module"] in _CONNTRACK_MODULES or m["module"] is None) and m["time"]]


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
