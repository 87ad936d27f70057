"""Plain messages kept as per-host, per-minute counts by default (parsers/background.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import conntrack_forensics as cf
from tests.conftest import SAMPLES

LINES = [
    "Apr 27 00:01:01 web1 crond[1]: (root) CMD (run-parts /etc/cron.hourly)",
    "Apr 27 00:01:02 web1 ntpd[2]: clock_sync",
    "Apr 27 00:01:03 web2 ntpd[2]: clock_sync",           # another host: its own run
    "Apr 27 00:01:04 web1 ntpd[2]: clock_sync",
    "Apr 27 00:01:05 web1 kernel: nf_conntrack: table full, dropping packet.",
    "Apr 27 00:01:59 web1 ntpd[2]: clock_sync",           # same minute: still the run
    "Apr 27 00:02:00 web1 ntpd[2]: clock_sync",           # next minute: a lone line
    "Apr 27 00:03:00 web1 ntpd[2]: a",
    "Apr 27 00:03:01 web1 ntpd[2]: b",
]


def test_runs_of_one_host_and_minute_become_counts(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("".join(x + "\n" for x in LINES))
    ev = cf.load(log, year=2017, tz="UTC").events
    rows = [(r.kind, r.host, int(r.count), r.message, int(r.line)) for r in ev.itertuples()]
    assert sorted(rows, key=lambda r: r[4]) == [
        ("message", "web2", 1, "clock_sync", 3),
        ("conntrack_drop", "web1", 1, "nf_conntrack: table full, dropping packet.", 5),
        ("background", "web1", 4, "4 plain lines", 6),
        ("message", "web1", 1, "clock_sync", 7),
        ("background", "web1", 2, "2 plain lines", 9),
    ]
    full = cf.load(log, year=2017, tz="UTC", full=True).events
    assert len(full) == len(LINES)
    assert int(ev["count"].sum()) == int(full["count"].sum())


@pytest.mark.parametrize("case", sorted(p.parent for p in SAMPLES.glob("*/expected.json")),
                         ids=lambda p: p.name)
def test_incidents_are_the_same_with_and_without_every_line(case: Path) -> None:
    short = cf.analyze(case).to_dict()
    full = cf.analyze(case, full=True).to_dict()
    for a, b in zip(short["incidents"], full["incidents"], strict=True):
        assert a == b  # timeline included: plain lines are never in it
    inputs = {i["path"]: i for i in full["inputs"]}
    for i in short["inputs"]:
        assert i["records"] == inputs[i["path"]]["records"]
        assert i["events"] <= inputs[i["path"]]["events"]
