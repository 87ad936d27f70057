"""Untimed history lines placed by their neighbours; one candidate per action."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import conntrack_forensics as cf

DROP = "kernel: nf_conntrack: table full, dropping packet."
BANNER = "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"
IPT = "kernel: ip_tables: (C) 2000-2006 Netfilter Core Team"


def _tree(tmp_path: Path, messages: list[str], history: list[str]) -> Path:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    (tmp_path / "var" / "log" / "messages").write_text(
        "".join(f"{m}\n" for m in messages))
    (tmp_path / "root" / ".bash_history").write_text("".join(f"{h}\n" for h in history))
    return tmp_path


def _incident(path: Path) -> cf.Incident:
    (inc,) = cf.analyze(path, year=2019, tz="UTC").incidents
    return inc


def test_the_only_untimed_command_that_can_explain_the_load_is_named(tmp_path: Path) -> None:
    path = _tree(tmp_path, [
        f"Jul 16 10:04:50 shop1 {IPT}",
        f"Jul 16 10:05:33 shop1 {BANNER}",
        f"Jul 16 10:05:39 shop1 {DROP}",
        f"Jul 16 10:05:40 shop1 {DROP}",
    ], ["uptime", "iptables -L -n", "iptables -t nat -L", "tail /var/log/messages"])
    inc = _incident(path)
    assert inc.trigger is not None and inc.trigger.command == "iptables -t nat -L"
    assert inc.trigger.time is None
    # after `iptables -L -n`, which ran at most 30 s before the ip_tables load it caused
    assert inc.trigger.not_before == pd.Timestamp("2019-07-16T10:04:20Z")
    assert 0.5 <= inc.trigger.confidence < 0.9


def test_bounds_do_not_cross_a_session_end(tmp_path: Path) -> None:
    """`exit` ends a session: the ip_tables anchor of the earlier session bounds nothing
    after it (two sessions' lines are not in time order across the boundary)."""
    path = _tree(tmp_path, [
        f"Jul 16 10:04:50 shop1 {IPT}",
        f"Jul 16 10:05:33 shop1 {BANNER}",
        f"Jul 16 10:05:39 shop1 {DROP}",
    ], ["iptables -L -n", "exit", "iptables -t nat -L"])
    inc = _incident(path)
    assert inc.trigger is not None and inc.trigger.command == "iptables -t nat -L"
    assert inc.trigger.not_before is None


def test_rival_untimed_commands_share_the_credit(tmp_path: Path) -> None:
    """Two different commands could each have loaded conntrack: neither is named."""
    path = _tree(tmp_path, [
        f"Jul 16 10:05:33 shop1 {BANNER}",
        f"Jul 16 10:05:39 shop1 {DROP}",
    ], ["iptables -t nat -L", "modprobe nf_conntrack"])
    inc = _incident(path)
    assert inc.trigger is None
    top = {c.command for c in inc.candidates[:2]}
    assert top == {"iptables -t nat -L", "modprobe nf_conntrack"}
    assert all("one of 2 untimed commands" in " ".join(c.reasons) for c in inc.candidates[:2])


def test_a_timed_record_of_the_load_leaves_the_untimed_line_low(tmp_path: Path) -> None:
    path = _tree(tmp_path, [
        "Jul 16 10:05:32 shop1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/sbin/modprobe nf_conntrack",
        f"Jul 16 10:05:33 shop1 {BANNER}",
        f"Jul 16 10:05:39 shop1 {DROP}",
    ], ["iptables -t nat -L"])
    inc = _incident(path)
    assert inc.trigger is not None and inc.trigger.command == "/sbin/modprobe nf_conntrack"
    nat = next(c for c in inc.candidates if c.command == "iptables -t nat -L")
    assert nat.confidence < 0.5


def test_one_action_in_history_sudo_and_audit_is_one_candidate(tmp_path: Path) -> None:
    (tmp_path / "var" / "log" / "audit").mkdir(parents=True)
    (tmp_path / "home" / "alice").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        f"Jul 16 10:05:33 gw2 {BANNER}\nJul 16 10:05:39 gw2 {DROP}\n")
    (tmp_path / "var" / "log" / "secure").write_text(
        "Jul 16 10:05:32 gw2 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/sbin/iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n"
        "Jul 16 10:05:32 gw2 sudo: pam_unix(sudo:session): session opened for user root by "
        "alice(uid=1000)\n")
    # 1563271532 is 2019-07-16T10:05:32Z
    (tmp_path / "home" / "alice" / ".zsh_history").write_text(
        ": 1563271532:0;sudo iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n")
    cmd = b"iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE".hex().upper()
    (tmp_path / "var" / "log" / "audit" / "audit.log").write_text(
        "type=USER_CMD msg=audit(1563271532.412:881): pid=4121 uid=1000 auid=1000 ses=7 "
        "subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 msg='cwd=\"/home/alice\" "
        f"cmd={cmd} terminal=pts/0 res=success'\n")
    inc = _incident(tmp_path)
    assert inc.trigger is not None
    same = [c for c in inc.candidates if "MASQUERADE" in c.command]
    assert len(same) == 1
    assert inc.trigger.user == "alice"
    assert inc.trigger.identity == "alice (uid 1000), through sudo as root"
    assert {r.format for r in inc.trigger.records} == {"zsh_history", "syslog", "audit"}
    assert inc.trigger.time == pd.Timestamp("2019-07-16T10:05:32.412Z")  # audit's, to the ms


def test_a_tcsh_history_is_a_history_when_records_fuse(tmp_path: Path) -> None:
    """The command shown is the one the user typed, whichever shell's history holds it."""
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "home" / "bob").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        f"Jul 16 10:05:32 gw3 {BANNER}\nJul 16 10:05:39 gw3 {DROP}\n")
    (tmp_path / "var" / "log" / "secure").write_text(
        "Jul 16 10:05:32 gw3 sudo:      bob : TTY=pts/3 ; PWD=/home/bob ; USER=root ; "
        "COMMAND=/sbin/iptables -t nat -L\n")
    # 1563271532 is 2019-07-16T10:05:32Z
    (tmp_path / "home" / "bob" / ".history").write_text(
        "#+1563271500\nls\n#+1563271532\nsudo iptables -t nat -L\n")
    inc = _incident(tmp_path)
    assert inc.trigger is not None
    assert {r.format for r in inc.trigger.records} == {"tcsh_history", "syslog"}
    assert inc.trigger.command == "sudo iptables -t nat -L"
    assert any("2 kinds of source agree" in r for r in inc.trigger.reasons)
