"""Host names: from the line, the host's configuration, the only host in sight, or --host."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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


# ------------------------------------------------------------- kernel lines name the tree's host

RELAYED = "Apr 27 00:02:10 lb1 haproxy[2231]: Server www/web7 is DOWN, reason: Layer4 timeout\n"


def _tree(root: Path, messages: str) -> Path:
    (root / "var" / "log").mkdir(parents=True)
    (root / "root").mkdir()
    (root / "var" / "log" / "messages").write_text(messages)
    (root / "root" / ".bash_history").write_text("uptime\niptables -t nat -L\n")
    return root


def _history_hosts(result: cf.LoadResult) -> list[object]:
    ev = result.events
    return ev.loc[ev["source"].str.endswith(".bash_history"), "host"].tolist()


def test_a_relayed_line_does_not_take_the_tree_from_its_kernel_host(tmp_path: Path) -> None:
    """Three kernel lines name web7, one relayed haproxy line lb1: the history is web7's."""
    case = _tree(tmp_path / "case", f"Apr 27 00:01:12 web7 kernel: ip_tables: (C) 2000-2006 "
                 f"Netfilter Core Team\nApr 27 00:01:13 web7 kernel: nf_conntrack version 0.5.0 "
                 f"(16384 buckets, 65536 max)\n{RELAYED}Apr 27 00:03:27 web7 {DROP}\n")
    result = cf.load(case, year=2017)
    assert _history_hosts(result) == ["web7", "web7"]
    assert sorted(result.events["host"].unique()) == ["lb1", "web7"]  # the line keeps its host
    assert not (result.diagnostics["level"] == "warning").any()
    incident = cf.analyze(case, year=2017).incidents[0]
    assert incident.host == "web7"
    assert "iptables -t nat -L" in [c.command for c in incident.candidates]


def test_a_tree_whose_kernel_lines_name_one_host_takes_it_for_dmesg_and_audit(
        tmp_path: Path) -> None:
    """dmesg (no host at all) and an audit log in the same tree take the kernel lines' host."""
    case = _tree(tmp_path / "case", f"{RELAYED}Apr 27 00:03:27 web7 {DROP}\n")
    (case / "var" / "log" / "dmesg").write_text(
        "[    0.000000] Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bm.rdu2.centos.org)\n"
        "[ 5021.440123] nf_conntrack: table full, dropping packet.\n")
    (case / "var" / "log" / "audit").mkdir()
    (case / "var" / "log" / "audit" / "audit.log").write_text(
        'type=USER_CMD msg=audit(1493251401.120:812): pid=4120 uid=0 auid=0 ses=3 '
        'msg=\'cwd="/root" cmd=636F6E6E747261636B202D53 terminal=pts/0 res=success\'\n')
    ev = cf.load(case, year=2017).events
    names = ev["source"].str.rsplit("/", n=1).str[-1]
    hosts = {name: set(group) for name, group in ev.groupby(names)["host"]}
    assert hosts == {".bash_history": {"web7"}, "audit.log": {"web7"}, "dmesg": {"web7"},
                     "messages": {"lb1", "web7"}}


def test_early_boot_localhost_lines_do_not_make_a_second_host(tmp_path: Path) -> None:
    """rsyslog writes ``localhost`` until the name is set at boot: web7 is the only real name."""
    case = _tree(tmp_path / "case", "Apr 27 00:00:05 localhost kernel: Initializing cgroup subsys"
                 " cpuset\nApr 27 00:00:05 localhost kernel: Linux version 2.6.32-696.el6.x86_64"
                 f"\nApr 27 00:03:27 web7 {DROP}\n")
    assert _history_hosts(cf.load(case, year=2017)) == ["web7", "web7"]


CENTRAL = (f"Apr 27 00:03:27 web1 {DROP}\nApr 27 00:03:28 web2 {DROP}\n"
           f"Apr 27 00:03:29 web1 {DROP}\n")


def test_a_central_log_server_leaves_its_history_unattributed_and_says_how_to_name_it(
        tmp_path: Path) -> None:
    """Kernel lines of web1 and web2 in one tree: whose history it is, nothing says."""
    case = _tree(tmp_path / "loghost", CENTRAL)
    result = cf.load(case, year=2017)
    assert pd.isna(pd.Series(_history_hosts(result))).all()
    warnings = result.diagnostics.loc[result.diagnostics["level"] == "warning"]
    assert len(warnings) == 1
    row = warnings.iloc[0]
    assert row["path"].endswith("root/.bash_history")
    assert "2 events" in row["message"] and "web1, web2" in row["message"]
    assert "--host NAME" in row["message"] and "etc/hostname" in row["message"]


def test_a_central_log_server_history_takes_the_host_option_or_its_hostname_file(
        tmp_path: Path) -> None:
    case = _tree(tmp_path / "loghost", CENTRAL)
    named = cf.load(case, year=2017, host="loghost")
    assert _history_hosts(named) == ["loghost", "loghost"]
    assert not (named.diagnostics["level"] == "warning").any()
    (case / "etc").mkdir()
    (case / "etc" / "hostname").write_text("loghost.example.org\n")
    hinted = cf.load(case, year=2017)
    assert _history_hosts(hinted) == ["loghost", "loghost"]
    assert not (hinted.diagnostics["level"] == "warning").any()


def test_a_tree_without_kernel_lines_among_several_hosts_is_said(tmp_path: Path) -> None:
    """No kernel line, two host names in the input: the history stays without a host, said."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "secure").write_text(
        "Apr 27 00:01:02 web1 sshd[24011]: Accepted password for root from 10.0.0.5 port 50022 "
        "ssh2\nApr 27 00:01:09 web2 sshd[9120]: Accepted password for root from 10.0.0.5 port "
        "50031 ssh2\n")
    (tmp_path / "a" / ".bash_history").write_text("uptime\n")
    result = cf.load(tmp_path, year=2017)
    assert pd.isna(pd.Series(_history_hosts(result))).all()
    messages = result.diagnostics.loc[result.diagnostics["level"] == "warning", "message"]
    assert messages.str.contains("no kernel line naming its host").tolist() == [True]
