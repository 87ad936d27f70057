"""Rank the commands that may have triggered an incident.

Candidates are commands, service starts and sysctl changes on the host before the first
drop (within :data:`LOOKBACK` and the same boot), and untimestamped commands whose bounds
allow it, that match the knowledge base (:mod:`.knowledge`), plus conntrack loads nothing
else explains. Each gets a confidence in [0, 1] built from the rule's weight and the
evidence around it, with every step written down as a reason. The best becomes the trigger only
at or above :data:`TRIGGER_THRESHOLD`.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from ..events.copies import SAME_LOAD, one_per_event
from ..model import Kind, TimeQuality
from ..times import rfc3339
from .fusion import Record, fuse, make_record, seconds_text
from .identity import Identities
from .knowledge import CommandRule, match_command, normalize_command
from .lowered import SOON, shrinking
from .model import Candidate, command_text, ref
from .untimed import LOAD_WINDOW, Bounds
from .untimed import bounds as untimed_bounds
from .view import HostView

#: How far before the first drop a command is considered.
LOOKBACK = pd.Timedelta(hours=1)
#: The lowest confidence at which the best candidate is named the trigger.
TRIGGER_THRESHOLD = 0.5
MAX_CANDIDATES = 10
#: What may trigger: commands, service starts that install rules, sysctl changes.
CANDIDATE_KINDS = (Kind.COMMAND.value, Kind.SERVICE.value, Kind.SYSCTL.value)
#: A service start this soon after a boot is the boot's own set-up.
BOOT_SETTLE = pd.Timedelta(minutes=5)
#: Confidence of a conntrack load nothing in evidence explains (below the threshold).
UNEXPLAINED_LOAD = 0.3
#: An untimed line starts from this share of its rule's weight ...
UNTIMED_FACTOR = 0.6
#: ... and gains this when it is the one command that can explain a conntrack load nothing
#: timed explains (shared among rival commands),
OPEN_LOAD = 0.25
#: and 0.1 more when its bounds are this tight. Rival untimed commands that could equally have
#: caused the load stay below the threshold: the evidence does not say which one did.
TIGHT = pd.Timedelta(minutes=10)
AMBIGUOUS = 0.45
#: Times of one moment in sources of different precision (whole seconds, milliseconds).
SAME_SECOND = pd.Timedelta(seconds=1)


def rank(view: HostView, start: pd.Timestamp, ids: Identities | None = None) -> list[Candidate]:
    """Candidates for the incident whose first drop is at ``start``, best first.

    Records of one action in several sources are one candidate (:mod:`.fusion`); untimed
    history lines are bounded by their neighbours (:mod:`.untimed`).
    """
    ids = ids if ids is not None else Identities()
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
    lowered = shrinking(view, timed, start)  # a command that shrank the table is judged as such
    records: list[Record] = list(lowered.values())
    for row in timed.itertuples(index=False):
        if (row.source, row.line) in lowered:
            continue
        command = command_text(row)
        rules = match_command(command)
        if rules:
            records.append(_timed_record(row, command, rules[0], start, ct, ct_loads, view,
                                         boot))
    records += _untimed_records(view, untimed, lower, start, ct, ct_loads, records)
    out = fuse(records, ids)
    out.extend(_unexplained_loads(ct_loads, lower, start, out))
    out.sort(key=_rank_key)
    return out[:MAX_CANDIDATES]


def _rank_key(c: Candidate) -> tuple[float, int, str, int]:
    """Best first: confidence, then the latest, then file and line order."""
    path, _, line = c.source.rpartition(":")
    if not line.isdigit():
        path, line = c.source, "0"
    return -c.confidence, -(c.time.value if c.time is not None else 0), path, int(line)


def _timed_record(
    row: Any, command: str, rule: CommandRule, start: pd.Timestamp, ct: pd.DataFrame,
    ct_loads: pd.DataFrame, view: HostView, boot: pd.Timestamp | None,
) -> Record:
    reasons = [f"matches rule {rule.id}: {rule.reason}"]
    score = rule.weight
    t = row.time
    if row.kind != Kind.COMMAND.value:
        reasons.append(f"{row.kind} event: {row.message}")
    since, unload = view.cleared_at(t)
    if unload is not None:
        reasons.append(f"conntrack was unloaded before it: `{command_text(unload)}` at "
                       f"{rfc3339(unload['time'])} ({ref(unload['source'], unload['line'])})")
    if rule.harmless:
        _already_active(t, ct, since, reasons)
    else:
        score += _timed_evidence(t, start, ct, ct_loads, since, reasons)
        score += _undone(view, t, start, reasons)
        if row.time_quality != TimeQuality.EXACT.value:
            score -= 0.05
            reasons.append(f"its time is {row.time_quality.replace('_', ' ')}")
    if row.kind == Kind.SERVICE.value and boot is not None and t - boot <= BOOT_SETTLE:
        score -= 0.3
        reasons.append(f"started {seconds_text(t - boot)} after the boot: the boot's own "
                       "set-up, not a change")
    rec = make_record(row, command, rule, score, reasons)
    if not rule.harmless and start - t > SOON and not view.announces_loads:
        rec.candidate.reasons.append(
            "this host's logs show no conntrack load at all (newer kernels print no load "
            "banner), so whether it loaded conntrack or conntrack was loaded long before is "
            f"not in the evidence, and the drops came {seconds_text(start - t)} later")
        rec.candidate.confidence = min(rec.candidate.confidence, AMBIGUOUS)
    return rec


def _untimed_records(
    view: HostView, untimed: pd.DataFrame, lower: pd.Timestamp, start: pd.Timestamp,
    ct: pd.DataFrame, ct_loads: pd.DataFrame, timed: list[Record],
) -> list[Record]:
    """Untimed history lines that match a rule, bounded by their neighbours and scored.

    A line no timed record explains a conntrack load for, and whose bounds allow it to have
    caused that load, is credible: the only such command most of all.
    """
    matched: list[tuple[Any, str, CommandRule]] = []
    for row in cast(Any, untimed).itertuples(index=False):
        command = command_text(row)
        rules = match_command(command)
        if rules:
            matched.append((row, command, rules[0]))
    if not matched:
        return []
    found: dict[str, dict[int, Bounds]] = {}
    for source in {str(r.source) for r, _c, _r in matched}:
        wanted = {int(r.line) for r, _c, _r in matched if r.source == source}
        found[source] = untimed_bounds(view.events, source, wanted)
    explained = [r.time for r in timed if not r.harmless
                 and r.candidate.confidence >= UNEXPLAINED_LOAD and r.time is not None]
    loads = ct_loads.loc[(ct_loads["time"] >= lower) & (ct_loads["time"] <= start)]
    open_loads = loads.loc[[not _explained(t, explained) for t in loads["time"]]]
    placed: list[tuple[Any, str, str, CommandRule, Any, Any, list[str]]] = []
    for row, command, rule in matched:
        b = found[str(row.source)].get(int(row.line))
        lo = b.not_before if b else (None if pd.isna(row.not_before) else row.not_before)
        hi = b.not_after if b else (None if pd.isna(row.not_after) else row.not_after)
        if (lo is not None and lo > start) or (hi is not None and hi < lower - LOAD_WINDOW):
            continue  # its neighbours place it outside the incident's lead-up
        placed.append((row, command, normalize_command(command), rule, lo, hi,
                       b.reasons if b else []))
    could: dict[str, list[pd.Timestamp]] = {}
    for _row, _command, key, rule, lo, hi, _why in placed:
        if not rule.harmless:
            could.setdefault(key, []).extend(
                t for t in open_loads["time"] if _can_explain(lo, hi, t))
    first_open = {k: min(v) for k, v in could.items() if v}
    out = []
    for row, command, key, rule, lo, hi, why in placed:
        reasons = [f"matches rule {rule.id}: {rule.reason}"]
        score = rule.weight * UNTIMED_FACTOR
        bounds_text = " and ".join(x for x in (f"after {rfc3339(lo)}" if lo is not None else "",
                                               f"before {rfc3339(hi)}" if hi is not None else "")
                                   if x) or "only by file order"
        reasons.append(f"no timestamp in the history file; it ran {bounds_text}")
        reasons += why
        if not rule.harmless:
            score += _untimed_evidence(key, lo, hi, first_open, open_loads, ct, reasons)
        rec = make_record(row, command, rule, score, reasons, (lo, hi))
        if any(v == first_open.get(key) for k, v in first_open.items() if k != key):
            rec.candidate.confidence = min(rec.candidate.confidence, AMBIGUOUS)
        out.append(rec)
    return out


def _can_explain(lo: pd.Timestamp | None, hi: pd.Timestamp | None, load: pd.Timestamp) -> bool:
    """Whether a command bounded by ``lo``/``hi`` can have run just before ``load``."""
    return (lo is None or lo <= load) and (hi is None or hi >= load - LOAD_WINDOW)


def _untimed_evidence(
    key: str, lo: pd.Timestamp | None, hi: pd.Timestamp | None,
    first_open: dict[str, pd.Timestamp], open_loads: pd.DataFrame, ct: pd.DataFrame,
    reasons: list[str],
) -> float:
    if lo is not None and _already_active(lo, ct, None, reasons):
        return -0.5
    load_time = first_open.get(key)
    if load_time is None:
        if len(open_loads):
            reasons.append("its bounds allow none of the conntrack loads before the drops")
        return 0.0
    load = open_loads.loc[open_loads["time"] == load_time].iloc[0]
    where = f"{load['module']} at {rfc3339(load_time)} ({ref(load['source'], load['line'])})"
    rivals = sorted(k for k, v in first_open.items() if v == load_time and k != key)
    if rivals:
        score = OPEN_LOAD / (len(rivals) + 1)
        reasons.append(f"one of {len(rivals) + 1} untimed commands that could have loaded "
                       f"{where}, with nothing timed to explain it: "
                       + ", ".join(f"`{k}`" for k in [key, *rivals])
                       + "; the evidence does not say which, so none is named")
    else:
        score = OPEN_LOAD
        reasons.append(f"the only command in the evidence that can have loaded {where}: "
                       "nothing timed explains that load, and its bounds allow it")
    if lo is not None and hi is not None and hi - lo <= TIGHT:
        score += 0.1
        reasons.append(f"its bounds hold it to {seconds_text(hi - lo)} around that load")
    return score


def _explained(load: pd.Timestamp, times: list[pd.Timestamp]) -> bool:
    """Whether a command at one of ``times`` can have caused a load at ``load``.

    A syslog banner is stamped to the second, an audited command to the millisecond.
    """
    return any(-SAME_SECOND <= load - t <= LOAD_WINDOW for t in times)


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
    for row in cast(Any, one_per_event(window, SAME_LOAD)).itertuples(index=False):
        if _explained(row.time, timed):
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
            reasons=[f"{row.module} was loaded {seconds_text(start - row.time)} before the first "
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
    reasons.append(f"ran {seconds_text(lead)} before the first drop")
    if lead <= SOON:
        score += 0.1
    after = ct_loads.loc[(ct_loads["time"] >= t - pd.Timedelta(seconds=1))
                         & (ct_loads["time"] <= t + LOAD_WINDOW)]
    if len(after):
        first = after.iloc[0]
        score += 0.25
        reasons.append(f"{first['module']} was loaded {seconds_text(first['time'] - t)} later "
                       f"({ref(first['source'], first['line'])})")
    if _already_active(t, ct, boot, reasons):
        score -= 0.5
    return score


def _undone(view: HostView, t: pd.Timestamp, start: pd.Timestamp, reasons: list[str]) -> float:
    """A penalty when conntrack was unloaded between ``t`` and the first drop.

    Whatever ran at ``t`` loaded was gone; the drops need a later load.
    """
    since, unload = view.cleared_at(start)
    if unload is None or since is None or since <= t:
        return 0.0
    reasons.append(f"`{command_text(unload)}` at {rfc3339(since)} "
                   f"({ref(unload['source'], unload['line'])}) unloaded conntrack after it and "
                   "before the drops: what it loaded was gone")
    return -0.5


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


def pick_trigger(candidates: list[Candidate]) -> Candidate | None:
    """The best candidate if it reaches :data:`TRIGGER_THRESHOLD`."""
    if candidates and candidates[0].confidence >= TRIGGER_THRESHOLD:
        return candidates[0]
    return None
