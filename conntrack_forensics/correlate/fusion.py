"""One action, one candidate: records of the same command from several sources fused.

A ``sudo iptables -t nat -A POSTROUTING ... -j MASQUERADE`` typed by alice is written to her
zsh history, to sudo's log and to the audit log (USER_CMD, then an EXECVE per program run).
Records with the same normalised command within :data:`FUSE_SECONDS` of each other (or an
untimed history line whose bounds hold exactly one such timed action) are one action: one
candidate that cites every record, takes its time from the most precise record, its command
from the one the user typed, and gains :data:`CORROBORATION` per further kind of source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..times import rfc3339
from .identity import Identities
from .knowledge import CommandRule, normalize_command
from .model import Candidate, CommandRecord, ref

#: Records of one action are this close in time (sudo, audit and a history stamp agree to the
#: second; a shell records the start of a command that may wait for a password).
FUSE_SECONDS = 5.0
#: Confidence added for each further kind of source recording the action, and its ceiling.
CORROBORATION = 0.05
MAX_CORROBORATION = 0.1
#: How well a format times a command (higher is more precise).
_TIME_PRECISION = {"audit": 3, "journal": 3, "syslog": 2, "dmesg": 2}
#: How close a format's text is to what the user typed (higher is closer).
_HISTORIES = frozenset({"bash_history", "zsh_history", "fish_history", "tcsh_history"})
_TYPED = {**dict.fromkeys(_HISTORIES, 3), "syslog": 2, "journal": 2}
#: sudo's ``USER=root`` field: whom the command ran as.
_RUN_AS = re.compile(r"\bUSER=([^\s;]+)")


@dataclass
class Record:
    """A scored candidate with what fusion needs to know of its record."""

    candidate: Candidate
    key: str  # the normalised command line
    format: str
    program: str | None = None
    run_as: str | None = None
    #: Its rule is a look-alike that loads nothing (it explains no load).
    harmless: bool = False

    @property
    def time(self) -> pd.Timestamp | None:
        """The record's own time."""
        return self.candidate.time

    def as_record(self) -> CommandRecord:
        """The record as cited in the report."""
        c = self.candidate
        return CommandRecord(c.source, self.format, c.time, c.command)


def seconds_text(delta: pd.Timedelta) -> str:
    """A time span for a reason: seconds under two minutes, else minutes."""
    s = delta.total_seconds()
    return f"{s:.0f} s" if abs(s) < 120 else f"{s / 60:.1f} min"


def make_record(row: Any, command: str, rule: CommandRule, score: float, reasons: list[str],
            bounds: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)) -> Record:
    """A scored candidate of one event row (a ``itertuples`` row) and its fusion record."""
    t = row.time if not pd.isna(row.time) else None
    user = None if pd.isna(row.user) else str(row.user)
    score += user_evidence(user, command, row.program, str(row.format), reasons)
    cand = Candidate(
        time=t, command=command, user=user, source=ref(row.source, row.line),
        confidence=max(0.0, min(1.0, round(score, 2))), reasons=reasons, rule=rule.id,
        not_before=bounds[0], not_after=bounds[1], time_quality=str(row.time_quality))
    program = None if pd.isna(row.program) else str(row.program)
    run_as = _RUN_AS.search(str(row.evidence)) if isinstance(row.evidence, str) else None
    return Record(cand, normalize_command(command), str(row.format), program,
                  run_as.group(1) if run_as else None, rule.harmless)


def user_evidence(
    user: object, command: str, program: object, fmt: str, reasons: list[str]
) -> float:
    """Confidence from who ran it: root or sudo adds, a plain user cannot load modules."""
    if program == "sudo" or command.lstrip().startswith("sudo "):
        reasons.append(f"run through sudo by {user}" if isinstance(user, str) else
                       "run through sudo")
        return 0.05
    if isinstance(user, str) and user == "root":
        reasons.append("run as root")
        return 0.05
    if isinstance(user, str) and fmt == "audit":
        return 0.0  # audit names the login user, who keeps it through sudo and su
    if isinstance(user, str):
        reasons.append(f"run as {user} without sudo; loading modules needs root")
        return -0.2
    return 0.0


def fuse(records: list[Record], ids: Identities) -> list[Candidate]:
    """One candidate per action (records of several sources merged), unordered."""
    timed = sorted((r for r in records if r.time is not None),
                   key=lambda r: (r.key, r.time, r.candidate.source))
    groups: list[list[Record]] = []
    for r in timed:
        last = groups[-1] if groups else None
        if last is not None and last[-1].key == r.key and _same_person(last, r, ids) \
                and (r.time - last[-1].time).total_seconds() <= FUSE_SECONDS:  # type: ignore[operator]
            last.append(r)
        else:
            groups.append([r])
    loose: list[list[Record]] = []
    for r in (r for r in records if r.time is None):
        fits = [g for g in groups if g[0].key == r.key and _within(r, g)
                and all(m.candidate.source.rsplit(":", 1)[0]
                        != r.candidate.source.rsplit(":", 1)[0] for m in g)]
        if len(fits) == 1 and _same_person(fits[0], r, ids):
            fits[0].append(r)
        else:
            loose.append([r])
    return [_merge(g, ids) for g in groups + loose]


def _within(r: Record, group: list[Record]) -> bool:
    t = group[0].time
    assert t is not None
    slack = pd.Timedelta(seconds=1)
    lo, hi = r.candidate.not_before, r.candidate.not_after
    return (lo is None or lo - slack <= t) and (hi is None or t <= hi + slack)


def _same_person(group: list[Record], r: Record, ids: Identities) -> bool:
    """Records naming two different people (root aside: su keeps no name) are two actions."""
    names = {ids.name(m.candidate.user) for m in group} | {ids.name(r.candidate.user)}
    people = {n for n in names if n and n != "root"}
    return len(people) <= 1


def _merge(group: list[Record], ids: Identities) -> Candidate:
    best = max(group, key=lambda r: r.candidate.confidence)
    timed = [r for r in group if r.time is not None]
    clock = max(timed, key=lambda r: (_precision(r), -r.time.value)) if timed else None  # type: ignore[union-attr]
    shown = max(group, key=lambda r: (_TYPED.get(r.format, 1), r.time is not None))
    people = [ids.name(r.candidate.user) for r in group]
    person = next((p for p in people if p and p != "root"), next((p for p in people if p), None))
    via = next(("sudo" for r in group if r.program == "sudo"
                or r.candidate.command.lstrip().startswith("sudo ")), None)
    run_as = next((r.run_as for r in group if r.run_as), "root" if via else None)
    kinds = {_kind(r) for r in group}
    bonus = min(MAX_CORROBORATION, CORROBORATION * (len(kinds) - 1))
    reasons = [r for r in best.candidate.reasons if not r.startswith("run through sudo")]
    if len(group) > 1:
        cited = "; ".join(f"{r.format} {r.candidate.source}" for r in _ordered(group, shown))
        reasons.append(f"the same action in {len(group)} records ({cited})"
                       + (f"; {len(kinds)} kinds of source agree" if bonus else ""))
    if clock is not None and clock is not shown:
        reasons.append(f"its time {rfc3339(clock.time)} is taken from {clock.format} "
                       f"{clock.candidate.source}, the most precise record")
    identity = ids.describe(person, via=via, run_as=run_as)
    if person is not None and via:
        reasons.append(f"run by {identity}")
    elif via:
        reasons.append(f"run through {via}")
    base = shown.candidate
    return replace(
        base,
        time=clock.time if clock is not None else None,
        time_quality=clock.candidate.time_quality if clock is not None else base.time_quality,
        user=person,
        confidence=max(0.0, min(1.0, round(best.candidate.confidence + bonus, 2))),
        reasons=reasons,
        rule=best.candidate.rule,
        not_before=None if clock is not None else base.not_before,
        not_after=None if clock is not None else base.not_after,
        records=[r.as_record() for r in _ordered(group, shown)],
        uid=ids.uid(person),
        via=via,
        run_as=run_as,
        identity=identity if person is not None else None,
    )


def _ordered(group: list[Record], shown: Record) -> list[Record]:
    rest = sorted((r for r in group if r is not shown),
                  key=lambda r: (r.time.value if r.time is not None else 0,
                                 r.candidate.source))
    return [shown, *rest]


def _precision(r: Record) -> tuple[int, int, int]:
    t = r.time
    assert t is not None
    exact = int(r.candidate.time_quality == "exact")
    fraction = int(t.value % 1_000_000_000 != 0)
    return exact, fraction, _TIME_PRECISION.get(r.format, 1)


def _kind(r: Record) -> str:
    if r.format in _HISTORIES:
        return "history"
    if r.program == "sudo" and r.format != "audit":
        return "sudo"
    return r.format
