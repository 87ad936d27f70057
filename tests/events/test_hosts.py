"""Host names: from the line, the host's configuration, the only host in sight, or --host."""

from __future__ import annotations

from pathlib import Path

import conntrack_forensics as cf

DROP = "kernel: nf_conntrack: table full, dropping packet."


def test_history_takes_host_from_its_scope(tmp_path: Path) -> None:
    for host in ("web1", "web2"):
        (tmp_path / host / "var" / "log").mkdir(parents=True)
        (tmp_path / host / "root").mkdir()
        messages = tmp_path / host / "var" / "log" / "messages"
        messages.write_text(f"Apr 27 00:03:27 {host} {DROP}\n")
        (tmp_path / host / "root" / ".bash_history").write_text("#1493222601\nuptime\n")
    ev = cf.load(tmp_path, year=2017).events
    cmds = ev.loc[ev["kind"] == "command"].sort_values("source")
    assert cmds["host"].tolist() == ["web1", "web2"]


def test_hostname_file_names_the_host(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("db7.example.org\n")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / ".bash_history").write_text("#1493222601\nuptime\n")
    ev = cf.load(tmp_path).events
    assert ev["host"].tolist() == ["db7"]


def test_host_option_fills_and_filters(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "messages").write_text(f"Apr 27 00:03:27 web1 {DROP}\n")
    (tmp_path / "b" / "messages").write_text(f"Apr 27 00:03:27 web2 {DROP}\n")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / ".bash_history").write_text("#1493222601\nuptime\n")
    both = cf.analyze(tmp_path, year=2017)
    assert [i.host for i in both.incidents] == ["web1", "web2"]
    assert both.events.loc[both.events["kind"] == "command", "host"].isna().all()
    only = cf.analyze(tmp_path, year=2017, host="web2")
    assert [i.host for i in only.incidents] == ["web2"]
    assert only.events.loc[only.events["kind"] == "command", "host"].tolist() == ["web2"]
