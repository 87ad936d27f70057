"""The nftables rule set: ``nft list ruleset`` output (snapshot).

``nft list ruleset`` (or ``nft -a list ruleset``, which adds ``# handle N`` comments) prints
``table ip nat {`` blocks holding ``chain``, ``set``, ``map``, ``flowtable`` and stateful object
blocks; a base chain starts with ``type nat hook postrouting priority srcnat; policy accept;``,
every other line of a chain is a rule (``ct state established,related accept``,
``oifname "eth0" masquerade``, ``dnat to 10.0.0.2``, ``tcp dport 80 notrack``). Tables made by
iptables-nft look the same, with ``counter packets 0 bytes 0`` and compat expressions such as
``xt target "MASQUERADE"``; ``# Warning: table ip nat is managed by iptables-nft`` lines are
comments. A file meant for ``nft -f`` (``flush ruleset``, ``include``, ``define``) is
configuration, not state: it is reported without concluding anything was loaded.

What it tells about connection tracking: nf_tables needs nf_conntrack for every ``ct``
expression (``ct state``, ``ct status``, ``ct mark``...), for ``notrack`` (nft_ct), for ct helper
/ timeout / expectation objects, and for NAT (a ``type nat`` chain, ``masquerade``, ``snat``,
``dnat``, ``redirect``: nf_nat, which needs nf_conntrack). Any of them in a listed ruleset means
nf_conntrack was loaded. Their absence proves nothing (an iptables-legacy rule set or another
namespace may use it), so *not loaded* is never concluded. ``notrack`` rules are the remedy for a
full table: the event says what they exempt.

Blocks are followed by their braces, so each rule is known with its table and chain; a brace
that closes nothing, a line outside any table, or a line no nft statement starts like is
skipped with a reason; blocks still open at the end of the file (a cut listing) are reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ._snapshot import SNAPSHOT, Facts, add_once, lines, rules_needing, snapshot_batch, some_of
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

FAMILIES = ("ip", "ip6", "inet", "arp", "bridge", "netdev")
_TABLE = re.compile(rf"table (?:(?P<family>{'|'.join(FAMILIES)}) )?(?P<name>[\w.-]+) \{{")
_BLOCK = re.compile(
    r"(?P<kind>chain|set|map|flowtable|counter|quota|limit|secmark|synproxy|"
    r"ct (?:helper|timeout|expectation)) (?P<name>[\w.-]+|\"[^\"]*\") \{"
)
_BASE_CHAIN = re.compile(r"type (?P<type>filter|nat|route) hook (?P<hook>\w+)\b")
_CONFIG = re.compile(r"(?:flush ruleset|include \"|define \w+\s*=|#!\S*nft\b)")
_QUOTED = re.compile(r'"[^"]*"')
_CT = re.compile(r"(?<![\w-])ct (?P<what>state|status|mark|zone|direction|expiration|helper|"
                 r"label|count|original|reply|l3proto|protocol|proto-src|proto-dst|bytes|packets|"
                 r"avgpkt|id|event|secmark|timeout|expectation)\b")
_NAT = (
    (re.compile(r"(?<![\w-])masquerade\b"), "masquerade"),
    (re.compile(r"(?<![\w-])snat(?: (?:ip6?|inet))?(?: (?:addr \. port|prefix))? to\b"), "snat"),
    (re.compile(r"(?<![\w-])dnat(?: (?:ip6?|inet))?(?: (?:addr \. port|prefix))? to\b"), "dnat"),
    (re.compile(r"(?<![\w-])redirect(?: to\b|$| ?(?:random|persistent|fully-random))"),
     "redirect"),
)
_XT_TARGET = re.compile(r'xt target "?(?P<target>SNAT|DNAT|MASQUERADE|REDIRECT|NETMAP|CT|'
                        r'NOTRACK|CONNMARK)"?')
_XT_MATCH = re.compile(r'xt match "?(?P<match>state|conntrack|connmark|connlimit|helper)"?')
_NOTRACK = re.compile(r"(?<![\w-])notrack\b")
_COUNTER = re.compile(r"\bcounter(?: packets \d+ bytes \d+)?")
#: The words an nft rule starts with (statements, expressions, verdicts).
_RULE_WORDS = frozenset("""
    accept ah arp comp continue counter ct dccp dnat drop dst dup ether exthdr fib flow frag fwd
    geneve goto gre hbh icmp icmpv6 icmpx igmp iif iifgroup iifname iiftype inet ip ip6 ipsec
    jhash jump l4proto limit log mark masquerade meta mh nfproto notrack numgen oif oifgroup
    oifname oiftype osf pkttype queue quota redirect reject return rt sctp secmark set skgid
    skuid snat socket srh symhash synproxy tcp th tproxy udp udplite update add delete vlan
    vxlan xt cgroup cpu day hour time priority length protocol nexthdr hoplimit ttl dscp
    ecn flowlabel sport dport saddr daddr tunnel last map vmap
""".split())
_STATEMENT = re.compile(r"(?P<word>@?[a-z][\w-]*)")
_NAT_LABELS = frozenset({"masquerade", "snat", "dnat", "redirect", *(
    f"xt target {t}" for t in ("SNAT", "DNAT", "MASQUERADE", "REDIRECT", "NETMAP"))})
#: At most this many exemptions are named in the message.
_SHOWN = 6
#: Rules needing conntrack kept as evidence: this many of each kind (ct state, dnat...).
_EXAMPLES = 3


@dataclass
class _Block:
    """An open brace: a table, a chain, another named block, or an expression spanning lines."""

    kind: str
    name: str
    line: int


@dataclass
class _State:
    stack: list[_Block] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    first_table: int = 0
    nat_chains: list[tuple[int, str]] = field(default_factory=list)
    rules: int = 0
    needing: list[tuple[int, list[str]]] = field(default_factory=list)
    exempting: list[tuple[int, str]] = field(default_factory=list)
    ct_objects: list[int] = field(default_factory=list)
    config: bool = False
    evidence: list[str] = field(default_factory=list)
    rule: list[str] | None = None  # the rule being continued over lines (open brace)
    rule_line: int = 0

    @property
    def table(self) -> str:
        return next((b.name for b in self.stack if b.kind == "table"), "")

    @property
    def chain(self) -> str | None:
        return next((b.name for b in self.stack if b.kind == "chain"), None)


@register
class NftParser(Parser):
    """``nft list ruleset`` output."""

    NAME = "nft"
    FORMAT = SNAPSHOT
    DESCRIPTION = "nft list ruleset output: nftables tables, chains and rules (snapshot)"

    def sniff(self, head: Head) -> float:
        """A ``table <family> <name> {`` line first (after comments), and blocks under it."""
        body = [ln.strip() for ln in head.lines if not ln.lstrip().startswith("#")]
        while body and _CONFIG.match(body[0]):
            body = body[1:]
        if not body or not _TABLE.fullmatch(_strip_comment(body[0])):
            return 0.0
        inner = sum(1 for ln in body[1:] if _BLOCK.fullmatch(_strip_comment(ln)) or ln == "}")
        return 0.9 if inner else 0.6

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event for the file."""
        st = _State()
        for number, text in lines(ctx):
            if not text.strip():
                continue
            reason = _read(st, number, text.strip())
            if reason is None:
                ctx.ok()
            else:
                ctx.skip(number, reason)
        _end_rule(st)
        if st.stack:
            outer = st.stack[0]
            ctx.diag.warning(ctx.source.name, f"{len(st.stack)} block(s) not closed at the end of "
                             f"the file (cut listing?), the outermost opened here", outer.line)
        if not st.tables:
            return
        yield _event(st)


def _strip_comment(line: str) -> str:
    """The line without its ``#`` comment (a ``#`` inside quotes is kept)."""
    if "#" not in line:
        return line
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i].rstrip()
    return line


def _braces(line: str) -> tuple[int, int]:
    bare = _QUOTED.sub('""', line)
    return bare.count("{"), bare.count("}")


def _read(st: _State, number: int, raw: str) -> str | None:
    """Take one non-blank line into the state; the reason it was not understood, if not."""
    line = _strip_comment(raw)
    if not line:
        if not st.stack and _CONFIG.match(raw):
            st.config = True  # #!/usr/sbin/nft -f
        return None  # a comment line
    opens, closes = _braces(line)
    top = st.stack[-1] if st.stack else None
    if top is not None and top.kind == "expr":  # a rule or element list spanning lines
        if st.rule is not None:
            st.rule.append(line)
        return _balance(st, opens, closes, number, "expr")
    if line == "}":
        if top is None:
            return "closing brace outside any block"
        if top.kind == "chain":
            _end_rule(st)
        st.stack.pop()
        return None
    if top is None:
        if (m := _TABLE.fullmatch(line)) is not None:
            name = f"{m.group('family') or 'ip'} {m.group('name')}"
            st.stack.append(_Block("table", name, number))
            if name not in st.tables:
                st.tables.append(name)
            st.first_table = st.first_table or number
            st.evidence.append(line)
            return None
        if _CONFIG.match(line):
            st.config = True
            return None
        return "not inside a table (nft list ruleset starts each block with 'table')"
    if top.kind == "table":
        if (m := _BLOCK.fullmatch(line)) is not None:
            st.stack.append(_Block(m.group("kind"), m.group("name"), number))
            if m.group("kind").startswith("ct "):
                st.ct_objects.append(number)
                st.evidence.append(f"{st.table}: {line}")
            return None
        if re.match(r"(?:flags|comment)\b", line) and opens == closes:
            return None
        return "not a chain, set, map or object in a table"
    if top.kind == "chain":
        return _chain_line(st, number, line, opens, closes)
    # inside a set, map, flowtable or object: keyword lines and element lists
    if _STATEMENT.match(line) is None:
        return f"not a {top.kind} property"
    return _balance(st, opens, closes, number, "expr")


def _balance(st: _State, opens: int, closes: int, number: int, kind: str) -> str | None:
    """Open or close expression blocks for the braces a line leaves unbalanced."""
    if opens > closes:
        for _ in range(opens - closes):
            st.stack.append(_Block(kind, "", number))
        return None
    for _ in range(closes - opens):
        if not st.stack or st.stack[-1].kind != "expr":
            return "unbalanced closing brace"
        st.stack.pop()
    if st.rule is not None and not (st.stack and st.stack[-1].kind == "expr"):
        _end_rule(st)
    return None


def _chain_line(st: _State, number: int, line: str, opens: int, closes: int) -> str | None:
    """A base chain's type line, a chain property, or a rule."""
    bare = _QUOTED.sub('""', line)
    if (m := _BASE_CHAIN.match(bare)) is not None:
        if m.group("type") == "nat":
            st.nat_chains.append((number, f"{st.table} {st.chain}"))
            st.evidence.append(f"{st.table} {st.chain}: {line}")
        return None
    if re.fullmatch(r"(?:policy \w+|comment \"[^\"]*\"|devices = \{.*\});?", line):
        return None
    word = _STATEMENT.match(line)
    if word is None or not (word.group("word") in _RULE_WORDS or line.startswith("@")):
        return "not an nft rule"
    if closes > opens:
        return "unbalanced closing brace"
    st.rules += 1
    st.rule, st.rule_line = [line], number
    if opens > closes:
        for _ in range(opens - closes):
            st.stack.append(_Block("expr", "", number))
        return None
    _end_rule(st)
    return None


def _end_rule(st: _State) -> None:
    """Classify the rule read so far (one line, or several joined at an open brace)."""
    if st.rule is None:
        return
    text = " ".join(st.rule)
    number = st.rule_line
    st.rule = None
    bare = _QUOTED.sub('""', text)
    needs: list[str] = []
    for m in _CT.finditer(bare):
        add_once(needs, f"ct {m.group('what')}")
    for pattern, label in _NAT:
        if pattern.search(bare):
            add_once(needs, label)
    for m in _XT_TARGET.finditer(text):
        if m.group("target") != "NOTRACK":
            add_once(needs, f"xt target {m.group('target')}")
    for m in _XT_MATCH.finditer(text):
        add_once(needs, f"xt match {m.group('match')}")
    where = f"{st.table} {st.chain}"
    if needs:
        if any(sum(label in n for _, n in st.needing) < _EXAMPLES for label in needs):
            st.evidence.append(f"{where}: {text}")
        st.needing.append((number, needs))
    if _NOTRACK.search(bare) or re.search(r'xt target "?NOTRACK', text):
        what = _NOTRACK.sub(" ", _COUNTER.sub(" ", text))
        what = re.sub(r'xt target "?NOTRACK"?', " ", what)
        st.exempting.append((number, " ".join(what.split()) or "all"))
        st.evidence.append(f"{where}: {text}")


def _event(st: _State) -> RawBatch:
    """The snapshot event of what was read."""
    said = "nft rules file (configuration, not the loaded state)" if st.config else "nft ruleset"
    parts = [f"{said}: table{'s' if len(st.tables) != 1 else ''} {', '.join(st.tables)}"]
    if st.nat_chains:
        n = len(st.nat_chains)
        parts.append(f"{n} nat chain{'s' if n != 1 else ''}")
    parts.append(rules_needing([needs for _, needs in st.needing]))
    if st.exempting:
        parts.append(f"notrack for {some_of([what for _, what in st.exempting], _SHOWN)}")
    nat = bool(st.nat_chains) or any(
        label in _NAT_LABELS for _, needs in st.needing for label in needs
    )
    tracked = bool(st.needing or st.exempting or st.ct_objects)
    loaded = True if (nat or tracked) and not st.config else None
    module = "nf_nat" if nat else ("nf_conntrack" if tracked else None)
    line = ((st.nat_chains[0][0] if st.nat_chains else 0)
            or (st.needing[0][0] if st.needing else 0)
            or (st.exempting[0][0] if st.exempting else 0)
            or st.first_table or 1)
    facts = Facts(conntrack_loaded=loaded, module=module)
    return snapshot_batch("nft", line, "; ".join(parts), facts, st.evidence)
