"""Dated evidence, indexed once, for the year of every yearless set (:mod:`.years`).

A yearless set takes the year that puts its span closest to the dated evidence of its host,
its own files left out (:func:`.year_clues.year_from_evidence`). Gathering that evidence anew
for each set compared every source with every other: a tree of 10,000 small files spent most
of its time there. Here each host's evidence is sorted once (:class:`DatedIndex`); a set asks
for a view without its own inputs (:class:`DatedView`), whose questions (which years, how far
from a span) step over the left-out times instead of copying the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Dated:
    """Dated evidence for other sets' years: whose, from which inputs, and the times."""

    host: str | None
    name: str
    inputs: frozenset[int]  # the ``index`` of the inputs it comes from
    stamps: np.ndarray  # UTC nanoseconds since 1970
    host_only: bool = False  # a year read from lines: evidence for its own host's sets only


@dataclass
class _Sorted:
    """Some evidence's times sorted, each with the position of its :class:`Dated`."""

    members: list[int]  # positions in the evidence list
    member_set: frozenset[int]
    ns: np.ndarray
    who: np.ndarray
    years: Counter[int]  # how many times fall in each UTC year
    names: list[tuple[str, int]]  # the members' names, sorted, and how many members have each
    hosts: list[tuple[str, int]]  # the same for their hosts
    _by_member: dict[int, Counter[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, evidence: Sequence[Dated], members: list[int]) -> _Sorted:
        ns = np.concatenate([evidence[m].stamps for m in members]) if members \
            else np.zeros(0, dtype=np.int64)
        who = np.repeat(np.array(members, dtype=np.int64),
                        [len(evidence[m].stamps) for m in members])
        order = np.argsort(ns, kind="stable")
        ns, who = ns[order], who[order]
        year_of = pd.DatetimeIndex(ns.view("datetime64[ns]")).year
        names = Counter(evidence[m].name for m in members)
        hosts = Counter(str(evidence[m].host) for m in members)
        return cls(members, frozenset(members), ns, who, Counter(year_of.tolist()),
                   sorted(names.items()), sorted(hosts.items()))

    def years_of(self, member: int, evidence: Sequence[Dated]) -> Counter[int]:
        """How many times of one member fall in each year.

        Counted from the member's own times: a set leaves out its own members, and scanning
        every time for each would compare every source with every other again.
        """
        if member not in self._by_member:
            years = pd.DatetimeIndex(evidence[member].stamps.view("datetime64[ns]")).year
            self._by_member[member] = Counter(years.tolist())
        return self._by_member[member]


class DatedView:
    """An index's evidence without some of its members: what one set may use."""

    def __init__(self, index: _Sorted, skip: set[int], evidence: Sequence[Dated]) -> None:
        self._index = index
        self._evidence = evidence
        self._skip = skip & index.member_set
        self._skipped = np.array(sorted(self._skip), dtype=np.int64)

    def __bool__(self) -> bool:
        return len(self._index.members) > len(self._skip)

    def years(self) -> list[int]:
        """The years its times fall in, sorted."""
        left = Counter(self._index.years)
        for m in self._skip:
            left.subtract(self._index.years_of(m, self._evidence))
        return sorted(y for y, n in left.items() if n > 0)

    def names(self, most: int = 3) -> list[str]:
        """The first ``most`` names of its evidence, sorted."""
        return self._first(self._index.names, [self._evidence[m].name for m in self._skip],
                           most)

    def hosts(self, most: int = 3) -> list[str]:
        """The first ``most`` hosts of its evidence, sorted."""
        return self._first(self._index.hosts,
                           [str(self._evidence[m].host) for m in self._skip], most)

    @staticmethod
    def _first(counted: list[tuple[str, int]], left_out: list[str], most: int) -> list[str]:
        gone = Counter(left_out)
        out: list[str] = []
        for name, n in counted:
            if n > gone[name]:
                out.append(name)
                if len(out) == most:
                    break
        return out

    def distance(self, lo: int, hi: int) -> float:
        """Nanoseconds from ``[lo, hi]`` to the nearest time (0 when one is inside)."""
        ns = self._index.ns
        i = int(np.searchsorted(ns, lo))
        after = self._kept(i, 1)
        if after is not None and ns[after] <= hi:
            return 0.0
        before = self._kept(i - 1, -1)
        return min(float(lo - ns[before]) if before is not None else float("inf"),
                   float(ns[after] - hi) if after is not None else float("inf"))

    def _kept(self, i: int, step: int) -> int | None:
        """The first position from ``i`` on (``step`` 1) or back (-1) not left out."""
        who, n = self._index.who, len(self._index.who)
        if not len(self._skipped):
            return i if 0 <= i < n else None
        while 0 <= i < n:  # (in windows: the left-out times may be many in a row)
            window = who[i:i + 256] if step > 0 else who[max(i - 255, 0):i + 1][::-1]
            kept = np.flatnonzero(~np.isin(window, self._skipped))
            if len(kept):
                return i + step * int(kept[0])
            i += step * len(window)
        return None


class DatedIndex:
    """Every dated evidence of a run, sorted once per host (and once for all hosts)."""

    def __init__(self, evidence: list[Dated]) -> None:
        self.evidence = evidence  # (added to while sets are decided: indexed again then)
        self._indexed = -1
        self._cache: dict[tuple[str, frozenset[str]], _Sorted] = {}
        self._by_input: dict[int, list[int]] = {}
        self._by_host: dict[str | None, list[int]] = {}

    def _index(self) -> None:
        if self._indexed == len(self.evidence):
            return
        self._cache, self._by_input, self._by_host = {}, {}, {}
        for k, d in enumerate(self.evidence):
            self._by_host.setdefault(d.host, []).append(k)
            for i in d.inputs:
                self._by_input.setdefault(i, []).append(k)
        self._indexed = len(self.evidence)

    def view(self, inputs: Iterable[int], hosts: set[str], *, other_hosts: bool = False
             ) -> DatedView:
        """The evidence a set of ``inputs`` whose lines name ``hosts`` may use.

        A set whose lines name no host takes any host's evidence that is not only its own
        host's (nothing with ``other_hosts``); else its hosts' evidence, or with
        ``other_hosts`` the evidence of other hosts that is not only theirs. Evidence from
        the set's own inputs is left out.
        """
        self._index()
        kind = "any" if not hosts else ("other" if other_hosts else "same")
        key = (kind, frozenset(hosts))
        if key not in self._cache:
            self._cache[key] = _Sorted.of(self.evidence, self._members(kind, hosts))
        skip = {k for i in inputs for k in self._by_input.get(i, ())}
        return DatedView(self._cache[key], skip, self.evidence)

    def _members(self, kind: str, hosts: set[str]) -> list[int]:
        ev = self.evidence
        if kind == "any":
            return [k for k, d in enumerate(ev) if not d.host_only]
        if kind == "other":
            return [k for k, d in enumerate(ev) if d.host not in hosts and not d.host_only]
        return sorted(k for h in hosts for k in self._by_host.get(h, ()))
