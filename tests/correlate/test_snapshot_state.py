"""Snapshots in the correlator: table size, and whether conntrack was loaded before."""

from __future__ import annotations

from pathlib import Path

import conntrack_forensics as cf
from tests.conftest import DATA

DROP = "kernel: nf_conntrack: table full, dropping packet."


def _host(root: Path, snapshot: str, date: str, drops_at: str = "00:03") -> Path:
    (root / "var/log").mkdir(parents=True)
    (root / "var/log/messages").write_text("".join(
        f"Apr 27 {drops_at}:{s:02d} bogon {DROP}\n" for s in range(5)))
    (root / "etc").mkdir()
    (root / "etc/timezone").write_text("UTC\n")
    snap = root / "sos_commands" / "kernel"
    snap.mkdir(parents=True)
    text = (DATA / snapshot).read_text().replace("web2.example.com", "bogon")
    (snap / Path(snapshot).name).write_text(text)
    (snap / "date").write_text(date + "\n")
    return root


def test_snapshot_showing_no_conntrack_before_the_drops_means_autoload(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/sysctl_-a_without_conntrack",
                 "Wed Apr 26 23:50:00 UTC 2017")
    (inc,) = cf.analyze(root, year=2017).incidents
    assert inc.cause == "module_autoload"
    assert inc.cause_reasons[0].startswith("conntrack was not loaded at 2017-04-26T23:50:00Z")
    assert "780 s before the first drop" in inc.cause_reasons[0]


def test_loaded_snapshot_long_before_means_capacity_and_gives_the_size(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/sysctl_-a", "Wed Apr 26 08:00:00 UTC 2017")
    (inc,) = cf.analyze(root, year=2017).incidents
    assert inc.cause == "capacity"
    assert (inc.conntrack_max, inc.conntrack_buckets) == (65536, 16384)
    assert "2017-04-26T08:00:00Z" in inc.cause_reasons[0]


def test_snapshot_after_the_incident_stands_for_the_size(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/sysctl_-a", "Thu Apr 27 09:00:00 UTC 2017")
    (inc,) = cf.analyze(root, year=2017).incidents
    assert (inc.conntrack_max, inc.conntrack_buckets) == (65536, 16384)


def test_size_after_a_sysctl_change_is_not_taken(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/sysctl_-a", "Thu Apr 27 09:00:00 UTC 2017")
    with (root / "var/log/messages").open("a") as fh:
        fh.write("Apr 27 08:00:00 bogon root: sysctl net.netfilter.nf_conntrack_max = 65536\n")
    (inc,) = cf.analyze(root, year=2017).incidents
    assert inc.conntrack_max is None


def test_fill_from_the_nearest_snapshot(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/sysctl_-a", "Thu Apr 27 09:00:00 UTC 2017")
    inc = cf.analyze(root, year=2017).to_dict()["incidents"][0]
    assert inc["conntrack_count"] == 65536
    assert inc["conntrack_count_time"] == "2017-04-27T09:00:00Z"
    assert inc["conntrack_count_source"].endswith("sos_commands/kernel/sysctl_-a:41")


def test_size_set_by_a_command_before_the_drops(tmp_path: Path) -> None:
    root = _host(tmp_path / "h", "sysctl/nf_conntrack_max", "Thu Apr 27 09:00:00 UTC 2017")
    (root / "root").mkdir()
    (root / "root/.bash_history").write_text(
        "#1493250000\nsysctl -w net.netfilter.nf_conntrack_max=32768\n")  # 2017-04-26T23:40Z
    (inc,) = cf.analyze(root, year=2017).incidents
    assert inc.conntrack_max == 32768
    assert inc.conntrack_count is None
