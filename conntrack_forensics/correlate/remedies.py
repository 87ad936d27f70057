"""Recommendations with the exact commands for the host's kernel.

Facts used: the default table size is ``nf_conntrack_buckets`` x 4 on 2.6/3.x kernels (the ratio
is taken from the host's own banner when present); the ``CT`` target (``-j CT --notrack``)
exists from Linux 2.6.35, older kernels use ``-j NOTRACK``; a tracked connection costs roughly
300 bytes of kernel memory (slab ``nf_conntrack``) and a hash bucket 8 to 16 bytes.
"""

from __future__ import annotations

import re

from .model import Recommendation

ENTRY_BYTES = 300
BUCKET_BYTES = 16
FLOOR_MAX = 262_144


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


def recommend(
    cause: str, conntrack_max: int | None, buckets: int | None, kernel: str | None
) -> list[Recommendation]:
    """Remedies for an incident, most direct first."""
    out: list[Recommendation] = []
    ratio = max(1, conntrack_max // buckets) if conntrack_max and buckets else 4
    new_max = _pow2_at_least(max(FLOOR_MAX, 4 * (conntrack_max or 0)))
    new_buckets = max(1, new_max // ratio)
    mib = (new_max * ENTRY_BYTES + new_buckets * BUCKET_BYTES) / 2**20
    current = f"the table held {conntrack_max:,} entries" if conntrack_max else \
        "the table size was not in the evidence"
    ver = _kernel_tuple(kernel)
    systemd_era = ver is not None and ver >= (3, 10)
    persist = ("/etc/sysctl.d/90-conntrack.conf" if systemd_era else "/etc/sysctl.conf")
    if cause == "module_autoload":
        out.append(Recommendation(
            "avoid_autoload",
            "Conntrack was not needed on this host until a command loaded it. Check which "
            "tables are loaded before listing one (listing the nat table loads conntrack), "
            "and unload the modules if nothing needs them.",
            [
                "cat /proc/net/ip_tables_names   # tables already loaded; reading it loads none",
                "lsmod | grep -E '^(nf_conntrack|iptable_nat|nf_nat)'",
                "modprobe -r iptable_nat   # also removes nf_nat/nf_conntrack when unused",
                "echo 'install iptable_nat /bin/false' > /etc/modprobe.d/no-nat.conf"
                "   # only where NAT is never wanted",
            ],
        ))
    out.append(Recommendation(
        "raise_conntrack_max",
        f"Raise the table size: {current}; {new_max:,} entries with {new_buckets:,} buckets "
        f"cost at most about {mib:.0f} MiB of kernel memory.",
        [
            f"sysctl -w net.netfilter.nf_conntrack_max={new_max}",
            f"echo {new_buckets} > /sys/module/nf_conntrack/parameters/hashsize",
            f"echo 'net.netfilter.nf_conntrack_max = {new_max}' >> {persist}",
            f"echo 'options nf_conntrack hashsize={new_buckets}' > "
            "/etc/modprobe.d/nf_conntrack.conf",
        ],
    ))
    if ver is not None and ver < (2, 6, 35):
        notrack = ["iptables -t raw -I PREROUTING -p tcp -m multiport --dports 80,443 -j NOTRACK",
                   "iptables -t raw -I OUTPUT -p tcp -m multiport --sports 80,443 -j NOTRACK"]
    else:
        notrack = [
            "iptables -t raw -I PREROUTING -p tcp -m multiport --dports 80,443 -j CT --notrack",
            "iptables -t raw -I OUTPUT -p tcp -m multiport --sports 80,443 -j CT --notrack",
            "# nftables: add rule inet raw prerouting tcp dport { 80, 443 } notrack",
        ]
    out.append(Recommendation(
        "notrack_service_traffic",
        "Exempt the busy service's traffic from tracking in the raw table"
        + (f" (kernel {kernel})" if kernel else "") + "; the raw table does not load "
        "conntrack. Adjust the ports to the affected service.",
        notrack,
    ))
    return out
