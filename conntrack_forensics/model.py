"""The event model shared by every parser: column names, dtypes and vocabularies.

One row per event; see CONTRACT section 3. Parsers emit *raw batches* (plain column lists,
times not yet resolved); :mod:`conntrack_forensics.events` resolves the times and builds the
final frame with :func:`to_frame`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd


class Kind(str, enum.Enum):
    """What an event means for the investigation."""

    CONNTRACK_DROP = "conntrack_drop"
    RATELIMIT_SUPPRESSED = "ratelimit_suppressed"
    MODULE_LOAD = "module_load"
    COMMAND = "command"
    BOOT = "boot"
    SHUTDOWN = "shutdown"
    SYSCTL = "sysctl"
    MESSAGE = "message"
    SNAPSHOT = "snapshot"  # extension: state captured by a command or /proc file at one time
    LOGIN = "login"  # extension: someone logged in (sshd) or switched user (su): context
    SERVICE = "service"  # extension: a firewall or container-network service started
    CONNTRACK_WARNING = "conntrack_warning"  # extension: e.g. "expectation table full"
    BACKGROUND = "background"  # extension: a run of plain messages of one host and minute


class TimeQuality(str, enum.Enum):
    """How far an event's ``time`` can be trusted."""

    EXACT = "exact"
    INFERRED_YEAR = "inferred_year"
    ASSUMED_TZ = "assumed_tz"
    RELATIVE = "relative"
    UNKNOWN = "unknown"


KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
TIME_QUALITIES: tuple[str, ...] = tuple(q.value for q in TimeQuality)
#: Formats known to the contract; parsers may add more (the category grows as needed).
UTC_NS = "datetime64[ns, UTC]"

#: Final columns of ``Analysis.events`` in order, with their dtypes. The first twelve are the
#: contract's; the rest are extensions documented in docs/events.md.
EVENT_DTYPES: dict[str, Any] = {
    "time": UTC_NS,
    "host": "string",
    "kind": pd.CategoricalDtype(list(KINDS)),
    "message": "string",
    "source": "string",
    "line": "Int64",
    "format": "category",
    "program": "string",
    "pid": "Int64",
    "user": "string",
    "count": "Int64",
    "time_quality": pd.CategoricalDtype(list(TIME_QUALITIES)),
    # extensions
    "module": "string",
    "conntrack_max": "Int64",
    "conntrack_buckets": "Int64",
    "conntrack_count": "Int64",
    "conntrack_loaded": "boolean",
    "boot_id": "string",
    "priority": "Int64",
    "not_before": UTC_NS,
    "not_after": UTC_NS,
    "evidence": "string",
    "command": "string",
}
EVENT_COLUMNS: tuple[str, ...] = tuple(EVENT_DTYPES)


def to_frame(
    columns: Mapping[str, Sequence[Any] | pd.Series], length: int | None = None
) -> pd.DataFrame:
    """Build an events frame from column data, filling absent columns with missing values.

    Args:
        columns: column name to values; names outside the schema are ignored.
        length: number of rows, needed only when no column is given.
    """
    n = length
    for values in columns.values():
        n = len(values)
        break
    n = n or 0
    data: dict[str, pd.Series] = {}
    for name, dtype in EVENT_DTYPES.items():
        if name in columns:
            values = columns[name]
            series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
            data[name] = _cast(series.reset_index(drop=True), dtype)
        else:
            data[name] = _cast(pd.Series([None] * n, dtype=object), dtype)
    return pd.DataFrame(data)


def _cast(series: pd.Series, dtype: Any) -> pd.Series:
    if dtype == UTC_NS:
        utc = cast(Any, UTC_NS)
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            return series.dt.tz_convert("UTC").astype(utc)
        return pd.to_datetime(series, utc=True).astype(utc)
    if dtype == "category":
        if isinstance(series.dtype, pd.CategoricalDtype) and all(
                isinstance(c, str) for c in series.cat.categories):
            return series
        return series.astype("string").astype("category")
    return series.astype(cast(Any, dtype))
