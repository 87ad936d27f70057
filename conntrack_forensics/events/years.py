"""The year of yearless syslog lines (CONTRACT section 1), per rotated set.

A rotated set (``messages-20170416``, ..., ``messages``) is one stream, oldest file first: its
months only move forward, so a step back (December, then January) is a new year. The year of
the newest line comes from, in order:

1. ``--year`` (a usage error if it leaves a Feb 29 line in a year without one);
2. the set's own evidence (:mod:`.year_clues`): a dated rotation suffix, else full dates written
   inside its lines;
3. dated evidence of the same host, then of any host: the year that puts the set's span
   closest to it (a set decided by its own evidence is such evidence for its host's others);
4. the newest file's modification time (its last line cannot be later);
5. the latest year that is not in the future.

Whatever decides, a stream holding Feb 29 gets a leap year there: the nearest year the rule
allows that has one. The diagnostics say which evidence chose the year, and that the
modification time would have chosen another when it would (a copied file's time is the copy's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..errors import UsageError
from ..parsers._dated_text import DatedText
from ..times import localize, wall_times
from .parsed import ParsedSource, YearChoice
from .year_clues import MONTH_NAMES, LeapDays, Stream, leap_days, rotation_date, year_from_text


def rollover_offsets(months: np.ndarray) -> np.ndarray:
    """Year offsets for a stream of yearless months in file order.

    A step back of two or more months (December → January) starts a new year; a step back of
    one month is taken as lines slightly out of order.

    >>> rollover_offsets(np.array([11, 12, 12, 1, 2])).tolist()
    [0, 0, 0, 1, 1]
    """
    m = np.asarray(months, dtype=np.int64)
    back = np.zeros(len(m), dtype=bool)
    np.less_equal(m[1:], m[:-1] - 2, out=back[1:])
    return np.cumsum(back, dtype=np.int64)


def year_from_evidence(stream: Stream, evidence: pd.Series, leap: LeapDays) -> int | None:
    """The base year that puts a yearless stream's span closest to dated evidence.

    Args:
        stream: the yearless lines in order, with their year offsets.
        evidence: UTC times of dated events (sorted or not).
        leap: the stream's Feb 29 lines: only base years that give them a leap year count.
    """
    ev = evidence.dropna()
    if ev.empty or len(stream.offsets) == 0:
        return None
    years = sorted(set(ev.dt.year.tolist()))
    max_off = int(stream.offsets.max())
    reach = 4 if leap.offsets else 1  # a leap year may be up to four years from the evidence
    candidates = sorted({y - k for y in years for k in range(-reach, max_off + reach + 1)})
    if leap.satisfiable:
        candidates = [b for b in candidates if leap.fits(b)]
    ev_ns = np.sort(ev.astype("int64").to_numpy())
    best: tuple[float, int] | None = None
    for base in candidates:
        span = stream.span(base)
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


@dataclass(frozen=True)
class Dated:
    """Dated evidence for other sets' years: whose, from which inputs, and the times."""

    host: str | None
    name: str
    inputs: frozenset[int]  # the ``index`` of the inputs it comes from
    times: pd.Series
    host_only: bool = False  # a year read from lines: evidence for its own host's sets only


def resolve_years(
    rows: Sequence[ParsedSource], cli_year: int | None, diag: Diagnostics,
    dated_text: Mapping[str, Sequence[DatedText]] | None = None,
) -> list[YearChoice]:
    """Give every yearless line its time, set by set; the choices made.

    ``dated_text``: per source name, the full dates its parser read inside yearless lines.
    The sets whose own names or lines give their year are decided first: their lines are then
    dated evidence for the other sets of their host (a ``secure`` beside a ``messages`` that
    says its year), not of other hosts.

    Raises:
        UsageError: ``cli_year`` puts a Feb 29 line in a year that has none.
    """
    groups: dict[str, list[ParsedSource]] = {}
    for p in rows:
        assert p.raw is not None
        if (p.raw["mon"] > 0).any():
            groups.setdefault(p.source.group, []).append(p)
    texts = dated_text or {}
    sets: list[tuple[Stream, LeapDays]] = []
    for members in groups.values():
        members.sort(key=lambda m: (m.source.rank, m.source.name))  # oldest file first
        parts = [_yearless(p) for p in members]
        months = np.concatenate([part["mon"].to_numpy(np.int64) for part in parts])
        days = np.concatenate([part["day"].to_numpy(np.int64) for part in parts])
        stream = Stream(members, parts, months, days, rollover_offsets(months))
        sets.append((stream, leap_days(stream)))
    own = [None if cli_year is not None else _from_suffix(s, lp) or _from_text(s, lp, texts)
           for s, lp in sets]
    evidence = [Dated(p.host, p.source.name, frozenset({p.index}), p.dated) for p in rows
                if p.dated is not None and len(p.dated)]
    choices: dict[int, YearChoice] = {}
    for i in sorted(range(len(sets)), key=lambda i: own[i] is None):
        stream, leap = sets[i]
        choice = _choose_year(stream, leap, cli_year, texts, evidence, own[i])
        choices[i] = choice
        members = stream.members
        names = ", ".join(m.source.name for m in members)
        if choice.source != "cli":
            diag.info(members[-1].source.name, f"year {choice.year} for the yearless lines of "
                      f"{names}: {choice.detail}")
        _apply_year(stream, choice, diag)
        if own[i] is not None:
            evidence.append(Dated(members[-1].host, f"{members[-1].source.name} (dated by its "
                                  "own lines)", frozenset(m.index for m in members),
                                  _days(stream, choice.year - stream.last_off), True))
    return [choices[i] for i in range(len(sets))]


def _days(stream: Stream, base: int) -> pd.Series:
    """Each day a decided stream covers, as UTC midnights: dated evidence for other sets."""
    key = (stream.offsets * 13 + stream.mon) * 32 + stream.day
    first = np.ones(len(key), dtype=bool)
    np.not_equal(key[1:], key[:-1], out=first[1:])
    at = np.flatnonzero(first)
    stamps, missing = wall_times(base + stream.offsets[at], stream.mon[at], stream.day[at],
                                 np.zeros(len(at)))
    return pd.Series(stamps[~missing]).dt.tz_localize("UTC")


def _yearless(p: ParsedSource) -> pd.DataFrame:
    """The yearless rows in the order of their lines (a raw frame may hold rows out of it)."""
    assert p.raw is not None
    part = p.raw.loc[p.raw["mon"] > 0, ["mon", "day", "sod", "line"]]
    if not part["line"].is_monotonic_increasing:
        part = part.sort_values("line", kind="stable")
    return part


def _choose_year(
    stream: Stream,
    leap: LeapDays,
    cli_year: int | None,
    dated_text: Mapping[str, Sequence[DatedText]],
    evidence: Sequence[Dated],
    own: tuple[int, str] | None,
) -> YearChoice:
    """The year of a rotated set's newest yearless line (``own``: what the set says itself)."""
    if cli_year is not None:
        if leap.satisfiable and not leap.fits(cli_year - stream.last_off):
            own = _from_suffix(stream, leap) or _from_text(stream, leap, dated_text)
            fits = _infer(stream, leap, evidence, own).year
            raise UsageError(f"--year {cli_year} makes Feb 29 in {leap.source} impossible; "
                             f"the evidence fits {fits}")
        return YearChoice(cli_year, "cli", "given with --year")
    return _infer(stream, leap, evidence, own)


def _infer(
    stream: Stream, leap: LeapDays, evidence: Sequence[Dated], own: tuple[int, str] | None
) -> YearChoice:
    """The year the evidence gives the newest line, without ``--year``."""
    last_off = stream.last_off
    mtime = _mtime_year(stream)
    chosen = own or _from_evidence(stream, leap, evidence)
    if chosen is not None:
        base, detail = chosen
        if mtime is not None and mtime[0] != base:
            detail += (f"; the modification time ({mtime[2]:%Y-%m-%d %H:%M}) would give "
                       f"{mtime[0] + last_off} (a copy's time need not be when the file was "
                       "written)")
        return YearChoice(base + last_off, "evidence", detail + _leap_note(leap))
    if mtime is not None:
        base, detail, _ = mtime
        base = leap.latest_fit(base)
        return YearChoice(base + last_off, "mtime", detail + _leap_note(leap))
    newest = stream.members[-1]
    last = stream.parts[-1].iloc[-1]
    now = dt.datetime.now(newest.tz).replace(tzinfo=None)
    year = year_not_after(int(last["mon"]), int(last["day"]), float(last["sod"]), now)
    base = leap.latest_fit(year - last_off)
    return YearChoice(base + last_off, "default", "no dated evidence or modification time: "
                      "the latest year that is not in the future" + _leap_note(leap))


def _leap_note(leap: LeapDays) -> str:
    """What the diagnostics add when Feb 29 lines narrowed the choice to leap years."""
    if not leap.offsets:
        return ""
    return f"; a leap year where Feb 29 is written ({leap.where()})"


def _from_suffix(stream: Stream, leap: LeapDays) -> tuple[int, str] | None:
    """The base year the newest file named after its rotation date gives."""
    for k in range(len(stream.members) - 1, -1, -1):
        name = stream.members[k].source.basename
        limit = rotation_date(name)
        last = stream.last_of(k)
        if limit is None or last is None:
            continue
        mon, day, sod, off = last
        base = leap.latest_fit(year_not_after(mon, day, sod, limit) - off)
        return base, (f"from the rotation date in the name {name} (a file is rotated after "
                      "its last line)")
    return None


def _from_text(stream: Stream, leap: LeapDays, dated_text: Mapping[str, Sequence[DatedText]]
               ) -> tuple[int, str] | None:
    """The base year the dates written inside the stream's lines give."""
    found = year_from_text(stream, dated_text, leap)
    if found is None:
        return None
    ex = found.example
    lines = f"{found.votes:,} line{'s' * (found.votes != 1)}"
    against = f" ({found.against:,} other{'s' * (found.against != 1)} disagree)" \
        if found.against else ""
    return found.base, (f"from the dates written inside {lines} of the stream{against}, as "
                        f"{found.source} line {ex.line} ({MONTH_NAMES[ex.mon - 1]} {ex.day}) "
                        f"says {ex.text!r}")


def _from_evidence(stream: Stream, leap: LeapDays, evidence: Sequence[Dated]
                   ) -> tuple[int, str] | None:
    """The base year dated evidence of the same host (else of any host) gives."""
    member_ids = {p.index for p in stream.members}
    hosts = {p.host for p in stream.members if p.host}
    others = [d for d in evidence if not d.inputs & member_ids]
    same = [d for d in others if d.host in hosts]
    for pool in (same, [d for d in others if not d.host_only]):
        if pool:
            times = pd.concat([d.times for d in pool], ignore_index=True)
            base = year_from_evidence(stream, times, leap)
            if base is not None:
                names = ", ".join(sorted({d.name for d in pool})[:3])
                return base, f"inferred from dated evidence in {names}"
    return None


def _mtime_year(stream: Stream) -> tuple[int, str, dt.datetime] | None:
    """The base year the newest file's modification time gives, why, and the time."""
    newest = stream.members[-1]
    if newest.source.mtime is None:
        return None
    limit = newest.source.mtime.astimezone(newest.tz).replace(tzinfo=None)
    last = stream.parts[-1].iloc[-1]
    year = year_not_after(int(last["mon"]), int(last["day"]), float(last["sod"]), limit)
    why = f"inferred from the modification time of {newest.source.name} ({limit:%Y-%m-%d %H:%M})"
    return year - stream.last_off, why, limit


def _apply_year(stream: Stream, choice: YearChoice, diag: Diagnostics) -> None:
    """Give each member's yearless lines their times, years stepping at rollovers."""
    base = choice.year - stream.last_off
    for k, (p, part) in enumerate(zip(stream.members, stream.parts, strict=True)):
        assert p.raw is not None and p.times is not None
        off = stream.offsets[int(stream.bounds[k]):int(stream.bounds[k + 1])]
        p.year = choice
        mon, day = part["mon"].to_numpy(), part["day"].to_numpy()
        stamps, missing = wall_times(base + off, mon, day, part["sod"].to_numpy())
        bad = int(missing.sum())
        if bad:
            i = int(np.argmax(missing))
            first = int(p.raw.loc[part.index[i], "line"])
            diag.warning(p.source.name, "date that does not exist in the year given to its "
                         f"line (the first: {MONTH_NAMES[int(mon[i]) - 1]} {int(day[i])} "
                         f"{base + int(off[i])}); kept without a time", first, bad)
        utc = localize(pd.Series(stamps, index=part.index), p.tz)
        if part.index.equals(p.times.index):  # every row yearless, in order: no alignment
            p.times = utc
        else:
            p.times.loc[part.index] = utc
