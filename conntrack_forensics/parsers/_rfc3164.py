"""Blocks of syslog lines split into fields with array operations: the syslog fast path.

A block is bytes holding whole lines. One pass of Hyperscan over the block (of RE2 through
pyarrow, line by line, when Hyperscan is missing) marks the lines that must be read one by one:
those with any of the classifier's words (:data:`~..classify.PREFILTER_WORDS`), a
``repeated``, or a byte outside printable ASCII. Every other line that starts
``Mmm dd hh:mm:ss host `` (RFC 3164) or ``YYYY-MM-DDTHH:MM:SS.ffffff+hh:mm host `` (RFC 3339 as
rsyslog writes it) and goes on with a message is split here, a few numpy operations per block:
month, day and second of the day (RFC 3164) or seconds since 1970 (RFC 3339), and the host as
a code into the block's host names; on request also the program, the pid and where the message
starts. Eight bytes are read at a time
as one integer (a strided view), so finding where a host name or a program ends costs a few
integer operations per line, not a loop over its bytes.

The syslog parser reads every line this module leaves (``fast`` false) with its regular
expressions, so the two paths must agree on every line this one takes; the tests compare them.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs.blocks import BYTE_MASKS, Block
from ..times import wall_times
from .classify import PREFILTER_WORDS

#: Lines the fast path leaves to the line-by-line parser: the classifier's words, a repeat, a
#: byte outside printable ASCII (tab and line ends aside).
LOUD_PATTERNS = [*(re.escape(w) for w in PREFILTER_WORDS), "repeated",
                 r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]"]
LOUD = "|".join(LOUD_PATTERNS)
#: Longest host name and program name split here (longer ones go the slow way).
NAME_BYTES = 32
_MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
           b"Nov", b"Dec"]
_MONTH_CODES = np.array([int.from_bytes(m, "little") for m in _MONTHS], dtype=np.uint64)
_SORTER = np.argsort(_MONTH_CODES)
_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)


@dataclass
class Scan:
    """What the fast path read of one block; per-line arrays are meaningful where ``fast``."""

    starts: np.ndarray
    ends: np.ndarray
    fast: np.ndarray
    mon: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sod: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    host: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    hosts: list[str] = field(default_factory=list)
    program: np.ndarray | None = None  # code into ``programs``, -1: none
    programs: list[str] = field(default_factory=list)
    pid: np.ndarray | None = None  # -1: none
    msg_start: np.ndarray | None = None
    #: Seconds since 1970 (UTC) of the RFC 3339 lines taken (NaN elsewhere); None if none was.
    epoch: np.ndarray | None = None
    #: Where each line's host starts (after its time and a space), and the block's bytes.
    host_at: np.ndarray | None = None
    buf: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.starts)


def scan_block(block: Block, fields: bool = False) -> Scan:
    r"""Split a block of whole lines; ``fields`` also reads program, pid and message start.

    >>> s = scan_block(Block.of(b"Apr 27 00:03:27 bogon sshd[7]: Accepted password for x\n"
    ...                         b"Apr 27 00:03:28 bogon crond[42]: (root) CMD (run-parts)\n"))
    >>> s.fast.tolist(), s.hosts
    ([False, True], ['bogon'])
    """
    buf, size = block.buf, block.size
    nl = np.flatnonzero(buf[:size] == 10)
    starts = np.empty(len(nl) + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl + 1
    ends = np.append(nl, size).astype(np.int64)
    if starts[-1] >= size:  # the block ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    if not len(starts):
        return Scan(starts, ends, np.zeros(0, dtype=bool))
    ends -= (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    try:
        return _split(buf, size, starts, ends, fields)
    except _Collision:
        return Scan(starts, ends, np.zeros(len(starts), dtype=bool))


def _split(buf: np.ndarray, size: int, starts: np.ndarray, ends: np.ndarray, fields: bool
           ) -> Scan:
    words = Block(buf, size).words()
    ok, mon, day, sod = _stamp(words, starts, ends)
    host_at = starts + 16
    epoch = None
    dated = np.flatnonzero(buf[starts] - np.uint8(48) < 10)  # a digit first: RFC 3339?
    if len(dated):
        good, seconds, at = _rfc3339(words, buf, starts[dated], ends[dated])
        if good.any():
            dated, seconds, at = dated[good], seconds[good], at[good]
            ok[dated] = True
            mon[dated], day[dated], sod[dated] = 0, 0, 0
            host_at = host_at.copy()
            host_at[dated] = at
            epoch = np.full(len(starts), np.nan)
            epoch[dated] = seconds
    host_end, ok = _name_end(words, host_at, ok, _whitespace)
    # the host is followed by one space and a message; a host ending in ':' is a tag instead
    ok &= (buf[host_end] == 32) & (host_end + 1 < ends) & (buf[host_end + 1] > 32)
    ok &= (host_end > host_at) & (buf[host_end - 1] != 58)
    ok &= ~_loud(buf, size, starts, np.where(ok, host_end + 1, starts))
    host, hosts = _names(words, buf, host_at, host_end, ok)
    scan = Scan(starts, ends, ok, mon, day, sod, host, hosts, epoch=epoch, host_at=host_at,
                buf=buf)
    if fields:
        _tag(scan, words, buf, host_end + 1)
    return scan


def _loud(buf: np.ndarray, size: int, starts: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Lines with any of the :data:`LOUD` patterns.

    Hyperscan scans the whole block at once; without it, RE2 (pyarrow) reads each line from
    ``text`` (where its program starts) to the next line's: a host name with a word in it only
    sends lines the slow way.
    """
    loud = np.zeros(len(starts), dtype=bool)
    databases = _hyperscan()
    if databases is not None:
        ends: list[int] = []
        for database in databases:
            database.scan(memoryview(buf)[:size],  # type: ignore[arg-type]
                          match_event_handler=lambda _i, _f, to, _fl, _c: ends.append(to),
                          scratch=_scratch(database))
        if ends:
            loud[np.searchsorted(starts, np.array(ends) - 1, side="right") - 1] = True
        return loud
    lines = pa.Array.from_buffers(pa.large_binary(), len(starts),
                                  [None, pa.py_buffer(np.append(text, size)), pa.py_buffer(buf)])
    return pc.match_substring_regex(lines, LOUD).to_numpy(zero_copy_only=False)


@functools.cache
def _hyperscan() -> tuple[Any, ...] | None:
    """The compiled :data:`LOUD` patterns, or None without a usable Hyperscan.

    Two databases, the words and the byte class: together they take 50 ms to compile, apart
    under 2 ms, and scanning twice costs a tenth more.
    """
    if os.environ.get("CONNTRACK_FORENSICS_ENGINE", "").lower() == "re2":
        return None
    try:
        import hyperscan
        databases = []
        for group in (LOUD_PATTERNS[:-1], LOUD_PATTERNS[-1:]):
            patterns = [p.encode("latin-1") for p in group]
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(expressions=patterns, ids=list(range(len(patterns))),
                             elements=len(patterns), flags=[0] * len(patterns))
            databases.append(database)
        return tuple(databases)
    except Exception:  # not installed, or a CPU it does not run on: RE2 does the same job
        return None


_THREAD = threading.local()
T = TypeVar("T")


def _scratch(database: Any) -> Any:
    """Hyperscan's scratch space for ``database``, one per thread (a scan may not share it)."""
    if not hasattr(_THREAD, "scratch"):
        _THREAD.scratch = {}
    scratch = _THREAD.scratch.get(id(database))
    if scratch is None:
        import hyperscan
        scratch = _THREAD.scratch[id(database)] = hyperscan.Scratch(database)
    return scratch


def engine() -> str:
    """Which library finds the classifier's words in bulk: ``hyperscan`` or ``re2``."""
    return "re2" if _hyperscan() is None else "hyperscan"


def _bytes_mask(positions: Iterable[int], value: int = 0xFF) -> np.uint64:
    return np.uint64(sum(value << (8 * p) for p in positions))


# "Mmm dd hh:mm:ss ": the header as two little-endian words, bytes 0-7 and 8-15
_DIGITS_0, _DIGITS_1 = (5, 7), (0, 2, 3, 5, 6)  # always digits (the day's tens may be a space)
_FIXED_0 = _bytes_mask((3, 6))
_FIXED_1 = _bytes_mask((1, 4, 7))
_SPACES_0 = _bytes_mask((3, 6), 32)
_SEPS_1 = _bytes_mask((1, 4), 58) | _bytes_mask((7,), 32)
_MONTH_MASK = np.uint64(0xFFFFFF)


def _is_digits(w: np.ndarray, positions: Iterable[int]) -> np.ndarray:
    """Whether the bytes of ``w`` at ``positions`` are all decimal digits.

    A byte is a digit when its high nibble is 3 and adding 6 keeps it so (0x30-0x39).
    """
    nibble, threes = _bytes_mask(positions, 0xF0), _bytes_mask(positions, 0x30)
    sixes = _bytes_mask(positions, 0x06)
    return ((w & nibble) == threes) & (((w + sixes) & nibble) == threes)


def _nib(w: np.ndarray, k: int) -> np.ndarray:
    """The low nibble of byte ``k`` of each word: a digit's value."""
    return ((w >> np.uint64(8 * k)) & np.uint64(0xF)).astype(np.int64)


def _pair(w: np.ndarray, k: int) -> np.ndarray:
    """The two-digit number in bytes ``k`` and ``k + 1`` of each word."""
    return _nib(w, k) * 10 + _nib(w, k + 1)


def _stamp(words: np.ndarray, starts: np.ndarray, ends: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines starting ``Mmm dd hh:mm:ss `` (day space-padded or two digits), and their values."""
    w0, w1 = words[starts], words[starts + 8]
    code = w0 & _MONTH_MASK
    at = np.minimum(np.searchsorted(_MONTH_CODES, code, sorter=_SORTER), 11)
    mon = _SORTER[at]
    ok = (_MONTH_CODES[mon] == code) & (ends - starts >= 19)
    ok &= ((w0 & _FIXED_0) == _SPACES_0) & ((w1 & _FIXED_1) == _SEPS_1)
    ok &= _is_digits(w0, _DIGITS_0) & _is_digits(w1, _DIGITS_1)
    tens = (w0 >> np.uint64(32)) & np.uint64(0xFF)
    ok &= (tens == 32) | ((tens >= 48) & (tens <= 51))
    day = np.where(tens == 32, 0, _nib(w0, 4)) * 10 + _nib(w0, 5)
    hour, minute, second = _nib(w0, 7) * 10 + _nib(w1, 0), _pair(w1, 2), _pair(w1, 5)
    ok &= (day >= 1) & (day <= 31) & (hour <= 23) & (minute <= 59) & (second <= 60)
    return ok, mon + 1, day, hour * 3600 + minute * 60 + second


# "YYYY-MM-", "DDTHH:MM", ":SS": the fixed part of an RFC 3339 time as three words
_ISO_DIGITS = ((0, 1, 2, 3, 5, 6), (0, 1, 3, 4, 6, 7), (1, 2))
_ISO_FIXED = (_bytes_mask((4, 7)), _bytes_mask((2, 5)), _bytes_mask((0,)))
_ISO_SEPS = (_bytes_mask((4, 7), 45), _bytes_mask((2,), 84) | _bytes_mask((5,), 58),
             _bytes_mask((0,), 58))


def _rfc3339(words: np.ndarray, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines starting with an RFC 3339 time and a space; their UTC seconds; their hosts' starts.

    The time is ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+hh:mm|-hh:mm)``, as rsyslog's
    ``RSYSLOG_FileFormat`` writes it (Ubuntu's default). Other shapes (a space for ``T``,
    three or nine decimals, ``+hhmm``, no zone, a leap second) are left to the regular
    expressions.
    """
    w = [words[starts + 8 * k] for k in range(3)]
    ok = ends - starts >= 22
    for word, digits, fixed, seps in zip(w, _ISO_DIGITS, _ISO_FIXED, _ISO_SEPS, strict=True):
        ok &= ((word & fixed) == seps) & _is_digits(word, digits)
    year = _pair(w[0], 0) * 100 + _pair(w[0], 2)
    month, day = _pair(w[0], 5), _pair(w[1], 0)
    hour, minute, second = _pair(w[1], 3), _pair(w[1], 6), _pair(w[2], 1)
    ok &= (year >= 1970) & (year <= 2200) & (month >= 1) & (month <= 12) & (hour <= 23) \
        & (minute <= 59) & (second <= 59)
    fraction = buf[starts + 19] == 46  # "."
    count, micros = _digits(words[starts + 20])
    ok &= ~fraction | (count == 6)
    zone = starts + np.where(fraction, 26, 19)
    sign = buf[zone]
    utc = sign == 90  # "Z"
    offset_word = words[zone + 1]  # "hh:mm"
    offset_hours, offset_minutes = _pair(offset_word, 0), _pair(offset_word, 3)
    offset = offset_hours * 3600 + offset_minutes * 60
    signed = ((sign == 43) | (sign == 45)) & _is_digits(offset_word, (0, 1, 3, 4)) \
        & (((offset_word >> np.uint64(16)) & np.uint64(0xFF)) == 58) \
        & (offset_hours <= 23) & (offset_minutes <= 59)
    ok &= utc | signed
    end = np.where(utc, zone + 1, zone + 6)
    ok &= (buf[end] == 32) & (end + 1 < ends)
    sod = hour * 3600 + minute * 60 + second + np.where(fraction, micros / 1e6, 0.0)
    wall, missing = wall_times(np.where(ok, year, 1970), np.where(ok, month, 1), day, sod)
    ok &= ~missing
    nanos = wall.view(np.int64) - np.where(sign == 45, -offset, np.where(utc, 0, offset)) \
        * 1_000_000_000
    return ok, nanos / 1e9, end + 1


def _whitespace(w: np.ndarray) -> np.ndarray:
    """High bit of each byte of ``w`` that is a space or a control byte (exact for the lowest)."""
    return (w - _ONES * np.uint64(33)) & ~w & _HIGH


def _tag_end(w: np.ndarray) -> np.ndarray:
    """Bytes that end a program name: whitespace, ``:``, ``[`` or ``]``."""
    hit = _whitespace(w)
    for c in (58, 91, 93):
        x = w ^ (_ONES * np.uint64(c))
        hit |= (x - _ONES) & ~x & _HIGH
    return hit


def _name_end(words: np.ndarray, at: np.ndarray, ok: np.ndarray,
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


def _names(words: np.ndarray, buf: np.ndarray, at: np.ndarray, end: np.ndarray, ok: np.ndarray
           ) -> tuple[np.ndarray, list[str]]:
    """Codes of the names ``buf[at:end]`` (at most :data:`NAME_BYTES` long) where ``ok``.

    Consecutive lines mostly repeat a name: only where it changes is it looked up, by a hash
    whose every match is then compared in full (names are never merged by a collision).
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
            raise _Collision
    codes[rows] = found[np.cumsum(change) - 1]
    names = [bytes(buf[i:j]).decode("ascii") for i, j in zip(a[first], e[first], strict=True)]
    return codes, names


class _Collision(Exception):
    """Two names hashed alike in one block (the block is then read the slow way)."""


def _tag(scan: Scan, words: np.ndarray, buf: np.ndarray, at: np.ndarray) -> None:
    """Program, pid and message start, as :data:`..syslog._TAG` reads them.

    ``prog[pid]: msg`` or ``prog: msg`` (one space after the colon skipped); anything else
    (no colon, a pid that is not digits, an empty program) is all message and no program.
    Lines whose program name or pid is longer than this reads leave the fast path.
    """
    ok = scan.fast
    end, found = _name_end(words, at, ok, _tag_end)
    ok &= found
    stop = buf[end]
    named = ok & (end > at) & ((stop == 58) | (stop == 91))
    pid = np.full(len(at), -1, dtype=np.int64)
    after = end.copy()  # where the colon must be
    brackets = named & (stop == 91)
    if brackets.any():
        count, value = _digits(words[end + 1])
        ok &= ~(brackets & (count == 8))  # a pid this long is read the slow way
        good = brackets & (count >= 1) & (count < 8) & (buf[end + 1 + np.minimum(count, 7)] == 93)
        pid = np.where(good, value, -1)
        after = np.where(brackets, end + 2 + count, after)
        named &= ~brackets | good
    named &= buf[after] == 58
    msg = np.where(named, after + 1, at)
    msg = np.minimum(msg + (named & (buf[msg] == 32)), scan.ends)
    codes, programs = _names(words, buf, at, end, named)
    scan.fast = ok
    scan.program = np.where(named, codes, -1)
    scan.programs = programs
    scan.pid = np.where(named, pid, -1)
    scan.msg_start = msg


_NIBBLES, _THREES, _SIXES = _bytes_mask(range(8), 0xF0), _bytes_mask(range(8), 0x30), \
    _bytes_mask(range(8), 0x06)
_LOW7 = _bytes_mask(range(8), 0x7F)


def _digits(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leading decimal digits of each word: how many (8: all), and their value (under 8).

    The digits are shifted to the top of the word and combined in three multiplications,
    pairs, then fours, then eights (the digits come first in memory: the low bytes).
    """
    nondigit = ((w & _NIBBLES) ^ _THREES) | (((w + _SIXES) & _NIBBLES) ^ _THREES)
    flags = (nondigit | ((nondigit & _LOW7) + _LOW7)) & _HIGH  # high bit of each non-digit
    low = flags & (~flags + np.uint64(1))
    count = np.where(flags == 0, 8,
                     (np.log2(np.maximum(low, np.uint64(1)).astype(np.float64)).astype(np.int64)
                      - 7) // 8)
    shift = ((8 - count) % 8 * 8).astype(np.uint64)
    x = np.where(count > 0, (w & _bytes_mask(range(8), 0x0F)) << shift, np.uint64(0))
    x = ((x * np.uint64(10 * 256 + 1)) >> np.uint64(8)) & _bytes_mask((0, 2, 4, 6))
    x = ((x * np.uint64(100 * 65536 + 1)) >> np.uint64(16)) & _bytes_mask((0, 1, 4, 5))
    x = ((x * np.uint64(10000 * 2**32 + 1)) >> np.uint64(32)) & np.uint64(0xFFFFFFFF)
    return count, x.astype(np.int64)


def scan_blocks(blocks: Iterable[Block], fields: bool = False,
                then: Callable[[Scan], T] | None = None, workers: int | None = None
                ) -> Iterator[tuple[Block, Scan, T | None]]:
    """Each block with its scan (and ``then(scan)``), in order; scanned ahead in threads.

    numpy, Hyperscan and pyarrow release the interpreter lock in their loops, so blocks scan
    in parallel while the caller reads the lines the scan left; at most ``2 x workers + 1``
    blocks are held.
    """
    workers = workers or min(4, _cores())

    def work(block: Block) -> tuple[Scan, T | None]:
        scan = scan_block(block, fields)
        return scan, (then(scan) if then is not None else None)

    if workers == 1:  # one core: threads would only take turns
        for block in blocks:
            yield block, *work(block)
        return

    with ThreadPoolExecutor(workers) as pool:
        pending: deque[tuple[Block, Future[tuple[Scan, T | None]]]] = deque()
        for block in blocks:
            pending.append((block, pool.submit(work, block)))
            if len(pending) > 2 * workers:
                done, future = pending.popleft()
                yield done, *future.result()
        for done, future in pending:
            yield done, *future.result()


def _cores() -> int:
    """Cores this process may run on (``taskset`` and container limits included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
