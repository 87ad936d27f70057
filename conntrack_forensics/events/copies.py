"""The same event in several sources: the one rule every count, list and anchor uses.

One kernel line reaches ``dmesg``, ``kern.log``, ``messages``, the journal and a log server's
copy of them, each stamped by its writer: the journal to the microsecond, syslog to the
second, often a fraction later. Rows are *copies* of one event when

- their text is the same (the kernel's ``[uptime]`` prefix and outer blanks aside) and so is
  their kind;
- they come from different *streams*: the files of one rotated set (``messages.1``,
  ``messages``) are one stream, their files follow each other, and two identical lines in one
  stream are two events;
- their times are within a tolerance of each other, matched one to one: a stream gives an
  event at most one row. Streams are taken largest first and each is matched, in time order,
  to the earliest event within the tolerance that it has no row in yet; for one tolerance this
  pairs as many rows as any matching can.

A copy that falls on the other side of a second boundary is still a copy; three drops in one
source and five in another are five events, not eight. Rows without a time are each their own
event.
"""

from __future__ import annotations

import posixpath

import numpy as np
import pandas as pd

from ..inputs.source import rotation_key
from ..parsers.classify import UPTIME_PREFIX
from .parsed import NAT

#: How far apart two sources stamp one kernel line: syslog truncates to the second and writes
#: a moment after the kernel printed it; a clock skew below ``skew.MIN_SKEW`` is not corrected.
COPY_TOLERANCE = pd.Timedelta(seconds=2)

#: The same module-load or boot line in several sources this far apart is still one event: a
#: syslog daemon that starts late stamps a boot's lines when it reads them.
SAME_LOAD = pd.Timedelta(minutes=10)

def stream_of(source: str) -> str:
    """The stream a source file belongs to: its directory and rotated-set base name.

    >>> stream_of("logs/var/log/messages.1") == stream_of("logs/var/log/messages")
    True
    >>> stream_of("logs/var/log/messages") == stream_of("logs/var/log/kern.log")
    False
    """
    head, base = posixpath.split(str(source))
    return f"{head}/{rotation_key(base)[0]}"


def same_text(messages: pd.Series) -> pd.Series:
    """The text copies share: the message without the ``[uptime]`` prefix and outer blanks."""
    return messages.fillna("").astype(str).str.replace(UPTIME_PREFIX, "", regex=True).str.strip()


def event_numbers(
    rows: pd.DataFrame, tolerance: pd.Timedelta = COPY_TOLERANCE, *,
    text: pd.Series | None = None, stream: pd.Series | None = None,
) -> np.ndarray:
    """For each row (``time``, ``message``, ``source``, optional ``kind``), its event's number.

    Copies of one event share the number: the position of the event's first row in ``rows``.
    ``text`` and ``stream`` replace the columns the rule reads, for callers whose rows carry
    them otherwise.

    >>> t = pd.to_datetime(["2017-04-27 00:03:26.999", "2017-04-27 00:03:27.000",
    ...                     "2017-04-27 00:03:27.000"], utc=True)
    >>> rows = pd.DataFrame({"time": t, "message": ["table full"] * 3,
    ...                      "source": ["journal.json", "kern.log", "kern.log"]})
    >>> event_numbers(rows).tolist()
    [0, 0, 2]
    """
    n = len(rows)
    out = np.arange(n, dtype=np.int64)
    if n < 2:
        return out
    if stream is None:
        codes, names = pd.factorize(rows["source"].fillna("").astype(str).to_numpy())
        stream_code = pd.factorize(np.array([stream_of(n) for n in names], dtype=object)
                                   )[0][codes] if len(names) else codes
    else:
        stream_code = pd.factorize(stream.astype(str).to_numpy())[0]
    if len(np.unique(stream_code)) < 2:
        return out  # one stream: every row is an event of its own
    words = (same_text(rows["message"]) if text is None else text.astype(str)).to_numpy()
    if "kind" in rows:
        words = rows["kind"].fillna("").astype(str).to_numpy() + "\x00" + words
    times = rows["time"]
    ns = np.where(times.isna().to_numpy(), NAT,
                  times.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
                  .astype("int64"))
    text_code = pd.factorize(words)[0]
    timed = ns != NAT
    # only texts held by two streams or more can have copies
    pairs = pd.DataFrame({"t": text_code[timed], "s": stream_code[timed]}).drop_duplicates()
    shared = pairs["t"].value_counts()
    shared = shared.index[shared.to_numpy() > 1].to_numpy()
    if not len(shared):
        return out
    pick = np.flatnonzero(timed & np.isin(text_code, shared))
    order = pick[np.lexsort((pick, ns[pick], stream_code[pick], text_code[pick]))]
    tol = int(tolerance.value)
    bounds = np.flatnonzero(np.diff(text_code[order])) + 1
    for group in np.split(order, bounds):
        _match_group(group, ns, stream_code, tol, out)
    return out


def _match_group(group: np.ndarray, ns: np.ndarray, stream_code: np.ndarray, tol: int,
                 out: np.ndarray) -> None:
    """Match one text's rows, stream by stream (largest first), writing event numbers."""
    codes = stream_code[group]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    streams = np.split(group, bounds)
    streams.sort(key=lambda s: (-len(s), int(s.min())))
    first = streams[0]
    ev_t = ns[first].tolist()          # each event's time: its first copy's
    ev_id = first.tolist()
    for rows in streams[1:]:
        times = ns[rows].tolist()
        ids = rows.tolist()
        new_t: list[int] = []
        new_id: list[int] = []
        i = 0
        for t, row in zip(times, ids, strict=True):
            while i < len(ev_t) and ev_t[i] < t - tol:
                i += 1
            if i < len(ev_t) and ev_t[i] <= t + tol:
                out[row] = out[ev_id[i]]
                i += 1  # this event now has a row of this stream
            else:
                new_t.append(t)
                new_id.append(row)
        if new_t:
            merged = sorted(zip(ev_t + new_t, ev_id + new_id, strict=True))
            ev_t = [t for t, _ in merged]
            ev_id = [r for _, r in merged]
    # an event's number is its earliest row's position
    firsts: dict[int, int] = {}
    for row in group.tolist():
        key = int(out[row])
        firsts[key] = min(firsts.get(key, row), row)
    for row in group.tolist():
        out[row] = firsts[int(out[row])]


def latest_time(times: pd.Series) -> pd.Series:
    """The latest moment each stamp can stand for: a whole-second stamp, its second's end.

    Syslog truncates to the second, so its ``10:00:01`` may be any moment up to
    ``10:00:01.999999999``; a stamp with a fraction stands for itself.
    """
    whole = (times.dt.floor("s") == times).fillna(False)
    return times + pd.to_timedelta(whole.astype("int64") * (10**9 - 1), unit="ns")


def one_per_event(rows: pd.DataFrame, tolerance: pd.Timedelta = COPY_TOLERANCE, *,
                  text: pd.Series | None = None) -> pd.DataFrame:
    """One row per event, in ``rows``' order: the earliest copy, a whole second read as its end.

    Syslog truncates to the second: its ``10:00:01`` stands for a moment up to
    ``10:00:01.999``, so the journal's or the kernel ring's ``10:00:01.370`` for the same line
    is the better time, and the journal's ``10:00:00.998`` (stamped a moment before syslog
    wrote ``10:00:01``) the earlier one. A syslog daemon that started late stamps a boot's
    lines late; the ring does not. Ties: the first in ``rows``.
    """
    if len(rows) < 2:
        return rows
    numbers = event_numbers(rows, tolerance, text=text)
    if (numbers == np.arange(len(rows))).all():
        return rows
    key = pd.DataFrame({"n": numbers, "t": latest_time(rows["time"]).to_numpy(),
                        "pos": np.arange(len(rows))})
    first = key.sort_values(["n", "t", "pos"], kind="mergesort", na_position="last") \
        .drop_duplicates("n")["pos"].to_numpy()
    return rows.iloc[np.sort(first)]


__all__ = ["COPY_TOLERANCE", "SAME_LOAD", "event_numbers", "latest_time", "one_per_event",
           "same_text", "stream_of"]
