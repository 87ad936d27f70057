"""The host and program names of a block's lines, found and coded in bulk.

A name ends at the first byte of a class (whitespace for a host; whitespace, ``:``, ``[`` or
``]`` for a program), found eight bytes at a time; each distinct name gets a code into a list
of the block's names. The program comes with its pid and where the message starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..inputs.blocks import BYTE_MASKS
from ._swar import HIGH, ONES, digits, whitespace

#: Longest host name and program name split here (longer ones go the slow way).
NAME_BYTES = 32

#: Severities that stand where a syslog line has its host in application and ChromeOS logs
#: (``2024-03-01T08:00:05.123456Z INFO kernel: ...``, Python logging, OpenStack): never a host.
LEVELS = frozenset({
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERR", "ERROR", "CRIT", "CRITICAL",
    "ALERT", "EMERG", "FATAL", "SEVERE"})


def is_host(name: str) -> bool:
    """Whether ``name``, standing where a syslog line has its host, can be one.

    Not a severity (:data:`LEVELS`), a number (a pid, as OpenStack writes it there) or a dash.

    >>> [is_host(n) for n in ("bogon", "10.0.0.1", "INFO", "12345", "-")]
    [True, True, False, False, False]
    """
    return not (name in LEVELS or name.isdigit() or name == "-")


class Collision(Exception):
    """Two names hashed alike in one block (the block is then read the slow way)."""


def tag_end(w: np.ndarray) -> np.ndarray:
    """Bytes that end a program name: whitespace, ``:``, ``[`` or ``]``."""
    hit = whitespace(w)
    for c in (58, 91, 93):
        x = w ^ (ONES * np.uint64(c))
        hit |= (x - ONES) & ~x & HIGH
    return hit


def name_end(words: np.ndarray, at: np.ndarray, ok: np.ndarray,
             stop: Callable[[np.ndarray], np.ndarray]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Offset of the first ``stop`` byte at or after ``at`` within :data:`NAME_BYTES`.

    Lines where ``ok`` are searched; ``ok`` comes back less the lines with no such byte.
    """
    end = np.where(ok, -1, at)
    todo = np.flatnonzero(ok)
    for k in range(0, NAME_BYTES, 8):
        if not len(todo):
            break
        hit = stop(words[at[todo] + k])
        found = hit != 0
        low = hit[found] & (~hit[found] + np.uint64(1))  # the lowest byte's high bit
        pos = (np.log2(low.astype(np.float64)).astype(np.int64) - 7) // 8
        end[todo[found]] = at[todo[found]] + k + pos
        todo = todo[~found]
    return np.where(end >= 0, end, at), ok & (end >= 0)


def names(words: np.ndarray, buf: np.ndarray, at: np.ndarray, end: np.ndarray, ok: np.ndarray
          ) -> tuple[np.ndarray, list[str]]:
    """Codes of the names ``buf[at:end]`` (at most :data:`NAME_BYTES` long) where ``ok``.

    Consecutive lines mostly repeat a name: only where it changes is it looked up, by a hash
    whose every match is then compared in full (names are never merged by a collision).

    Raises:
        Collision: two different names hashed alike.
    """
    rows = np.flatnonzero(ok)
    codes = np.full(len(at), -1, dtype=np.int64)
    if not len(rows):
        return codes, []
    a, e = at[rows], end[rows]
    length = e - a
    parts = [length.astype(np.uint64)]
    change = np.zeros(len(rows), dtype=bool)
    change[0] = True
    change[1:] = length[1:] != length[:-1]
    longest = int(length.max())
    for k in range(0, longest, 8):  # the name 8 bytes at a time, zeros past its end
        part = words[a + k] & BYTE_MASKS[np.clip(length - k, 0, 8)]
        change[1:] |= part[1:] != part[:-1]
        parts.append(part)
    heads = np.flatnonzero(change)  # positions (in rows) where the name differs from before
    mixed = np.zeros(len(heads), dtype=np.uint64)
    for i, p in enumerate(parts):
        mixed = (mixed ^ p[heads]) * np.uint64(0x9E3779B97F4A7C15 + 2 * i)
    found, uniques = pd.factorize(mixed)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[found[::-1]] = heads[::-1]  # each name's first position
    for p in parts:
        if not (p[heads] == p[first[found]]).all():
            raise Collision
    codes[rows] = found[np.cumsum(change) - 1]
    texts = [bytes(buf[i:j]).decode("ascii") for i, j in zip(a[first], e[first], strict=True)]
    return codes, texts


class Tag(NamedTuple):
    """What :func:`tag` read of each line: the fast-path mask, program, pid, message start."""

    fast: np.ndarray
    program: np.ndarray  # code into ``programs``, -1: none
    programs: list[str]
    pid: np.ndarray  # -1: none
    msg_start: np.ndarray


def tag(words: np.ndarray, buf: np.ndarray, at: np.ndarray, ok: np.ndarray, ends: np.ndarray
        ) -> Tag:
    """Program, pid and message start where ``ok``, as :data:`..syslog._TAG` reads them.

    ``at`` is where each line's tag starts and ``ends`` where the line ends. ``prog[pid]: msg``
    or ``prog: msg`` (one space after the colon skipped); anything else (no colon, a pid that
    is not digits, an empty program) is all message and no program. Lines whose program name
    or pid is longer than this reads leave the fast path: ``ok`` is narrowed in place and
    comes back as :attr:`Tag.fast`.
    """
    end, found = name_end(words, at, ok, tag_end)
    ok &= found
    stop = buf[end]
    named = ok & (end > at) & ((stop == 58) | (stop == 91))
    pid = np.full(len(at), -1, dtype=np.int64)
    after = end.copy()  # where the colon must be
    brackets = named & (stop == 91)
    if brackets.any():
        count, value = digits(words[end + 1])
        ok &= ~(brackets & (count == 8))  # a pid this long is read the slow way
        good = brackets & (count >= 1) & (count < 8) & (buf[end + 1 + np.minimum(count, 7)] == 93)
        pid = np.where(good, value, -1)
        after = np.where(brackets, end + 2 + count, after)
        named &= ~brackets | good
    named &= buf[after] == 58
    msg = np.where(named, after + 1, at)
    msg = np.minimum(msg + (named & (buf[msg] == 32)), ends)
    codes, programs = names(words, buf, at, end, named)
    return Tag(ok, np.where(named, codes, -1), programs, np.where(named, pid, -1), msg)
