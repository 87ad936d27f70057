"""Dated evidence indexed once answers as the evidence filtered anew for each set would."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conntrack_forensics.events.dated import Dated, DatedIndex

DAY = 86_400 * 10**9
START = pd.Timestamp("2022-11-01", tz="UTC").value

evidence_st = st.lists(st.tuples(
    st.sampled_from([None, "web1", "web2", "db"]),  # host
    st.sets(st.integers(0, 6), min_size=1, max_size=2),  # inputs
    st.lists(st.integers(0, 900), min_size=1, max_size=6),  # days after START
    st.booleans(),  # host_only
), max_size=8)


def _brute(evidence: list[Dated], inputs: set[int], hosts: set[str], other_hosts: bool
           ) -> list[Dated]:
    """The pool as years.py built it before the index: a filter over every evidence."""
    others = [d for d in evidence if not d.inputs & inputs]
    if not hosts:
        return [] if other_hosts else [d for d in others if not d.host_only]
    if other_hosts:
        return [d for d in others if d.host not in hosts and not d.host_only]
    return [d for d in others if d.host in hosts]


@settings(max_examples=300, deadline=None)
@given(evidence_st, st.sets(st.integers(0, 6), max_size=3),
       st.sets(st.sampled_from(["web1", "web2", "db"]), max_size=2), st.booleans(),
       st.lists(st.tuples(st.integers(-50, 950), st.integers(0, 40)), max_size=4))
def test_view_matches_filtering_every_evidence(
        raw: list, inputs: set[int], hosts: set[str], other_hosts: bool,
        spans: list[tuple[int, int]]) -> None:
    evidence = [Dated(h, f"src{k % 3}", frozenset(i), START + np.array(days) * DAY, only)
                for k, (h, i, days, only) in enumerate(raw)]
    pool = _brute(evidence, inputs, hosts, other_hosts)
    if not hosts and other_hosts:
        return  # years.py asks nothing then
    view = DatedIndex(evidence).view(inputs, hosts, other_hosts=other_hosts)
    assert bool(view) == bool(pool)
    if not pool:
        return
    stamps = np.sort(np.concatenate([d.stamps for d in pool]))
    years = sorted(set(pd.DatetimeIndex(stamps.view("datetime64[ns]")).year.tolist()))
    assert view.years() == years
    assert view.names() == sorted({d.name for d in pool})[:3]
    assert view.hosts() == sorted({str(d.host) for d in pool})[:3]
    for start, length in spans:
        lo, hi = START + start * DAY, START + (start + length) * DAY
        i = int(np.searchsorted(stamps, lo))
        if i < len(stamps) and stamps[i] <= hi:
            expected = 0.0
        else:
            expected = min(float(lo - stamps[i - 1]) if i > 0 else float("inf"),
                           float(stamps[i] - hi) if i < len(stamps) else float("inf"))
        assert view.distance(lo, hi) == expected


def test_evidence_added_later_is_indexed() -> None:
    index = DatedIndex([Dated("web1", "a", frozenset({0}), np.array([START]))])
    assert index.view({5}, {"web1"}).years() == [2022]
    index.evidence.append(Dated("web1", "b", frozenset({1}), np.array([START + 400 * DAY])))
    assert index.view({5}, {"web1"}).years() == [2022, 2023]
