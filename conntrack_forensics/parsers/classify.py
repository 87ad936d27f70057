"""Classify log messages into event kinds, with the facts they carry.

The knowledge of which messages matter is one declarative table, :data:`MESSAGE_RULES`: a rule
names the kind it gives, the pattern, whether only kernel messages qualify, and which named
groups carry a count, a module, the table size or the hash size. The first matching rule wins.
Everything no rule matches is a plain ``message``.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..model import Kind
from ._bounds import int64

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class MessageRule:
    """One kind of message worth recognising.

    Attributes:
        id: stable name, used in reasons and tests.
        words: literal texts one of which every matching message contains; the prefilter
            (:data:`PREFILTER`) is made of them, so a line none of them occur in is plain
            without trying a single pattern.
        kind: the event kind a match gives.
        pattern: searched in the message text (after any ``[uptime]`` prefix).
        kernel_only: match only messages from the kernel (program ``kernel`` or unknown).
        programs: if set, match only these programs (``rsyslogd``...).
        module: the module a match stands for, when the pattern does not capture it.
        command: for ``service`` events, the command the start stands for (``{unit}`` is the
            pattern's ``unit`` group), matched against the trigger knowledge base.
    """

    id: str
    words: tuple[str, ...]
    kind: Kind
    pattern: re.Pattern[str]
    kernel_only: bool = True
    programs: frozenset[str] | None = None
    module: str | None = None
    command: str | None = None


#: The ``[ 1234.567890] `` uptime prefix kernel lines may carry.
UPTIME_PREFIX = re.compile(r"^\[\s*\d+\.\d+\]\s?")
KERNEL_PROGRAMS = frozenset({"kernel", "", "vmunix"})


def _r(text: str) -> re.Pattern[str]:
    return re.compile(text)


#: sysctl keys of the table size, its fill and its hash size, in every kernel's spelling
#: (``net.nf_conntrack_max`` is the old alias; ``net.ipv4.netfilter.ip_conntrack_*`` 2.6.18).
MAX_KEYS = frozenset({"net.netfilter.nf_conntrack_max", "net.nf_conntrack_max",
                      "net.ipv4.netfilter.ip_conntrack_max"})
COUNT_KEYS = frozenset({"net.netfilter.nf_conntrack_count",
                        "net.ipv4.netfilter.ip_conntrack_count"})
BUCKETS_KEYS = frozenset({"net.netfilter.nf_conntrack_buckets",
                          "net.ipv4.netfilter.ip_conntrack_buckets"})


MESSAGE_RULES: tuple[MessageRule, ...] = (
    # The drop line: 2.6.18 (ip_conntrack), 2.6.x-4.x (nf_conntrack) and the doubled prefix of
    # newer kernels, optionally per network namespace. "expectation table full" is NOT a drop.
    MessageRule(
        "conntrack_table_full", ("conntrack",),
        Kind.CONNTRACK_DROP,
        _r(r"\b(?:nf|ip)_conntrack: (?:(?:nf|ip)_conntrack: )?table full"
           r"(?: in netns \d+)?, dropping packet"),
    ),
    # printk ratelimit summaries: "nf_conntrack: 12 callbacks suppressed", "net_ratelimit: ..",
    # "__ratelimit: ..", and the bare "kernel: 12 callbacks suppressed".
    MessageRule(
        "callbacks_suppressed", ("callbacks suppressed",),
        Kind.RATELIMIT_SUPPRESSED,
        _r(r"^(?:(?:nf_conntrack|ip_conntrack|net_ratelimit|__ratelimit): )?"
           r"(?P<count>\d+) callbacks suppressed"),
    ),
    # Loading nf_conntrack on 2.6/3.x kernels prints its version and table size.
    MessageRule(
        "conntrack_banner", ("conntrack",),
        Kind.MODULE_LOAD,
        _r(r"\b(?P<module>nf_conntrack|ip_conntrack) version [\d.]+ "
           r"\((?P<buckets>\d+) buckets, (?P<max>\d+) max\)"),
    ),
    MessageRule(
        "xtables_banner", ("_tables: (C)",),
        Kind.MODULE_LOAD,
        _r(r"^(?P<module>ip_tables|ip6_tables|arp_tables): \(C\) \d{4}"),
    ),
    MessageRule("nf_tables_banner", ("nf_tables: (c)",),
                Kind.MODULE_LOAD, _r(r"^nf_tables: \(c\) \d{4}"),
                module="nf_tables"),
    MessageRule("nfnetlink_banner", ("NETLINK",), Kind.MODULE_LOAD,
                _r(r"^Netfilter messages via NETLINK v"), module="nfnetlink"),
    MessageRule("ctnetlink_banner", ("ctnetlink",), Kind.MODULE_LOAD,
                _r(r"^ctnetlink v[\d.]+: registering with nfnetlink"),
                module="nf_conntrack_netlink"),
    MessageRule("ipvs_banner", ("IPVS",),
                Kind.MODULE_LOAD, _r(r"^IPVS: ipvs loaded"), module="ip_vs"),
    MessageRule("ip_set_banner", ("ip_set",), Kind.MODULE_LOAD, _r(r"^ip_set: protocol \d+"),
                module="ip_set"),
    # Boot: the kernel banner, and syslog daemons starting.
    MessageRule("kernel_banner", ("Linux version",), Kind.BOOT, _r(r"^Linux version \d+\.\d+")),
    MessageRule(
        "rsyslogd_start", ("rsyslogd",),
        Kind.BOOT,
        _r(r"^\[origin software=\"rsyslogd\"[^\]]*\] start$"),
        kernel_only=False,
        programs=frozenset({"rsyslogd"}),
    ),
    MessageRule("systemd_boot", ("running in system",),
                Kind.BOOT, _r(r"^systemd \d+ running in system mode"),
                kernel_only=False, programs=frozenset({"systemd"})),
    # Shutdown.
    MessageRule("syslogd_exit", ("exiting on signal",),
                Kind.SHUTDOWN, _r(r"exiting on signal 15\.?$"),
                kernel_only=False,
                programs=frozenset({"rsyslogd", "syslogd", "syslog-ng"})),
    MessageRule("klog_stopped", ("Kernel logging",),
                Kind.SHUTDOWN, _r(r"^Kernel logging \(proc\) stopped\.")),
    MessageRule("shutdown_cmd", ("shutting down",),
                Kind.SHUTDOWN, _r(r"shutting down for system (?:halt|reboot)"),
                kernel_only=False, programs=frozenset({"shutdown"})),
    MessageRule("runlevel_0_6", ("runlevel",), Kind.SHUTDOWN, _r(r"^Switching to runlevel: [06]\b"),
                kernel_only=False, programs=frozenset({"init"})),
    MessageRule("systemd_shutdown", ("Reached target",), Kind.SHUTDOWN,
                _r(r"^Reached target (?:System )?(?:Shutdown|Reboot|Power-Off|Halt)\b"),
                kernel_only=False, programs=frozenset({"systemd"})),
    MessageRule("kernel_restart", ("reboot:",),
                Kind.SHUTDOWN, _r(r"^reboot: (?:Restarting system|Power down)")),
    # sudo's log line in secure / auth.log / the journal. A command sudo refused is logged on the
    # same line with the reason first: "ops : command not allowed ; TTY=...", "3 incorrect
    # password attempts", "user NOT in sudoers", "a password is required". An allowed command's
    # line starts with its first key=value field (TTY=, or HOST= / PWD= in other configs). A
    # refused command never ran, so it is no ``command`` (never a trigger or recovery candidate,
    # never a history anchor): it is context of who was on the host, like a login, and it stays
    # on the timeline (plain messages do not, and fold into background runs).
    MessageRule(
        "sudo_denied", ("COMMAND=",),
        Kind.LOGIN,
        _r(r"^\s*(?P<user>[^\s:]+) : (?![A-Z]+=)[^;=]*[^\s;=][^;=]* ; .*?\bCOMMAND=\S"),
        kernel_only=False,
        programs=frozenset({"sudo"}),
    ),
    # who ran what as whom.
    MessageRule(
        "sudo_command", ("COMMAND=",),
        Kind.COMMAND,
        _r(r"^\s*(?P<user>[^\s:]+) : .*?\bCOMMAND=(?P<command>.+?)\s*$"),
        kernel_only=False,
        programs=frozenset({"sudo"}),
    ),
    # Conntrack trouble that is not a table-full drop: reported, never an incident.
    MessageRule(
        "expectation_table_full", ("conntrack",),
        Kind.CONNTRACK_WARNING,
        _r(r"\b(?:nf|ip)_conntrack: (?:(?:nf|ip)_conntrack: )?expectation table full"),
    ),
    # Services whose start installs rules that need conntrack (systemd's unit descriptions,
    # dockerd's own line); the start stands for a command the knowledge base knows.
    MessageRule(
        "firewall_service_start", ("firewall", "nftables", "Docker Application",
                                    "kube-proxy"),
        Kind.SERVICE,
        # systemd 249 and later name the unit first: "Started docker.service - Docker ..."
        _r(r"^Started (?:\S+\.service - )?(?:(?P<unit>firewalld) - dynamic firewall daemon|"
           r"IPv4 firewall with "
           r"(?P<unit4>iptables)|IPv6 firewall with (?P<unit6>ip6tables)|(?P<unitn>nftables)"
           r"(?:\.service)?|(?P<unitd>Docker) Application Container Engine|(?P<unitk>kube-proxy)"
           r"\b.*)\.?$"),
        kernel_only=False,
        programs=frozenset({"systemd"}),
        command="systemctl start {unit}",
    ),
    # Who was on the host: sshd logins and su sessions, context for the commands that follow.
    MessageRule(
        "sshd_login", ("Accepted ",),
        Kind.LOGIN,
        _r(r"^Accepted (?:password|publickey|keyboard-interactive/pam|gssapi-with-mic|"
           r"hostbased) for (?P<user>\S+) from \S+"),
        kernel_only=False,
        programs=frozenset({"sshd", "sshd-session"}),
    ),
    MessageRule(
        "su_session", ("pam_unix(su",),
        Kind.LOGIN,
        _r(r"^pam_unix\(su(?:-l)?:session\): session opened for user (?P<user>[^\s(]+)"),
        kernel_only=False,
        programs=frozenset({"su"}),
    ),
    # pam's session lines tie a login name to its uid: "session opened for user root by
    # alice(uid=1000)" (sudo, su), "session opened for user alice(uid=1000) by (uid=0)" (sshd,
    # pam 1.5 and later).
    MessageRule(
        "pam_session", ("pam_unix(sudo", "pam_unix(sshd:session)", "pam_unix(login:session)"),
        Kind.LOGIN,
        _r(r"^pam_unix\((?:sudo(?:-i)?|sshd|login):session\): session opened for user "
           r"(?:\S+ by (?P<user>[^\s(]+)\(uid=\d+\)|[^\s(]+\(uid=\d+\) by \(uid=0\))"),
        kernel_only=False,
    ),
    MessageRule(
        "kube_proxy_sysctl", ("conntrack",),
        Kind.SYSCTL,
        _r(r"[Ss]et sysctl\"? (?:entry=\"|')net/netfilter/nf_conntrack_max[\"'] "
           r"(?:value=|to )(?P<max>\d+)"),
        kernel_only=False,
    ),
    MessageRule(
        "sysctl_assignment", ("conntrack",),
        Kind.SYSCTL,
        _r(r"\b(?:net\.netfilter\.nf_conntrack_max|net\.nf_conntrack_max|"
           r"net\.ipv4\.netfilter\.ip_conntrack_max)\s*=\s*(?P<max>\d+)"),
        kernel_only=False,
    ),
)



@dataclass(frozen=True)
class ServiceRule:
    """A service whose start keeps connection tracking loaded (``data/services.toml``)."""

    id: str
    words: tuple[str, ...]
    pattern: re.Pattern[str]
    programs: frozenset[str] | None
    conntrack: str  # always | stateful_rules
    reason: str
    example: tuple[str, str]  # (program, message)

    def __post_init__(self) -> None:
        if self.conntrack not in ("always", "stateful_rules"):
            raise ValueError(f"service {self.id}: conntrack must be always or stateful_rules")

    def matches(self, message: str, program: str | None) -> bool:
        """Whether ``message`` (of ``program``) is this service's start."""
        if self.programs is not None and (program or "").lower() not in self.programs:
            return False
        return self.pattern.search(message) is not None


@functools.cache
def service_rules() -> tuple[ServiceRule, ...]:
    """The ``[[service]]`` entries of the packaged ``data/services.toml``, in file order."""
    text = resources.files("conntrack_forensics").joinpath("data/services.toml").read_text()
    out = []
    for raw in tomllib.loads(text)["service"]:
        programs = raw.get("programs")
        out.append(ServiceRule(
            id=str(raw["id"]), words=tuple(raw["words"]), pattern=re.compile(raw["pattern"]),
            programs=frozenset(p.lower() for p in programs) if programs else None,
            conntrack=str(raw["conntrack"]), reason=str(raw["reason"]),
            example=(str(raw["example"]["program"]), str(raw["example"]["message"]))))
    return tuple(out)


def keeper(message: str, program: str | None) -> ServiceRule | None:
    """The service whose start ``message`` is, among those that keep conntrack loaded.

    >>> keeper('I0301 08:00:07.1 1 server.go:152] "Using iptables Proxier"', "kube-proxy").id
    'kube_proxy'
    """
    text = UPTIME_PREFIX.sub("", message, count=1)
    return next((r for r in service_rules() if r.matches(text, program)), None)


def _service_message_rules() -> tuple[MessageRule, ...]:
    """A ``service`` rule for each keeper whose start line no rule above recognises yet."""
    out = []
    for r in service_rules():
        program, message = r.example
        if _first_rule(MESSAGE_RULES, message, program) is None:
            out.append(MessageRule(f"service_{r.id}", r.words, Kind.SERVICE, r.pattern,
                                   kernel_only=False, programs=r.programs))
    return tuple(out)


def _first_rule(
    rules: tuple[MessageRule, ...], text: str, program: str | None
) -> tuple[MessageRule, re.Match[str]] | None:
    prog = (program or "").lower()
    is_kernel = prog in KERNEL_PROGRAMS
    for rule in rules:
        if rule.kernel_only and not is_kernel:
            continue
        if rule.programs is not None and prog not in rule.programs:
            continue
        m = rule.pattern.search(text)
        if m is not None:
            return rule, m
    return None


MESSAGE_RULES += _service_message_rules()

#: Cheap literal test: a message (or a whole line) containing none of the rules' words matches
#: no rule.
PREFILTER_WORDS: tuple[str, ...] = tuple(dict.fromkeys(w for r in MESSAGE_RULES for w in r.words))
PREFILTER = re.compile("|".join(re.escape(w) for w in PREFILTER_WORDS))


@dataclass(frozen=True)
class Classified:
    """What a message is, and the facts it carries."""

    kind: Kind
    rule: str | None = None
    count: int | None = None
    module: str | None = None
    conntrack_max: int | None = None
    conntrack_buckets: int | None = None
    user: str | None = None
    command: str | None = None


PLAIN = Classified(Kind.MESSAGE)


def classify(message: str, program: str | None) -> Classified:
    """Classify one message.

    >>> classify("nf_conntrack: table full, dropping packet.", "kernel").kind.value
    'conntrack_drop'
    >>> classify("__ratelimit: 310 callbacks suppressed", "kernel").count
    310
    >>> classify(" Accepted publickey for fred from 10.0.0.9 port 5 ssh2", "sshd").kind.value
    'login'
    """
    if not PREFILTER.search(message):
        return PLAIN
    # leading whitespace is no part of what a message says: rsyslog skips at most one space
    # after the tag, so Debian's ``rsyslogd:  [origin ...] start`` keeps the second
    text = UPTIME_PREFIX.sub("", message.lstrip(), count=1)
    found = _first_rule(MESSAGE_RULES, text, program)
    if found is not None:
        rule, m = found
        g: dict[str, Any] = m.groupdict()
        command = g.get("command")
        if rule.command is not None:
            unit = next((v for k, v in g.items() if k.startswith("unit") and v), "")
            command = rule.command.format(unit=unit.lower())
        return Classified(
            kind=rule.kind,
            rule=rule.id,
            count=int64(g.get("count")),
            module=g.get("module") or rule.module,
            conntrack_max=int64(g.get("max")),
            conntrack_buckets=int64(g.get("buckets")),
            user=g.get("user"),
            command=command,
        )
    return PLAIN


#: Modules whose load means connection tracking is active.
CONNTRACK_MODULES = frozenset(
    {"nf_conntrack", "ip_conntrack", "nf_conntrack_ipv4", "nf_conntrack_ipv6",
     "nf_conntrack_netlink", "iptable_nat", "nf_nat", "xt_state", "xt_conntrack"}
)
