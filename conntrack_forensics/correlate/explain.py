"""The explanation chain of an incident in plain words, one sentence per step.

What a command loads comes from the knowledge base (``data/triggers.toml``: the rule's
``loads`` and ``reason``), not from per-command text here; the module names follow the kernel
generation (ip_conntrack/ip_nat before 2.6.20, see :func:`.eras.era`).

Example:
    >>> for s in explanation("module_autoload", "2.6.32-696.el6.x86_64", "iptables -t nat -L",
    ...                      "iptables_nat_table", ["nf_conntrack"], 65536, fill_seconds=6):
    ...     print(s)
    `iptables -t nat -L` was run: touching the nat table (even listing it) loads iptable_nat, which depends on nf_nat and nf_conntrack.
    On kernel 2.6.32-696.el6.x86_64 the kernel loads these modules (iptable_nat, nf_nat, nf_conntrack) on demand, the first time something needs them, so the command alone started connection tracking.
    The evidence shows nf_conntrack being loaded.
    Once nf_conntrack is loaded, every packet is tracked, including those of connections that were already open.
    The table holds at most 65,536 entries; the host's traffic filled it within 6 seconds, after which packets needing a new entry (new connections above all) were dropped.
"""  # noqa: E501

from __future__ import annotations

from .eras import era
from .knowledge import (
    LOWERED_RULE,
    CommandRule,
    command_rules,
    match_command,
    normalize_command,
)

_CORE = ("nf_conntrack", "ip_conntrack")
_OLD_NAMES = {"nf_conntrack": "ip_conntrack", "nf_nat": "ip_nat"}
_VERBS = frozenset({"loads", "lists", "reads", "starts", "restores", "touches", "installs"})
_EXPLICIT = frozenset({"modprobe", "insmod"})


def _rule(rule_id: str | None, command: str | None) -> CommandRule | None:
    for rule in command_rules():
        if rule.id == rule_id:
            return rule
    hits = match_command(command) if command else []
    return hits[0] if hits else None


def _clause(reason: str) -> str:
    """A rule's reason as a clause: a reason that starts with a verb gets a subject."""
    words = reason.split(maxsplit=1)
    return f"it {reason}" if words and words[0] in _VERBS else reason


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _unique(names: list[str]) -> list[str]:
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def _entries(n: int) -> str:
    return f"{n:,} entr{'y' if n == 1 else 'ies'}"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        n = round(seconds)
        return f"{n} second{'s' if n != 1 else ''}"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def _table_full(conntrack_max: int | None, fill_seconds: float | None, capacity: bool) -> str:
    within = f" within {_duration(fill_seconds)}" if fill_seconds is not None else ""
    dropped = "after which packets needing a new entry (new connections above all) were dropped"
    if capacity:
        size = f", {_entries(conntrack_max)}," if conntrack_max else ""
        return f"The table{size} then filled under the host's own traffic{within}, {dropped}."
    if conntrack_max:
        return (f"The table holds at most {_entries(conntrack_max)}; the host's traffic "
                f"filled it{within}, {dropped}.")
    return f"The table then reached its limit{within}, {dropped}."


def explanation(
    cause: str,
    kernel: str | None,
    trigger_command: str | None,
    trigger_rule: str | None,
    module_loads: list[str],
    conntrack_max: int | None,
    *,
    fill_seconds: float | None = None,
) -> list[str]:
    """The chain from cause to drops, one plain sentence per step.

    Args:
        cause: ``module_autoload``, ``capacity`` or ``unknown`` (CONTRACT section 4).
        kernel: the kernel release, if known.
        trigger_command: the trigger's command line, if there is a trigger.
        trigger_rule: the id of the knowledge-base rule the trigger matched (looked up by the
            command when missing or unknown).
        module_loads: names of the modules the evidence shows loading, in time order.
        conntrack_max: the table size in force.
        fill_seconds: seconds from the conntrack load (or the trigger) to the first drop, if
            known.

    Returns:
        The sentences; a single honest one for an unknown cause.
    """
    e = era(kernel)
    loaded = _unique(list(module_loads))
    ct = next((m for m in loaded if m in _CORE), e.ct_module)
    if cause not in ("module_autoload", "capacity"):
        size = f" of {_entries(conntrack_max)}" if conntrack_max else ""
        return [f"The evidence does not show what loaded connection tracking or why the "
                f"table{size} filled, only that it was full and packets were dropped."]
    rule = _rule(trigger_rule, trigger_command)
    seen = f"the evidence shows {_join(loaded)} being loaded" if loaded else ""
    if cause == "capacity":
        if trigger_command and trigger_rule == LOWERED_RULE:
            size = f" to {_entries(conntrack_max)}" if conntrack_max else ""
            first = (f"Connection tracking was in use, and `{trigger_command}` shrank its "
                     f"table{size} shortly before the drops began")
        elif trigger_command and rule is not None and not rule.harmless:
            first = (f"Connection tracking was already in use before the drops began, most "
                     f"likely since `{trigger_command}` ({rule.reason})")
        elif seen:
            first = f"Connection tracking was already in use before the drops began; {seen}"
        else:
            first = ("Connection tracking was already in use before the drops began; the "
                     "evidence does not show what loaded it")
        return [first + ".", _table_full(conntrack_max, fill_seconds, capacity=True)]

    out: list[str] = []
    if not trigger_command:
        out.append("Connection tracking was loaded shortly before the drops began, but the "
                   "evidence does not show which command or rule loaded it.")
    elif rule is None:
        out.append(f"`{trigger_command}` ran shortly before, but no known rule says it loads "
                   "connection tracking.")
    elif rule.harmless:
        out.append(f"`{trigger_command}` was run, but {_clause(rule.reason)}, so what loaded "
                   "connection tracking is not in the evidence.")
    else:
        out.append(f"`{trigger_command}` was run: {_clause(rule.reason)}.")
        names = [_OLD_NAMES.get(m, m) if e.ct_module == "ip_conntrack" else m
                 for m in rule.loads]
        first_word = normalize_command(trigger_command).split(" ", 1)[0]
        if any(m in _CORE for m in names) and first_word not in _EXPLICIT:
            on = f"On kernel {kernel} the kernel" if kernel else "The kernel"
            out.append(f"{on} loads these modules ({', '.join(names)}) on demand, the first "
                       "time something needs them, so the command alone started connection "
                       "tracking.")
    if seen:
        out.append(seen[0].upper() + seen[1:] + ".")
    out.append(f"Once {ct} is loaded, every packet is tracked, including those of connections "
               "that were already open.")
    out.append(_table_full(conntrack_max, fill_seconds, capacity=False))
    return out
