"""The zone of zone-less times, per source, and the UTC times that need no year.

``--tz`` wins; else a zone found in the host's evidence (``etc/localtime``, ``/etc/timezone``,
``/etc/sysconfig/clock``, ``timedatectl``); else UTC, with a note that it was assumed.

A zone the evidence names is data, not a setting: one this machine's time zone database lacks
(``Mars/Olympus_Mons``, or a zone newer than the installed tzdata) is a warning naming the file,
the zone and the zone used instead, never a usage error. Instead means another zone the
evidence names for the same host, else UTC, recorded as assumed (``tz_source`` ``default``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..errors import UsageError
from ..parsers.base import Hints
from ..times import localize, parse_tz, tz_name
from .facts import facts
from .parsed import NAT, ParsedSource
from .pooled import joined


def choose_zones(
    rows: list[ParsedSource],
    hints: Hints,
    cli_tz: dt.tzinfo | None,
    diag: Diagnostics,
) -> tuple[str, str] | None:
    """Set each source's zone; the zone in force overall and where it came from, if any."""
    if cli_tz is not None:
        for p in rows:
            p.tz, p.tz_source = cli_tz, "cli"
        return tz_name(cli_tz), "cli"
    zones = _Loadable()
    by_host: dict[str, tuple[str, str]] = {}
    for p in rows:
        hint = hints.tz.get(p.source.scope)
        if hint is not None and p.host is not None and zones.get(hint[0]) is not None:
            by_host.setdefault(p.host, hint)
    used: Counter[str] = Counter()
    for p in rows:
        own = hints.tz.get(p.source.scope)
        hint = own or (by_host.get(p.host) if p.host else None)
        if own is not None and zones.get(own[0]) is None:
            # the evidence names a zone this machine cannot load: the host's next best zone
            hint = by_host.get(p.host) if p.host else None
            zones.unloadable(own, hint, diag)
        found = facts(p)
        needs_zone = found.yearless or found.iso
        if hint is not None:
            tz = zones.get(hint[0])
            assert tz is not None
            p.tz, p.tz_source = tz, "evidence"
            used[hint[0]] += 1
            if needs_zone:
                diag.info(p.source.name, f"time zone {hint[0]} from {hint[1]}")
        elif found.yearless:
            diag.info(p.source.name, "no time zone in the evidence for this host: local times "
                         "taken as UTC (pass --tz to set it)")
    if used:
        return used.most_common(1)[0][0], "evidence"
    return None


class _Loadable:
    """Zones named by the evidence, loaded once each; ``None`` for those that cannot be."""

    def __init__(self) -> None:
        self._zones: dict[str, dt.tzinfo | None] = {}
        self._warned: set[tuple[str, str, str]] = set()

    def get(self, name: str) -> dt.tzinfo | None:
        """The zone ``name``, or ``None`` when this machine's tz database lacks it."""
        if name not in self._zones:
            try:
                self._zones[name] = parse_tz(name)
            except (UsageError, OSError, ValueError, KeyError):
                # not a zone here (unknown, a directory, a name too long for a path)
                self._zones[name] = None
        return self._zones[name]

    def unloadable(self, named: tuple[str, str], instead: tuple[str, str] | None,
                   diag: Diagnostics) -> None:
        """Warn, once per file and zone, that it named a zone that cannot be loaded here."""
        zone, where = named
        used = (f"used {instead[0]} (named by {instead[1]}) for this host instead"
                if instead is not None else "local times taken as UTC (assumed; pass --tz to "
                "set the zone)")
        if (zone, where, used) in self._warned:
            return
        self._warned.add((zone, where, used))
        diag.warning(where, f"time zone {zone!r} named here cannot be loaded (this machine's "
                     f"time zone database does not have it): {used}")


def resolve_known_times(rows: Sequence[ParsedSource], diag: Diagnostics) -> None:
    """Set every source's ``times``, ``zoned`` and ``known`` (:func:`known_times`).

    Sources that share a zone are done at once: a tree of 10,000 small files spent most of
    this step in pandas' cost per call, not per row. The warnings come in source order, as
    they would one source at a time.
    """
    groups: dict[dt.tzinfo, list[int]] = {}
    for k, p in enumerate(rows):
        groups.setdefault(p.tz, []).append(k)
    lost = np.zeros(len(rows), dtype=np.int64)
    for tz, members in groups.items():
        sizes = np.array([rows[k].size for k in members], dtype=np.int64)
        group = [rows[k] for k in members]
        pair = pd.DataFrame({"epoch": joined(group, "epoch"), "iso": joined(group, "iso")})
        times, zoned = known_times(pair, tz)
        stamps = times.array.asi8
        stated = (pair["epoch"].notna() | pair["iso"].notna()).to_numpy()
        missing = stamps == NAT
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        for j, k in enumerate(members):
            p = rows[k]
            a, b = int(bounds[j]), int(bounds[j + 1])
            part = stamps[a:b]
            p.times = None
            p.stamps = part
            p.zoned = zoned[a:b].copy()
            p.known = part[~missing[a:b]]
            lost[k] = int((stated[a:b] & missing[a:b]).sum())
    for at in np.flatnonzero(lost).tolist():
        diag.warning(rows[at].source.name, f"{int(lost[at]):,} line(s) state a time that does "
                     "not exist or lies outside the years 1678-2261: kept without a time",
                     count=int(lost[at]))


_ZONED = r"(?:[Zz]|[+-]\d\d:?\d\d)$"


def known_times(raw: pd.DataFrame, tz: dt.tzinfo) -> tuple[pd.Series, np.ndarray]:
    """UTC times of rows that need no year decision, and which of them carried a zone.

    A stated time the table cannot hold (a date that does not exist, ``2024-02-31``, or a year
    outside 1678-2261, the range of nanosecond times) leaves its row without a time
    (:func:`resolve_known_times` counts them).
    """
    times = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    zoned = np.zeros(len(raw), dtype=bool)
    ep = raw["epoch"].notna().to_numpy()
    if ep.any():
        # epochs carry at most microseconds (journal); round away float noise below that
        micros = (raw.loc[ep, "epoch"].astype("float64") * 1e6).round()
        fits = (micros >= _MIN_US) & (micros <= _MAX_US)
        held = pd.to_datetime(micros.where(fits).astype("Int64"), unit="us", utc=True)
        times[ep] = held.astype("datetime64[ns, UTC]")
        zoned |= ep
    iso_mask = raw["iso"].notna().to_numpy()
    if iso_mask.any():
        text = raw.loc[iso_mask, "iso"].str.replace(",", ".", regex=False).str.replace(
            " ", "T", regex=False)
        has_zone = text.str.contains(_ZONED, regex=True).to_numpy(dtype=bool)
        idx = raw.index[iso_mask]
        if has_zone.any():
            times[idx[has_zone]] = _in_range(pd.to_datetime(
                text[has_zone], format="ISO8601", utc=True, errors="coerce"))
            zoned[np.flatnonzero(iso_mask)[has_zone]] = True
        if (~has_zone).any():
            naive = pd.to_datetime(text[~has_zone], format="ISO8601", errors="coerce")
            times[idx[~has_zone]] = localize(_in_range(naive), tz)
    return times, zoned


#: The range of nanosecond times, in microseconds since the epoch.
_MIN_US = pd.Timestamp.min.value // 1000 + 1
_MAX_US = pd.Timestamp.max.value // 1000 - 1


def _in_range(values: pd.Series) -> pd.Series:
    """``values`` as nanosecond times; those outside their range become NaT."""
    aware = getattr(values.dtype, "tz", None) is not None
    lo, hi = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    if aware:
        lo, hi = lo.tz_localize("UTC"), hi.tz_localize("UTC")
    kept = values.where(values.notna() & (values >= lo) & (values <= hi))
    return kept.astype("datetime64[ns, UTC]" if aware else "datetime64[ns]")
