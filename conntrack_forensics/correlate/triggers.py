"""Rank the commands that may have triggered an incident.

Candidates are commands, service starts and sysctl changes on the host before the first
drop (within :data:`LOOKBACK` and the same boot), and untimestamped commands whose bounds
allow it, that match the knowledge base (:mod:`.knowledge`), plus conntrack loads nothing
else explains. Each gets a confidence in [0, 1] built from the rule's weight and the
evidence around it, with every step written down as a reason. The best becomes the trigger only
at or above :data:`TRIGGER_THRESHOLD`.
"""

from __future__ import annotations

import pandas as pd

from ..model import Kind, TimeQuality
from ..times import rfc3339
from .incidents import HostView
from .knowledge import match_command
from .model import Candidate, ref

#: How far before the first drop a command is considered.
LOOKBACK = pd.Timedelta(hours=1)
#: A conntrack load this soon after a command is taken as caused by it.
LOAD_WINDOW = pd.Timedelta(seconds=30)
#: A first drop this soon after a command counts as close in time.
SOON = pd.Timedelta(minutes=10)
#: The lowest confidence at which the best candidate is named the trigger.
TRIGGER_THRESHOLD = 0.5
MAX_CANDIDATES = 10
#: What may trigger: commands, service starts that install rules, sysctl changes.
CANDIDATE_KINDS = (Kind.COMMAND.value, Kind.SERVICE.value, Kind.SYSCTL.value)
#: A service start this soon after a boot is the boot's own set-up.
BOOT_SETTLE = pd.Timedelta(minutes=5)
#: Confidence of a conntrack load nothing in evidence explains (below the threshold).
UNEXPLAINED_LOAD = 0.3


def _seconds(delta: pd.Timedelta) -> str:
    s = delta.total_seconds()
    return f"{s:.0f} s" if abs(s) < 120 else f"{s / 60:.1f} min"


def rank(view: HostView, start: pd.Timestamp) -> list[Candidate]:
    """Candidates for the incident whose first drop is at ``start``, best first."""
    ev = view.events
    boot = view.boot_start(start)
    lower = max(start - LOOKBACK, boot) if boot is not None else start - LOOKBACK
    cmds = ev.loc[ev["kind"].isin(CANDIDATE_KINDS)]
    timed = cmds.loc[cmds["time"].notna() & (cmds["time"] >= lower) & (cmds["time"] <= start)]
    untimed = cmds.loc[cmds["time"].isna()
                       & (cmds["not_after"].isna() | (cmds["not_after"] >= lower))
                       & (cmds["not_before"].isna() | (cmds["not_before"] <= start))]
    ct = view.conntrack_evidence()
    ct_loads = ct.loc[ct["kind"] == Kind.MODULE_LOAD.value]
    out: list[Candidate] = []
    for row in pd.concat([timed, untimed]).itertuples(index=False):
        command = str(row.command) if isinstance(row.command, str) else str(row.message)
        rules = match_command(command)
        if not rules:
            continue
        rule = rules[0]
        reasons = [f"matches rule {rule.id}: {rule.reason}"]
        score = rule.weight
        t = row.time if not pd.isna(row.time) else None
        if row.kind != Kind.COMMAND.value:
            reasons.append(f"{row.kind} event: {row.message}")
        if rule.harmless:
            if t is not None:
                _already_active(t, ct, view.boot_start(t), reasons)
        elif t is not None:
            score += _timed_evidence(t, start, ct, ct_loads, view.boot_start(t), reasons)
            if row.time_quality != TimeQuality.EXACT.value:
                score -= 0.05
                reasons.append(f"its time is {row.time_quality.replace('_', ' ')}")
        else:
            score = score * 0.6
            nb = row.not_before if not pd.isna(row.not_before) else None
            na = row.not_after if not pd.isna(row.not_after) else None
            bounds = []
            if nb is not None:
                bounds.append(f"after {rfc3339(nb)}")
            if na is not None:
                bounds.append(f"before {rfc3339(na)}")
            reasons.append("no timestamp in the history file; its position bounds it "
                           + (" and ".join(bounds) if bounds else "only by file order"))
            inside = ct_loads.loc[
                (ct_loads["time"] <= start)
                & ((ct_loads["time"] >= nb) if nb is not None else True)
                & ((ct_loads["time"] <= na) if na is not None else True)
            ]
            if len(inside):
                score += 0.1
                reasons.append(f"a conntrack load at {rfc3339(inside['time'].iloc[-1])} "
                               "falls within those bounds")
        if t is not None and row.kind == Kind.SERVICE.value and boot is not None \
                and t - boot <= BOOT_SETTLE:
            score -= 0.3
            reasons.append(f"started {_seconds(t - boot)} after the boot: the boot's own "
                           "set-up, not a change")
        score += _user_evidence(row.user, command, row.program, reasons)
        out.append(Candidate(
            time=t,
            command=command,
            user=None if pd.isna(row.user) else str(row.user),
            source=ref(row.source, row.line),
            confidence=max(0.0, min(1.0, round(score, 2))),
            reasons=reasons,
            rule=rule.id,
            not_before=None if pd.isna(row.not_before) else row.not_before,
            not_after=None if pd.isna(row.not_after) else row.not_after,
            time_quality=str(row.time_quality),
        ))
    out.extend(_unexplained_loads(ct_loads, lower, start, out))
    out.sort(key=lambda c: (-c.confidence, -(c.time.value if c.time is not None else 0),
                            c.source))
    return out[:MAX_CANDIDATES]


def _unexplained_loads(
    loads: pd.DataFrame, lower: pd.Timestamp, start: pd.Timestamp, found: list[Candidate]
) -> list[Candidate]:
    """Conntrack loads before the drops that no timed candidate accounts for.

    They are listed so the report says a load happened with nothing in evidence to explain
    it (a process not logged, a rule file, a container); never credible enough to be named.
    A load within the bounds of a credible untimed command is taken as possibly its doing.
    """
    out: list[Candidate] = []
    timed = [c.time for c in found if c.time is not None]
    window = loads.loc[(loads["time"] >= lower) & (loads["time"] <= start)]
    untimed = [c for c in found if c.time is None and c.confidence > UNEXPLAINED_LOAD]
    for row in window.drop_duplicates(subset=["time"]).itertuples(index=False):
        if any(pd.Timedelta(0) <= row.time - t <= LOAD_WINDOW for t in timed):
            continue
        if any((c.not_before is None or c.not_before <= row.time)
               and (c.not_after is None or row.time <= c.not_after) for c in untimed):
            continue  # an untimed command whose bounds hold the load may explain it
        out.append(Candidate(
            time=row.time,
            command=f"(load of {row.module}: no command in the evidence)",
            user=None,
            source=ref(row.source, row.line),
            confidence=UNEXPLAINED_LOAD,
            reasons=[f"{row.module} was loaded {_seconds(start - row.time)} before the first "
                     "drop and no command, service start or rule load in the evidence "
                     "precedes it"],
            rule="unexplained_module_load",
            time_quality=str(row.time_quality),
        ))
    return out


def _timed_evidence(
    t: pd.Timestamp, start: pd.Timestamp, ct: pd.DataFrame, ct_loads: pd.DataFrame,
    boot: pd.Timestamp | None, reasons: list[str],
) -> float:
    score = 0.0
    lead = start - t
    reasons.append(f"ran {_seconds(lead)} before the first drop")
    if lead <= SOON:
        score += 0.1
    after = ct_loads.loc[(ct_loads["time"] >= t - pd.Timedelta(seconds=1))
                         & (ct_loads["time"] <= t + LOAD_WINDOW)]
    if len(after):
        first = after.iloc[0]
        score += 0.25
        reasons.append(f"{first['module']} was loaded {_seconds(first['time'] - t)} later "
                       f"({ref(first['source'], first['line'])})")
    if _already_active(t, ct, boot, reasons):
        score -= 0.5
    return score


def _already_active(
    t: pd.Timestamp, ct: pd.DataFrame, boot: pd.Timestamp | None, reasons: list[str]
) -> bool:
    """Whether conntrack was active earlier in the boot than ``t``; says so in ``reasons``."""
    before = ct.loc[(ct["time"] < t - pd.Timedelta(seconds=1))
                    & ((ct["time"] >= boot) if boot is not None else True)]
    if before.empty:
        return False
    first = before.iloc[0]
    reasons.append(f"conntrack was already active at {rfc3339(first['time'])} "
                   f"({ref(first['source'], first['line'])}), so this could not load it")
    return True


def _user_evidence(user: object, command: str, program: object, reasons: list[str]) -> float:
    if program == "sudo" or command.lstrip().startswith("sudo "):
        reasons.append(f"run through sudo by {user}" if isinstance(user, str) else
                       "run through sudo")
        return 0.05
    if isinstance(user, str) and user == "root":
        reasons.append("run as root")
        return 0.05
    if isinstance(user, str):
        reasons.append(f"run as {user} without sudo; loading modules needs root")
        return -0.2
    return 0.0


def pick_trigger(candidates: list[Candidate]) -> Candidate | None:
    """The best candidate if it reaches :data:`TRIGGER_THRESHOLD`."""
    if candidates and candidates[0].confidence >= TRIGGER_THRESHOLD:
        return candidates[0]
    return None
