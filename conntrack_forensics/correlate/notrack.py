"""The raw-table exemption of a service's ports (notrack), in each firewall tool's syntax.

iptables takes ``-j CT --notrack`` from 2.6.35 and ``-j NOTRACK`` below it
(:attr:`.eras.Era.ct_target`); firewalld passes the same match as a direct rule; nft has its own
``notrack`` statement in a chain of raw priority. All of them need nf_conntrack: adding such a
rule loads it. One ``-m multiport`` match takes at most 15 ports.
"""

from __future__ import annotations

from .eras import Era
from .model import Recommendation

FIREWALLS = ("iptables", "nft", "firewalld")
_MULTIPORT_MAX = 15  # ports one -m multiport match takes


def _iptables_port_matches(ports: tuple[int, ...], direction: str) -> list[str]:
    """``--dport 80`` or ``-m multiport --dports 80,443`` (15 ports at most per match)."""
    if len(ports) == 1:
        return [f"--{direction}port {ports[0]}"]
    chunks = [ports[i:i + _MULTIPORT_MAX] for i in range(0, len(ports), _MULTIPORT_MAX)]
    return [f"-m multiport --{direction}ports {','.join(str(p) for p in c)}" for c in chunks]


def _nft_ports(ports: tuple[int, ...]) -> str:
    return str(ports[0]) if len(ports) == 1 else "'{ " + ", ".join(str(p) for p in ports) + " }'"


def notrack(e: Era, kernel: str | None, firewall: str | None,
            ports: tuple[int, ...]) -> Recommendation:
    """Exempt ``ports`` from tracking with ``firewall`` (``None``: iptables), and save it."""
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
