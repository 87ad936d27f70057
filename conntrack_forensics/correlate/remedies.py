"""Recommendations with the exact commands for the host's kernel generation and firewall tool.

Figures used, and where they come from:

Table size defaults (``nf_conntrack_max`` against the hash size, ``nf_conntrack_buckets`` or the
``hashsize`` module parameter):

- ip_conntrack, the IPv4-only tracker of 2.6.18-era kernels (RHEL/CentOS 5; mainline replaced it
  with nf_conntrack): ``ip_conntrack_max = 8 x hashsize`` (``ip_conntrack_init`` in
  ``net/ipv4/netfilter/ip_conntrack_core.c``; banner ``ip_conntrack version 2.4 (8192 buckets,
  65536 max) - N bytes per conntrack``). Taken here for kernels before 2.6.20.
- nf_conntrack before Linux 5.15: ``max = 4 x buckets`` when the kernel sizes the table itself,
  and ``8 x hashsize`` when ``hashsize=`` is given at load ("Use a max. factor of four by
  default ... When a table size is given we use the old value of 8", ``nf_conntrack_core.c``);
  hence the 2.6.32 banner ``nf_conntrack version 0.5.0 (16384 buckets, 65536 max)``.
- nf_conntrack from 5.15 (commit d532bcd0b269, "netfilter: conntrack: sanitize table size
  default settings"): ``max = buckets`` ("max. factor of one"), still ``8 x hashsize`` when
  hashsize is given; ``Documentation/networking/nf_conntrack-sysctl.rst``: nf_conntrack_max
  "is set to nf_conntrack_buckets by default", buckets "never fewer than 1024 and never more
  than 262144".

The host's own ratio (from its banner) wins over these defaults when both numbers are known.

Memory of a full table, by the formula of "Netfilter conntrack performance tweaking" (Hervé
Eychenne, v0.8, wallfire.org): ``CONNTRACK_MAX x sizeof(conntrack entry) + HASHSIZE x
sizeof(hash head)``, with

- entry: :data:`ENTRY_BYTES` = 304 bytes, the ``nf_conntrack`` slab object size read from
  ``/proc/slabinfo``, 13 objects to a 4096-byte slab page (John Leach, "Netfilter Conntrack
  Memory Usage", 2009), so entries are counted in whole pages: ``ceil(max / 13) x 4096``.
  The size depends on the kernel build (ip_conntrack banners print 200 to 368 bytes); pass
  ``entry_bytes`` when the evidence has the host's own figure (the ip_conntrack banner's
  "N bytes per conntrack", or the slabinfo object size).
- hash head: one pointer, 8 bytes on 64-bit, for nf_conntrack (``struct hlist_nulls_head``; the
  kernel sizes its default table as memory / 16384 / ``sizeof(struct hlist_head)``); two
  pointers, 16 bytes, for ip_conntrack (``struct list_head``, sized the same way).

This is kernel memory that cannot be swapped; NAT and accounting extensions come on top.

Other facts the commands rely on:

- ``hashsize`` is writable at runtime, ``/sys/module/nf_conntrack/parameters/hashsize`` (and
  ``/sys/module/ip_conntrack/...``): ``module_param_call(hashsize, ..., 0600)`` in both trackers.
- The ``CT`` target (``-j CT --notrack``) is used from 2.6.35, ``-j NOTRACK`` below it. Both
  targets, and nft's ``notrack``, need nf_conntrack: adding such a rule loads it.
- ``nf_conntrack_tcp_timeout_established``: "default 432000 (5 days)" (nf_conntrack-sysctl).
- Load order: sysctl.d(5) says systemd-sysctl runs early at boot and cannot set keys of modules
  loaded later; it recommends a udev rule (``ACTION=="add", SUBSYSTEM=="module",
  KERNEL=="...", RUN+="/usr/lib/systemd/systemd-sysctl --prefix=..."``), or listing the module
  in modules-load.d. RHEL/CentOS 5/6: ``service iptables restart`` unloads the modules
  (``IPTABLES_MODULES_UNLOAD="yes"``), and ``IPTABLES_SYSCTL_LOAD_LIST`` in
  ``/etc/sysconfig/iptables-config`` makes the service reload the matching sysctl.conf keys.
  Kernels before 3.10 are treated as sysvinit-era (``/etc/sysctl.conf``), 3.10 and later as
  systemd-era (``/etc/sysctl.d``).
- sos report runs ``iptables -t TABLE -nvL`` only when ``iptable_TABLE`` (or nf_tables) is
  loaded; ``--allow-system-changes`` (passed on by sos collect to sos 3.8 and later) lifts that.
- Module names: nf_nat_ipv4 split from nf_nat in 3.7; nf_conntrack_ipv4 merged into
  nf_conntrack in 4.19 (a0ae2562c6c4); nf_nat_ipv4 merged back into nf_nat in 5.1 (3bf195ae6037).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .model import Recommendation

ENTRY_BYTES = 304
"""Bytes per tracked connection (slab object), when the evidence does not say."""
ENTRIES_PAGE = 4096
"""Slab page size the entries are packed into."""
NF_BUCKET_BYTES = 8
"""Bytes per hash bucket for nf_conntrack (one pointer, 64-bit)."""
IP_BUCKET_BYTES = 16
"""Bytes per hash bucket for ip_conntrack (two pointers, 64-bit)."""
FLOOR_MAX = 262_144
"""The smallest table this module recommends."""
TCP_ESTABLISHED_DEFAULT = 432_000
"""Default ``nf_conntrack_tcp_timeout_established`` in seconds (5 days)."""
TCP_ESTABLISHED_SUGGESTED = 86_400
"""Suggested value (1 day)."""

FIREWALLS = ("iptables", "nft", "firewalld")
_MULTIPORT_MAX = 15  # ports one -m multiport match takes


def _kernel_tuple(kernel: str | None) -> tuple[int, ...] | None:
    if not kernel:
        return None
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", kernel)
    if not m:
        return None
    return tuple(int(x) for x in m.groups(default="0"))


def _pow2_at_least(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


@dataclass(frozen=True)
class Era:
    """What a kernel generation calls things, and its table-size defaults."""

    ct_module: str
    """``ip_conntrack`` or ``nf_conntrack``."""
    sysctl_prefix: str
    """Prefix of the conntrack sysctl keys, up to the name (``..._max``)."""
    default_ratio: int
    """Default entries per hash bucket when the kernel sizes the table."""
    bucket_bytes: int
    ct_target: bool
    """Whether to use ``-j CT --notrack`` (else ``-j NOTRACK``)."""
    systemd: bool | None
    """systemd-era persistence (``/etc/sysctl.d``, udev), sysvinit-era, or unknown (both)."""
    nat_chain: tuple[str, ...]
    """The modules behind the nat table, top first (the order ``modprobe -r`` takes)."""

    @property
    def max_key(self) -> str:
        """The sysctl key of the table size."""
        return f"{self.sysctl_prefix}_max"

    @property
    def tcp_established_key(self) -> str:
        """The sysctl key of the established-TCP timeout."""
        return f"{self.sysctl_prefix}_tcp_timeout_established"

    @property
    def sysctl_file(self) -> str:
        """Where sysctl settings persist."""
        return "/etc/sysctl.d/90-conntrack.conf" if self.systemd else "/etc/sysctl.conf"


def era(kernel: str | None) -> Era:
    """The kernel generation of a release string.

    An unknown kernel gets nf_conntrack names, the pre-5.15 ratio, the ``CT`` target and
    ``/etc/sysctl.conf`` (read by both init generations), with both persistence variants.
    """
    ver = _kernel_tuple(kernel)
    if ver is not None and ver < (2, 6, 20):
        return Era("ip_conntrack", "net.ipv4.netfilter.ip_conntrack", 8, IP_BUCKET_BYTES,
                   ct_target=False, systemd=False,
                   nat_chain=("iptable_nat", "ip_nat", "ip_conntrack"))
    if ver is None or ver < (3, 7):
        chain: tuple[str, ...] = ("iptable_nat", "nf_nat", "nf_conntrack_ipv4", "nf_conntrack")
    elif ver < (4, 19):
        chain = ("iptable_nat", "nf_nat_ipv4", "nf_nat", "nf_conntrack_ipv4", "nf_conntrack")
    elif ver < (5, 1):
        chain = ("iptable_nat", "nf_nat_ipv4", "nf_nat", "nf_conntrack")
    else:
        chain = ("iptable_nat", "nf_nat", "nf_conntrack")
    return Era(
        "nf_conntrack", "net.netfilter.nf_conntrack",
        default_ratio=1 if ver is not None and ver >= (5, 15) else 4,
        bucket_bytes=NF_BUCKET_BYTES,
        ct_target=ver is None or ver >= (2, 6, 35),
        systemd=None if ver is None else ver >= (3, 10),
        nat_chain=chain,
    )


def table_memory(max_entries: int, buckets: int, *, entry_bytes: int = ENTRY_BYTES,
                 bucket_bytes: int = NF_BUCKET_BYTES) -> int:
    """Bytes of kernel memory a full table takes (module docstring: the formula and figures).

    >>> table_memory(262144, 65536)
    83120128
    """
    per_page = max(1, ENTRIES_PAGE // entry_bytes)
    return math.ceil(max_entries / per_page) * ENTRIES_PAGE + buckets * bucket_bytes


def new_table_size(conntrack_max: int | None, peak_count: int | None = None) -> int:
    """The table size to recommend.

    With a peak count: twice the need, as a power of two. The need is the larger of the peak
    and the old limit, since drops mean the table was full. Without one: four times the old
    limit, as a power of two. Never below :data:`FLOOR_MAX`.
    """
    if peak_count is not None:
        want = 2 * max(peak_count, conntrack_max or 0)
    else:
        want = 4 * (conntrack_max or 0)
    return _pow2_at_least(max(FLOOR_MAX, want))


def _mib(n: int) -> str:
    mib = n / 2**20
    return f"{mib:,.0f}" if mib >= 10 else f"{mib:.1f}"


def _iptables_port_matches(ports: tuple[int, ...], direction: str) -> list[str]:
    """``--dport 80`` or ``-m multiport --dports 80,443`` (15 ports at most per match)."""
    if len(ports) == 1:
        return [f"--{direction}port {ports[0]}"]
    chunks = [ports[i:i + _MULTIPORT_MAX] for i in range(0, len(ports), _MULTIPORT_MAX)]
    return [f"-m multiport --{direction}ports {','.join(str(p) for p in c)}" for c in chunks]


def _nft_ports(ports: tuple[int, ...]) -> str:
    return str(ports[0]) if len(ports) == 1 else "'{ " + ", ".join(str(p) for p in ports) + " }'"


def _raise_max(e: Era, conntrack_max: int | None, ratio: int, new_max: int,
               new_buckets: int, entry: int, peak_count: int | None) -> Recommendation:
    mem = table_memory(new_max, new_buckets, entry_bytes=entry, bucket_bytes=e.bucket_bytes)
    per_page = max(1, ENTRIES_PAGE // entry)
    if peak_count is not None:
        need = max(peak_count, conntrack_max or 0)
        want, basis = 2 * need, f"twice the {need:,} entries needed at the peak"
    elif conntrack_max:
        want, basis = 4 * conntrack_max, "four times the old limit"
    else:
        want, basis = 0, "the old limit is not in the evidence"
    basis = (f"{basis}, as a power of two" if want >= FLOOR_MAX
             else f"the {FLOOR_MAX:,} minimum, above {basis}" if want else
             f"the {FLOOR_MAX:,} minimum, as {basis}")
    start = (f"Raise the table from {conntrack_max:,} to {new_max:,} entries" if conntrack_max
             else f"Raise the table to {new_max:,} entries")
    text = (f"{start} ({basis}) with {new_buckets:,} hash buckets, "
            f"{ratio} entries per bucket. Full, it takes at most {_mib(mem)} MiB of kernel "
            f"memory that cannot be swapped ({new_max:,} entries of {entry} bytes, "
            f"{per_page} to a {ENTRIES_PAGE}-byte page, plus {new_buckets:,} buckets of "
            f"{e.bucket_bytes} bytes).")
    commands = [
        f"sysctl -w {e.max_key}={new_max}   # now; the key exists while {e.ct_module} is loaded",
        f"echo {new_buckets} > /sys/module/{e.ct_module}/parameters/hashsize",
        f"echo '{e.max_key} = {new_max}' >> {e.sysctl_file}",
        f"echo 'options {e.ct_module} hashsize={new_buckets}' > "
        f"/etc/modprobe.d/{e.ct_module}.conf"
        "   # buckets at load; given a hashsize, the kernel starts at max = 8 x hashsize",
    ]
    return Recommendation("raise_conntrack_max", text, commands)


def _persist(cause: str, e: Era, new_max: int) -> Recommendation:
    if e.systemd:
        first = "systemd-sysctl applies /etc/sysctl.d"
        again = ("with a udev rule, as sysctl.d(5) recommends"
                 + (", or load the module at boot" if cause == "capacity" else ""))
        reload = "reloading the module"
    elif e.systemd is False:
        first = "/etc/sysctl.conf is applied"
        again = "through the iptables service's IPTABLES_SYSCTL_LOAD_LIST (RHEL/CentOS)"
        reload = "`service iptables restart`, which reloads the modules,"
    else:
        first = "Sysctl files are applied"
        again = ("with a udev rule on systemd hosts (sysctl.d(5)), or through the iptables "
                 "service's IPTABLES_SYSCTL_LOAD_LIST on RHEL/CentOS 5/6")
        reload = "reloading the module"
    text = (f"{first} early at boot, usually before {e.ct_module} is loaded, so these keys are "
            f"skipped, and {reload} puts the defaults back. Apply them again whenever the "
            f"module loads, {again}.")
    udev = (f"echo 'ACTION==\"add\", SUBSYSTEM==\"module\", KERNEL==\"{e.ct_module}\", "
            "RUN+=\"/usr/lib/systemd/systemd-sysctl --prefix=/net/netfilter\"' > "
            f"/etc/udev/rules.d/90-{e.ct_module}.rules")
    initscript = (f"echo 'IPTABLES_SYSCTL_LOAD_LIST=\".{e.ct_module}\"' >> "
                  "/etc/sysconfig/iptables-config")
    modules_load = (f"echo {e.ct_module} > /etc/modules-load.d/{e.ct_module}.conf"
                    "   # or load it at boot, before systemd-sysctl runs")
    script = f"/etc/sysconfig/modules/{e.ct_module}.modules"
    sysv_boot = (f"printf '#!/bin/sh\\nmodprobe {e.ct_module} && sysctl -e -p /etc/sysctl.conf "
                 f">/dev/null\\n' > {script} && chmod 755 {script}"
                 "   # or load it at boot and apply sysctl.conf again")
    commands: list[str] = []
    if e.systemd is not False:
        commands.append(udev + ("   # systemd hosts" if e.systemd is None else ""))
        if cause == "capacity":
            commands.append(modules_load)
    if e.systemd is not True:
        commands.append(initscript + ("   # RHEL/CentOS 5/6" if e.systemd is None else ""))
        if cause == "capacity":
            commands.append(sysv_boot)
    commands.append(f"sysctl {e.max_key}   # after a reboot, once {e.ct_module} is loaded: "
                    f"{new_max}")
    return Recommendation("persist_settings", text, commands)


def _timeouts(e: Era) -> Recommendation:
    state_field = "$4" if e.ct_module == "ip_conntrack" else "$6"
    text = (f"Idle established TCP connections stay in the table for "
            f"{TCP_ESTABLISHED_DEFAULT:,} s (5 days) by default, holding slots long after the "
            f"peers are gone; {TCP_ESTABLISHED_SUGGESTED:,} s (1 day) frees them sooner.")
    return Recommendation("shorten_tcp_timeouts", text, [
        f"awk '{{print {state_field}}}' /proc/net/{e.ct_module} | sort | uniq -c | sort -rn"
        "   # entries per TCP state",
        f"sysctl -w {e.tcp_established_key}={TCP_ESTABLISHED_SUGGESTED}",
        f"echo '{e.tcp_established_key} = {TCP_ESTABLISHED_SUGGESTED}' >> {e.sysctl_file}",
    ])


def _avoid_autoload(e: Era) -> Recommendation:
    top, *deps = e.nat_chain
    names = "|".join(e.nat_chain)
    nat = " and ".join(d for d in deps if d.endswith("_nat"))
    text = (f"Conntrack was not in use until something loaded it, and even listing the nat "
            f"table does: {top} needs {nat} and {e.ct_module}. List only tables that are "
            "already loaded, unload the modules if nothing needs them, and where NAT is never "
            f"wanted block {top} (this breaks Docker, kube-proxy, libvirt and any other NAT).")
    return Recommendation("avoid_autoload", text, [
        f"lsmod | grep -E '^({names}) '",
        "grep -qsx nat /proc/net/ip_tables_names && iptables -t nat -nL"
        "   # lists nat only if it is already loaded",
        "for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do iptables -t \"$t\" -nvL; done"
        "   # only loaded tables, as sos report does unless given --allow-system-changes",
        f"modprobe -r {' '.join(e.nat_chain)}"
        "   # fails with 'in use' while rules or other modules still need them",
        f"echo 'install {top} /bin/true' > /etc/modprobe.d/no-{top}.conf"
        "   # never load the nat table again",
    ])


def _notrack(e: Era, kernel: str | None, firewall: str | None,
             ports: tuple[int, ...]) -> Recommendation:
    shown = ", ".join(str(p) for p in ports)
    plural = "s" if len(ports) > 1 else ""
    target = "-j CT --notrack" if e.ct_target else "-j NOTRACK"
    if firewall == "nft":
        how = "with nft's notrack in a raw-priority chain (table inet raw)"
        p = _nft_ports(ports)
        commands = [
            "nft add table inet raw",
            "nft add chain inet raw prerouting '{ type filter hook prerouting priority -300; }'",
            "nft add chain inet raw output '{ type filter hook output priority -300; }'",
            f"nft add rule inet raw prerouting tcp dport {p} notrack",
            f"nft add rule inet raw output tcp sport {p} notrack",
            "nft list table inet raw > /etc/nftables-notrack.nft",
            "echo 'include \"/etc/nftables-notrack.nft\"' >> /etc/nftables.conf"
            "   # RHEL/CentOS: /etc/sysconfig/nftables.conf",
        ]
    elif firewall == "firewalld":
        how = f"with a firewalld direct rule ({target}) in the raw table"
        commands = [
            f"firewall-cmd --permanent --direct --add-rule ipv4 raw {chain} 0 -p tcp {match} "
            f"{target}"
            for chain, direction in (("PREROUTING", "d"), ("OUTPUT", "s"))
            for match in _iptables_port_matches(ports, direction)
        ] + ["firewall-cmd --reload"]
    else:
        why = (" (kernels before 2.6.35 take -j NOTRACK)" if kernel is None
               else "" if e.ct_target else f" (kernel {kernel} predates -j CT --notrack)")
        how = f"with {target} in the raw table{why}"
        commands = [
            f"iptables -t raw -I {chain} -p tcp {match} {target}"
            for chain, direction in (("PREROUTING", "d"), ("OUTPUT", "s"))
            for match in _iptables_port_matches(ports, direction)
        ]
        if e.systemd or kernel is None:
            commands += [
                "iptables-save > /etc/sysconfig/iptables   # RHEL/CentOS with iptables-services",
                "netfilter-persistent save   # Debian/Ubuntu with iptables-persistent",
            ]
        else:
            commands += [
                "service iptables save   # RHEL/CentOS: writes /etc/sysconfig/iptables",
                "iptables-save > /etc/iptables/rules.v4   # Debian/Ubuntu with iptables-persistent",
            ]
    text = (f"Exempt the busy service's TCP port{plural} {shown} from tracking, incoming and "
            f"replies alike, {how}; adjust the ports to the affected service. Untracked packets "
            "are no longer ESTABLISHED, so the filter rules must accept them by port (or state "
            f"UNTRACKED), and the rule itself keeps {e.ct_module} loaded.")
    return Recommendation("notrack_service_traffic", text, commands)


def recommend(
    cause: str,
    conntrack_max: int | None,
    buckets: int | None,
    kernel: str | None,
    *,
    peak_count: int | None = None,
    firewall: str | None = None,
    ports: tuple[int, ...] = (80, 443),
    entry_bytes: int | None = None,
) -> list[Recommendation]:
    """Remedies for an incident, most direct first.

    Args:
        cause: ``module_autoload``, ``capacity`` or ``unknown``.
        conntrack_max: the table size in force (banner or sysctl), if known.
        buckets: the hash size in force, if known.
        kernel: the kernel release (``uname -r``), if known.
        peak_count: entries in use at the peak (e.g. ``nf_conntrack_count`` of a snapshot):
            the new size is twice the need, the need being at least the old limit.
        firewall: the host's firewall tool, ``iptables``, ``nft`` or ``firewalld``
            (``None``: iptables commands).
        ports: the TCP ports of the busy service, for the raw-table exemption.
        entry_bytes: bytes per entry when the evidence gives them (the ip_conntrack banner's
            "N bytes per conntrack", or the slabinfo object size); else :data:`ENTRY_BYTES`.

    Raises:
        ValueError: for an unknown firewall, a port outside 1-65535, or a size below one.
    """
    if firewall is not None and firewall not in FIREWALLS:
        raise ValueError(f"firewall must be one of {FIREWALLS} or None, not {firewall!r}")
    if any(not 1 <= p <= 65535 for p in ports):
        raise ValueError(f"ports must be in 1-65535: {ports}")
    if entry_bytes is not None and entry_bytes < 1:
        raise ValueError("entry_bytes must be positive")
    e = era(kernel)
    ratio = max(1, conntrack_max // buckets) if conntrack_max and buckets else e.default_ratio
    new_max = new_table_size(conntrack_max, peak_count)
    new_buckets = max(1, new_max // ratio)
    out: list[Recommendation] = []
    if cause == "module_autoload":
        out.append(_avoid_autoload(e))
    out.append(_raise_max(e, conntrack_max, ratio, new_max, new_buckets,
                          entry_bytes or ENTRY_BYTES, peak_count))
    out.append(_persist(cause, e, new_max))
    if cause != "module_autoload":
        out.append(_timeouts(e))
    if ports:
        out.append(_notrack(e, kernel, firewall, ports))
    return out
