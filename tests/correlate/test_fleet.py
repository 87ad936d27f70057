"""Hosts that dropped together (fleet.py)."""

from __future__ import annotations

from pathlib import Path

import conntrack_forensics as cf

DROP = "kernel: nf_conntrack: table full, dropping packet."


def _host(root: Path, host: str, times: list[str]) -> None:
    (root / host / "var/log").mkdir(parents=True)
    (root / host / "var/log/messages").write_text(
        "".join(f"Apr 27 {t} {host} {DROP}\n" for t in times))


def test_overlapping_incidents_of_several_hosts_form_one_window(tmp_path: Path) -> None:
    _host(tmp_path, "gw1", ["00:03:00", "00:03:30", "00:06:00"])
    _host(tmp_path, "web1", ["00:05:00", "00:05:01"])
    _host(tmp_path, "web2", ["00:10:59"])            # within the gap of gw1's last drop
    _host(tmp_path, "db1", ["03:00:00"])             # hours later: alone
    a = cf.analyze(tmp_path, year=2017, tz="UTC")
    (window,) = a.to_dict()["fleet"]
    assert window["hosts"] == ["gw1", "web1", "web2"]
    assert (window["start"], window["end"]) == ("2017-04-27T00:03:00Z", "2017-04-27T00:10:59Z")
    assert window["drops_logged"] == 6
    assert window["incidents"] == ["gw1-20170427T000300Z", "web1-20170427T000500Z",
                                   "web2-20170427T001059Z"]
    assert "Hosts that dropped together" in a.to_markdown()
    assert 'id="fleet"' in a.to_html()


def test_one_host_is_no_fleet(tmp_path: Path) -> None:
    _host(tmp_path, "gw1", ["00:03:00", "01:03:00"])
    a = cf.analyze(tmp_path, year=2017, tz="UTC")
    assert len(a.incidents) == 2 and a.to_dict()["fleet"] == []
    assert "Hosts that dropped together" not in a.to_markdown()
