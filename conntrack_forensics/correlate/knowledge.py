"""The knowledge base of commands that load connection tracking (``data/triggers.toml``).

Rules are data: each is validated into a :class:`CommandRule` when first needed. A rule's
pattern is matched against each command of a command line as the shell would run it: the line
is split and unwrapped by :mod:`.cmdline` (``sudo sh -c '...'``, ``watch -n1``, ``env VAR=x``,
``/usr/sbin/iptables-nft``...). Patterns anchor at the program (``^iptables``), so an
``iptables`` quoted to ``echo`` or ``grep`` matches nothing.

Example:
    >>> [r.id for r in match_command("/sbin/iptables -t nat -L")]
    ['iptables_nat_table']
    >>> [r.id for r in match_command("sudo sh -c 'iptables -L; iptables -tnat -nvL'")]
    ['iptables_nat_table']
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .cmdline import command_words, commands

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class CommandRule:
    """One kind of command that loads (or looks like it loads) conntrack."""

    id: str
    pattern: re.Pattern[str]
    weight: float
    loads: tuple[str, ...]
    reason: str
    harmless: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"rule {self.id}: weight must be in [0, 1]")


@dataclass(frozen=True)
class RecoveryRule:
    """A command that can end an incident without a reboot."""

    id: str
    kind: str
    pattern: re.Pattern[str]
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in RECOVERY_KINDS:
            raise ValueError(f"recovery rule {self.id}: unknown kind {self.kind!r}")


#: Recovery kinds a command can show (CONTRACT section 4; ``reboot`` and ``drops_stopped``
#: come from other evidence).
RECOVERY_KINDS = ("conntrack_max_raised", "module_unloaded", "rules_changed")


@functools.cache
def _data() -> dict[str, Any]:
    text = resources.files("conntrack_forensics").joinpath("data/triggers.toml").read_text()
    return tomllib.loads(text)


@functools.cache
def recovery_rules() -> tuple[RecoveryRule, ...]:
    """The ``[[recovery]]`` rules of the knowledge base, in file order."""
    return tuple(
        RecoveryRule(str(raw["id"]), str(raw["kind"]), re.compile(raw["pattern"]),
                     str(raw["reason"]))
        for raw in _data().get("recovery", [])
    )


_MAX_KEY = (r"net[./](?:netfilter[./]nf_conntrack_max|nf_conntrack_max"
            r"|ipv4[./]netfilter[./]ip_conntrack_max)")
_PROC_MAX = (r"/proc/sys/net/(?:netfilter/nf_conntrack_max|nf_conntrack_max"
             r"|ipv4/netfilter/ip_conntrack_max)\b")
_SYSCTL_SET = re.compile(r"\b" + _MAX_KEY + r"\s*=\s*['\"]?(\d+)")
_ECHO = re.compile(r"^(?:echo|printf)(?:\s+-[a-zA-Z]+)*\s+['\"]?(\d+)(?:\\n)?['\"]?(?=\s|$)")
_TO_PROC = re.compile(r">>?\s*['\"]?" + _PROC_MAX)
_TEE_TO = re.compile(r"^tee(?=\s).*\s['\"]?" + _PROC_MAX)
#: The id of the candidates that shrink the table (not a knowledge-base rule: no command line
#: shape tells it, only the size before it).
LOWERED_RULE = "conntrack_max_lowered"
#: ``rmmod`` of conntrack itself (not of a module that only uses it).
_CORE_MODULE = re.compile(r"\b(?:nf|ip)[_-]conntrack\b")


def size_set(command: str) -> int | None:
    """The ``nf_conntrack_max`` a command line sets, read from the part that sets it.

    ``sysctl [-w] ...nf_conntrack_max=N``, ``echo N > /proc/sys/net/.../nf_conntrack_max`` and
    ``echo N | tee /proc/...``; the last such part when several do; ``None`` when none does.

    >>> size_set("sysctl -w net.netfilter.nf_conntrack_max=262144; "
    ...          "echo 1 > /proc/sys/net/ipv4/ip_forward")
    262144
    >>> size_set("echo 524288 | sudo tee /proc/sys/net/netfilter/nf_conntrack_max")
    524288
    >>> size_set("echo 1 > /proc/sys/net/ipv4/ip_forward") is None
    True
    """
    value = None
    parts = commands(command)
    for i, part in enumerate(parts):
        if part.startswith("sysctl"):
            found = _SYSCTL_SET.findall(part)
            if found:
                value = int(found[-1])
        elif (m := _ECHO.match(part)) and _TO_PROC.search(part):
            value = int(m.group(1))
        elif _TEE_TO.match(part) and i and (m := _ECHO.match(parts[i - 1])):
            value = int(m.group(1))
    return value


def unloads_conntrack(command: str) -> bool:
    """Whether a command line unloads conntrack itself.

    ``rmmod`` naming ``nf_conntrack`` (or ``ip_conntrack``), or ``modprobe -r`` of any
    conntrack or NAT module: modprobe also removes the dependencies it leaves unused.

    >>> unloads_conntrack("sudo modprobe -rv iptable_nat"), unloads_conntrack("rmmod iptable_nat")
    (True, False)
    """
    for norm in commands(command):
        for rule in recovery_rules():
            if rule.kind == "module_unloaded" and rule.pattern.search(norm) and (
                    norm.startswith("modprobe") or _CORE_MODULE.search(norm)):
                return True
    return False


def match_recovery(command: str) -> RecoveryRule | None:
    """The first recovery rule a command (or one part of a command line) matches.

    >>> match_recovery("sudo sysctl -w net.netfilter.nf_conntrack_max=262144").kind
    'conntrack_max_raised'
    """
    for norm in commands(command):
        for rule in recovery_rules():
            if rule.pattern.search(norm):
                return rule
    return None


@functools.cache
def command_rules() -> tuple[CommandRule, ...]:
    """All rules from the packaged knowledge base, in file order."""
    data = _data()
    rules = []
    seen: set[str] = set()
    for raw in data["rule"]:
        rid = str(raw["id"])
        if rid in seen:
            raise ValueError(f"duplicate rule id {rid} in triggers.toml")
        seen.add(rid)
        rules.append(CommandRule(
            id=rid,
            pattern=re.compile(raw["pattern"]),
            weight=float(raw["weight"]),
            loads=tuple(raw.get("loads", ())),
            reason=str(raw["reason"]),
            harmless=bool(raw.get("harmless", False)),
        ))
    return tuple(rules)


def match_command(command: str) -> list[CommandRule]:
    """The rules a command matches, best first (harmless look-alikes only when nothing else).

    A command line with several commands (``a; b && c | d``) is matched part by part.
    """
    hits: list[CommandRule] = []
    for norm in commands(command):
        for rule in command_rules():
            if rule.pattern.search(norm) and rule not in hits:
                hits.append(rule)
    real = [r for r in hits if not r.harmless]
    chosen = real or hits
    return sorted(chosen, key=lambda r: -r.weight)


def normalize_command(command: str) -> str:
    """A command line as the commands it runs, wrappers and directories removed (``; ``-joined).

    >>> normalize_command("sudo /sbin/iptables -t nat -L")
    'iptables -t nat -L'
    >>> normalize_command("su - -c 'watch -n1 /usr/sbin/iptables-nft -nvL -t nat'")
    'iptables-nft -nvL -t nat'
    """
    return "; ".join(commands(command))


# ------------------------------------------------------------------- sysctl reloads


@dataclass(frozen=True)
class SysctlLoad:
    """The sysctl configuration a command applies (``sysctl -p [FILE...]``, ``--system``)."""

    files: tuple[str, ...]  # the files, in the order applied (none with ``system``)
    system: bool = False  # every sysctl.d directory, then /etc/sysctl.conf


#: What ``sysctl -p`` applies without a file.
SYSCTL_CONF = "/etc/sysctl.conf"
#: Where ``sysctl --system`` (and systemd-sysctl) read ``*.conf`` files, the directory that wins
#: a name first (sysctl.d(5)); files are applied in name order, ``/etc/sysctl.conf`` last.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
               "/lib/sysctl.d")
#: A configuration line setting the table size (``-`` in front: ignore a missing key).
CONF_MAX = re.compile(r"^\s*-?(?P<key>net[./](?:netfilter[./]nf_conntrack_max|nf_conntrack_max|"
                      r"ipv4[./]netfilter[./]ip_conntrack_max))\s*=\s*(?P<value>\d+)\s*$", re.M)


def sysctl_load(command: str) -> SysctlLoad | None:
    """What configuration a command line applies, if it reloads sysctl settings.

    >>> sysctl_load("sudo sysctl -p /etc/sysctl.d/90-conntrack.conf")
    SysctlLoad(files=('/etc/sysctl.d/90-conntrack.conf',), system=False)
    >>> sysctl_load("sysctl -q -p").files, sysctl_load("sysctl --system").system
    (('/etc/sysctl.conf',), True)
    """
    for words in command_words(command):
        program, args = words[0], words[1:]
        if program == "sysctl":
            load = _sysctl_args(args)
        elif program == "systemd-sysctl":
            files = tuple(a for a in args if not a.startswith("-"))
            load = SysctlLoad(files, system=not files)
        elif program in ("systemctl", "service"):
            units = {a.removesuffix(".service") for a in args if not a.startswith("-")}
            restarts = units & {"start", "restart", "reload", "force-reload"}
            load = SysctlLoad((), True) if restarts and units & {"systemd-sysctl", "procps"} \
                else None
        else:
            load = None
        if load is not None:
            return load
    return None


def _sysctl_args(args: list[str]) -> SysctlLoad | None:
    """The arguments of procps sysctl: ``-p[FILE]``, ``-f``, ``--load[=FILE]`` then files."""
    preload, files, operands = False, [], []
    for arg in args:
        if arg == "--system":
            return SysctlLoad((), True)
        if arg.startswith("--load"):
            preload = True
            files += [arg.partition("=")[2]] if "=" in arg else []
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            for i, ch in enumerate(arg[1:], 1):
                if ch in "pf":
                    preload = True
                    files += [arg[i + 1:]] if arg[i + 1:] else []
                    break
        elif not arg.startswith("-"):
            operands.append(arg)
    if not preload:
        return None
    return SysctlLoad(tuple(files + operands) or (SYSCTL_CONF,))
