"""Trigger ranking, cause and recovery on small scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.correlate.knowledge import command_rules, match_command
from conntrack_forensics.correlate.triggers import TRIGGER_THRESHOLD

BANNER = "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"
DROP = "kernel: nf_conntrack: table full, dropping packet."


@pytest.mark.parametrize(("command", "rule"), [
    ("iptables -t nat -L", "iptables_nat_table"),
    ("/sbin/iptables -nvL -t nat", "iptables_nat_table"),
    ("sudo iptables --table=nat --list", "iptables_nat_table"),
    ("ip6tables -t nat -S", "iptables_nat_table"),
    ("iptables -A INPUT -m state --state NEW -j ACCEPT", "state_match"),
    ("iptables -I FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT", "state_match"),
    ("iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE", "iptables_nat_table"),
    ("iptables -A POSTROUTING -j SNAT --to 1.2.3.4", "nat_target"),
    ("modprobe nf_conntrack", "modprobe_conntrack"),
    ("service iptables start", "firewall_service_start"),
    ("systemctl restart firewalld", "firewall_service_start"),
    ("iptables-restore < /etc/sysconfig/iptables", "rules_restore"),
    ("nft add rule inet filter input ct state established accept", "nft_ct_or_nat"),
    ("conntrack -L", "conntrack_tool"),
    ("systemctl start docker", "container_network_start"),
    ("iptables -L", "iptables_filter_list"),
    ("iptables -nvL INPUT", "iptables_filter_list"),
    ("iptables -t raw -L", "iptables_raw_table"),
])
def test_knowledge_base(command: str, rule: str) -> None:
    assert match_command(command)[0].id == rule


@pytest.mark.parametrize("command", ["ls -la", "modprobe -r nf_conntrack", "vi iptables.txt",
                                     "echo nat"])
def test_unrelated_commands_match_nothing(command: str) -> None:
    assert match_command(command) == []


def test_every_rule_has_reason_and_weight() -> None:
    rules = command_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert all(r.reason and 0 <= r.weight <= 1 for r in rules)
    assert all(r.weight < TRIGGER_THRESHOLD for r in rules if r.harmless)


def _case(tmp_path: Path, messages: list[str], history: str) -> cf.Analysis:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    (tmp_path / "var" / "log" / "messages").write_text("".join(m + "\n" for m in messages))
    (tmp_path / "root" / ".bash_history").write_text(history)
    return cf.analyze(tmp_path, tz="+08:00")


def test_nat_listing_beats_filter_listing(tmp_path: Path) -> None:
    a = _case(tmp_path, [
        "Apr 26 23:59:40 bogon kernel: ip_tables: (C) 2000-2006 Netfilter Core Team",
        f"Apr 27 00:03:21 bogon {BANNER}",
        f"Apr 27 00:03:27 bogon {DROP}",
        "Apr 27 00:20:00 bogon ntpd[1]: still here",
    ], "#1493222380\niptables -L\n#1493222601\niptables -t nat -L\n")
    (inc,) = a.incidents
    assert inc.trigger is not None and inc.trigger.command == "iptables -t nat -L"
    assert inc.trigger.user == "root" and inc.trigger.confidence >= 0.9
    assert [c.command for c in inc.candidates] == ["iptables -t nat -L", "iptables -L"]
    assert inc.candidates[1].confidence < TRIGGER_THRESHOLD
    assert inc.cause == "module_autoload"
    assert inc.recovery is not None and inc.recovery.kind == "drops_stopped"


def test_already_loaded_module_rules_out_command(tmp_path: Path) -> None:
    a = _case(tmp_path, [
        f"Apr 26 08:00:00 bogon {BANNER}",
        f"Apr 27 00:03:27 bogon {DROP}",
    ], "#1493222601\niptables -t nat -L\n")
    (inc,) = a.incidents
    assert inc.trigger is None
    assert inc.candidates[0].confidence < TRIGGER_THRESHOLD
    assert any("already active" in r for r in inc.candidates[0].reasons)
    assert inc.cause == "capacity"
    assert inc.recovery is None  # evidence ends while dropping


def test_untimestamped_history_is_bounded(tmp_path: Path) -> None:
    a = _case(tmp_path, [
        f"Apr 27 00:03:21 bogon {BANNER}",
        f"Apr 27 00:03:27 bogon {DROP}",
    ], "ls\niptables -t nat -L\n")
    (inc,) = a.incidents
    cand = inc.candidates[0]
    assert cand.time is None and cand.not_after is not None
    assert any("no timestamp" in r for r in cand.reasons)
    d = cand.to_dict()
    assert d["time"] is None and "not_after" in d
    # the load lies within the untimed command's bounds: not listed as unexplained
    assert not [c for c in inc.candidates if c.rule == "unexplained_module_load"]


def test_reboot_recovery(tmp_path: Path) -> None:
    a = _case(tmp_path, [
        f"Apr 27 00:03:21 bogon {BANNER}",
        f"Apr 27 00:03:27 bogon {DROP}",
        "Apr 27 00:05:00 bogon kernel: Kernel logging (proc) stopped.",
        "Apr 27 00:07:00 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP",
    ], "#1493222601\niptables -t nat -L\n")
    (inc,) = a.incidents
    assert inc.recovery is not None and inc.recovery.kind == "reboot"
    assert inc.recovery.source.endswith("messages:3")
    assert inc.kernel == "2.6.32-696.el6.x86_64"
    notrack = next(r for r in inc.recommendations if r.id == "notrack_service_traffic")
    assert "-j NOTRACK" in notrack.commands[0]


def test_sudo_trigger_from_secure_log(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        f"Apr 27 00:03:21 bogon {BANNER}\nApr 27 00:03:27 bogon {DROP}\n")
    (tmp_path / "var" / "log" / "secure").write_text(
        "Apr 27 00:03:21 bogon sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/sbin/iptables -t nat -L\n")
    (inc,) = cf.analyze(tmp_path, tz="+08:00", year=2017).incidents
    assert inc.trigger is not None
    assert (inc.trigger.command, inc.trigger.user) == ("/sbin/iptables -t nat -L", "alice")
    assert any("alice, through sudo as root" in r for r in inc.trigger.reasons)
    assert (inc.trigger.via, inc.trigger.run_as) == ("sudo", "root")


def test_service_start_is_a_candidate(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        "Apr 27 00:00:00 web1 kernel: Linux version 3.10.0-1160.el7.x86_64 (x@y) #1 SMP\n"
        "Apr 27 10:00:00 web1 systemd[1]: Starting firewalld - dynamic firewall daemon...\n"
        "Apr 27 10:00:01 web1 systemd[1]: Started firewalld - dynamic firewall daemon.\n"
        f"Apr 27 10:00:02 web1 {BANNER}\n"
        f"Apr 27 10:00:40 web1 {DROP}\n")
    (inc,) = cf.analyze(tmp_path, tz="UTC", year=2024).incidents
    assert inc.trigger is not None and inc.trigger.command == "systemctl start firewalld"
    assert inc.trigger.rule == "firewall_service_start"
    assert any(r.startswith("service event: Started firewalld") for r in inc.trigger.reasons)
    assert inc.cause == "module_autoload"


def test_service_start_at_boot_is_not_the_trigger(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        "Apr 27 10:00:00 web1 kernel: Linux version 3.10.0-1160.el7.x86_64 (x@y) #1 SMP\n"
        "Apr 27 10:00:12 web1 systemd[1]: Started firewalld - dynamic firewall daemon.\n"
        f"Apr 27 10:00:13 web1 {BANNER}\n"
        f"Apr 27 10:20:40 web1 {DROP}\n")
    (inc,) = cf.analyze(tmp_path, tz="UTC", year=2024).incidents
    assert inc.trigger is None
    (cand,) = [c for c in inc.candidates if c.rule == "firewall_service_start"]
    assert any("the boot's own set-up" in r for r in cand.reasons)


def test_unexplained_load_is_listed_not_named(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        "Apr 27 09:00:00 web1 kernel: Linux version 3.10.0-1160.el7.x86_64 (x@y) #1 SMP\n"
        f"Apr 27 10:00:02 web1 {BANNER}\n"
        f"Apr 27 10:00:40 web1 {DROP}\n")
    (inc,) = cf.analyze(tmp_path, tz="UTC", year=2024).incidents
    assert inc.trigger is None and inc.cause == "module_autoload"
    (cand,) = inc.candidates
    assert cand.rule == "unexplained_module_load" and cand.confidence < TRIGGER_THRESHOLD
    assert cand.command == "(load of nf_conntrack: no command in the evidence)"


@pytest.mark.parametrize("reason", [
    "command not allowed", "3 incorrect password attempts", "user NOT in sudoers",
    "a password is required",
])
def test_a_command_sudo_refused_is_no_candidate(tmp_path: Path, reason: str) -> None:
    """sudo refused it, so it never ran: the load it would explain stays unexplained."""
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        f"Jan  5 10:12:04 web1 {BANNER}\nJan  5 10:15:00 web1 {DROP}\n")
    (tmp_path / "var" / "log" / "secure").write_text(
        f"Jan  5 10:12:01 web1 sudo:      ops : {reason} ; TTY=pts/1 ; PWD=/home/ops ; "
        "USER=root ; COMMAND=/sbin/modprobe nf_conntrack\n"
        f"Jan  5 10:16:00 web1 sudo:      ops : {reason} ; TTY=pts/1 ; PWD=/home/ops ; "
        "USER=root ; COMMAND=/sbin/sysctl -w net.netfilter.nf_conntrack_max=262144\n")
    a = cf.analyze(tmp_path, tz="UTC", year=2021)
    (inc,) = a.incidents
    assert inc.trigger is None
    assert [c.rule for c in inc.candidates] == ["unexplained_module_load"]
    assert inc.recovery is None or inc.recovery.kind != "conntrack_max_raised"
    refused = a.events.loc[a.events["program"] == "sudo"]
    assert refused["kind"].tolist() == ["login", "login"]
    assert refused["user"].tolist() == ["ops", "ops"]
    assert any(reason in t.message for t in inc.timeline)  # still on the timeline
