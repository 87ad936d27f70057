"""What one iptables rule says about conntrack, read from either text form.

A rule comes as an ``-A CHAIN ...`` line (``iptables-save`` and ``iptables -S``) or as a row
of an ``iptables -L`` listing (under its column header, with or without ``-n``, ``-v``, ``-x``,
``--line-numbers``). Either way the rule tells:

* what in it needs conntrack: stateful matches (``-m state``, ``-m conntrack`` /
  ``--ctstate``, ``state RELATED,ESTABLISHED`` or ``ctstate`` in a listing, ``connmark``,
  ``connlimit``, ``helper``...), ``CONNMARK`` and ``CT`` targets, and NAT targets (SNAT, DNAT,
  MASQUERADE, REDIRECT, NETMAP);
* for a ``NOTRACK`` / ``CT --notrack`` rule, the traffic it exempts from tracking, said the way
  ``iptables -L`` says it (``tcp dpt:80``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ._snapshot import add_once

NAT_TARGETS = frozenset({"SNAT", "DNAT", "MASQUERADE", "REDIRECT", "NETMAP"})
_COUNTER = re.compile(r"\d+[KMGTP]?")
_PROTO = re.compile(
    r"!?(?:all|tcp|udp|udplite|icmp|ipv6-icmp|icmpv6|esp|ah|sctp|gre|mh|dccp|igmp|ipv6|"
    r"ipencap|ipip|ospf|pim|vrrp|l2tp|\d+)"
)
_OPTS = frozenset({"--", "-f", "!f", "!-", "-!"})
_ANY_ADDR = frozenset({"0.0.0.0/0", "::/0", "anywhere", "*", "any"})
_LIST_COMMENT = re.compile(r"/\*.*?\*/")
#: Stateful matches as ``-L`` prints them, and how the message names them.
_LIST_NEEDS = (
    (re.compile(r"(?<![\w-])state [A-Z,]+"), "-m state"),
    (re.compile(r"(?<![\w-])ct(?:state|status|proto|origsrc|origdst|replsrc|repldst|expire|dir)"
                r"\b"), "-m conntrack"),
    (re.compile(r"(?<![\w-])connmark match\b"), "-m connmark"),
    (re.compile(r"(?<![\w-])CONNMARK (?:set|save|restore|and|or|xor)\b"), "CONNMARK"),
    (re.compile(r"#conn "), "-m connlimit"),
    (re.compile(r"(?<![\w-])helper match\b"), "-m helper"),
)
#: Matches in ``-A`` rules that need conntrack (``-m NAME``), and how the message names them.
_SAVE_MATCHES = {
    "state": "-m state", "conntrack": "-m conntrack", "connmark": "-m connmark",
    "connlimit": "-m connlimit", "helper": "-m helper", "connbytes": "-m connbytes",
    "connlabel": "-m connlabel",
}
_SAVE_OPTIONS = {"--state": "-m state", "--ctstate": "-m conntrack", "--ctstatus": "-m conntrack"}


@dataclass
class Rule:
    """What one rule tells: conntrack needs, and the traffic a NOTRACK rule exempts."""

    chain: str
    needs: list[str] = field(default_factory=list)
    exempts: str | None = None
    target: str = ""
    v6: bool = False  # its addresses are IPv6 ones (a listing does not say the family)


def _tokens(spec: str) -> list[str]:
    try:
        return shlex.split(spec)
    except ValueError:
        return spec.split()


def save_rule(chain: str, spec: str) -> Rule:
    """Read one ``-A`` rule (iptables-save or ``-S`` form)."""
    toks = _tokens(spec)
    rule = Rule(chain)
    opts: dict[str, str] = {}
    negated: set[str] = set()
    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if tok == "-m" and nxt in _SAVE_MATCHES:
            add_once(rule.needs, _SAVE_MATCHES[nxt])
        elif tok in _SAVE_OPTIONS:
            add_once(rule.needs, _SAVE_OPTIONS[tok])
        elif tok in ("-j", "-g", "--jump", "--goto"):
            rule.target = nxt
        if tok.startswith("-") and tok != "-" and nxt and not nxt.startswith("-"):
            opts.setdefault(tok, nxt)
            if i > 0 and toks[i - 1] == "!":
                negated.add(tok)
    target = rule.target
    if target in NAT_TARGETS:
        add_once(rule.needs, target)
    elif target == "CONNMARK":
        add_once(rule.needs, "CONNMARK")
    elif target == "NOTRACK" or (target == "CT" and "--notrack" in toks):
        rule.exempts = _save_exemption(opts, negated)
    elif target == "CT":
        add_once(rule.needs, "CT")
    return rule


def _save_exemption(opts: dict[str, str], negated: set[str]) -> str:
    """``-p tcp -m tcp --dport 80`` as ``iptables -L`` would say it: ``tcp dpt:80``."""
    proto = opts.get("-p") or opts.get("--protocol") or "all"
    parts = [("!" if "-p" in negated else "") + proto]
    for opt, word in (("--dport", "dpt"), ("--destination-port", "dpt"), ("--sport", "spt"),
                      ("--source-port", "spt")):
        if opt in opts:
            value = opts[opt]
            parts.append(("!" if opt in negated else "") + f"{word}{'s' if ':' in value else ''}"
                         f":{value}")
    for opt, word in (("--dports", "dports"), ("--sports", "sports"), ("--ports", "ports")):
        if opt in opts:
            parts.append(f"{'!' if opt in negated else ''}{word} {opts[opt]}")
    for opts_, word in ((("-s", "--source"), "from"), (("-d", "--destination"), "to"),
                        (("-i", "--in-interface"), "in"), (("-o", "--out-interface"), "out")):
        for opt in opts_:
            if opt in opts:
                parts.append(f"{word} {'!' if opt in negated else ''}{opts[opt]}")
    return " ".join(parts)


def list_rule(header: list[str], line: str) -> Rule | None:
    """Read one ``iptables -L`` rule row under the column header in force (None: malformed)."""
    toks = line.split()
    i = 0
    if header and header[0] == "num":
        if not toks or not toks[0].isdigit():
            return None
        i = 1
    verbose = "pkts" in header
    if verbose:
        if len(toks) < i + 2 or not all(_COUNTER.fullmatch(t) for t in toks[i:i + 2]):
            return None
        i += 2
    if len(toks) > i + 2 and toks[i + 2] in _OPTS and _PROTO.fullmatch(toks[i + 1]):
        target, prot, i = toks[i], toks[i + 1], i + 3
    elif len(toks) > i + 1 and toks[i + 1] in _OPTS and _PROTO.fullmatch(toks[i]):
        target, prot, i = "", toks[i], i + 2  # a rule without a target
    elif len(toks) > i + 1 and _PROTO.fullmatch(toks[i + 1]):
        target, prot, i = toks[i], toks[i + 1], i + 2  # ip6tables: no opt flags
    elif len(toks) > i and _PROTO.fullmatch(toks[i]):
        target, prot, i = "", toks[i], i + 1
    else:
        return None
    iface_in = iface_out = "*"
    if verbose:
        if len(toks) < i + 2:
            return None
        iface_in, iface_out = toks[i], toks[i + 1]
        i += 2
    if len(toks) < i + 2:
        return None
    src, dst = toks[i], toks[i + 1]
    extra = _LIST_COMMENT.sub(" ", " ".join(toks[i + 2:])).strip()
    rule = Rule("", target=target, v6=":" in src + dst and _looks_v6(src, dst))
    for pattern, label in _LIST_NEEDS:
        if pattern.search(extra):
            add_once(rule.needs, label)
    if target in NAT_TARGETS:
        add_once(rule.needs, target)
    elif target == "NOTRACK" or (target == "CT" and re.search(r"\bCT notrack\b", extra)):
        matches = re.sub(r"\s*(?:\bCT notrack\b.*|\bNOTRACK)$", "", extra).strip()
        if prot != "all" and not matches.startswith(prot.lstrip("!")):
            matches = f"{prot} {matches}".strip()
        parts = [matches or prot]
        for value, word in ((src, "from"), (dst, "to"), (iface_in, "in"), (iface_out, "out")):
            if value not in _ANY_ADDR:
                parts.append(f"{word} {value}")
        rule.exempts = " ".join(parts)
    elif target == "CT":
        add_once(rule.needs, "CT")
    return rule


def _looks_v6(src: str, dst: str) -> bool:
    return any(v.lstrip("!").count(":") >= 2 for v in (src, dst))
