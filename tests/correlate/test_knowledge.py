"""Commands as people type them (and as sudo and auditd log them) against the knowledge base.

Each row is a real spelling and the rule it must match, or none: what the command makes the
kernel load decides, not how it was typed. The kernel facts behind the rules are in
docs/triggers.md ("What the table rules rest on").
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conntrack_forensics.correlate.cmdline import commands
from conntrack_forensics.correlate.knowledge import (
    SYSCTL_CONF,
    command_rules,
    match_command,
    match_recovery,
    normalize_command,
    size_set,
    sysctl_load,
    unloads_conntrack,
)

NAT = "iptables_nat_table"
NFT_NAT = "iptables_nft_nat_list"
FILTER = "iptables_filter_list"

SPELLINGS = [
    # the nat table, legacy or plain iptables: flag orders, clusters, long options
    ("iptables -t nat -L", NAT),
    ("iptables -nvL -t nat", NAT),
    ("iptables -L -t nat", NAT),
    ("iptables -t nat -nvL", NAT),
    ("iptables --table=nat -L", NAT),
    ("iptables --table nat --list", NAT),
    ("iptables -tnat -L", NAT),
    ("iptables -nvtnat -L", NAT),
    ("iptables -vnL -t nat --line-numbers", NAT),
    ("iptables -t nat -S", NAT),
    ("iptables -t nat --list-rules POSTROUTING", NAT),
    ("iptables -L POSTROUTING -n -t nat", NAT),
    ("iptables -t nat -F", NAT),
    ("iptables-legacy -t nat -L", NAT),
    ("ip6tables -t nat -L -n", NAT),
    ("ip6tables-legacy --table=nat -S", NAT),
    ("iptables-save -t nat", NAT),
    ("iptables-legacy-save -t nat", NAT),
    ("/sbin/iptables -t nat -L", NAT),
    ("/usr/sbin/iptables-legacy -t nat -nvL", NAT),
    ("xtables-multi iptables -t nat -L", NAT),
    ("/sbin/xtables-multi main4 -t nat -L", NAT),
    ("xtables-legacy-multi iptables -t nat -L", NAT),
    ("iptables-nft -t nat -A POSTROUTING -o eth0 -j MASQUERADE", NAT),
    # wrappers
    ("sudo iptables -t nat -L", NAT),
    ("sudo -i iptables -t nat -L", NAT),
    ("sudo -u root iptables -t nat -L", NAT),
    ("sudo -E iptables -nvL -t nat", NAT),
    ("sudo -- iptables -t nat -L", NAT),
    ("sudo -iu root iptables -t nat -L", NAT),
    ("sudo sh -c 'iptables -t nat -L'", NAT),
    ('sudo bash -c "iptables -t nat -nvL"', NAT),
    ("sudo bash -lc 'iptables -t nat -L | less'", NAT),
    ("su -c 'iptables -t nat -L'", NAT),
    ('su - -c "iptables -t nat -L"', NAT),
    ("su root -c 'iptables -t nat -L'", NAT),
    ("su -l root -c 'iptables -t nat -L'", NAT),
    ("sudo su - -c 'iptables -t nat -L -n'", NAT),
    ("doas iptables -t nat -L", NAT),
    ("doas -u root iptables -t nat -L", NAT),
    ("env LC_ALL=C iptables -t nat -L", NAT),
    ("env -i PATH=/usr/sbin:/usr/bin iptables -t nat -L", NAT),
    ("LANG=C iptables -t nat -L", NAT),
    ("nice -n 5 iptables -t nat -L", NAT),
    ("nice -5 iptables -t nat -L", NAT),
    ("timeout 10 iptables -t nat -L", NAT),
    ("timeout -s KILL 10s iptables -t nat -L", NAT),
    ("nohup iptables -t nat -L", NAT),
    ("time iptables -t nat -L", NAT),
    ("watch -n1 iptables -t nat -L", NAT),
    ("watch -n 1 'iptables -t nat -nvL | head -20'", NAT),
    ("watch -d -n1 sudo iptables -t nat -L -v", NAT),
    ("xargs iptables -t nat -L < /dev/null", NAT),
    ("nsenter -t 1 -n iptables -t nat -L", NAT),
    ("chroot /host iptables -t nat -L", NAT),
    ("ip netns exec blue iptables -t nat -L", NAT),
    # sudo's log and audit's argument vector: the -c command line unquoted
    ("/bin/sh -c iptables -t nat -L", NAT),
    ("/bin/su - -c iptables -t nat -L", NAT),
    # several commands on one line, loops, substitutions
    ("iptables -L; iptables -t nat -L", NAT),
    ("cd /etc/sysconfig && iptables -t nat -L", NAT),
    ("for t in filter nat mangle raw; do iptables -t $t -nvL; done", NAT),
    ("echo $(iptables -t nat -L)", NAT),
    # iptables-nft: a nat listing loads conntrack only before 1.8.7
    ("iptables-nft -t nat -L", NFT_NAT),
    ("/usr/sbin/iptables-nft -nvL -t nat", NFT_NAT),
    ("sudo /usr/sbin/iptables-nft -nvL -t nat", NFT_NAT),
    ("ip6tables-nft --table=nat --list", NFT_NAT),
    ("xtables-nft-multi iptables -t nat -L", NFT_NAT),
    ("iptables-nft -t nat -S", NFT_NAT),
    # the filter table: the look-alike
    ("iptables -L", FILTER),
    ("iptables -nvL", FILTER),
    ("iptables -L -n -v", FILTER),
    ("iptables -S", FILTER),
    ("iptables -L INPUT -n --line-numbers", FILTER),
    ("iptables -t filter -L", FILTER),
    ("iptables --table=filter -nvL", FILTER),
    ("ip6tables -nvL", FILTER),
    ("iptables-nft -L", FILTER),
    ("iptables-legacy -S", FILTER),
    ("sudo iptables -nvL", FILTER),
    ("watch -n1 iptables -nvL", FILTER),
    ("iptables -L # not the nat table", FILTER),
    # raw and mangle: no conntrack of their own
    ("iptables -t raw -L", "iptables_raw_table"),
    ("iptables -t raw -nvL", "iptables_raw_table"),
    ("iptables-save -t raw", "iptables_raw_table"),
    ("iptables -t mangle -L", "iptables_mangle_table"),
    ("iptables -t mangle -nvL", "iptables_mangle_table"),
    # ... but their conntrack targets and matches do
    ("iptables -t raw -A PREROUTING -p tcp --dport 80 -j NOTRACK", "notrack_target"),
    ("iptables -t raw -I PREROUTING -p udp --dport 53 -j CT --notrack", "notrack_target"),
    ("iptables -t mangle -A PREROUTING -m conntrack --ctstate NEW -j MARK --set-mark 1",
     "state_match"),
    ("iptables -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT", "state_match"),
    # a NAT target loads its module (and nf_nat) even when the chain is wrong
    ("iptables -A POSTROUTING -o eth0 -j MASQUERADE", "nat_target"),
    # other rules, through the same unwrapping
    ("sudo modprobe -v nf_conntrack_ipv4", "modprobe_conntrack"),
    ("modprobe nf-conntrack", "modprobe_conntrack"),
    ("insmod /lib/modules/2.6.32-696.el6.x86_64/kernel/net/netfilter/nf_conntrack.ko",
     "modprobe_conntrack"),
    ("/etc/init.d/iptables restart", "firewall_service_start"),
    ("systemctl enable --now firewalld", "firewall_service_start"),
    ("service docker start", "container_network_start"),
    ("systemctl start docker.service", "container_network_start"),
    ("cat /etc/sysconfig/iptables | iptables-restore", "rules_restore"),
    ("nft add rule inet filter input ct state established,related accept", "nft_ct_or_nat"),
    ("nft -f /etc/nftables.conf", "nft_load_file"),
    ("sudo conntrack -L -p tcp", "conntrack_tool"),
    ("cat /proc/sys/net/netfilter/nf_conntrack_count", "read_conntrack_proc"),
    ("sysctl net.netfilter.nf_conntrack_count", "read_conntrack_proc"),
    ("sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=86400", "conntrack_sysctl"),
    # nothing: the word is an argument, the command runs nothing, or loads no conntrack
    ("grep iptables /var/log/messages", None),
    ("man iptables", None),
    ('echo "iptables -t nat -L"', None),
    ("vim /etc/sysconfig/iptables", None),
    ("grep -- '-t nat' /root/.bash_history", None),
    ("history | grep iptables", None),
    ("which iptables", None),
    ("command -v iptables", None),
    ("sudo -l iptables -t nat -L", None),
    ("sudo -i", None),
    ("su -", None),
    ("iptables --version", None),
    ("iptables-save", None),
    ("iptables-nft-save -t nat", None),
    ("echo nat | xargs -I{} iptables -t {} -L", None),
    ("nft list table ip nat", None),
    ("nft -c -f /etc/nftables.conf", None),
    ("modprobe -r nf_conntrack", None),
    ("modprobe -n nf_conntrack", None),
    # unloading is a recovery (RECOVERIES below), never a load, however the option is spelled
    ("modprobe -rv nf_conntrack", None),
    ("modprobe -vr nf_conntrack", None),
    ("modprobe -r -v nf_conntrack", None),
    ("modprobe --remove nf_conntrack", None),
    ("modprobe --remove -v nf_conntrack", None),
    ("modprobe nf_conntrack -r", None),
    ("sudo /sbin/modprobe -rv nf_conntrack_ipv4 nf_conntrack", None),
    ("rmmod nf_conntrack", None),
    ("rmmod -f nf_conntrack", None),
    # options that only print
    ("modprobe -R nf_conntrack", None),
    ("modprobe --resolve-alias nf-conntrack-2", None),
    ("modprobe --show-depends nf_conntrack", None),
    # firewall-cmd's questions are answered from firewalld's state: look-alikes
    ("firewall-cmd --state", "firewall_cmd_query"),
    ("firewall-cmd --list-all", "firewall_cmd_query"),
    ("firewall-cmd --get-active-zones", "firewall_cmd_query"),
    ("firewall-cmd --zone=public --list-ports", "firewall_cmd_query"),
    ("sudo firewall-cmd --permanent --list-all-zones", "firewall_cmd_query"),
    ("firewall-cmd --query-masquerade", "firewall_cmd_query"),
    ("firewall-cmd --info-zone=public", "firewall_cmd_query"),
    # ... its changes go through firewalld's rules
    ("firewall-cmd --add-masquerade", "firewall_service_start"),
    ("firewall-cmd --permanent --add-port=8080/tcp", "firewall_service_start"),
    ("firewall-cmd --reload", "firewall_service_start"),
    # reading the counters is a ctnetlink request: the kernel loads nf_conntrack_netlink for it
    ("conntrack -S", "conntrack_tool"),
    ("conntrack -C", "conntrack_tool"),
    ("sudo conntrack --stats", "conntrack_tool"),
    ("conntrack --count", "conntrack_tool"),
    ("lsmod | grep nf_conntrack", None),
]


@pytest.mark.parametrize(("command", "rule"), SPELLINGS, ids=[c for c, _ in SPELLINGS])
def test_spelling_matches_its_rule(command: str, rule: str | None) -> None:
    hits = match_command(command)
    assert (hits[0].id if hits else None) == rule, [r.id for r in hits]


def test_every_rule_has_a_spelling() -> None:
    covered = {rule for _c, rule in SPELLINGS}
    assert [r.id for r in command_rules() if r.id not in covered] == []


#: Commands that end (or do not end) an incident, with the recovery kind each must give.
RECOVERIES = [
    ("modprobe -r nf_conntrack", "module_unloaded"),
    ("modprobe -rv nf_conntrack", "module_unloaded"),
    ("modprobe --remove nf_conntrack", "module_unloaded"),
    ("sudo /sbin/modprobe -r -v iptable_nat", "module_unloaded"),
    ("rmmod nf_conntrack", "module_unloaded"),
    ("rmmod nf_conntrack_ipv4 nf_conntrack", "module_unloaded"),
    ("sysctl -w net.netfilter.nf_conntrack_max=262144", "conntrack_max_raised"),
    ("iptables -t raw -I PREROUTING -p udp --dport 53 -j CT --notrack", "rules_changed"),
    ("iptables-restore < /etc/sysconfig/iptables", "rules_changed"),
    ("systemctl stop firewalld", "rules_changed"),
    ("firewall-cmd --reload", "rules_changed"),
    # flushing rules keeps the tables, their conntrack hooks and every tracked connection
    ("iptables -F", None),
    ("iptables --flush", None),
    ("iptables -t nat -F", None),
    ("sudo iptables -F INPUT", None),
    ("ip6tables -nvF", None),
    # reading, loading
    ("firewall-cmd --list-all", None),
    ("conntrack -S", None),
    ("modprobe nf_conntrack", None),
    ("modprobe -v nf_conntrack", None),
]


@pytest.mark.parametrize(("command", "kind"), RECOVERIES, ids=[c for c, _ in RECOVERIES])
def test_recovery_spellings(command: str, kind: str | None) -> None:
    rule = match_recovery(command)
    assert (rule.kind if rule else None) == kind


_TABLE_FORMS = ["-t {t}", "-t{t}", "--table {t}", "--table={t}", "-nt {t}"]
_LIST_FORMS = ["-L", "-nvL", "-L -n -v", "-S", "--list", "--list-rules", "-vnL INPUT"]


@pytest.mark.parametrize("table", ["nat", "mangle", "raw", "security"])
def test_the_filter_look_alike_never_matches_another_table(table: str) -> None:
    """Every spelling of a listing of another table, in either order, is no filter listing."""
    rule = next(r for r in command_rules() if r.id == FILTER)
    for prog, form, listing in itertools.product(
            ["iptables", "ip6tables", "iptables-nft", "/sbin/iptables-legacy"],
            _TABLE_FORMS, _LIST_FORMS):
        option = form.format(t=table)
        for line in (f"{prog} {option} {listing}", f"{prog} {listing} {option}"):
            assert not any(rule.pattern.search(c) for c in commands(line)), line


@pytest.mark.parametrize("listing", _LIST_FORMS)
def test_every_filter_listing_is_the_look_alike(listing: str) -> None:
    for line in (f"iptables {listing}", f"iptables -t filter {listing}"):
        assert [r.id for r in match_command(line)] == [FILTER], line


@pytest.mark.parametrize(("history", "logged"), [
    ("sudo iptables -t nat -L -n", "/sbin/iptables -t nat -L -n"),
    ("sudo sh -c 'iptables -t nat -L'", "/bin/sh -c iptables -t nat -L"),
    ("sudo su - -c 'iptables -nvL -t nat'", "/bin/su - -c iptables -nvL -t nat"),
    ("sudo /usr/sbin/iptables-nft -nvL -t nat", "/usr/sbin/iptables-nft -nvL -t nat"),
])
def test_a_history_line_and_sudos_record_of_it_normalise_alike(history: str,
                                                               logged: str) -> None:
    """sudo logs the argument vector joined by spaces; both records are one act."""
    assert normalize_command(history) == normalize_command(logged)


@pytest.mark.parametrize(("line", "expected"), [
    ("sudo sh -c 'iptables -L; iptables -t nat -L' && echo done",
     ("iptables -L", "iptables -t nat -L", "echo done")),
    ("for t in filter nat; do iptables -t ${t} -S; done",
     ("iptables -t filter -S", "iptables -t nat -S")),
    ("/etc/rc.d/init.d/iptables start", ("service iptables start",)),
    ("xtables-nft-multi iptables-save", ("iptables-nft-save",)),
    ("echo 262144 > /proc/sys/net/netfilter/nf_conntrack_max",
     ("echo 262144 > /proc/sys/net/netfilter/nf_conntrack_max",)),
    ("iptables -t nat -L 'unterminated", ("iptables -t nat -L unterminated",)),
    ("", ()),
])
def test_commands_of_a_line(line: str, expected: tuple[str, ...]) -> None:
    assert commands(line) == expected


@pytest.mark.parametrize(("command", "files", "system"), [
    ("sysctl -p", (SYSCTL_CONF,), False),
    ("sudo sysctl -p /etc/sysctl.d/90-conntrack.conf", ("/etc/sysctl.d/90-conntrack.conf",),
     False),
    ("sysctl -p/etc/sysctl.d/90-conntrack.conf", ("/etc/sysctl.d/90-conntrack.conf",), False),
    ("sysctl -q -p /etc/sysctl.d/a.conf /etc/sysctl.d/b.conf",
     ("/etc/sysctl.d/a.conf", "/etc/sysctl.d/b.conf"), False),
    ("sysctl --load=/etc/sysctl.d/90-conntrack.conf", ("/etc/sysctl.d/90-conntrack.conf",),
     False),
    ("sysctl -e -p", (SYSCTL_CONF,), False),
    ("sysctl --system", (), True),
    ("sudo /usr/lib/systemd/systemd-sysctl", (), True),
    ("/lib/systemd/systemd-sysctl /etc/sysctl.d/90-conntrack.conf",
     ("/etc/sysctl.d/90-conntrack.conf",), False),
    ("systemctl restart systemd-sysctl.service", (), True),
    ("service procps restart", (), True),
])
def test_what_a_sysctl_reload_applies(command: str, files: tuple[str, ...],
                                      system: bool) -> None:
    load = sysctl_load(command)
    assert load is not None and (load.files, load.system) == (files, system)


@pytest.mark.parametrize("command", ["sysctl -a", "sysctl net.netfilter.nf_conntrack_max",
                                     "sysctl -w net.netfilter.nf_conntrack_max=262144",
                                     "vim /etc/sysctl.conf", "echo sysctl -p",
                                     "systemctl status systemd-sysctl"])
def test_commands_that_reload_nothing(command: str) -> None:
    assert sysctl_load(command) is None


@pytest.mark.parametrize("line", [
    "sudo", "sudo -u", "timeout", "watch", "su -c", "env -S", "nice -n", "xargs -I",
    "sudo sh -c", "bash -c ''", "(((", ")))", ";;;", "&&", "'", '"', "\\", "$(", "`",
    "for", "for x in", "for 1 in a; do iptables -t $1 -L; done",
    "sh -c \"sh -c 'sh -c \\\"sh -c \\\\\\\"sh -c iptables -t nat -L\\\\\\\"\\\"'\"",
    "iptables\x00 -t nat -L", "x" * 20000,
])
def test_odd_lines_never_raise(line: str) -> None:
    found = commands(line)
    assert isinstance(found, tuple) and all(isinstance(c, str) for c in found)
    match_command(line)
    sysctl_load(line)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -'\"\\;|&()$`#=\n\tiptables-nat")), max_size=60))
def test_any_line_splits_without_error(line: str) -> None:
    assert all(isinstance(c, str) for c in commands(line))
    match_command(line)


@pytest.mark.parametrize(("command", "size"), [
    ("sysctl -w net.netfilter.nf_conntrack_max=262144", 262144),
    # the size is the sysctl's, not the last number of the line
    ("sysctl -w net.netfilter.nf_conntrack_max=16384; echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse",
     16384),
    ("echo 1 > /proc/sys/net/ipv4/ip_forward && sysctl -w net.nf_conntrack_max=131072", 131072),
    ("echo 524288 | sudo tee /proc/sys/net/netfilter/nf_conntrack_max", 524288),
    ("sudo sh -c 'echo 65536 > /proc/sys/net/netfilter/nf_conntrack_max'", 65536),
    ("sysctl -w net.ipv4.netfilter.ip_conntrack_max=32768", 32768),
    # set twice on one line: the last one stays
    ("sysctl -w net.netfilter.nf_conntrack_max=1; sysctl -w net.netfilter.nf_conntrack_max=2000",
     2000),
    ("sysctl net.netfilter.nf_conntrack_max", None),
    ("echo 1 > /proc/sys/net/ipv4/ip_forward", None),
    ("sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=86400", None),
])
def test_size_set_reads_the_part_that_sets_the_size(command: str, size: int | None) -> None:
    assert size_set(command) == size


@pytest.mark.parametrize(("command", "unloads"), [
    ("rmmod nf_conntrack", True),
    ("sudo rmmod nf_conntrack_ipv4 nf_conntrack", True),
    ("modprobe -r iptable_nat", True),  # modprobe also removes the dependencies it leaves unused
    ("modprobe -rv iptable_nat", True),
    ("modprobe --remove nf_nat", True),
    ("rmmod iptable_nat", False),  # conntrack stays: other modules may use it
    ("modprobe nf_conntrack", False),
    ("modprobe -r bridge", False),
])
def test_unloads_conntrack(command: str, unloads: bool) -> None:
    assert unloads_conntrack(command) is unloads
