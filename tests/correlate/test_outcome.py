"""Cause and recovery (outcome.py): each recovery kind from the evidence that shows it."""

from __future__ import annotations

from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.correlate.knowledge import match_recovery, recovery_rules

BANNER = "kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"
DROP = "kernel: nf_conntrack: table full, dropping packet."
T0 = 1493222607  # 2017-04-27 00:03:27 +08:00, the first drop


def _case(tmp_path: Path, history: list[tuple[int, str]], after: list[str] = ()) -> cf.Analysis:
    lines = [f"Apr 26 21:00:00 bogon {BANNER}"]
    lines += [f"Apr 27 00:03:{s:02d} bogon {DROP}" for s in range(27, 41)]
    lines += list(after) or ["Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts "
                             "/etc/cron.hourly)"]
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/messages").write_text("".join(f"{x}\n" for x in lines))
    (tmp_path / "root").mkdir()
    (tmp_path / "root/.bash_history").write_text(
        "".join(f"#{T0 + dt}\n{cmd}\n" for dt, cmd in history))
    return cf.analyze(tmp_path, tz="+08:00")


@pytest.mark.parametrize(("command", "kind"), [
    ("sysctl -w net.netfilter.nf_conntrack_max=262144", "conntrack_max_raised"),
    ("echo 262144 > /proc/sys/net/netfilter/nf_conntrack_max", "conntrack_max_raised"),
    ("sysctl -w net.ipv4.netfilter.ip_conntrack_max=131072", "conntrack_max_raised"),
    ("modprobe -r iptable_nat", "module_unloaded"),
    ("rmmod nf_conntrack_ipv4 nf_conntrack", "module_unloaded"),
    ("iptables -t raw -I PREROUTING -p tcp --dport 80 -j NOTRACK", "rules_changed"),
    ("iptables -t raw -A PREROUTING -p tcp --dport 443 -j CT --notrack", "rules_changed"),
    ("service iptables stop", "rules_changed"),
    ("iptables -t nat -F", "rules_changed"),
])
def test_recovery_kinds_from_commands(tmp_path: Path, command: str, kind: str) -> None:
    (inc,) = _case(tmp_path, [(14, command)]).incidents
    assert inc.recovery is not None
    assert (inc.recovery.kind, inc.recovery.evidence) == (kind, command)
    assert inc.recovery.time.timestamp() == T0 + 14
    assert inc.recovery.source.endswith("root/.bash_history:2")


def test_the_action_nearest_the_last_drop_wins(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [
        (2, "sysctl -w net.netfilter.nf_conntrack_max=65536"),     # no larger: not a fix
        (5, "modprobe -r iptable_nat"),                              # fails while in use
        (14, "sysctl -w net.netfilter.nf_conntrack_max=262144"),     # this one ends it
        (120, "iptables -t raw -I PREROUTING -p tcp --dport 80 -j CT --notrack"),
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    assert inc.recovery.time.timestamp() == T0 + 14


def test_a_smaller_size_is_no_recovery(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "sysctl -w net.netfilter.nf_conntrack_max=32768")]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "drops_stopped"


def test_an_action_before_a_reboot_wins_only_with_evidence_after_it(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [(14, "sysctl -w net.netfilter.nf_conntrack_max=262144")], after=[
        "Apr 27 00:03:50 bogon kernel: Kernel logging (proc) stopped.",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    (inc,) = _case(tmp_path / "b", [(60, "rmmod nf_conntrack")], after=[
        "Apr 27 00:03:50 bogon kernel: Kernel logging (proc) stopped.",
        "Apr 27 00:05:00 bogon kernel: Linux version 2.6.32-696.el6.x86_64 (x@y) #1 SMP",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "reboot"


def test_logged_sysctl_raise_is_a_recovery(tmp_path: Path) -> None:
    (inc,) = _case(tmp_path, [], after=[
        "Apr 27 00:03:42 bogon root: sysctl net.netfilter.nf_conntrack_max = 262144",
        "Apr 27 00:20:00 bogon crond[1188]: (root) CMD (run-parts /etc/cron.hourly)",
    ]).incidents
    assert inc.recovery is not None and inc.recovery.kind == "conntrack_max_raised"
    assert inc.recovery.source.endswith("messages:16")


def test_recovery_rules_are_valid() -> None:
    rules = recovery_rules()
    assert len({r.id for r in rules}) == len(rules) and all(r.reason for r in rules)
    assert match_recovery("iptables -L") is None and match_recovery("sysctl -a") is None
