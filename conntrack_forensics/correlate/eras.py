"""Kernel generations: what each calls the conntrack modules and keys, and its table's size.

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

Other facts of each generation:

- The ``CT`` target (``-j CT --notrack``) is used from 2.6.35, ``-j NOTRACK`` below it.
- ``nf_conntrack_tcp_timeout_established``: "default 432000 (5 days)" (nf_conntrack-sysctl).
- Kernels before 3.10 are treated as sysvinit-era (``/etc/sysctl.conf``), 3.10 and later as
  systemd-era (``/etc/sysctl.d``).
- Module names: nf_nat_ipv4 split from nf_nat in 3.7; nf_conntrack_ipv4 merged into
  nf_conntrack in 4.19 (a0ae2562c6c4); nf_nat_ipv4 merged back into nf_nat in 5.1 (3bf195ae6037).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ENTRY_BYTES = 304
"""Bytes per tracked connection (slab object), when the evidence does not say."""
ENTRIES_PAGE = 4096
"""Slab page size the entries are packed into."""
NF_BUCKET_BYTES = 8
"""Bytes per hash bucket for nf_conntrack (one pointer, 64-bit)."""
IP_BUCKET_BYTES = 16
"""Bytes per hash bucket for ip_conntrack (two pointers, 64-bit)."""
TCP_ESTABLISHED_DEFAULT = 432_000
"""Default ``nf_conntrack_tcp_timeout_established`` in seconds (5 days)."""


def _kernel_tuple(kernel: str | None) -> tuple[int, ...] | None:
    if not kernel:
        return None
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", kernel)
    if not m:
        return None
    return tuple(int(x) for x in m.groups(default="0"))


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
