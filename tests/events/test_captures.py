"""Snapshots take their host's capture time; uptime snapshots anchor dmesg (events/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

import conntrack_forensics as cf
from tests.conftest import DATA, set_mtime

DMESG = (
    "[    0.000000] Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bl.rdu2.centos.org)\n"
    "[57000.123456] nf_conntrack: table full, dropping packet.\n"
)


def _sos(root: Path, *, date: str | None = "date_--utc", zone: str | None = None) -> Path:
    for rel, sample in [
        ("sos_commands/kernel/sysctl_-a", "sysctl/sysctl_-a"),
        ("sos_commands/host/uptime", "uptime/uptime_command"),
        ("proc/sys/net/netfilter/nf_conntrack_max", "sysctl/nf_conntrack_max"),
    ] + ([("sos_commands/date/date", f"date/{date}")] if date else []):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / sample, root / rel)
    (root / "sos_commands/kernel/dmesg").write_text(DMESG)
    if zone:
        (root / "etc").mkdir(exist_ok=True)
        (root / "etc/timezone").write_text(zone + "\n")
    return root


def _snap(events: pd.DataFrame, program: str) -> pd.Series:
    rows = events.loc[(events["kind"] == "snapshot") & (events["program"] == program)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_snapshots_take_the_time_of_the_date_beside_them(tmp_path: Path) -> None:
    result = cf.load(_sos(tmp_path / "sosreport-bogon"))
    ev = result.events
    clock = pd.Timestamp("2017-04-27T00:15:02Z")
    for program in ("sysctl", "uptime", "nf_conntrack_max", "date"):
        row = _snap(ev, program)
        assert row["time"] == clock and row["time_quality"] == "exact", program
        assert row["host"] == "bogon" and row["format"] == "snapshot"
    assert _snap(ev, "sysctl")["conntrack_count"] == 65536
    notes = result.diagnostics["message"].tolist()
    assert any(n.startswith("snapshot taken at 2017-04-27T00:15:02+00:00, the time read in")
               for n in notes)


def test_local_date_uses_the_host_zone(tmp_path: Path) -> None:
    ev = cf.load(_sos(tmp_path / "sos", date="date", zone="Asia/Shanghai")).events
    row = _snap(ev, "sysctl")
    assert row["time"] == pd.Timestamp("2017-04-27T00:15:02Z")
    assert row["time_quality"] == "exact"


def test_local_date_without_zone_is_assumed_utc(tmp_path: Path) -> None:
    ev = cf.load(_sos(tmp_path / "sos", date="date")).events
    row = _snap(ev, "sysctl")
    assert row["time"] == pd.Timestamp("2017-04-27T08:15:02Z")
    assert row["time_quality"] == "assumed_tz"


def test_uptime_anchors_dmesg_of_the_same_tree(tmp_path: Path) -> None:
    result = cf.load(_sos(tmp_path / "sos"))
    ev = result.events
    drop = ev.loc[ev["kind"] == "conntrack_drop"].iloc[0]
    boot = pd.Timestamp("2017-04-27T00:15:02Z") - pd.Timedelta(seconds=57600)
    assert drop["time"] == boot + pd.Timedelta(seconds=57000.123456)
    assert drop["time_quality"] == "relative"
    notes = result.diagnostics["message"].tolist()
    assert any("anchored at 2017-04-26T08:15:02+00:00 from the uptime read in" in n
               for n in notes)


def test_uptime_shorter_than_the_ring_is_not_used(tmp_path: Path) -> None:
    root = _sos(tmp_path / "sos")
    (root / "sos_commands/host/uptime").write_text(
        " 08:15:02 up 5 min,  1 user,  load average: 0.00, 0.01, 0.05\n")
    result = cf.load(root)
    assert any(n.startswith("no boot time in the evidence")
               for n in result.diagnostics["message"])


def test_snapshot_without_a_clock_is_bounded_by_its_mtime(tmp_path: Path) -> None:
    root = _sos(tmp_path / "sos", date=None)
    set_mtime(root / "sos_commands/kernel/sysctl_-a", "2017-04-27T00:20:00+00:00")
    result = cf.load(root)
    row = _snap(result.events, "sysctl")
    assert pd.isna(row["time"]) and row["time_quality"] == "unknown"
    assert row["not_after"] == pd.Timestamp("2017-04-27T00:20:00Z")
    assert any(n.startswith("snapshot without a capture time")
               for n in result.diagnostics["message"])


def test_two_reports_do_not_share_clocks(tmp_path: Path) -> None:
    _sos(tmp_path / "logs" / "sosreport-a")
    b = _sos(tmp_path / "logs" / "sosreport-b", date=None)
    ev = cf.load(tmp_path / "logs").events
    rows = ev.loc[(ev["program"] == "sysctl")]
    times = dict(zip(rows["source"].str.contains("sosreport-b"), rows["time"], strict=True))
    assert times[False] == pd.Timestamp("2017-04-27T00:15:02Z") and pd.isna(times[True])
    assert b.exists()
