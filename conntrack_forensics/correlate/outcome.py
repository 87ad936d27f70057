"""Cause and recovery of an incident.

``cause`` (CONTRACT section 4): ``module_autoload`` when conntrack was loaded shortly before the
burst (by a command, or a load line with no earlier conntrack activity in that boot);
``capacity`` when conntrack was already active well before; else ``unknown``.

``recovery``: a recovery action (``conntrack_max_raised``, ``module_unloaded``,
``rules_changed``) nearest the last drop, if the drops did not outlive it (none more than
:data:`ACTION_SETTLE` after it; else it was an attempt, named in the reasons); else ``reboot``
when a shutdown or boot follows the last drop within the gap and the host shows it restarted
(:meth:`HostView.restart`: a logging daemon's own stop and start is no reboot);
``drops_stopped`` when the host's evidence goes on past the gap without drops; ``None`` while
drops are still going at the end of the evidence.

Within one second the file's order decides: a line in the first drop's second is before it
unless its own source puts it after (:func:`_before`), and the mirror for the last drop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..events.copies import latest_time
from ..model import Kind
from ..parsers.classify import keeper
from ..times import rfc3339
from .knowledge import LOWERED_RULE, match_recovery, size_set, sysctl_load
from .model import Candidate, Recovery, command_text, evidence_text, ref
from .reload import applied
from .view import DROP_KINDS, FILL_WINDOW, HostView

#: A conntrack load this long before the first drop or less can be the autoload.
AUTOLOAD_WINDOW = pd.Timedelta(hours=1)
#: A load this soon after a boot is the boot's own firewall set-up, not an autoload.
BOOT_SETTLE = pd.Timedelta(minutes=5)
#: A recovery action this long after the last drop can still be what ended the incident.
ACTION_SLACK = pd.Timedelta(minutes=2)
#: Drops this long after an action or less do not make it a mere attempt: the new size, unload
#: or rule takes effect at once, but lines already in flight and the difference between the
#: clock that stamped the command (history, sudo) and the kernel's are seconds to a minute.
#: Capped by the gap, which is the longest pause that is still one incident.
ACTION_SETTLE = pd.Timedelta(minutes=1)
#: A snapshot's count at this share of the table size or more: the table was (nearly) full.
FULL_SHARE = 0.9



def cause(
    view: HostView, start: pd.Timestamp, trigger: Candidate | None
) -> tuple[str, list[str]]:
    """The cause and the evidence for it."""
    if trigger is not None and trigger.rule == LOWERED_RULE:
        # its key exists only while conntrack is loaded: the table was there, and made smaller
        return "capacity", [f"`{trigger.command}` ({trigger.source}) made the table smaller "
                            "shortly before the drops; conntrack was loaded, or the setting "
                            "would have failed", *trigger.reasons[:3]]
    boot = view.boot_start(start)
    since, unload = view.cleared_at(start)  # the boot, or a later unload of conntrack
    ct = view.conntrack_evidence()
    ct = ct.loc[_before(view, ct, start)
                & ((ct["time"] >= since) if since is not None else True)]
    # a service that keeps conntrack loaded (dockerd, kube-proxy...) loads it when it starts
    loads = ct.loc[ct["kind"].isin([Kind.MODULE_LOAD.value, Kind.SERVICE.value])]
    recent = loads.loc[loads["time"] >= start - AUTOLOAD_WINDOW]
    if boot is not None:
        recent = recent.loc[recent["time"] > boot + BOOT_SETTLE]
    if len(recent):
        first_load = recent.iloc[0]
        earlier = ct.loc[ct["time"] < first_load["time"]]
        if earlier.empty:
            what = (f"{first_load['module']} was loaded"
                    if first_load["kind"] == Kind.MODULE_LOAD.value
                    else f"{first_load['message']} (a service that loads conntrack)")
            reasons = [
                f"{what} at {rfc3339(first_load['time'])}, "
                f"{(start - first_load['time']).total_seconds():.0f} s before the first drop "
                f"({ref(first_load['source'], first_load['line'])})",
                "no conntrack activity earlier in this boot" if unload is None else
                f"no conntrack activity since `{command_text(unload)}` unloaded it at "
                f"{rfc3339(unload['time'])} ({ref(unload['source'], unload['line'])})",
            ]
            if trigger is not None:
                reasons.append(f"the load follows `{trigger.command}` ({trigger.source})")
            return "module_autoload", reasons
    absent = view.unloaded_evidence()
    absent = absent.loc[_before(view, absent, start)
                        & ((absent["time"] >= boot) if boot is not None else True)]
    if len(absent):
        gone = absent.iloc[-1]
        ct = ct.loc[ct["time"] > gone["time"]]  # a later unload makes earlier loads moot
        if ct.empty or start - ct["time"].iloc[0] <= AUTOLOAD_WINDOW:
            reasons = [
                f"conntrack was not loaded at {rfc3339(gone['time'])} "
                f"({ref(gone['source'], gone['line'])}: {gone['message']}), "
                f"{(start - gone['time']).total_seconds():.0f} s before the first drop",
                "so it was loaded in between, in the same boot",
            ]
            if trigger is not None:
                reasons.append(f"`{trigger.command}` ({trigger.source}) loads conntrack")
            return "module_autoload", reasons
    if len(ct):
        return "capacity", _capacity_reasons(view, ct, start)
    if trigger is not None and view.announces_loads:
        return "module_autoload", [
            f"`{trigger.command}` ({trigger.source}) loads conntrack and no conntrack activity "
            "is in evidence before it",
        ]
    if trigger is not None and trigger.time is not None:
        # no load line anywhere: absence says nothing; the drops following closely do
        return "module_autoload", [
            f"`{trigger.command}` ({trigger.source}) loads conntrack when it is not loaded, "
            f"and the first drop came {(start - trigger.time).total_seconds():.0f} s after it",
            "this host's logs show no conntrack load at all (newer kernels print no load "
            "banner), so that conntrack was not loaded before it is inferred from the drops "
            "following it, not read from the logs",
        ]
    return "unknown", ["no evidence of when conntrack was loaded"]


def _before(view: HostView, rows: pd.DataFrame, start: pd.Timestamp) -> pd.Series:
    """Which of ``rows`` (not drops) came before the first drop at ``start``.

    On a busy host the table fills within a second of a load, so a line in the first drop's
    second is before it unless its own source shows it after: same source and a higher line
    number than that source's first drop of the second, or a precise time after a precise
    ``start``. A whole-second time equal to the drop's second is before.
    """
    return _beside(view, rows, start, before=True)


def _after(view: HostView, rows: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Which of ``rows`` (not drops) came after the last drop at ``end``.

    The mirror of :func:`_before`: a shutdown line right after the last drop, stamped the same
    second, is after it.
    """
    return _beside(view, rows, end, before=False)


def _beside(view: HostView, rows: pd.DataFrame, at: pd.Timestamp, *, before: bool) -> pd.Series:
    t = rows["time"]
    sec = at.floor("s")
    near = (t.dt.floor("s") == sec) & ~rows["kind"].isin(DROP_KINDS)
    if before:
        near &= (t == at) | ((t > at) & (at == sec))
    else:
        near &= (t == at) | ((t < at) & (t == sec))
    near = near.fillna(False).astype(bool)
    if near.any():
        ev = view.events
        drops = ev.loc[ev["kind"].isin(DROP_KINDS) & (ev["time"].dt.floor("s") == sec)]
        drops = drops.dropna(subset=["line"])
        lines = drops.groupby(drops["source"].astype(str))["line"]
        bound = (lines.min() if before else lines.max()).astype("int64").to_dict()
        for i in near.index[near.to_numpy()]:
            drop_line = bound.get(str(rows.at[i, "source"]))
            own = rows.at[i, "line"]
            if drop_line is None:
                continue  # no drop of its own source that second: whole seconds equal
            if not isinstance(own, int | np.integer) or (
                    own > drop_line if before else own < drop_line):
                near.at[i] = False
    beyond = (t < at) if before else (t > at)
    if before:  # a drop stamped to the whole second may be a copy of the first drop itself
        drop = rows["kind"].isin(DROP_KINDS)
        beyond &= ~drop | (latest_time(t) < at)
    return (beyond.fillna(False).astype(bool)) | near


def _capacity_reasons(view: HostView, ct: pd.DataFrame, start: pd.Timestamp) -> list[str]:
    """Why conntrack was in use long before: the first evidence, a service keeping it."""
    first = ct.iloc[0]
    hours = (start - first["time"]).total_seconds() / 3600
    where = ref(first["source"], first["line"])
    if first["kind"] == Kind.SERVICE.value:
        rule = keeper(str(first["message"]), None if pd.isna(first["program"])
                      else str(first["program"]))
        out = [f"{first['message']} at {rfc3339(first['time'])} ({where}), {hours:.1f} h "
               f"before the first drop: {rule.reason if rule else 'it keeps conntrack loaded'}"]
        rules = view.stateful_rules()
        if rule is not None and rule.conntrack == "stateful_rules" and rules is not None:
            out.append(f"its rules need conntrack: {rules['message']} "
                       f"({ref(rules['source'], rules['line'])})")
    else:
        out = [f"conntrack was already active at {rfc3339(first['time'])} ({where}), "
               f"{hours:.1f} h before the first drop"]
    out += _fill_reasons(view, start)
    out.append("the table filled under load")
    return out


def _fill_reasons(view: HostView, start: pd.Timestamp) -> list[str]:
    """A snapshot near the incident with the table (almost) full supports capacity."""
    ev = view.events
    snaps = ev.loc[(ev["kind"] == Kind.SNAPSHOT.value) & ev["conntrack_count"].notna()
                   & (abs(ev["time"] - start) <= FILL_WINDOW)]
    if snaps.empty:
        return []
    sizes = ev.loc[ev["conntrack_max"].notna() & (ev["time"] <= snaps["time"].max())]
    if sizes.empty:
        return []
    snap = snaps.iloc[-1]
    size = int(sizes["conntrack_max"].iloc[-1])
    count = int(snap["conntrack_count"])
    if size <= 0 or count < FULL_SHARE * size:
        return []
    return [f"a snapshot at {rfc3339(snap['time'])} ({ref(snap['source'], snap['line'])}) "
            f"shows {count:,} of {size:,} entries in use ({count / size:.0%})"]


def recovery(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp, gap: float,
    conntrack_max: int | None = None,
) -> Recovery | None:
    """How the drops ended, if the evidence shows it.

    A recovery action (a larger table, conntrack unloaded, rules changed: the ``[[recovery]]``
    rules of the knowledge base, or a logged sysctl raising the size) nearest the last drop
    wins over a later reboot, provided the host's evidence goes on after it. A size-setting
    command that is not shown to raise the table (a smaller value, a reload of a file the
    evidence does not hold) is no action; the recovery's reasons say so.
    """
    ev = view.events
    after = ev.loc[_after(view, ev, end)]
    reboot, notes = _reboot(view, end, gap)
    settle = min(ACTION_SETTLE, pd.Timedelta(seconds=gap))
    action, more = _action(view, start, end, conntrack_max, settle)
    notes += more
    if action is not None:
        row, kind, value, reasons = action
        later = ev.loc[ev["time"] > row["time"]]
        if len(later) and (reboot is None or row["time"] <= reboot["time"]):
            return Recovery(row["time"], kind, ref(row["source"], row["line"]), evidence_text(row),
                            conntrack_max=value, reasons=reasons + notes)
    if reboot is not None:
        proof = reboot["proof"]
        said = [f"{reboot['kind']} {(reboot['time'] - end).total_seconds():.0f} s "
                "after the last drop"]
        if proof.name != reboot["row"].name:
            said.append(f"the host restarted: {proof['message']} "
                        f"({ref(proof['source'], proof['line'])})")
        row = reboot["row"]
        return Recovery(row["time"], "reboot", ref(row["source"], row["line"]),
                        evidence_text(row), reasons=said + notes)
    if len(after) and after["time"].max() - end > pd.Timedelta(seconds=gap):
        drops = ev.loc[(ev["kind"] == Kind.CONNTRACK_DROP.value) & (ev["time"] <= end)]
        last = drops.iloc[-1]
        return Recovery(last["time"], "drops_stopped", ref(last["source"], last["line"]),
                        evidence_text(last), reasons=[
                            f"the host's evidence goes on to {rfc3339(after['time'].max())} "
                            "without another drop"] + notes)
    return None


def _reboot(
    view: HostView, end: pd.Timestamp, gap: float
) -> tuple[dict[str, Any] | None, list[str]]:
    """The first shutdown or boot line within ``gap`` after the last drop, if it was a reboot.

    A reboot needs the host to have gone down and come back (:meth:`HostView.restart`) within
    the gap after that line; a logging daemon's own stop and start is no reboot (notes say so).
    """
    ev = view.events
    td = pd.Timedelta(seconds=gap)
    after = ev.loc[_after(view, ev, end)]
    stops = after.loc[after["kind"].isin([Kind.SHUTDOWN.value, Kind.BOOT.value])]
    first = stops.iloc[0] if len(stops) and stops["time"].iloc[0] - end <= td else None
    proof = view.restart(end, (first["time"] if first is not None else end) + td)
    if proof is not None and (first is not None or proof["time"] - end <= td):
        row = first if first is not None and first["time"] <= proof["time"] else proof
        kind = row["kind"] if row["kind"] in (Kind.SHUTDOWN.value, Kind.BOOT.value) else "boot"
        return {"row": row, "proof": proof, "kind": kind, "time": row["time"]}, []
    if first is not None:
        return None, [f"`{first['message']}` at {rfc3339(first['time'])} "
                      f"({ref(first['source'], first['line'])}) is the logging daemon's own "
                      "stop or start, with no sign the kernel started again: not a reboot"]
    return None, []


#: A recovery action: its event, kind, the table size it set (if any) and the reasons.
Action = tuple[pd.Series, str, "int | None", list[str]]


def _action(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp, conntrack_max: int | None,
    settle: pd.Timedelta,
) -> tuple[Action | None, list[str]]:
    """The recovery action nearest the last drop, within the incident or just after it.

    An action the drops outlived (a drop more than ``settle`` after it) was an attempt, not the
    recovery. Also the reasons size-setting commands in that window and attempts are not one
    (notes).
    """
    ev = view.events
    # only commands and logged sysctls can be actions: the drops and background rows are not
    near = ev.loc[(ev["time"] >= start) & (ev["time"] <= end + ACTION_SLACK)
                  & ev["kind"].isin([Kind.COMMAND.value, Kind.SYSCTL.value])]
    found: list[tuple[pd.Timedelta, pd.Timestamp, int, str, int | None, list[str]]] = []
    notes: list[str] = []
    for i, row in near.iterrows():
        kind: str | None = None
        value: int | None = None
        reasons: list[str] = []
        if row["kind"] == Kind.COMMAND.value:
            command = command_text(row)
            rule = match_recovery(command)
            if rule is not None and rule.kind == "conntrack_max_raised":
                raised, value, reasons = _sized(view, row, command, conntrack_max)
                kind = rule.kind if raised else None
                notes += [] if raised else [r for r in reasons if r not in notes]
            elif rule is not None:
                kind, reasons = rule.kind, [f"`{command}` {rule.reason} (rule {rule.id})"]
        elif row["kind"] == Kind.SYSCTL.value and not pd.isna(row["conntrack_max"]):
            value = int(row["conntrack_max"])
            if conntrack_max is None or value > conntrack_max:
                kind = "conntrack_max_raised"
                reasons = [f"a logged sysctl sets nf_conntrack_max to {value:,}",
                           _above(value, conntrack_max)]
        if kind is not None and (end - row["time"]) > settle:
            notes.append(
                f"`{evidence_text(row)}` at {rfc3339(row['time'])} "
                f"({ref(row['source'], row['line'])}) was an attempt: drops went on to "
                f"{rfc3339(end)}, {(end - row['time']).total_seconds():.0f} s after it")
        elif kind is not None:
            found.append((abs(row["time"] - end), row["time"], i, kind, value, reasons))
    if not found:
        return None, notes
    _dist, _t, i, kind, value, reasons = min(found, key=lambda f: f[:3])
    return (near.loc[i], kind, value, reasons), notes


def _sized(view: HostView, row: pd.Series, command: str,
           conntrack_max: int | None) -> tuple[bool, int | None, list[str]]:
    """Whether a size-setting command raised the table, to what, and the reasons."""
    value = size_set(command)
    if value is not None:
        if _raises(command, conntrack_max):
            return True, value, [f"`{command}` sets nf_conntrack_max to {value:,}",
                                 _above(value, conntrack_max)]
        return False, value, [f"`{command}` at {rfc3339(row['time'])} sets nf_conntrack_max "
                              f"to {value:,}, not above the {conntrack_max:,} in force: not a "
                              "raise"]
    load = sysctl_load(command)
    if load is not None:
        done = applied(view.events, row, command, load, conntrack_max)
        return done.raised, done.value, done.reasons
    return True, None, [f"`{command}` sets nf_conntrack_max; the new size is not in the command"]


def _above(value: int, conntrack_max: int | None) -> str:
    if conntrack_max is None:
        return "the size in force when the table filled is not in the evidence"
    return f"{value:,} is above the {conntrack_max:,} in force when the table filled"


def _raises(command: str, conntrack_max: int | None) -> bool:
    """Whether a size-setting command sets more than ``conntrack_max`` (unknown: yes)."""
    value = size_set(command)
    return conntrack_max is None or value is None or value > conntrack_max
