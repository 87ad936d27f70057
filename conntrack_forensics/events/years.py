"""The year of yearless syslog lines (CONTRACT section 1), per rotated set.

A rotated set (``messages-20170416``, ..., ``messages``) is one stream, oldest file first: its
months only move forward, so a step back (December, then January) is a new year. The year of
the newest line comes from ``--year``, else from dated evidence of the same host (then of any
host), else from the newest file's modification time, else the latest year that is not in the
future; each choice is said in the diagnostics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..times import localize, wall_times
from .parsed import ParsedSource, YearChoice


def rollover_offsets(months: np.ndarray) -> np.ndarray:
    """Year offsets for a stream of yearless months in file order.

    A step back of two or more months (December → January) starts a new year; a step back of
    one month is taken as lines slightly out of order.

    >>> rollover_offsets(np.array([11, 12, 12, 1, 2])).tolist()
    [0, 0, 0, 1, 1]
    """
    if len(months) == 0:
        return np.zeros(0, dtype=np.int64)
    steps = np.diff(months.astype(np.int64), prepend=months[0])
    return np.cumsum(steps <= -2).astype(np.int64)


def _span_for_year(
    mon: np.ndarray, day: np.ndarray, offsets: np.ndarray, base: int
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    years = base + offsets
    stamps = pd.to_datetime(
        pd.DataFrame({"year": years, "month": mon, "day": day}), errors="coerce"
    ).dropna()
    if stamps.empty:
        return None
    return stamps.min().tz_localize("UTC"), stamps.max().tz_localize("UTC")


def year_from_evidence(
    mon: np.ndarray, day: np.ndarray, offsets: np.ndarray, evidence: pd.Series
) -> int | None:
    """The base year that puts a yearless stream's span closest to dated evidence.

    Args:
        mon: months of the stream's lines in order.
        day: days of month.
        offsets: year offsets from :func:`rollover_offsets`.
        evidence: UTC times of dated events (sorted or not).
    """
    ev = evidence.dropna()
    if ev.empty or len(mon) == 0:
        return None
    years = sorted(set(ev.dt.year.tolist()))
    max_off = int(offsets.max())
    candidates = sorted({y - k for y in years for k in range(-1, max_off + 2)})
    ev_ns = np.sort(ev.astype("int64").to_numpy())
    best: tuple[float, int] | None = None
    for base in candidates:
        span = _span_for_year(mon, day, offsets, base)
        if span is None:
            continue
        lo = span[0].value - 86_400 * 10**9
        hi = span[1].value + 2 * 86_400 * 10**9
        i = int(np.searchsorted(ev_ns, lo))
        if i < len(ev_ns) and ev_ns[i] <= hi:
            dist = 0.0
        else:
            before = ev_ns[i - 1] if i > 0 else None
            after = ev_ns[i] if i < len(ev_ns) else None
            dist = min(
                float(lo - before) if before is not None else float("inf"),
                float(after - hi) if after is not None else float("inf"),
            )
        key = (dist, -base)
        if best is None or key < (best[0], -best[1]):
            best = (dist, base)
    return None if best is None else best[1]


def year_not_after(last_mon: int, last_day: int, last_sod: float, limit: dt.datetime) -> int:
    """The latest year that keeps a yearless line at or before ``limit`` (local wall time).

    >>> year_not_after(12, 31, 0.0, dt.datetime(2018, 1, 2))
    2017
    """
    year = limit.year
    last = (last_mon, last_day, last_sod)
    lim = (
        limit.month,
        limit.day,
        limit.hour * 3600 + limit.minute * 60 + limit.second + 1.0,
    )
    if last > lim:
        year -= 1
    return year


def resolve_years(
    rows: Sequence[ParsedSource], cli_year: int | None, diag: Diagnostics
) -> list[YearChoice]:
    """Give every yearless line its time, set by set; the choices made."""
    groups: dict[str, list[ParsedSource]] = {}
    for p in rows:
        assert p.raw is not None
        if (p.raw["mon"] > 0).any():
            groups.setdefault(p.source.group, []).append(p)
    choices: list[YearChoice] = []
    for members in groups.values():
        members.sort(key=lambda m: (m.source.rank, m.source.name))  # oldest file first
        parts = [_yearless(p) for p in members]
        stream = pd.concat(parts, ignore_index=True)
        offsets = rollover_offsets(stream["mon"].to_numpy())
        choice = _choose_year(members, stream, offsets, rows, cli_year)
        choices.append(choice)
        names = ", ".join(m.source.name for m in members)
        if choice.source != "cli":
            diag.info(members[-1].source.name, f"year {choice.year} for the yearless lines of "
                      f"{names}: {choice.detail}")
        _apply_year(members, parts, offsets, choice, diag)
    return choices


def _yearless(p: ParsedSource) -> pd.DataFrame:
    """The yearless rows in the order of their lines (a raw frame may hold rows out of it)."""
    assert p.raw is not None
    part = p.raw.loc[p.raw["mon"] > 0, ["mon", "day", "sod", "line"]]
    if not part["line"].is_monotonic_increasing:
        part = part.sort_values("line", kind="stable")
    return part


def _choose_year(
    members: list[ParsedSource],
    stream: pd.DataFrame,
    offsets: np.ndarray,
    rows: Sequence[ParsedSource],
    cli_year: int | None,
) -> YearChoice:
    """The year of a rotated set's newest yearless line (``stream``: its lines in order)."""
    mon = stream["mon"].to_numpy()
    day = stream["day"].to_numpy()
    last_off = int(offsets[-1])
    if cli_year is not None:
        return YearChoice(cli_year, "cli", "given with --year")
    member_ids = {p.index for p in members}
    hosts = {p.host for p in members if p.host}
    others = [p for p in rows if p.index not in member_ids]
    same = [p for p in others if p.host in hosts]
    for pool in (same, others):
        dated = [(p, p.dated) for p in pool if p.dated is not None and len(p.dated)]
        if dated:
            evidence = pd.concat([t for _, t in dated], ignore_index=True)
            base = year_from_evidence(mon, day, offsets, evidence)
            if base is not None:
                names = ", ".join(sorted({p.source.name for p, _ in dated})[:3])
                return YearChoice(base + last_off, "evidence",
                                  f"inferred from dated evidence in {names}")
    newest = members[-1]
    last = stream.iloc[-1]
    if newest.source.mtime is not None:
        limit = newest.source.mtime.astimezone(newest.tz).replace(tzinfo=None)
        year = year_not_after(int(last["mon"]), int(last["day"]), float(last["sod"]), limit)
        return YearChoice(year, "mtime", f"inferred from the modification time of "
                          f"{newest.source.name} ({limit:%Y-%m-%d %H:%M})")
    now = dt.datetime.now(newest.tz).replace(tzinfo=None)
    year = year_not_after(int(last["mon"]), int(last["day"]), float(last["sod"]), now)
    return YearChoice(year, "default", "no dated evidence or modification time: the latest "
                      "year that is not in the future")


def _apply_year(
    members: list[ParsedSource],
    parts: list[pd.DataFrame],
    offsets: np.ndarray,
    choice: YearChoice,
    diag: Diagnostics,
) -> None:
    """Give each member's yearless lines their times, years stepping at rollovers."""
    base = choice.year - int(offsets[-1])
    pos = 0
    for p, part in zip(members, parts, strict=True):
        assert p.raw is not None and p.times is not None
        off = offsets[pos:pos + len(part)]
        pos += len(part)
        p.year = choice
        stamps, missing = wall_times(base + off, part["mon"].to_numpy(), part["day"].to_numpy(),
                                     part["sod"].to_numpy())
        bad = int(missing.sum())
        if bad:
            first = int(p.raw.loc[part.index[missing][0], "line"])
            diag.warning(p.source.name, "date does not exist in the inferred year (Feb 29?)",
                         first, bad)
        utc = localize(pd.Series(stamps, index=part.index), p.tz)
        if part.index.equals(p.times.index):  # every row yearless, in order: no alignment
            p.times = utc
        else:
            p.times.loc[part.index] = utc


