"""Blocks of syslog lines split into fields with array operations: the syslog fast path.

A block is bytes holding whole lines. One pass of Hyperscan over the block (of RE2 through
pyarrow, line by line, when Hyperscan is missing) marks the lines that must be read one by one
(:mod:`._keywords`): those with any of the classifier's words, a ``repeated``, or a byte
outside printable ASCII. Every other line that starts ``Mmm dd hh:mm:ss host `` (RFC 3164,
:mod:`._time3164`) or ``YYYY-MM-DDTHH:MM:SS.ffffff+hh:mm host `` (RFC 3339 as rsyslog writes
it, :mod:`._time3339`) and goes on with a message is split here (unless what stands as its
host is a severity, a number or a dash, :func:`._names.is_host`, or the next line continues
it), a few numpy operations per block: month, day and second of the day (RFC 3164) or seconds
since 1970 (RFC 3339), and the host as a code into the block's host names; on request also
the program, the pid and where the message starts (:mod:`._names`). Eight bytes are read at
a time as one integer (a strided view, :mod:`._swar`), so finding where a host name or a
program ends costs a few integer operations per line, not a loop over its bytes. This module
ties those readers together and scans blocks ahead in threads.

The syslog parser reads every line this module leaves (``fast`` false) with its regular
expressions, so the two paths must agree on every line this one takes; the tests compare them.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

import numpy as np

from ..inputs.blocks import Block
from ._keywords import loud
from ._names import Collision, is_host, name_end, names, tag
from ._swar import whitespace
from ._time3164 import rfc3164_time
from ._time3339 import rfc3339_time

T = TypeVar("T")


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
    starts, ends, _feeds = block.lines()
    if not len(starts):
        return Scan(starts, ends, np.zeros(0, dtype=bool))
    try:
        return _split(buf, size, starts, ends, fields)
    except Collision:
        return Scan(starts, ends, np.zeros(len(starts), dtype=bool))


def _split(buf: np.ndarray, size: int, starts: np.ndarray, ends: np.ndarray, fields: bool
           ) -> Scan:
    words = Block(buf, size).words()
    ok, mon, day, sod = rfc3164_time(words, starts, ends)
    host_at = starts + 16
    epoch = None
    dated = np.flatnonzero(buf[starts] - np.uint8(48) < 10)  # a digit first: RFC 3339?
    if len(dated):
        good, seconds, at = rfc3339_time(words, buf, starts[dated], ends[dated])
        if good.any():
            dated, seconds, at = dated[good], seconds[good], at[good]
            ok[dated] = True
            mon[dated], day[dated], sod[dated] = 0, 0, 0
            host_at = host_at.copy()
            host_at[dated] = at
            epoch = np.full(len(starts), np.nan)
            epoch[dated] = seconds
    # a line followed by a continuation line (a space or a tab first) is read line by line,
    # which appends the continuation to it
    first_byte = buf[starts]
    ok[:-1] &= (first_byte[1:] != 32) & (first_byte[1:] != 9)
    host_end, ok = name_end(words, host_at, ok, whitespace)
    # the host is followed by one space and a message; a host ending in ':' is a tag instead
    ok &= (buf[host_end] == 32) & (host_end + 1 < ends) & (buf[host_end + 1] > 32)
    ok &= (host_end > host_at) & (buf[host_end - 1] != 58)
    ok &= ~loud(buf, size, starts, np.where(ok, host_end + 1, starts))
    host, hosts = names(words, buf, host_at, host_end, ok)
    if hosts and not all(map(is_host, hosts)):  # a severity, pid or dash: read line by line
        bad = np.array([not is_host(h) for h in hosts] + [False])
        ok &= ~bad[host]
    scan = Scan(starts, ends, ok, mon, day, sod, host, hosts, epoch=epoch, host_at=host_at,
                buf=buf)
    if fields:
        scan.fast, scan.program, scan.programs, scan.pid, scan.msg_start = tag(
            words, buf, host_end + 1, scan.fast, scan.ends)
    return scan


def scan_blocks(blocks: Iterable[Block], fields: bool = False,
                then: Callable[[Scan], T] | None = None, workers: int | None = None
                ) -> Iterator[tuple[Block, Scan, T | None]]:
    """Each block with its scan (and ``then(scan)``), in order; scanned ahead in threads.

    numpy, Hyperscan and pyarrow release the interpreter lock in their loops, so blocks scan
    in parallel while the caller reads the lines the scan left; at most ``2 x workers + 1``
    blocks are held.
    """
    workers = workers or min(4, cores())

    def work(block: Block) -> tuple[Scan, T | None]:
        scan = scan_block(block, fields)
        return scan, (then(scan) if then is not None else None)

    ahead = iter(blocks)
    first = next(ahead, None)
    if first is None:
        return
    second = next(ahead, None)
    if workers == 1 or second is None:  # one core, or one block: threads would only wait
        for block in chain((first,) if second is None else (first, second), ahead):
            yield block, *work(block)
        return

    with ThreadPoolExecutor(workers) as pool:
        pending: deque[tuple[Block, Future[tuple[Scan, T | None]]]] = deque()
        for block in chain((first, second), ahead):
            pending.append((block, pool.submit(work, block)))
            if len(pending) > 2 * workers:
                done, future = pending.popleft()
                yield done, *future.result()
        for done, future in pending:
            yield done, *future.result()


def cores() -> int:
    """Cores this process may run on (``taskset`` and container limits included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
