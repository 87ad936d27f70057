"""Zones of zone-less times (CONTRACT section 1): --tz, the evidence, else assumed UTC."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import conntrack_forensics as cf

DROP = "bogon kernel: nf_conntrack: table full, dropping packet."


def test_zone_from_sysconfig_clock(tmp_path: Path) -> None:
    (tmp_path / "etc" / "sysconfig").mkdir(parents=True)
    (tmp_path / "etc" / "sysconfig" / "clock").write_text('ZONE="Asia/Shanghai"\n')
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(f"Apr 27 00:03:27 {DROP}\n")
    r = cf.load(tmp_path, year=2017)
    assert r.events["time"].iloc[0] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert (r.settings.tz, r.settings.tz_source) == ("Asia/Shanghai", "evidence")


def test_zone_from_localtime_symlink(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "localtime").symlink_to("../usr/share/zoneinfo/Europe/Berlin")
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(f"Jul  1 12:00:00 {DROP}\n")
    r = cf.load(tmp_path, year=2020)
    assert r.events["time"].iloc[0] == pd.Timestamp("2020-07-01T10:00:00Z")
    assert r.settings.tz == "Europe/Berlin"


def test_assumed_utc_is_marked(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(f"Apr 27 00:03:27 {DROP}\n")
    r = cf.load(p, year=2017)
    assert r.events["time_quality"].iloc[0] == "assumed_tz"
    assert (r.settings.tz, r.settings.tz_source) == ("UTC", "default")


def test_rfc3339_offsets_are_exact(tmp_path: Path) -> None:
    p = tmp_path / "syslog"
    p.write_text(f"2024-03-14T17:12:03.5+08:00 {DROP}\n")
    r = cf.load(p)
    assert r.events["time"].iloc[0] == pd.Timestamp("2024-03-14T09:12:03.5Z")
    assert r.events["time_quality"].iloc[0] == "exact"
