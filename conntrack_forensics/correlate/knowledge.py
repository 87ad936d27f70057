"""The knowledge base of commands that load connection tracking (``data/triggers.toml``).

Rules are data: each is validated into a :class:`CommandRule` when first needed.

Example:
    >>> [r.id for r in match_command("/sbin/iptables -t nat -L")]
    ['iptables_nat_table']
"""

from __future__ import annotations

import functools
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

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


#: The size a size-setting command writes (``...conntrack_max=N`` or ``echo N > ...``).
SIZE_VALUE = re.compile(r"(?:conntrack_max\s*=\s*|echo\s+)(\d+)")


def match_recovery(command: str) -> RecoveryRule | None:
    """The first recovery rule a command (or one part of a command line) matches.

    >>> match_recovery("sudo sysctl -w net.netfilter.nf_conntrack_max=262144").kind
    'conntrack_max_raised'
    """
    for norm in _parts(command):
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


_WRAPPERS = frozenset({"sudo", "env", "nohup", "time", "nice", "command", "exec", "doas"})


def normalize_command(command: str) -> str:
    """A command with ``sudo``-like wrappers and directory prefixes removed.

    >>> normalize_command("sudo /sbin/iptables -t nat -L")
    'iptables -t nat -L'
    """
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    while words and words[0].rsplit("/", 1)[-1] in _WRAPPERS:
        words = words[1:]
        while words and (words[0].startswith("-") or "=" in words[0]):
            option = words.pop(0)
            if option in _OPTIONS_WITH_VALUE and words:
                words.pop(0)
    if words:
        words[0] = words[0].rsplit("/", 1)[-1]
    return " ".join(words)


_OPTIONS_WITH_VALUE = frozenset({"-u", "-g", "-U", "-C", "-h", "-p", "-n", "-r", "-t"})


def _parts(command: str) -> Iterator[str]:
    """Each command of a command line (``a; b && c | d``), normalised.

    A space leads each, as the rules' patterns start at a word boundary.
    """
    for part in re.split(r"\s*(?:;|&&|\|\||\|)\s*", command):
        norm = normalize_command(part)
        if norm:
            yield " " + norm


def match_command(command: str) -> list[CommandRule]:
    """The rules a command matches, best first (harmless look-alikes only when nothing else).

    A command line with several commands (``a; b && c | d``) is matched part by part.
    """
    hits: list[CommandRule] = []
    for norm in _parts(command):
        for rule in command_rules():
            if rule.pattern.search(norm) and rule not in hits:
                hits.append(rule)
    real = [r for r in hits if not r.harmless]
    chosen = real or hits
    return sorted(chosen, key=lambda r: -r.weight)
