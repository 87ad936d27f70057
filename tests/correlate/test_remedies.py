"""Recommendations: commands per kernel generation and firewall, sizes and memory figures."""

from __future__ import annotations

import doctest
import math
import re
import shutil
import subprocess

import pytest

from conntrack_forensics.correlate import eras, remedies
from conntrack_forensics.correlate.eras import table_memory
from conntrack_forensics.correlate.model import Recommendation
from conntrack_forensics.correlate.remedies import recommend

# The documented figures (eras module docstring), restated here so that a change to the
# module's constants shows up as a failing test rather than silently changing the output.
ENTRY = 304          # nf_conntrack slab object, bytes (/proc/slabinfo)
PAGE = 4096          # slab page, bytes: 13 entries of 304 bytes fit
NF_BUCKET = 8        # struct hlist_nulls_head: one pointer on 64-bit
IP_BUCKET = 16       # struct list_head: two pointers on 64-bit
FLOOR = 262_144

KERNELS = {
    # release: (tracker, max key, default ratio, bucket bytes, notrack target, sysctl file)
    "2.6.18-419.el5": ("ip_conntrack", "net.ipv4.netfilter.ip_conntrack_max", 8, IP_BUCKET,
                       "-j NOTRACK", "/etc/sysctl.conf"),
    "2.6.32-696.el6.x86_64": ("nf_conntrack", "net.netfilter.nf_conntrack_max", 4, NF_BUCKET,
                              "-j NOTRACK", "/etc/sysctl.conf"),
    "3.10.0-1160.el7.x86_64": ("nf_conntrack", "net.netfilter.nf_conntrack_max", 4, NF_BUCKET,
                               "-j CT --notrack", "/etc/sysctl.d/90-conntrack.conf"),
    "5.15.0-91-generic": ("nf_conntrack", "net.netfilter.nf_conntrack_max", 1, NF_BUCKET,
                          "-j CT --notrack", "/etc/sysctl.d/90-conntrack.conf"),
}
CAUSES = ("module_autoload", "capacity", "unknown")
FIREWALLS = (None, "iptables", "nft", "firewalld")


def expected_memory(entries: int, buckets: int, bucket_bytes: int, entry: int = ENTRY) -> int:
    """The documented formula: entries packed into whole slab pages, plus the hash heads."""
    return math.ceil(entries / (PAGE // entry)) * PAGE + buckets * bucket_bytes


def mib(n: int) -> str:
    v = n / 2**20
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def by_id(recs: list[Recommendation]) -> dict[str, Recommendation]:
    return {r.id: r for r in recs}


def test_documented_constants() -> None:
    assert (eras.ENTRY_BYTES, eras.ENTRIES_PAGE) == (ENTRY, PAGE)
    assert (eras.NF_BUCKET_BYTES, eras.IP_BUCKET_BYTES) == (NF_BUCKET, IP_BUCKET)
    assert remedies.FLOOR_MAX == FLOOR
    assert PAGE // ENTRY == 13
    assert eras.TCP_ESTABLISHED_DEFAULT == 5 * 24 * 3600


def test_doctests() -> None:
    assert doctest.testmod(eras).failed == 0
    assert doctest.testmod(remedies).failed == 0


@pytest.mark.parametrize("kernel", KERNELS)
def test_raise_commands_fit_the_kernel(kernel: str) -> None:
    module, key, ratio, _, _, sysctl_file = KERNELS[kernel]
    rec = by_id(recommend("capacity", None, None, kernel))["raise_conntrack_max"]
    buckets = FLOOR // ratio
    assert rec.commands == [
        f"sysctl -w {key}={FLOOR}   # now; the key exists while {module} is loaded",
        f"echo {buckets} > /sys/module/{module}/parameters/hashsize",
        f"echo '{key} = {FLOOR}' >> {sysctl_file}",
        f"echo 'options {module} hashsize={buckets}' > /etc/modprobe.d/{module}.conf"
        "   # buckets at load; given a hashsize, the kernel starts at max = 8 x hashsize",
    ]
    assert f"with {buckets:,} hash buckets, {ratio} entries per bucket" in rec.text


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(("old_max", "old_buckets", "peak"), [
    (65536, 16384, None), (65536, 8192, None), (1_000_000, None, None), (None, None, None),
    (65536, 16384, 65536), (262144, 65536, 300_000), (None, None, 10),
])
def test_memory_follows_the_documented_formula(kernel: str, old_max: int | None,
                                               old_buckets: int | None,
                                               peak: int | None) -> None:
    _, _, default_ratio, bucket_bytes, _, _ = KERNELS[kernel]
    rec = by_id(recommend("capacity", old_max, old_buckets, kernel,
                          peak_count=peak))["raise_conntrack_max"]
    need = 2 * max(peak, old_max or 0) if peak is not None else 4 * (old_max or 0)
    new_max = max(FLOOR, 2 ** math.ceil(math.log2(need)) if need else 0)
    ratio = old_max // old_buckets if old_max and old_buckets else default_ratio
    buckets = new_max // ratio
    mem = expected_memory(new_max, buckets, bucket_bytes)
    assert table_memory(new_max, buckets, bucket_bytes=bucket_bytes) == mem
    assert f"at most {mib(mem)} MiB" in rec.text
    assert (f"({new_max:,} entries of {ENTRY} bytes, 13 to a {PAGE}-byte page, plus "
            f"{buckets:,} buckets of {bucket_bytes} bytes)") in rec.text
    assert f"={new_max}   #" in rec.commands[0]
    assert rec.commands[1].startswith(f"echo {buckets} > /sys/module/")


def test_memory_of_the_seed_host() -> None:
    # 2.6.32, banner "16384 buckets, 65536 max": 262,144 entries in 65,536 buckets.
    assert table_memory(262144, 65536) == 20165 * 4096 + 65536 * 8 == 83_120_128
    rec = by_id(recommend("module_autoload", 65536, 16384, "2.6.32"))["raise_conntrack_max"]
    assert "from 65,536 to 262,144 entries (four times the old limit" in rec.text
    assert "at most 79 MiB" in rec.text


def test_entry_bytes_from_the_evidence() -> None:
    # ip_conntrack banner "... - 228 bytes per conntrack": 17 entries to a page.
    rec = by_id(recommend("capacity", 65536, 8192, "2.6.18", entry_bytes=228))
    mem = expected_memory(262144, 32768, IP_BUCKET, entry=228)
    assert f"at most {mib(mem)} MiB" in rec["raise_conntrack_max"].text
    assert "entries of 228 bytes, 17 to a 4096-byte page" in rec["raise_conntrack_max"].text


@pytest.mark.parametrize(("old_max", "peak", "new_max"), [
    (None, None, FLOOR),            # nothing known: the floor
    (16384, None, FLOOR),           # 4 x 16384 = 65536 is below the floor
    (65536, None, 262144),          # 4 x the old limit
    (100_000, None, 524288),        # 400,000 rounded up to a power of two
    (65536, 200_000, 524288),       # 2 x the peak, rounded up
    (65536, 10, 262144),            # the need is at least the old limit (the table was full)
    (None, 131073, 524288),         # 262,146 rounds up to 2^19
    (None, 131072, 262144),         # exactly 2^18
])
def test_new_size(old_max: int | None, peak: int | None, new_max: int) -> None:
    assert remedies.new_table_size(old_max, peak) == new_max
    rec = by_id(recommend("capacity", old_max, None, "3.10", peak_count=peak))
    assert f"to {new_max:,} entries" in rec["raise_conntrack_max"].text


def test_sizing_is_explained() -> None:
    texts = {
        "peak": by_id(recommend("capacity", 65536, 16384, "3.10", peak_count=200_000)),
        "old": by_id(recommend("capacity", 65536, 16384, "3.10")),
        "small": by_id(recommend("capacity", 16384, 4096, "3.10")),
        "none": by_id(recommend("capacity", None, None, "3.10")),
    }
    assert ("(twice the 200,000 entries needed at the peak, as a power of two)"
            in texts["peak"]["raise_conntrack_max"].text)
    assert ("(four times the old limit, as a power of two)"
            in texts["old"]["raise_conntrack_max"].text)
    assert ("(the 262,144 minimum, above four times the old limit)"
            in texts["small"]["raise_conntrack_max"].text)
    assert ("Raise the table to 262,144 entries (the 262,144 minimum, as the old limit is not "
            "in the evidence)") in texts["none"]["raise_conntrack_max"].text


def test_the_hosts_own_ratio_wins() -> None:
    rec = by_id(recommend("capacity", 65536, 8192, "5.15.0"))["raise_conntrack_max"]
    assert rec.commands[1] == "echo 32768 > /sys/module/nf_conntrack/parameters/hashsize"
    rec = by_id(recommend("capacity", None, 8192, "5.15.0"))["raise_conntrack_max"]
    assert rec.commands[1] == "echo 262144 > /sys/module/nf_conntrack/parameters/hashsize"


@pytest.mark.parametrize(("cause", "ids"), [
    ("module_autoload", ["avoid_autoload", "raise_conntrack_max", "persist_settings",
                         "notrack_service_traffic"]),
    ("capacity", ["raise_conntrack_max", "persist_settings", "shorten_tcp_timeouts",
                  "notrack_service_traffic"]),
    ("unknown", ["raise_conntrack_max", "persist_settings", "shorten_tcp_timeouts",
                 "notrack_service_traffic"]),
])
def test_ids_per_cause(cause: str, ids: list[str]) -> None:
    assert [r.id for r in recommend(cause, 65536, 16384, "2.6.32")] == ids
    assert [r.id for r in recommend(cause, 65536, 16384, "2.6.32", ports=())] == ids[:-1]


@pytest.mark.parametrize(("kernel", "chain"), [
    ("2.6.18-419.el5", "iptable_nat ip_nat ip_conntrack"),
    ("2.6.32-696.el6.x86_64", "iptable_nat nf_nat nf_conntrack_ipv4 nf_conntrack"),
    ("3.10.0-1160.el7.x86_64", "iptable_nat nf_nat_ipv4 nf_nat nf_conntrack_ipv4 nf_conntrack"),
    ("4.19.0-25-amd64", "iptable_nat nf_nat_ipv4 nf_nat nf_conntrack"),
    ("5.15.0-91-generic", "iptable_nat nf_nat nf_conntrack"),
    (None, "iptable_nat nf_nat nf_conntrack_ipv4 nf_conntrack"),
])
def test_avoid_autoload(kernel: str | None, chain: str) -> None:
    rec = by_id(recommend("module_autoload", 65536, 16384, kernel))["avoid_autoload"]
    names = chain.split()
    assert rec.commands == [
        f"lsmod | grep -E '^({'|'.join(names)}) '",
        "grep -qsx nat /proc/net/ip_tables_names && iptables -t nat -nL"
        "   # lists nat only if it is already loaded",
        "for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do iptables -t \"$t\" -nvL; done"
        "   # only loaded tables, as sos report does unless given --allow-system-changes",
        f"modprobe -r {chain}   # fails with 'in use' while rules or other modules still need them",
        "echo 'install iptable_nat /bin/true' > /etc/modprobe.d/no-iptable_nat.conf"
        "   # never load the nat table again",
    ]
    assert "Docker, kube-proxy" in rec.text
    nat = "ip_nat and ip_conntrack" if kernel == "2.6.18-419.el5" else "nf_nat and nf_conntrack"
    assert f"iptable_nat needs {nat}" in rec.text


@pytest.mark.parametrize("kernel", KERNELS)
def test_timeouts(kernel: str) -> None:
    module, key, *_, sysctl_file = KERNELS[kernel]
    timeout_key = key.replace("_max", "_tcp_timeout_established")
    rec = by_id(recommend("capacity", 65536, 16384, kernel))["shorten_tcp_timeouts"]
    field = "$4" if module == "ip_conntrack" else "$6"
    assert rec.commands == [
        f"awk '{{print {field}}}' /proc/net/{module} | sort | uniq -c | sort -rn"
        "   # entries per TCP state",
        f"sysctl -w {timeout_key}=86400",
        f"echo '{timeout_key} = 86400' >> {sysctl_file}",
    ]
    assert "432,000 s (5 days)" in rec.text and "86,400 s (1 day)" in rec.text


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("cause", CAUSES)
def test_persist_settings(kernel: str, cause: str) -> None:
    module, key, *_ = KERNELS[kernel]
    rec = by_id(recommend(cause, 65536, 16384, kernel))["persist_settings"]
    systemd = kernel.startswith(("3.", "5."))
    udev = (f"echo 'ACTION==\"add\", SUBSYSTEM==\"module\", KERNEL==\"{module}\", "
            "RUN+=\"/usr/lib/systemd/systemd-sysctl --prefix=/net/netfilter\"' > "
            f"/etc/udev/rules.d/90-{module}.rules")
    if systemd:
        expected = [udev]
        if cause == "capacity":
            expected.append(f"echo {module} > /etc/modules-load.d/{module}.conf"
                            "   # or load it at boot, before systemd-sysctl runs")
        assert "sysctl.d(5)" in rec.text
    else:
        expected = [f"echo 'IPTABLES_SYSCTL_LOAD_LIST=\".{module}\"' >> "
                    "/etc/sysconfig/iptables-config"]
        if cause == "capacity":
            script = f"/etc/sysconfig/modules/{module}.modules"
            expected.append(
                f"printf '#!/bin/sh\\nmodprobe {module} && sysctl -e -p /etc/sysctl.conf "
                f">/dev/null\\n' > {script} && chmod 755 {script}"
                "   # or load it at boot and apply sysctl.conf again")
        assert "service iptables restart" in rec.text
    expected.append(f"sysctl {key}   # after a reboot, once {module} is loaded: 262144")
    assert rec.commands == expected


def test_persist_settings_without_a_kernel_gives_both() -> None:
    rec = by_id(recommend("unknown", None, None, None))["persist_settings"]
    assert rec.commands[0].endswith("/etc/udev/rules.d/90-nf_conntrack.rules   # systemd hosts")
    assert rec.commands[1].endswith("/etc/sysconfig/iptables-config   # RHEL/CentOS 5/6")
    assert by_id(recommend("unknown", None, None, None))["raise_conntrack_max"].commands[2] == \
        "echo 'net.netfilter.nf_conntrack_max = 262144' >> /etc/sysctl.conf"


@pytest.mark.parametrize("kernel", KERNELS)
def test_notrack_iptables(kernel: str) -> None:
    module, *_, target, _ = KERNELS[kernel]
    for firewall in (None, "iptables"):
        rec = by_id(recommend("capacity", 65536, 16384, kernel,
                              firewall=firewall))["notrack_service_traffic"]
        assert rec.commands[:2] == [
            f"iptables -t raw -I PREROUTING -p tcp -m multiport --dports 80,443 {target}",
            f"iptables -t raw -I OUTPUT -p tcp -m multiport --sports 80,443 {target}",
        ]
        if kernel.startswith("2.6"):
            assert rec.commands[2:] == [
                "service iptables save   # RHEL/CentOS: writes /etc/sysconfig/iptables",
                "iptables-save > /etc/iptables/rules.v4   # Debian/Ubuntu with iptables-persistent",
            ]
            assert f"(kernel {kernel} predates -j CT --notrack)" in rec.text
        else:
            assert rec.commands[2:] == [
                "iptables-save > /etc/sysconfig/iptables   # RHEL/CentOS with iptables-services",
                "netfilter-persistent save   # Debian/Ubuntu with iptables-persistent",
            ]
        assert f"keeps {module} loaded" in rec.text and "UNTRACKED" in rec.text


@pytest.mark.parametrize(("kernel", "target"), [
    ("2.6.34", "-j NOTRACK"), ("2.6.35", "-j CT --notrack"), (None, "-j CT --notrack"),
])
def test_ct_target_boundary(kernel: str | None, target: str) -> None:
    rec = by_id(recommend("capacity", None, None, kernel))["notrack_service_traffic"]
    assert rec.commands[0].endswith(target)
    if kernel is None:
        assert "(kernels before 2.6.35 take -j NOTRACK)" in rec.text


def test_notrack_ports() -> None:
    one = by_id(recommend("capacity", None, None, "2.6.32", ports=(8080,)))
    assert one["notrack_service_traffic"].commands[:2] == [
        "iptables -t raw -I PREROUTING -p tcp --dport 8080 -j NOTRACK",
        "iptables -t raw -I OUTPUT -p tcp --sport 8080 -j NOTRACK",
    ]
    assert "TCP port 8080 " in one["notrack_service_traffic"].text
    many = tuple(range(8000, 8020))  # 20 ports: multiport takes 15 at a time
    cmds = by_id(recommend("capacity", None, None, "3.10", ports=many))[
        "notrack_service_traffic"].commands
    assert cmds[0] == ("iptables -t raw -I PREROUTING -p tcp -m multiport --dports "
                       + ",".join(map(str, range(8000, 8015))) + " -j CT --notrack")
    assert cmds[1] == ("iptables -t raw -I PREROUTING -p tcp -m multiport --dports "
                       "8015,8016,8017,8018,8019 -j CT --notrack")
    assert cmds[2].startswith("iptables -t raw -I OUTPUT -p tcp -m multiport --sports 8000,")


@pytest.mark.parametrize("kernel", ["3.10.0-1160.el7.x86_64", "5.15.0-91-generic"])
def test_notrack_nft(kernel: str) -> None:
    rec = by_id(recommend("capacity", None, None, kernel, firewall="nft"))
    assert rec["notrack_service_traffic"].commands == [
        "nft add table inet raw",
        "nft add chain inet raw prerouting '{ type filter hook prerouting priority -300; }'",
        "nft add chain inet raw output '{ type filter hook output priority -300; }'",
        "nft add rule inet raw prerouting tcp dport '{ 80, 443 }' notrack",
        "nft add rule inet raw output tcp sport '{ 80, 443 }' notrack",
        "nft list table inet raw > /etc/nftables-notrack.nft",
        "echo 'include \"/etc/nftables-notrack.nft\"' >> /etc/nftables.conf"
        "   # RHEL/CentOS: /etc/sysconfig/nftables.conf",
    ]
    single = by_id(recommend("capacity", None, None, kernel, firewall="nft", ports=(443,)))
    assert ("nft add rule inet raw output tcp sport 443 notrack"
            in single["notrack_service_traffic"].commands)


@pytest.mark.parametrize("kernel", ["3.10.0-1160.el7.x86_64", "5.15.0-91-generic"])
def test_notrack_firewalld(kernel: str) -> None:
    rec = by_id(recommend("capacity", None, None, kernel, firewall="firewalld"))
    assert rec["notrack_service_traffic"].commands == [
        "firewall-cmd --permanent --direct --add-rule ipv4 raw PREROUTING 0 -p tcp "
        "-m multiport --dports 80,443 -j CT --notrack",
        "firewall-cmd --permanent --direct --add-rule ipv4 raw OUTPUT 0 -p tcp "
        "-m multiport --sports 80,443 -j CT --notrack",
        "firewall-cmd --reload",
    ]


@pytest.mark.parametrize("kernel", [*KERNELS, None])
@pytest.mark.parametrize("cause", CAUSES)
@pytest.mark.parametrize("firewall", FIREWALLS)
def test_texts_and_commands_are_well_formed(kernel: str | None, cause: str,
                                            firewall: str | None) -> None:
    recs = recommend(cause, 65536, 16384, kernel, firewall=firewall, peak_count=70000)
    assert len({r.id for r in recs}) == len(recs)
    for rec in recs:
        sentences = re.findall(r"[.!?](?:\s|$)", rec.text)
        assert 1 <= len(sentences) <= 2, rec.text
        assert rec.commands
        for cmd in rec.commands:
            assert "\n" not in cmd and cmd == cmd.strip()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize("kernel", [*KERNELS, None])
@pytest.mark.parametrize("firewall", FIREWALLS)
def test_commands_parse_as_shell(kernel: str | None, firewall: str | None) -> None:
    """``bash -n`` only parses: nothing is run."""
    for cause in CAUSES:
        for rec in recommend(cause, 65536, 16384, kernel, firewall=firewall):
            for cmd in rec.commands:
                done = subprocess.run(["bash", "-n", "-c", cmd], capture_output=True, text=True,
                                      check=False)
                assert done.returncode == 0, (cmd, done.stderr)


def test_the_existing_call_still_works() -> None:
    recs = recommend("module_autoload", 65536, 16384, "2.6.32-696.el6.x86_64")
    notrack = by_id(recs)["notrack_service_traffic"]
    assert "-j NOTRACK" in notrack.commands[0]
    assert all(isinstance(r, Recommendation) for r in recs)


@pytest.mark.parametrize("kwargs", [
    {"firewall": "ufw"}, {"ports": (0,)}, {"ports": (80, 70000)}, {"entry_bytes": 0},
])
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        recommend("capacity", None, None, None, **kwargs)  # type: ignore[arg-type]
