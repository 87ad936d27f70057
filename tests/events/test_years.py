"""Year inference (CONTRACT section 1)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.events.years import rollover_offsets
from tests.conftest import set_mtime

DROP = "bogon kernel: nf_conntrack: table full, dropping packet."


def test_rollover_offsets() -> None:
    assert rollover_offsets(np.array([12, 12, 1, 1, 12, 1])).tolist() == [0, 0, 1, 1, 1, 2]
    assert rollover_offsets(np.array([5, 4, 5])).tolist() == [0, 0, 0]


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
