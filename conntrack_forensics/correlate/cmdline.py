"""Command lines as the shell runs them: which commands a recorded line runs, and how.

A history line, sudo's ``COMMAND=`` or an audit ``EXECVE`` record is one command line. It is
split at ``;``, ``&&``, ``||``, ``|`` and ``&`` (quotes respected; a ``#`` word starts a
comment); wrappers are taken off with their options (``sudo -u root --``, ``doas``, ``env
VAR=x``, ``nice -n 5``, ``timeout 10``, ``watch -n1``, ``xargs``, ``nsenter -t 1 -n``, ``chroot
/host``, ``ip netns exec NS``...; ``sudo -l``, ``command -v`` run nothing); the command lines
given to ``sh -c``, ``su -c``, ``env -S`` and ``watch`` are split in turn (sudo logs an argument
vector unquoted: ``/bin/sh -c iptables -t nat -L`` is ``sh -c 'iptables -t nat -L'``); a ``for
x in a b; do ... $x ...; done`` loop runs its body once per value; the program is named by its
base name (``/usr/sbin/iptables-nft``: ``iptables-nft``), ``xtables-nft-multi iptables`` by the
tool it runs (``iptables-nft``) and ``/etc/init.d/iptables start`` as ``service iptables start``.

This is shell syntax only; which commands load conntrack is in ``data/triggers.toml``
(:mod:`.knowledge`).

Example:
    >>> commands("sudo sh -c 'iptables -tnat -nvL; iptables -L' | tee out")
    ('iptables -tnat -nvL', 'iptables -L', 'tee out')
    >>> commands("for t in filter nat; do timeout 5 iptables -t $t -S; done")
    ('iptables -t filter -S', 'iptables -t nat -S')
"""

from __future__ import annotations

import functools
import itertools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Wrapper:
    """How a program that runs another command takes its options."""

    valued: str = ""  # short options that take a value (the rest of the word or the next)
    long_valued: frozenset[str] = frozenset()  # long options whose value may be the next word
    no_run: str = ""  # short options after which no command runs (``sudo -l``, ``command -v``)
    long_no_run: frozenset[str] = frozenset()
    script: str = ""  # short options whose value is a shell command line (``su -c``)
    long_script: frozenset[str] = frozenset()
    positional: int = 0  # words between the options and the command (timeout's duration)
    joins: bool = False  # the command words form one shell command line (``watch``)
    needs_script: bool = False  # without a script it opens a shell: nothing known runs
    prefix: tuple[str, ...] = ()  # words that must follow the program (``ip netns exec``)


def _w(**kw: Any) -> _Wrapper:
    for key in ("long_valued", "long_no_run", "long_script"):
        kw[key] = frozenset(kw.get(key, "").split())
    return _Wrapper(**kw)


#: Programs that run the command given after their options (shell syntax, not conntrack
#: knowledge: which commands load conntrack is in ``data/triggers.toml``).
_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _w(valued="uUgCphrtDRTc", no_run="lveVK",
               long_valued="--user --group --close-from --host --prompt --role --type "
                           "--other-user --chdir --chroot --command-timeout --login-class",
               long_no_run="--list --edit --validate --version --help --remove-timestamp"),
    "doas": _w(valued="u", no_run="CL"),
    "su": _w(valued="sgGw", script="cC", long_valued="--shell --group --supp-group "
             "--whitelist-environment", long_script="--command --session-command",
             needs_script=True),
    "pkexec": _w(long_valued="--user"),
    "env": _w(valued="uC", script="S", long_valued="--unset --chdir",
              long_script="--split-string"),
    "nice": _w(valued="n", long_valued="--adjustment"),
    "ionice": _w(valued="cnp", long_valued="--class --classdata --pid"),
    "nohup": _w(),
    "setsid": _w(),
    "stdbuf": _w(valued="ioe", long_valued="--input --output --error"),
    "time": _w(valued="fo", long_valued="--format --output"),
    "timeout": _w(valued="sk", long_valued="--signal --kill-after", positional=1),
    "command": _w(no_run="vV"),
    "exec": _w(valued="a"),
    "watch": _w(valued="nq", long_valued="--interval --equexit", joins=True),
    "xargs": _w(valued="adEILnPs", long_valued="--arg-file --delimiter --max-lines "
                "--max-args --max-procs --max-chars --process-slot-var"),
    "chroot": _w(long_valued="--userspec --groups", positional=1),
    "nsenter": _w(valued="tSG", long_valued="--target --setuid --setgid"),
    "ip": _w(prefix=("netns", "exec"), positional=1),
}
#: Shells: ``-c`` makes their first operand a command line; otherwise they run a script.
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"})
_SHELL = _w(valued="oO", long_valued="--rcfile --init-file")
#: Words that open or close a compound command; a part of the line starting with them loses
#: them (``do iptables ...`` runs ``iptables ...``; ``done`` alone runs nothing).
_RESERVED = frozenset({"!", "{", "}", "(", "do", "done", "then", "else", "elif", "fi", "if",
                       "while", "until"})
_SEPARATORS = frozenset("();|&")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_PLAIN = re.compile(r"[^'\"\\`$#]*")
_WORDS = re.compile(r"[();<>|&]+|[^\s();<>|&]+")
_INIT_SCRIPT = re.compile(r"/etc/(?:rc\.d/)?init\.d/(?P<name>[^/]+)")
_MULTI = re.compile(r"xtables(?:-(?P<backend>legacy|nft))?-multi")
_APPLETS = {"main4": "iptables", "main6": "ip6tables", "save4": "iptables-save",
            "save6": "ip6tables-save", "restore4": "iptables-restore",
            "restore6": "ip6tables-restore"}
_FAMILY = re.compile(r"(?P<tool>ip6?tables|arptables|ebtables)(?P<tail>-save|-restore)?")
_MAX_DEPTH = 4
_MAX_EXPANSIONS = 32


@functools.lru_cache(maxsize=65536)
def commands(line: str) -> tuple[str, ...]:
    """Each command a command line runs, normalised, in order (see the module docstring)."""
    return tuple(" ".join(words) for words in _split(line, 0))


def command_words(line: str) -> Iterator[list[str]]:
    """Each command a command line runs, as its words (program base name first)."""
    for command in _split(line, 0):
        yield list(command)


def _tokens(text: str) -> list[str]:
    """Shell words and operators; a ``#`` word starts a comment."""
    text = text.replace("\\\n", " ").replace("\n", " ; ").replace("`", " ; ")
    if _PLAIN.fullmatch(text):
        words = _WORDS.findall(text)
    else:
        words = []
        for attempt in (text, text + "'", text + '"'):
            lexer = shlex.shlex(attempt, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = ""
            try:
                words = list(lexer)
                break
            except ValueError:
                words = attempt.split()
    out = []
    for word in words:
        if word.startswith("#"):
            break
        out.append(word)
    return out


def _is_operator(word: str) -> bool:
    """``;``, ``&&``, ``||``, ``|``, ``&``, parentheses (redirections stay with the command)."""
    return bool(word) and set(word) <= _SEPARATORS


def _split(text: str, depth: int) -> list[tuple[str, ...]]:
    parts: list[list[str]] = [[]]
    for word in _tokens(text):
        if _is_operator(word):
            parts.append([])
        else:
            parts[-1].append(word)
    loops: dict[str, list[str]] = {}
    out: list[tuple[str, ...]] = []
    for words in parts:
        while words and words[0] in _RESERVED:
            words = words[1:]
        if len(words) >= 3 and words[0] == "for" and words[2] == "in" \
                and _NAME.fullmatch(words[1]):
            loops[words[1]] = words[3:]
            continue
        for expanded in _expand(words, loops):
            out.extend(_unwrap(expanded, depth))
    return out


def _expand(words: list[str], loops: dict[str, list[str]]) -> list[list[str]]:
    """The command once per value of each ``for`` variable it uses."""
    patterns = {name: re.compile(rf"\$(?:{name}\b|\{{{name}\}})") for name in loops}
    used = [name for name in loops if any(patterns[name].search(w) for w in words)]
    if not used:
        return [words]
    out = []
    for values in itertools.islice(itertools.product(*(loops[n] for n in used)),
                                   _MAX_EXPANSIONS):
        expanded = list(words)
        for name, value in zip(used, values, strict=True):
            literal = value.replace("\\", "\\\\")
            expanded = [patterns[name].sub(literal, w) for w in expanded]
        out.append(expanded)
    return out


def _unwrap(words: list[str], depth: int) -> list[tuple[str, ...]]:
    """The command a simple command runs, wrappers off; a script's commands, split again."""
    while True:
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        if not words:
            return []
        name = words[0].rsplit("/", 1)[-1]
        if name == "busybox" and len(words) > 1:
            words = words[1:]  # busybox APPLET ...
            continue
        spec = _SHELL if name in _SHELLS else _WRAPPERS.get(name)
        if spec is None or words[1:1 + len(spec.prefix)] != list(spec.prefix):
            return [_canonical(words)]
        runs, script, rest = _options(spec, words[1 + len(spec.prefix):], name in _SHELLS)
        if not runs:
            return []
        if script is not None:
            return _split(script, depth + 1) if depth < _MAX_DEPTH else []
        if name in _SHELLS:
            return [_canonical(words)]  # a script file: what it runs is not in the command
        if spec.needs_script:
            return []  # an interactive shell
        words = rest[spec.positional:]
        if spec.joins and words:
            return _split(" ".join(words), depth + 1) if depth < _MAX_DEPTH else []


def _options(spec: _Wrapper, args: list[str], shell: bool) -> tuple[bool, str | None, list[str]]:
    """``(runs a command, its script if given as a command line, the words after options)``."""
    script: str | None = None
    script_mode = False
    operands: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            operands += args[i + 1:]
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word.partition("=")
            if name in spec.long_no_run:
                return False, None, []
            taken = not eq and name in (spec.long_valued | spec.long_script)
            if name in spec.long_script:
                script = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            i += 2 if taken else 1
            continue
        if word.startswith("-") and len(word) > 1:
            i += 1
            for j, ch in enumerate(word[1:], 1):
                if ch in spec.no_run:
                    return False, None, []
                if shell and ch == "c":
                    script_mode = True
                elif ch in spec.valued or ch in spec.script:
                    value = word[j + 1:]
                    if not value and i < len(args):
                        value, i = args[i], i + 1
                    if ch in spec.script:
                        script = _script(value, args[i:])
                    break
            continue
        if word == "-" or (spec.needs_script and not operands and script is None
                           and not word.startswith("-")):
            i += 1  # su's login dash, su's user name
            if word != "-":
                operands.append(word)
            continue
        operands += args[i:]
        break
    if script_mode and operands:
        return True, _script(operands[0], operands[1:]), []
    if spec.needs_script and operands and script is None:
        return True, None, []
    return True, script, operands


def _script(value: str, after: list[str]) -> str:
    """A ``-c`` command line, whole again when sudo logged it unquoted.

    ``sh -c iptables -t nat -L`` (sudo's log of ``sh -c 'iptables -t nat -L'``) runs
    ``iptables -t nat -L``.
    """
    if after and not any(c.isspace() for c in value) and after[0] != "--":
        return value + " " + shlex.join(after)
    return value


def _canonical(words: list[str]) -> tuple[str, ...]:
    """The command with its program named as the rules know it."""
    first = words[0]
    m = _INIT_SCRIPT.fullmatch(first)
    if m:
        return ("service", m.group("name"), *words[1:])
    name = first.rsplit("/", 1)[-1]
    multi = _MULTI.fullmatch(name)
    if multi and len(words) > 1:
        applet = words[1].rsplit("/", 1)[-1]
        applet = _APPLETS.get(applet, applet)
        backend = multi.group("backend")
        fam = _FAMILY.fullmatch(applet)
        if backend and fam:
            applet = f"{fam.group('tool')}-{backend}{fam.group('tail') or ''}"
        return (applet, *words[2:])
    return (name, *words[1:])
