"""Plain messages kept as counts: a run of them on one host within one minute is one event.

Most lines of a big log are background (cron, sshd, ntpd...). The correlator needs their
existence (the evidence goes on after the drops stopped; a host was up), not each line. By
default the loader replaces each run of two or more ``message`` rows of one host whose times
fall in the same minute (other hosts' and other kinds' lines in between do not break a run)
by one ``background`` row: the run's last line (its
number, time fields and host), ``count`` the lines it stands for, and a message saying so.
A ``background`` row a parser already made (the syslog parser counts plain lines itself) joins
the run of its host and minute like the lines it stands for. Every other kind of event is kept
as it is. ``load(..., full=True)`` keeps every line instead.

Times are compared before they are resolved: a yearless syslog line by its month, day and
minute; an RFC 3339 time by its text up to the minute and its offset; an epoch by its minute;
seconds since boot by their minute. A row with no time stays on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..model import Kind

_ISO_MINUTE = r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d)"
_ISO_ZONE = r"((?:Z|z|[+-]\d\d:?\d\d)?)$"


def _minute_keys(raw: pd.DataFrame) -> pd.Series:
    """A text naming each row's host and minute (``None`` for a row with no time)."""
    host = raw["host"].fillna("").astype(str)
    key = pd.Series(pd.NA, index=raw.index, dtype="string")
    yearless = raw["mon"] > 0
    if yearless.any():
        minute = (raw.loc[yearless, "sod"] // 60).astype("int64").astype(str)
        key[yearless] = ("m" + raw.loc[yearless, "mon"].astype(str) + "-"
                         + raw.loc[yearless, "day"].astype(str) + "-" + minute)
    iso = raw["iso"].notna() & ~yearless
    if iso.any():
        text = raw.loc[iso, "iso"].astype(str)
        key[iso] = ("i" + text.str.extract(_ISO_MINUTE, expand=False).fillna("")
                    + text.str.extract(_ISO_ZONE, expand=False).fillna(""))
    for column, tag in (("epoch", "e"), ("uptime", "u")):
        mask = raw[column].notna() & key.isna()
        if mask.any():
            key[mask] = tag + (raw.loc[mask, column].astype("float64") // 60).astype(
                "int64").astype(str)
    return (host + "|" + key).where(key.notna())


def plain_lines(counts: Iterable[int]) -> list[str]:
    """The message of ``background`` rows standing for ``counts`` lines."""
    return [f"{c:,} plain lines" for c in counts]


def host_runs(hosts: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of one host's rows with one key (a minute), other hosts' rows in between ignored.

    Returns the rows in run order (each host's rows in file order, hosts one after another),
    each such row's run number, and whether it is its run's last row.

    >>> order, run, last = host_runs(np.array([0, 1, 0, 0]), np.array([5, 5, 5, 6]))
    >>> order.tolist(), run.tolist(), last.tolist()
    ([0, 2, 3, 1], [0, 0, 1, 2], [False, True, True, True])
    """
    if len(hosts) and (hosts == hosts[0]).all():  # one host (most files): already in order
        order = np.arange(len(hosts))
    else:
        order = np.argsort(hosts, kind="stable")
    h, k = hosts[order], keys[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (k[1:] != k[:-1]) | (h[1:] != h[:-1])
    run_id = np.zeros(len(order), dtype=np.int64)
    run_id[1:] = np.cumsum(last[:-1])
    return order, run_id, last


def collapse_background(raw: pd.DataFrame, units: np.ndarray | None = None) -> pd.DataFrame:
    """The raw frame with runs of plain messages (one host, one minute) as single rows.

    ``units``, when given, numbers the rows' batches (the loader frames many small files'
    rows at once): a run never joins rows of two units, so the result is what collapsing
    each unit alone gives, one after another.
    """
    return collapsed(raw, units)[0]


def collapsed(raw: pd.DataFrame, units: np.ndarray | None = None
              ) -> tuple[pd.DataFrame, np.ndarray | None]:
    """:func:`collapse_background`, and which rows of ``raw`` it kept (None: every row)."""
    plain = raw["kind"].isin([Kind.MESSAGE.value, Kind.BACKGROUND.value]).to_numpy(
        dtype=bool, copy=True)
    if plain.sum() < 2:
        return raw, None
    keys = _minute_keys(raw)
    plain &= keys.notna().to_numpy(dtype=bool)
    rows = np.flatnonzero(plain)
    if len(rows) < 2:
        return raw, None
    k = keys.to_numpy(dtype=object)[rows]
    # each host's plain rows in file order (hosts interleave in a central log), then a run
    # ends where the host's next plain row falls in another minute
    hosts = pd.factorize(raw["host"].fillna("").to_numpy(dtype=object)[rows])[0]
    if units is not None:  # a host's rows in two units are two hosts here
        hosts = pd.factorize(units[rows] * (int(hosts.max()) + 1) + hosts)[0]
    order, run_id, last = host_runs(hosts, pd.factorize(k)[0])
    rows = rows[order]
    sizes = np.bincount(run_id)
    if sizes.max() < 2:
        return raw, None
    counts = np.bincount(run_id, weights=raw["count"].to_numpy(dtype="float64")[rows])
    merged = sizes >= 2  # a lone plain line keeps its own row and text
    ends = rows[last][merged]
    n = counts[merged].astype("int64")
    out = raw.copy()
    at = out.index[ends]
    out.loc[at, "count"] = n
    out.loc[at, "kind"] = Kind.BACKGROUND.value
    out.loc[at, "message"] = plain_lines(n)
    for column in ("program", "pid", "user", "evidence", "command", "module"):
        out.loc[at, column] = pd.NA
    keep = np.ones(len(raw), dtype=bool)
    keep[rows] = ~merged[run_id]
    keep[ends] = True
    return out.loc[keep].reset_index(drop=True), keep


__all__ = ["collapse_background", "collapsed", "host_runs", "plain_lines"]
