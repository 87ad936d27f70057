"""Every message rule recognises its example, through the prefilter made of the rules' words."""

from __future__ import annotations

import pytest

from conntrack_forensics.parsers.classify import MESSAGE_RULES, PREFILTER, PREFILTER_WORDS, classify

#: One real-shaped message per rule: (rule id, program, message).
EXAMPLES = [
    ("conntrack_table_full", "kernel", "nf_conntrack: table full, dropping packet."),
    ("callbacks_suppressed", "kernel", "net_ratelimit: 12 callbacks suppressed"),
    ("conntrack_banner", "kernel", "nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"),
    ("xtables_banner", "kernel", "ip_tables: (C) 2000-2006 Netfilter Core Team"),
    ("nf_tables_banner", "kernel", "nf_tables: (c) 2007-2009 Patrick McHardy <kaber@trash.net>"),
    ("nfnetlink_banner", "kernel", "Netfilter messages via NETLINK v0.30."),
    ("ctnetlink_banner", "kernel", "ctnetlink v0.93: registering with nfnetlink."),
    ("ipvs_banner", "kernel", "IPVS: ipvs loaded."),
    ("ip_set_banner", "kernel", "ip_set: protocol 7"),
    ("kernel_banner", "kernel", "Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bl.rdu2)"),
    ("rsyslogd_start", "rsyslogd",
     '[origin software="rsyslogd" swVersion="5.8.10" x-pid="1234"] start'),
    ("systemd_boot", "systemd", "systemd 219 running in system mode. (+PAM +AUDIT)"),
    ("syslogd_exit", "rsyslogd", "exiting on signal 15."),
    ("klog_stopped", "kernel", "Kernel logging (proc) stopped."),
    ("shutdown_cmd", "shutdown", "shutting down for system reboot"),
    ("runlevel_0_6", "init", "Switching to runlevel: 6"),
    ("systemd_shutdown", "systemd", "Reached target Shutdown."),
    ("kernel_restart", "kernel", "reboot: Restarting system"),
    ("sudo_command", "sudo",
     "   admin : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/sbin/iptables -t nat -L"),
    ("expectation_table_full", "kernel", "nf_conntrack: expectation table full"),
    ("firewall_service_start", "systemd", "Started firewalld - dynamic firewall daemon."),
    ("sshd_login", "sshd", "Accepted publickey for admin from 10.0.0.5 port 50022 ssh2"),
    ("su_session", "su", "pam_unix(su-l:session): session opened for user root by admin(uid=0)"),
    ("kube_proxy_sysctl", "kube-proxy",
     'Set sysctl entry="net/netfilter/nf_conntrack_max" value=131072'),
    ("sysctl_assignment", "sysctl", "net.netfilter.nf_conntrack_max = 262144"),
]


def test_every_rule_has_an_example() -> None:
    assert {r.id for r in MESSAGE_RULES} == {rule for rule, _prog, _msg in EXAMPLES}


@pytest.mark.parametrize(("rule", "program", "message"), EXAMPLES,
                         ids=[e[0] for e in EXAMPLES])
def test_rule_recognises_its_example(rule: str, program: str, message: str) -> None:
    assert PREFILTER.search(message)
    assert classify(message, program).rule == rule


@pytest.mark.parametrize("message", [
    "su(pam_unix)[2000]: session opened for user root by (uid=0)",
    "Started Session 42 of user root.",
    "Reloading.",
])
def test_plain_lines_pass_no_word(message: str) -> None:
    """Messages no rule can match do not reach the rules (the prefilter is selective)."""
    assert not PREFILTER.search(message)
    assert classify(message, "systemd").rule is None


def test_words_are_unique_and_nonempty() -> None:
    assert len(PREFILTER_WORDS) == len(set(PREFILTER_WORDS))
    assert all(PREFILTER_WORDS)
