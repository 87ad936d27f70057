"""The zone of zone-less times, per source, and the UTC times that need no year.

``--tz`` wins; else a zone found in the host's evidence (``etc/localtime``, ``/etc/timezone``,
``/etc/sysconfig/clock``, ``timedatectl``); else UTC, with a note that it was assumed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..parsers.base import Hints
from ..times import localize, parse_tz, tz_name
from .parsed import ParsedSource


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
    by_host: dict[str, tuple[str, str]] = {}
    for p in rows:
        hint = hints.tz.get(p.source.scope)
        if hint is not None and p.host is not None:
            by_host.setdefault(p.host, hint)
    used: Counter[str] = Counter()
    for p in rows:
        assert p.raw is not None
        hint = hints.tz.get(p.source.scope) or (by_host.get(p.host) if p.host else None)
        needs_zone = bool((p.raw["mon"] > 0).any() or p.raw["iso"].notna().any())
        if hint is not None:
            p.tz, p.tz_source = parse_tz(hint[0]), "evidence"
            used[hint[0]] += 1
            if needs_zone:
                diag.info(p.source.name, f"time zone {hint[0]} from {hint[1]}")
        elif needs_zone and (p.raw["mon"] > 0).any():
            diag.info(p.source.name, "no time zone in the evidence for this host: local times "
                         "taken as UTC (pass --tz to set it)")
    if used:
        return used.most_common(1)[0][0], "evidence"
    return None


_ZONED = r"(?:[Zz]|[+-]\d\d:?\d\d)$"


def known_times(raw: pd.DataFrame, tz: dt.tzinfo) -> tuple[pd.Series, np.ndarray]:
    """UTC times of rows that need no year decision, and which of them carried a zone."""
    times = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    zoned = np.zeros(len(raw), dtype=bool)
    ep = raw["epoch"].notna().to_numpy()
    if ep.any():
        # epochs carry at most microseconds (journal); round away float noise below that
        micros = (raw.loc[ep, "epoch"].astype("float64") * 1e6).round().astype("int64")
        times[ep] = pd.to_datetime(micros, unit="us", utc=True)
        zoned |= ep
    iso_mask = raw["iso"].notna().to_numpy()
    if iso_mask.any():
        text = raw.loc[iso_mask, "iso"].str.replace(",", ".", regex=False).str.replace(
            " ", "T", regex=False)
        has_zone = text.str.contains(_ZONED, regex=True).to_numpy(dtype=bool)
        idx = raw.index[iso_mask]
        if has_zone.any():
            times[idx[has_zone]] = pd.to_datetime(
                text[has_zone], format="ISO8601", utc=True, errors="coerce")
            zoned[np.flatnonzero(iso_mask)[has_zone]] = True
        if (~has_zone).any():
            naive = pd.to_datetime(text[~has_zone], format="ISO8601", errors="coerce")
            times[idx[~has_zone]] = localize(naive, tz)
    return times, zoned
