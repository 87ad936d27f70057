"""Year inference and zones (CONTRACT section 1)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.timeutil import parse_tz, rollover_offsets, tz_name, wall_times
from tests.conftest import set_mtime

DROP = "bogon kernel: nf_conntrack: table full, dropping packet."


def test_parse_tz() -> None:
    assert tz_name(parse_tz("Asia/Shanghai")) == "Asia/Shanghai"
    assert tz_name(parse_tz("+08:00")) == "+08:00"
    assert tz_name(parse_tz("-0530")) == "-05:30"
    assert tz_name(parse_tz("UTC")) == "UTC"
    with pytest.raises(cf.UsageError):
        parse_tz("Mars/Olympus")


def test_rollover_offsets() -> None:
    assert rollover_offsets(np.array([12, 12, 1, 1, 12, 1])).tolist() == [0, 0, 1, 1, 1, 2]
    assert rollover_offsets(np.array([5, 4, 5])).tolist() == [0, 0, 0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1900, 2100), st.integers(1, 12), st.integers(1, 31),
                          st.integers(0, 86400), st.integers(0, 999_999)), min_size=1))
def test_wall_times_agree_with_pandas(rows: list[tuple[int, int, int, int, int]]) -> None:
    """Dates that do not exist (Feb 29, Apr 31) are missing; a leap second runs into the
    next day, as pandas adds it; fractions are exact (pandas may be a nanosecond short)."""
    year, month, day, whole, micro = (np.array(c) for c in zip(*rows, strict=True))
    sod = whole + micro / 1e6
    stamps, missing = wall_times(year, month, day, sod)
    expected = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}),
                              errors="coerce") + pd.to_timedelta(sod, unit="s")
    assert missing.tolist() == expected.isna().tolist()
    assert pd.Series(stamps).equals(expected.dt.as_unit("ns").dt.round("us"))


def test_year_from_cli_and_tz_from_cli(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(f"Apr 27 00:03:27 {DROP}\n")
    r = cf.load(p, year=2017, tz="+08:00")
    assert r.events["time"].iloc[0] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert r.events["time_quality"].iloc[0] == "exact"
    assert (r.settings.year, r.settings.year_source) == (2017, "cli")
    assert (r.settings.tz, r.settings.tz_source) == ("+08:00", "cli")


def test_year_from_mtime(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(f"Dec 31 23:59:59 {DROP}\n")
    set_mtime(p, "2019-01-02T00:00:00+00:00")
    r = cf.load(p)
    assert r.events["time"].iloc[0] == pd.Timestamp("2018-12-31T23:59:59Z")
    assert r.events["time_quality"].iloc[0] == "inferred_year"
    assert (r.settings.year, r.settings.year_source) == (2018, "mtime")
    assert r.settings.tz_source == "default"
    assert any("modification time" in m for m in r.diagnostics["message"])


def test_year_from_evidence_beats_mtime(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    p = tmp_path / "var" / "log" / "messages"
    p.write_text(f"Apr 27 00:03:27 {DROP}\n")
    (tmp_path / "root" / ".bash_history").write_text("#1493222601\niptables -t nat -L\n")
    r = cf.load(tmp_path, tz="Asia/Shanghai")
    drop = r.events.loc[r.events["kind"] == "conntrack_drop"].iloc[0]
    assert drop["time"] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert (r.settings.year, r.settings.year_source) == (2017, "evidence")
    assert r.events.loc[r.events["kind"] == "command", "host"].iloc[0] == "bogon"


def test_december_january_rollover_across_rotated_files(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "messages.2.gz", "wt") as fh:
        fh.write(f"Dec 30 10:00:00 {DROP}\n")
    (tmp_path / "messages.1").write_text(f"Dec 31 23:59:59 {DROP}\n")
    (tmp_path / "messages").write_text(f"Jan  1 00:00:01 {DROP}\nJan  2 08:00:00 {DROP}\n")
    for name in ("messages.2.gz", "messages.1", "messages"):
        set_mtime(tmp_path / name, "2018-01-03T00:00:00+00:00")
    r = cf.load(tmp_path)
    years = r.events.sort_values("time")["time"].dt.year.tolist()
    assert years == [2017, 2017, 2018, 2018]
    assert r.settings.year == 2018


def test_default_year_is_not_in_future(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "stdin", __import__("io").TextIOWrapper(
        __import__("io").BytesIO(f"Dec 31 23:59:59 {DROP}\n".encode())))
    r = cf.load("-")
    now = dt.datetime.now(dt.timezone.utc)
    t = r.events["time"].iloc[0]
    assert t <= now and t.year in (now.year, now.year - 1)
    assert r.settings.year_source == "default"


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
