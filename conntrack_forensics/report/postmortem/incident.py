"""One incident's view up to its root cause: summary, impact, trigger and candidates, table."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from ...correlate.knowledge import CommandRule, command_rules, normalize_command
from ...correlate.triggers import TRIGGER_THRESHOLD
from ._words import _cap, _code, _local, _num, _plural, _span, _ts, duration, when
from .view import CandidateGroup, Fact


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
            at = when(trig["time"]) if trig["time"] else _untimed_at(trig)
            who = trig.get("identity") or trig["user"] or "an unknown user"
            out.append(f"The cause was a module autoload: {_code(trig['command'])}, run by "
                       f"{who} at {at} (confidence "
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


def _untimed_at(c: dict[str, Any]) -> str:
    """``an unrecorded time between A and B (...)`` for a command its record does not time."""
    lo, hi = c.get("not_before"), c.get("not_after")
    span = (f" between {when(lo)} and {when(hi)}" if lo and hi else
            f" before {when(hi)}" if hi else f" after {when(lo)}" if lo else "")
    return f"an unrecorded time{span} (its record carries no timestamp)"


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
           Fact("User", t.get("identity") or t["user"] or "unknown"),
           Fact("Time", _candidate_time(t)),
           Fact("Confidence", f"{t['confidence']} (threshold {TRIGGER_THRESHOLD})")]
    rule = _rules().get(t.get("rule") or "")
    if rule is not None:
        out.append(Fact("Rule", f"{_code(rule.id)}: {rule.reason}"))
    out.append(Fact("Source", "", t["source"]))
    for rec in t.get("records", [])[1:]:
        out.append(Fact("Also recorded", f"{rec['format']}, {rec['time'] or 'untimed'}: "
                                         f"{_code(rec['command'])}", rec["source"]))
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
