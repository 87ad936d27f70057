"""Every message rule recognises its example, through the prefilter made of the rules' words."""

from __future__ import annotations

import pytest

from conntrack_forensics.parsers.classify import (
    MESSAGE_RULES,
    PREFILTER,
    PREFILTER_WORDS,
    classify,
    keeper,
    service_rules,
)

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
    ("sudo_denied", "sudo",
     "     ops : command not allowed ; TTY=pts/1 ; PWD=/home/ops ; USER=root ; "
     "COMMAND=/sbin/iptables -t nat -L"),
    ("expectation_table_full", "kernel", "nf_conntrack: expectation table full"),
    ("firewall_service_start", "systemd", "Started firewalld - dynamic firewall daemon."),
    ("sshd_login", "sshd", "Accepted publickey for admin from 10.0.0.5 port 50022 ssh2"),
    ("su_session", "su", "pam_unix(su-l:session): session opened for user root by admin(uid=0)"),
    ("pam_session", "sudo",
     "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)"),
    ("kube_proxy_sysctl", "kube-proxy",
     'Set sysctl entry="net/netfilter/nf_conntrack_max" value=131072'),
    ("sysctl_assignment", "sysctl", "net.netfilter.nf_conntrack_max = 262144"),
]


#: The services of data/services.toml carry their own examples.
SERVICE_EXAMPLES = [(r.id, *r.example) for r in service_rules()]


def test_every_rule_has_an_example() -> None:
    services = {f"service_{sid}" for sid, _prog, _msg in SERVICE_EXAMPLES}
    assert {r.id for r in MESSAGE_RULES} - services == {rule for rule, _prog, _msg in EXAMPLES}
    assert {r.id for r in MESSAGE_RULES} & services  # the data adds rules of its own


@pytest.mark.parametrize(("service", "program", "message"), SERVICE_EXAMPLES,
                         ids=[e[0] for e in SERVICE_EXAMPLES])
def test_service_starts_are_events_and_keepers(service: str, program: str, message: str) -> None:
    """Each start line is kept as a ``service`` event (whichever rule takes it) and read back
    as its service by the correlator."""
    assert PREFILTER.search(message)
    assert classify(message, program).kind.value == "service"
    found = keeper(message, program)
    assert found is not None and found.id == service


@pytest.mark.parametrize(("message", "service"), [
    ("Started docker.service - Docker Application Container Engine.", "dockerd"),
    ("Started firewalld.service - firewalld - dynamic firewall daemon.", "firewalld"),
    ("Finished ufw.service - Uncomplicated firewall.", "ufw"),
    ("Started libvirtd.service - Virtualization daemon.", "libvirtd"),
    ("Finished netfilter-persistent.service - netfilter persistent configuration.",
     "saved_firewall_rules"),
    ("Finished nftables.service - nftables.", "saved_firewall_rules"),
])
def test_systemd_names_the_unit_first_since_249(message: str, service: str) -> None:
    assert classify(message, "systemd").kind.value == "service"
    found = keeper(message, "systemd")
    assert found is not None and found.id == service


@pytest.mark.parametrize(("program", "message"), [
    ("dockerd", 'level=info msg="Loading containers: start."'),
    ("systemd", "Started Session 42 of user root."),
    ("kube-proxy", '"Using userspace Proxier"'),
    ("sshd", "Started firewalld - dynamic firewall daemon."),
])
def test_other_lines_are_no_keepers(program: str, message: str) -> None:
    assert keeper(message, program) is None


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


@pytest.mark.parametrize(("program", "message", "kind"), [
    # Debian's rsyslog leaves a second space after the tag (issue 14): rules read the message
    # from its first word
    ("rsyslogd", '  [origin software="rsyslogd" swVersion="8.2112.0" x-pid="612" '
                 'x-info="https://www.rsyslog.com"] start', "boot"),
    ("rsyslogd", ' [origin software="rsyslogd" swVersion="8.2112.0" x-pid="612" '
                 'x-info="https://www.rsyslog.com"] exiting on signal 15.', "shutdown"),
    ("sshd", "  Accepted publickey for fred from 10.0.0.9 port 50522 ssh2", "login"),
    ("kernel", "\tnf_conntrack: table full, dropping packet", "conntrack_drop"),
    ("kernel", " [ 1234.5678] nf_conntrack: table full, dropping packet", "conntrack_drop"),
])
def test_leading_whitespace_is_no_part_of_the_message(program: str, message: str,
                                                      kind: str) -> None:
    assert classify(message, program).kind.value == kind


#: sudo's line for a command it refused (the reason comes first) and for one it ran (a
#: ``KEY=value`` field comes first), as sudo 1.8 and 1.9 write them to secure / auth.log.
SUDO_LINES = [
    ("     ops : command not allowed ; TTY=pts/1 ; PWD=/home/ops ; USER=root ; "
     "COMMAND=/sbin/iptables -t nat -L", "ops", False),
    ("   alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
     "COMMAND=/sbin/iptables -t nat -L", "alice", False),
    ("   alice : 1 incorrect password attempt ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
     "COMMAND=/sbin/iptables -t nat -L", "alice", False),
    ("     bob : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; "
     "COMMAND=/sbin/modprobe nf_conntrack", "bob", False),
    ("  deploy : a password is required ; TTY=unknown ; PWD=/srv/app ; USER=root ; "
     "COMMAND=/usr/sbin/conntrack -L", "deploy", False),
    ("     bob : user NOT authorized on host ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; "
     "COMMAND=/sbin/modprobe nf_conntrack", "bob", False),
    # ran: no tty (cron, ssh host cmd), a HOST= field first, ; and = inside the command
    ("  deploy : TTY=unknown ; PWD=/srv/app ; USER=root ; COMMAND=/sbin/iptables -t nat -L",
     "deploy", True),
    ("   alice : HOST=web1 ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
     "COMMAND=/sbin/modprobe nf_conntrack", "alice", True),
    ("   alice : TTY=pts/2 ; PWD=/opt ; USER=root ; COMMAND=/bin/sh -c iptables -L -n; "
     "sysctl -w net.netfilter.nf_conntrack_max=262144", "alice", True),
]


@pytest.mark.parametrize(("message", "user", "ran"), SUDO_LINES,
                         ids=[m.split(" ; ")[0].strip() for m, _u, _r in SUDO_LINES])
def test_only_a_command_sudo_ran_is_a_command(message: str, user: str, ran: bool) -> None:
    """A refused command never ran: context (``login``) with its user, never a ``command``."""
    c = classify(message, "sudo")
    assert c.user == user
    if ran:
        assert (c.kind.value, c.rule) == ("command", "sudo_command")
        assert c.command is not None and c.command.startswith("/")
    else:
        assert (c.kind.value, c.rule, c.command) == ("login", "sudo_denied", None)
