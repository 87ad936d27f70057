"""Cause and recovery of an incident.

``cause`` (CONTRACT section 4): ``module_autoload`` when conntrack was loaded shortly before the
burst (by a command, or a load line with no earlier conntrack activity in that boot);
``capacity`` when conntrack was already active well before; else ``unknown``.

``recovery``: a recovery action (``conntrack_max_raised``, ``module_unloaded``,
``rules_changed``) nearest the last drop; else ``reboot`` when a shutdown or boot follows the
last drop within the gap;
``drops_stopped`` when the host's evidence goes on past the gap without drops; ``None`` while
drops are still going at the end of the evidence.
"""

from __future__ import annotations

import pandas as pd

from ..model import Kind
from ..times import rfc3339
from .incidents import HostView
from .knowledge import SIZE_VALUE, match_recovery
from .model import Candidate, Recovery, evidence_text, ref

#: A conntrack load this long before the first drop or less can be the autoload.
AUTOLOAD_WINDOW = pd.Timedelta(hours=1)
#: A load this soon after a boot is the boot's own firewall set-up, not an autoload.
BOOT_SETTLE = pd.Timedelta(minutes=5)
#: A recovery action this long after the last drop can still be what ended the incident.
ACTION_SLACK = pd.Timedelta(minutes=2)



def cause(
    view: HostView, start: pd.Timestamp, trigger: Candidate | None
) -> tuple[str, list[str]]:
    """The cause and the evidence for it."""
    boot = view.boot_start(start)
    ct = view.conntrack_evidence()
    ct = ct.loc[(ct["time"] < start) & ((ct["time"] >= boot) if boot is not None else True)]
    loads = ct.loc[ct["kind"] == Kind.MODULE_LOAD.value]
    recent = loads.loc[loads["time"] >= start - AUTOLOAD_WINDOW]
    if boot is not None:
        recent = recent.loc[recent["time"] > boot + BOOT_SETTLE]
    if len(recent):
        first_load = recent.iloc[0]
        earlier = ct.loc[ct["time"] < first_load["time"]]
        if earlier.empty:
            reasons = [
                f"{first_load['module']} was loaded at {rfc3339(first_load['time'])}, "
                f"{(start - first_load['time']).total_seconds():.0f} s before the first drop "
                f"({ref(first_load['source'], first_load['line'])})",
                "no conntrack activity earlier in this boot",
            ]
            if trigger is not None:
                reasons.append(f"the load follows `{trigger.command}` ({trigger.source})")
            return "module_autoload", reasons
    absent = view.unloaded_evidence()
    absent = absent.loc[(absent["time"] < start)
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
        first = ct.iloc[0]
        return "capacity", [
            f"conntrack was already active at {rfc3339(first['time'])} "
            f"({ref(first['source'], first['line'])}), "
            f"{(start - first['time']).total_seconds() / 3600:.1f} h before the first drop",
            "the table filled under load",
        ]
    if trigger is not None:
        return "module_autoload", [
            f"`{trigger.command}` ({trigger.source}) loads conntrack and no conntrack activity "
            "is in evidence before it",
        ]
    return "unknown", ["no evidence of when conntrack was loaded"]


def recovery(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp, gap: float,
    conntrack_max: int | None = None,
) -> Recovery | None:
    """How the drops ended, if the evidence shows it.

    A recovery action (a larger table, conntrack unloaded, rules changed: the ``[[recovery]]``
    rules of the knowledge base, or a logged sysctl raising the size) nearest the last drop
    wins over a later reboot, provided the host's evidence goes on after it.
    """
    ev = view.events
    after = ev.loc[ev["time"] > end]
    stops = after.loc[after["kind"].isin([Kind.SHUTDOWN.value, Kind.BOOT.value])]
    reboot = stops.iloc[0] if len(stops) and \
        stops["time"].iloc[0] - end <= pd.Timedelta(seconds=gap) else None
    action = _action(view, start, end, conntrack_max)
    if action is not None:
        row, kind = action
        later = ev.loc[ev["time"] > row["time"]]
        if len(later) and (reboot is None or row["time"] <= reboot["time"]):
            return Recovery(row["time"], kind, ref(row["source"], row["line"]), evidence_text(row))
    if reboot is not None:
        return Recovery(reboot["time"], "reboot", ref(reboot["source"], reboot["line"]),
                        evidence_text(reboot))
    if len(after) and after["time"].max() - end > pd.Timedelta(seconds=gap):
        drops = ev.loc[(ev["kind"] == Kind.CONNTRACK_DROP.value) & (ev["time"] <= end)]
        last = drops.iloc[-1]
        return Recovery(last["time"], "drops_stopped", ref(last["source"], last["line"]),
                        evidence_text(last))
    return None


def _action(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp, conntrack_max: int | None
) -> tuple[pd.Series, str] | None:
    """The recovery action nearest the last drop, within the incident or just after it."""
    ev = view.events
    near = ev.loc[(ev["time"] >= start) & (ev["time"] <= end + ACTION_SLACK)]
    found: list[tuple[pd.Timedelta, pd.Timestamp, int, str]] = []
    for i, row in near.iterrows():
        kind: str | None = None
        if row["kind"] == Kind.COMMAND.value:
            command = row["command"] if isinstance(row["command"], str) else row["message"]
            rule = match_recovery(str(command))
            if rule is not None:
                kind = rule.kind
                if kind == "conntrack_max_raised" and not _raises(str(command), conntrack_max):
                    kind = None
        elif row["kind"] == Kind.SYSCTL.value and not pd.isna(row["conntrack_max"]):
            if conntrack_max is None or int(row["conntrack_max"]) > conntrack_max:
                kind = "conntrack_max_raised"
        if kind is not None:
            found.append((abs(row["time"] - end), row["time"], i, kind))
    if not found:
        return None
    _dist, _t, i, kind = min(found)
    return near.loc[i], kind


def _raises(command: str, conntrack_max: int | None) -> bool:
    """Whether a size-setting command sets more than ``conntrack_max`` (unknown: yes)."""
    values = [int(v) for v in SIZE_VALUE.findall(command)]
    return conntrack_max is None or not values or max(values) > conntrack_max
