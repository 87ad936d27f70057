"""The year of yearless syslog lines (CONTRACT section 1), per rotated set.

A rotated set (``messages-20170416``, ..., ``messages``) is one stream, oldest file first: its
months only move forward, so a step back (December, then January) is a new year. The year of
the newest line comes from, in order:

1. ``--year`` (a usage error if it leaves a Feb 29 line in a year without one);
2. the set's own evidence (:mod:`.year_clues`): a dated rotation suffix, else full dates written
   inside its lines;
3. dated evidence of the same host: the year that puts the set's span closest to it (a set
   decided by its own evidence is such evidence for its host's others), among the years that
   keep its last line at or before its tree's clock reading (a ``date`` taken at capture,
   :func:`.captures.latest_clocks`): a capture is an upper bound, not a nearest point;
4. the newest file's modification time (its last line cannot be later): for gzip data the
   MTIME of its header first (RFC 1952: the time the original file was last modified, which
   survives copies; :func:`..inputs.source.gzip_mtime`), else the file's own;
5. dated evidence of other hosts, as in 3, only when nothing of the host's own dates the set
   (the diagnostic names those hosts); a set whose lines name no host takes any host's at 3;
6. the latest year that is not in the future.

Upper bounds (a modification time, a clock reading, the present) are UTC instants compared with
local wall times. When the zone was assumed (no ``--tz``, none in the evidence), the host may
be anywhere up to UTC+14 (:data:`EAST_MOST`), its lines that far ahead of UTC: the bound is
widened by as much, and the diagnostic says so.

Whatever decides, a stream holding Feb 29 gets a leap year there: the nearest year the rule
allows that has one. The diagnostics say which evidence chose the year, and that the
modification time would have chosen another when it would (a copied file's time is the copy's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..errors import UsageError
from ..parsers._dated_text import DatedText
from ..times import localize, wall_times
from .captures import latest_clocks
from .dated import Dated, DatedIndex
from .facts import facts
from .parsed import NAT, ParsedSource, YearChoice, utc_series
from .pooled import column
from .year_clues import (
    EAST_MOST,
    MONTH_NAMES,
    LeapDays,
    Part,
    Stream,
    leap_days,
    rotation_date,
    year_from_evidence,
    year_from_text,
    year_not_after,
)


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
        if facts(p).yearless:
            groups.setdefault(p.source.group, []).append(p)
    texts = dated_text or {}
    sets: list[tuple[Stream, LeapDays]] = []
    for members in groups.values():
        members.sort(key=lambda m: (m.source.rank, m.source.name))  # oldest file first
        parts = [_yearless(p) for p in members]
        months = np.concatenate([part.mon for part in parts])
        days = np.concatenate([part.day for part in parts])
        stream = Stream(members, parts, months, days, rollover_offsets(months))
        sets.append((stream, leap_days(stream)))
    own = [None if cli_year is not None else _from_suffix(s, lp) or _from_text(s, lp, texts)
           for s, lp in sets]
    clocks = latest_clocks(rows, diag)
    evidence = DatedIndex([Dated(p.host, p.source.name, frozenset({p.index}), p.known)
                           for p in rows if p.known is not None and len(p.known)])
    choices: dict[int, YearChoice] = {}
    for i in sorted(range(len(sets)), key=lambda i: own[i] is None):
        stream, leap = sets[i]
        choice = _choose_year(stream, leap, cli_year, texts, evidence, own[i],
                              _clock_year(stream, clocks))
        choices[i] = choice
        members = stream.members
        names = ", ".join(m.source.name for m in members)
        if choice.source != "cli":
            diag.info(members[-1].source.name, f"year {choice.year} for the yearless lines of "
                      f"{names}: {choice.detail}")
        _apply_year(stream, choice, diag)
        if own[i] is not None:
            evidence.evidence.append(Dated(
                members[-1].host, f"{members[-1].source.name} (dated by its own lines)",
                frozenset(m.index for m in members),
                _days(stream, choice.year - stream.last_off), True))
    return [choices[i] for i in range(len(sets))]


def _days(stream: Stream, base: int) -> np.ndarray:
    """Each day a decided stream covers, as UTC midnights: dated evidence for other sets."""
    key = (stream.offsets * 13 + stream.mon) * 32 + stream.day
    first = np.ones(len(key), dtype=bool)
    np.not_equal(key[1:], key[:-1], out=first[1:])
    at = np.flatnonzero(first)
    stamps, missing = wall_times(base + stream.offsets[at], stream.mon[at], stream.day[at],
                                 np.zeros(len(at)))
    return stamps[~missing].view(np.int64)


def _yearless(p: ParsedSource) -> Part:
    """The yearless rows in the order of their lines (a raw frame may hold rows out of it)."""
    mon = np.asarray(column(p, "mon"), dtype=np.int64)
    rows = np.flatnonzero(mon > 0)
    line = column(p, "line").to_numpy(dtype="float64", na_value=np.nan)[rows]
    if len(line) > 1 and not (line[1:] >= line[:-1]).all():  # (a missing number: not in order)
        order = np.argsort(line, kind="stable")  # missing numbers last
        rows, line = rows[order], line[order]
    return Part(rows, mon[rows], np.asarray(column(p, "day"), dtype=np.int64)[rows],
                np.asarray(column(p, "sod"), dtype=np.float64)[rows], line)


def _choose_year(
    stream: Stream,
    leap: LeapDays,
    cli_year: int | None,
    dated_text: Mapping[str, Sequence[DatedText]],
    evidence: DatedIndex,
    own: tuple[int, str] | None,
    clock: tuple[int, str] | None = None,
) -> YearChoice:
    """The year of a rotated set's newest yearless line.

    ``own`` is what the set says itself; ``clock`` the latest base year its tree's clock
    reading allows, and that reading.
    """
    if cli_year is not None:
        if leap.satisfiable and not leap.fits(cli_year - stream.last_off):
            own = _from_suffix(stream, leap) or _from_text(stream, leap, dated_text)
            fits = _infer(stream, leap, evidence, own, clock).year
            raise UsageError(f"--year {cli_year} makes Feb 29 in {leap.source} impossible; "
                             f"the evidence fits {fits}")
        return YearChoice(cli_year, "cli", "given with --year")
    return _infer(stream, leap, evidence, own, clock)


def _infer(
    stream: Stream, leap: LeapDays, evidence: DatedIndex, own: tuple[int, str] | None,
    clock: tuple[int, str] | None = None,
) -> YearChoice:
    """The year the evidence gives the newest line, without ``--year``."""
    last_off = stream.last_off
    mtime = _mtime_year(stream)
    cap = None if clock is None else clock[0]
    chosen = own or _from_evidence(stream, leap, evidence, cap)
    if chosen is None and mtime is None:  # other hosts' evidence only when nothing of its own
        chosen = _from_evidence(stream, leap, evidence, cap, other_hosts=True)
    if chosen is not None:
        base, detail = chosen
        if clock is not None:
            detail += _clock_note(stream, leap, evidence, own, base, clock)
        if mtime is not None and mtime[0] != base:
            detail += (f"; the modification time ({mtime[2]:%Y-%m-%d %H:%M}) would give "
                       f"{mtime[0] + last_off} (a copy's time need not be when the file was "
                       "written)")
        return YearChoice(base + last_off, "evidence", detail + _leap_note(leap))
    if mtime is not None:
        base, detail, _ = mtime
        if clock is not None and clock[0] < base:
            base, detail = clock[0], detail + f"; no later than {clock[1]}"
        base = leap.latest_fit(base)
        return YearChoice(base + last_off, "mtime", detail + _leap_note(leap))
    if clock is not None:
        base = leap.latest_fit(clock[0])
        return YearChoice(base + last_off, "evidence", f"the latest year at or before {clock[1]}"
                          + _leap_note(leap))
    now = dt.datetime.now(dt.timezone.utc)
    base = leap.latest_fit(_not_after(stream, now)[0])
    return YearChoice(base + last_off, "default", "no dated evidence or modification time: "
                      "the latest year that is not in the future" + _zone_note(stream)
                      + _leap_note(leap))


def _clock_note(stream: Stream, leap: LeapDays, evidence: DatedIndex,
                own: tuple[int, str] | None, base: int, clock: tuple[int, str]) -> str:
    """What the diagnostics add when the tree's clock reading bounded (or contradicts) a year."""
    if own is not None:
        if base <= clock[0]:
            return ""
        return (f"; later than {clock[1]} allows (the set's own evidence is kept: check that "
                "clock)")
    free = _from_evidence(stream, leap, evidence, None)
    if free is None or free[0] == base:
        return ""
    return (f"; at or before {clock[1]}, which bounds every line of its tree (the nearest year "
            f"to the evidence, {free[0] + stream.last_off}, would put lines after it)"
            + _zone_note(stream))


def _not_after(stream: Stream, when: dt.datetime) -> tuple[int, dt.datetime]:
    """The latest base year keeping the newest line at or before the UTC instant ``when``.

    Also ``when`` as a wall time in the stream's zone. When that zone was assumed, the host may
    be up to :data:`EAST_MOST` ahead of UTC, so its lines may be that much later.
    """
    newest = stream.members[-1]
    wall = when.astimezone(newest.tz).replace(tzinfo=None)
    limit = wall + (EAST_MOST if newest.tz_source == "default" else dt.timedelta(0))
    last = stream.parts[-1]
    year = year_not_after(int(last.mon[-1]), int(last.day[-1]), float(last.sod[-1]), limit)
    return year - stream.last_off, wall


def _zone_note(stream: Stream) -> str:
    """What the diagnostics add when an upper bound was widened for an assumed zone."""
    if stream.members[-1].tz_source != "default":
        return ""
    return ("; the zone is assumed, so its lines may run up to 14 hours ahead of UTC (a host "
            "east of it) and the bound allows for that")


def _clock_year(stream: Stream, clocks: Mapping[str, tuple[pd.Timestamp, str]]
                ) -> tuple[int, str] | None:
    """The latest base year the clock reading of the stream's tree allows, and that reading."""
    clock = clocks.get(stream.members[-1].source.scope)
    if clock is None:
        return None
    when, where = clock
    base, _ = _not_after(stream, when.to_pydatetime())
    return base, f"the clock reading in {where} ({when:%Y-%m-%d %H:%M} UTC)"


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


def _from_evidence(stream: Stream, leap: LeapDays, evidence: DatedIndex,
                   not_after: int | None = None, *, other_hosts: bool = False
                   ) -> tuple[int, str] | None:
    """The base year dated evidence of the same host gives (``other_hosts``: of other hosts).

    A set whose lines name no host takes any host's evidence as its own. No later than
    ``not_after`` (the latest base year a clock reading allows), when given.
    """
    hosts = {p.host for p in stream.members if p.host}
    if not hosts and other_hosts:
        return None
    pool = evidence.view((p.index for p in stream.members), hosts, other_hosts=other_hosts)
    if not pool:
        return None
    base = year_from_evidence(stream, pool, leap, not_after)
    if base is None:
        return None
    names = ", ".join(pool.names())
    if other_hosts:
        named = ", ".join(pool.hosts())
        return base, (f"inferred from dated evidence of other hosts ({named}) in {names}: "
                      f"nothing of {', '.join(sorted(hosts))} dates it, not even a modification "
                      "time; check it")
    return base, f"inferred from dated evidence in {names}"


def _mtime_year(stream: Stream) -> tuple[int, str, dt.datetime] | None:
    """The base year the newest file's modification time gives, why, and the time.

    For gzip data the header's MTIME comes first: the modification time of the file that was
    compressed (RFC 1952 section 2.3.1), which a copy of the ``.gz`` keeps when it loses its
    own.
    """
    src = stream.members[-1].source
    when = src.header_mtime or src.mtime
    if when is None:
        return None
    base, wall = _not_after(stream, when)
    if src.header_mtime is not None:
        why = (f"inferred from the time {src.name} was last modified before it was compressed "
               f"({wall:%Y-%m-%d %H:%M}, the MTIME its gzip header keeps; RFC 1952)")
        if src.mtime is not None and _not_after(stream, src.mtime)[0] != base:
            why += (f"; the file's own modification time ({src.mtime:%Y-%m-%d %H:%M} UTC) "
                    f"would give {_not_after(stream, src.mtime)[0] + stream.last_off}")
    else:
        why = f"inferred from the modification time of {src.name} ({wall:%Y-%m-%d %H:%M})"
    return base, why + _zone_note(stream), wall


def _apply_year(stream: Stream, choice: YearChoice, diag: Diagnostics) -> None:
    """Give each member's yearless lines their times, years stepping at rollovers."""
    base = choice.year - stream.last_off
    for k, (p, part) in enumerate(zip(stream.members, stream.parts, strict=True)):
        assert p.timed
        off = stream.offsets[int(stream.bounds[k]):int(stream.bounds[k + 1])]
        p.year = choice
        stamps, missing = wall_times(base + off, part.mon, part.day, part.sod)
        bad = int(missing.sum())
        if bad:
            i = int(np.argmax(missing))
            diag.warning(p.source.name, "date that does not exist in the year given to its "
                         f"line (the first: {MONTH_NAMES[int(part.mon[i]) - 1]} "
                         f"{int(part.day[i])} {base + int(off[i])}); kept without a time",
                         int(part.line[i]), bad)
        utc = _to_utc(stamps, p.tz)
        if len(part) == p.size and (part.rows == np.arange(len(part))).all():
            p.times = utc  # every row yearless, in order: no alignment (nor series to align)
        else:
            assert p.times is not None
            p.times.iloc[part.rows] = utc.array


def _to_utc(stamps: np.ndarray, tz: dt.tzinfo) -> pd.Series:
    """Local wall times (naive ``datetime64[ns]``) as UTC; a fixed offset needs no pandas."""
    if isinstance(tz, dt.timezone):  # no daylight saving: one offset, subtracted
        offset = tz.utcoffset(None)
        shift = int(offset.total_seconds() * 10**9) if offset else 0
        nanos = stamps.view(np.int64)
        return utc_series(np.where(nanos == NAT, NAT, nanos - shift))
    return localize(pd.Series(stamps), tz)
