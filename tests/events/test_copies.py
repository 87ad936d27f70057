"""The one rule for "the same event in several sources" (events/copies.py)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conntrack_forensics.events.copies import (
    COPY_TOLERANCE,
    event_numbers,
    one_per_event,
    stream_of,
)

T0 = pd.Timestamp("2024-03-12 14:22:09", tz="UTC")
DROP = "nf_conntrack: nf_conntrack: table full, dropping packet"


def _rows(*streams: tuple[str, list[float], str]) -> pd.DataFrame:
    parts = [pd.DataFrame({"time": [T0 + pd.Timedelta(seconds=s) for s in secs],
                           "message": text, "source": source})
             for source, secs, text in streams]
    return pd.concat(parts, ignore_index=True)


def _events(rows: pd.DataFrame) -> int:
    return len(set(event_numbers(rows).tolist()))


def test_a_copy_across_a_second_boundary_is_one_event() -> None:
    rows = _rows(("journal.json", [0.998], DROP), ("var/log/kern.log", [1.0], DROP))
    assert _events(rows) == 1


def test_copies_are_matched_one_to_one() -> None:
    # three drops in one source, five in another, in the same second: five drops
    rows = _rows(("journal.json", [0.1, 0.2, 0.3, 0.4, 0.5], DROP),
                 ("var/log/kern.log", [0.0, 0.0, 0.0], DROP))
    assert _events(rows) == 5


def test_one_stream_never_holds_two_copies_of_one_event() -> None:
    rows = _rows(("var/log/kern.log", [0.0, 0.0, 0.0], DROP))
    assert _events(rows) == 3


def test_rotated_files_of_one_set_are_one_stream() -> None:
    # a flood split at rotation: the last second of messages.1 and the first of messages
    rows = _rows(("var/log/messages.1", [0.0, 0.0], DROP), ("var/log/messages", [0.0], DROP))
    assert stream_of("var/log/messages.1") == stream_of("var/log/messages")
    assert _events(rows) == 3


def test_different_text_or_distance_is_not_a_copy() -> None:
    tol = COPY_TOLERANCE.total_seconds()
    rows = _rows(("journal.json", [0.0], DROP), ("var/log/kern.log", [tol + 0.5], DROP),
                 ("var/log/syslog", [0.0], "net_ratelimit: 312 callbacks suppressed"))
    assert _events(rows) == 3


def test_uptime_prefix_is_not_part_of_the_text() -> None:
    rows = _rows(("journal.json", [0.0], DROP),
                 ("var/log/kern.log", [0.0], f"[22929.981204] {DROP}"))
    assert _events(rows) == 1


def test_one_per_event_keeps_the_earliest_copy() -> None:
    rows = _rows(("var/log/kern.log", [1.0], DROP), ("journal.json", [0.998], DROP))
    kept = one_per_event(rows)
    assert kept["source"].tolist() == ["journal.json"]


def test_rows_without_a_time_are_each_their_own_event() -> None:
    rows = pd.DataFrame({"time": pd.to_datetime([None, None], utc=True), "message": DROP,
                         "source": ["a", "b"]})
    assert _events(rows) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 60), min_size=1, max_size=40),
       st.lists(st.floats(-1.9, 1.9), min_size=40, max_size=40),
       st.integers(0, 40))
def test_a_jittered_copy_of_a_stream_adds_nothing(
    times: list[float], jitter: list[float], missing: int
) -> None:
    """Every line of B is a line of A stamped up to 1.9 s off: the events are A's lines.

    A matching of every B line exists (each with its own A line), so one that pairs as many
    rows as any must pair them all.
    """
    a = sorted(times)
    b = sorted(t + j for t, j in zip(a, jitter, strict=False))
    b = b[: max(0, len(b) - missing)]  # B may have lost its last lines
    rows = _rows(("journal.json", a, DROP), ("var/log/kern.log", b, DROP))
    assert _events(rows) == len(a)
