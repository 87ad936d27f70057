"""Recommendations with the exact commands for the host's kernel generation and firewall tool.

Which remedies apply to a cause, how big the new table should be, and the sysctl and module
commands; what each kernel generation calls things and the memory figures are in
:mod:`.eras`, the notrack rule of each firewall tool in :mod:`.notrack`.

The host's own ratio of entries to buckets (from its banner) wins over the generation's
default when both numbers are known.

Facts the commands rely on:

- ``hashsize`` is writable at runtime, ``/sys/module/nf_conntrack/parameters/hashsize`` (and
  ``/sys/module/ip_conntrack/...``): ``module_param_call(hashsize, ..., 0600)`` in both trackers.
- Load order: sysctl.d(5) says systemd-sysctl runs early at boot and cannot set keys of modules
  loaded later; it recommends a udev rule (``ACTION=="add", SUBSYSTEM=="module",
  KERNEL=="...", RUN+="/usr/lib/systemd/systemd-sysctl --prefix=..."``), or listing the module
  in modules-load.d. RHEL/CentOS 5/6: ``service iptables restart`` unloads the modules
  (``IPTABLES_MODULES_UNLOAD="yes"``), and ``IPTABLES_SYSCTL_LOAD_LIST`` in
  ``/etc/sysconfig/iptables-config`` makes the service reload the matching sysctl.conf keys.
- sos report runs ``iptables -t TABLE -nvL`` only when ``iptable_TABLE`` (or nf_tables) is
  loaded; ``--allow-system-changes`` (passed on by sos collect to sos 3.8 and later) lifts that.
"""

from __future__ import annotations

from .eras import ENTRIES_PAGE, ENTRY_BYTES, TCP_ESTABLISHED_DEFAULT, Era, era, table_memory
from .model import Recommendation
from .notrack import FIREWALLS, notrack

FLOOR_MAX = 262_144
"""The smallest table this module recommends."""
TCP_ESTABLISHED_SUGGESTED = 86_400
"""Suggested value (1 day)."""


def _pow2_at_least(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


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
            "N bytes per conntrack", or the slabinfo object size); else
            :data:`.eras.ENTRY_BYTES`.

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
        out.append(notrack(e, kernel, firewall, ports))
    return out
