"""Commands that shrink the conntrack table shortly before it fills.

A ``sysctl -w net.netfilter.nf_conntrack_max=N`` (or ``echo N > /proc/sys/...``) with N below
the size in force before it leaves the table too small for the host's connections: the drops
that follow are its doing as surely as a load's. No command line shape tells it, only the size
before it (:func:`.incidents.table_size`), so these candidates are found here, not by a
knowledge-base rule.
"""

from __future__ import annotations

import re
from typing import Any, cast

import pandas as pd

from ..model import Kind
from .fusion import Record, make_record, seconds_text
from .incidents import table_size
from .knowledge import LOWERED_RULE, CommandRule, size_set
from .model import command_text
from .view import HostView

#: A first drop this soon after a command counts as close in time (for every candidate).
SOON = pd.Timedelta(minutes=10)


#: A command that shrinks the table: the drops that follow may be its doing.
LOWERED = CommandRule(LOWERED_RULE, re.compile(r"conntrack_max"), 0.6, (),
                      "lowers nf_conntrack_max: a smaller table fills sooner")


def shrinking(view: HostView, timed: pd.DataFrame,
             start: pd.Timestamp) -> dict[tuple[str, int], Record]:
    """Timed commands that set nf_conntrack_max below the size in force before them.

    The size before comes from the evidence (:func:`.incidents.table_size`); when it is not
    there, a command that set the size the table filled at is listed, not credited. Keyed by
    the row's source and line.
    """
    out: dict[tuple[str, int], Record] = {}
    cmds = timed.loc[(timed["kind"] == Kind.COMMAND.value)
                     & timed["command"].str.contains("conntrack_max", regex=False).fillna(False)]
    at_start = table_size(view, start)[0]
    for row in cast(Any, cmds).itertuples(index=False):
        command = command_text(row)
        value = size_set(command)
        if value is None:
            continue
        before = table_size(view, row.time - pd.Timedelta(1, "ns"))[0]
        if before is not None and value >= before:
            continue  # a raise or no change: a recovery attempt, not a trigger
        lead = start - row.time
        reasons = [f"sets nf_conntrack_max to {value:,}", f"ran {seconds_text(lead)} before the "
                   "first drop"]
        if before is None:
            if at_start != value:
                continue
            score = 0.35
            reasons.append("the size before it is not in the evidence, so whether it lowered "
                           "the table is unknown")
        else:
            score = LOWERED.weight
            reasons.append(f"down from {before:,} in force before it")
            if lead <= SOON:
                score += 0.1
            if at_start == value:
                score += 0.1
                reasons.append(f"the table filled at the {value:,} entries it set")
        out[(row.source, row.line)] = make_record(row, command, LOWERED, score, reasons)
    return out


__all__ = ["LOWERED", "SOON", "shrinking"]
