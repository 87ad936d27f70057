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


def _host_root(root: Path, *, localtime: str | None = None, timezone: str | None = None,
               line: str = f"Apr 27 00:03:27 {DROP}") -> None:
    (root / "etc").mkdir(parents=True)
    if localtime is not None:
        (root / "etc" / "localtime").symlink_to(f"../usr/share/zoneinfo/{localtime}")
    if timezone is not None:
        (root / "etc" / "timezone").write_text(f"{timezone}\n")
    (root / "var" / "log").mkdir(parents=True)
    (root / "var" / "log" / "messages").write_text(line + "\n")


def test_zone_the_tz_database_lacks_is_a_warning_and_utc_is_assumed(tmp_path: Path) -> None:
    _host_root(tmp_path, localtime="Mars/Olympus_Mons")
    r = cf.load(tmp_path, year=2017)  # no UsageError: the zone is evidence, not a setting
    assert r.events["time"].iloc[0] == pd.Timestamp("2017-04-27T00:03:27Z")
    assert r.events["time_quality"].iloc[0] == "assumed_tz"
    assert (r.settings.tz, r.settings.tz_source) == ("UTC", "default")
    warn = r.diagnostics.loc[r.diagnostics["message"].str.contains("Mars/Olympus_Mons")]
    assert list(warn["level"].astype(str)) == ["warning"]
    assert warn["path"].iloc[0].endswith("etc/localtime")
    assert "cannot be loaded" in warn["message"].iloc[0]
    assert "UTC (assumed" in warn["message"].iloc[0]


def test_unloadable_zone_falls_back_to_another_zone_named_for_the_host(tmp_path: Path) -> None:
    _host_root(tmp_path / "a" / "bogon", localtime="Mars/Olympus_Mons")
    _host_root(tmp_path / "b" / "bogon", localtime="Asia/Shanghai",
               line=f"Apr 27 00:04:27 {DROP}")
    r = cf.load(tmp_path, year=2017)
    assert sorted(r.events["time"]) == [pd.Timestamp("2017-04-26T16:03:27Z"),
                                        pd.Timestamp("2017-04-26T16:04:27Z")]
    assert (r.settings.tz, r.settings.tz_source) == ("Asia/Shanghai", "evidence")
    warn = r.diagnostics.loc[r.diagnostics["level"].astype(str) == "warning"]
    assert len(warn) == 1
    assert warn["path"].iloc[0].endswith("a/bogon/etc/localtime")
    assert "Mars/Olympus_Mons" in warn["message"].iloc[0]
    assert "used Asia/Shanghai" in warn["message"].iloc[0]


def test_directory_named_as_a_zone_does_not_crash(tmp_path: Path) -> None:
    _host_root(tmp_path, localtime="America")
    r = cf.load(tmp_path, year=2017)
    assert r.settings.tz_source == "default"
    assert r.diagnostics["message"].str.contains("'America'").any()


def test_a_stated_time_that_cannot_be_held_is_a_counted_warning(tmp_path) -> None:
    """Feb 31 leaves its row without a time, the year 3017 its line unread; both are counted."""
    from conntrack_forensics.events.load import load

    log = tmp_path / "syslog"
    log.write_text(
        "2024-02-29T10:00:00.000000+00:00 web1 kernel: nf_conntrack: table full, dropping packet\n"
        "2024-02-31T10:00:01.000000+00:00 web1 kernel: nf_conntrack: table full, dropping packet\n"
        "3017-04-27T08:15:03.000000+00:00 web1 kernel: nf_conntrack: table full, dropping packet\n",
        encoding="utf-8")
    result = load([log])
    drops = result.events.loc[result.events["kind"] == "conntrack_drop"]
    assert drops["time"].notna().sum() == 1 and len(drops) <= 3
    warned = [d for d in result.diag.rows if "1678-2261" in d.message]
    assert sum(d.count for d in warned) == 2
