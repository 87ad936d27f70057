"""How an incident was seen and how it ended: detection, recovery, lessons and timeline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...model import Kind
from ...times import rfc3339
from ._words import _code, _join, _span, _ts, duration
from .incident import _rules
from .view import DropSource, Fact, IncidentView

if TYPE_CHECKING:
    from ..subject import Analyzed


DROP_LINE = "nf_conntrack: table full, dropping packet"
_SUPPRESSED = re.compile(r"(\d+) callbacks suppressed")

RECOVERY_LABELS = {
    "reboot": "reboot",
    "conntrack_max_raised": "table size raised",
    "module_unloaded": "conntrack unloaded",
    "rules_changed": "firewall rules changed",
    "drops_stopped": "drops stopped",
}


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


def _drop_sources(analysis: Analyzed, d: dict[str, Any]) -> list[DropSource]:
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
    if rec.get("conntrack_max") is not None:
        out.append(Fact("New table size", f"{rec['conntrack_max']:,} entries"))
    if rec.get("reasons"):
        out.append(Fact("Why", "; ".join(rec["reasons"])))
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
