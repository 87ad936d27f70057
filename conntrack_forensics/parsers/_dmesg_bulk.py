"""Blocks of ``dmesg`` lines, ``[seconds.micros] message``, split with array operations.

The kernel ring buffer as ``dmesg`` prints it is mostly plain lines of one shape: an optional
``<pri>`` (``dmesg -r``), ``[``, spaces, the seconds since boot, ``]``, a space and the
message. A block's lines of that shape (:func:`scan_ring`) whose bytes are printable ASCII and
hold none of the classifier's words (:func:`._keywords.loud`, one Hyperscan pass per block) are
read here, a few numpy operations per block: where the message starts and the seconds as a
float. Eight bytes are read at a time as one integer (:mod:`._swar`). The dmesg parser reads
every other line (``dmesg -x``, ``dmesg -T``, ``/dev/kmsg``, the lines a classifier rule may
match, anything unusual) one by one with its regular expressions, which decide exactly as
before: this path only takes lines it reads as they do.

The seconds are exact: the digits make one integer under 2**53 and a power of ten divides it,
one correctly rounded division, as ``float()`` reads the same text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.blocks import Block
from ..model import Kind
from ._columns import Coded, Columns, Cuts, interleave
from ._keywords import loud
from ._names import name_end
from ._swar import HIGH, ONES, digits
from .base import RawBatch

_LOW7 = ONES * np.uint64(0x7F)
_SPACES = ONES * np.uint64(32)
#: Most digits the seconds may have in all (10**15 < 2**53: the integer is exact in a float).
_MAX_DIGITS = 15


@dataclass
class RingScan:
    """What the fast path read of one block; ``uptime`` and ``msg_start`` hold where ``fast``.

    ``line_ends`` is where each line's newline is (a line's text for the line-by-line reader
    keeps a carriage return before it, which decoding removes); ``ends`` excludes one.
    """

    starts: np.ndarray
    ends: np.ndarray
    line_ends: np.ndarray
    fast: np.ndarray
    uptime: np.ndarray
    msg_start: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def line_bounds(block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Starts, ends (one carriage return before the newline excluded) and newlines of lines.

    >>> [a.tolist() for a in line_bounds(Block.of(b"ab\r\ncd"))]
    [[0, 4], [2, 6], [3, 6]]
    """
    return block.lines()


def _not_space(w: np.ndarray) -> np.ndarray:
    """High bit of each byte of ``w`` that is not a space (exact for every byte)."""
    x = w ^ _SPACES
    return (x | ((x & _LOW7) + _LOW7)) & HIGH


def _number(words: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leading digits at ``at``: how many (up to 15; 16 means more), and their value."""
    count, value = digits(words[at])
    longer = count == 8
    if longer.any():
        more, rest = digits(words[at + 8])
        value = np.where(longer, value * 10 ** np.minimum(more, 7) + rest, value)
        count = np.where(longer, 8 + more, count)
    return count, value


def scan_ring(block: Block) -> RingScan:
    r"""Split a block of whole lines; the plain ``[seconds] message`` lines are ``fast``.

    >>> s = scan_ring(Block.of(b"[    5.250000] eth0: link up\n"
    ...                        b"[    5.300000] nf_conntrack: table full, dropping packet\n"))
    >>> s.fast.tolist(), s.uptime[0], int(s.msg_start[0])
    ([True, False], np.float64(5.25), 15)
    """
    starts, ends, line_ends = line_bounds(block)
    n = len(starts)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return RingScan(starts, ends, line_ends, np.zeros(0, dtype=bool),
                        np.zeros(0, dtype=np.float64), empty)
    buf = block.buf
    words = block.words()
    # an optional "<pri>" as dmesg -r prints it
    at = starts.copy()
    pri = buf[starts] == 60
    if pri.any():
        count, _ = digits(words[starts + 1])
        closed = pri & (count >= 1) & (count <= 3) & (buf[starts + 1 + np.minimum(count, 3)] == 62)
        at = np.where(closed, starts + 2 + count, starts)
    ok = buf[at] == 91  # "["
    first, ok = name_end(words, at + 1, ok, _not_space)  # the seconds, after any spaces
    whole, value = _number(words, first)
    ok &= (whole >= 1) & (whole <= _MAX_DIGITS)
    dot = first + whole
    ok &= buf[dot] == 46
    places, fraction = digits(words[dot + 1])
    ok &= (places >= 1) & (places < 8) & (whole + places <= _MAX_DIGITS)
    close = dot + 1 + places
    ok &= (buf[close] == 93) & (close < ends)
    # "\s?" then the message: one space skipped; any other blank (a tab) is read line by line
    after = close + 1
    at_end = after >= ends
    follow = buf[np.minimum(after, len(buf) - 1)]
    ok &= at_end | (follow > 32) | (follow == 32)
    msg_start = np.where(at_end, ends, after + (follow == 32))
    ok &= ~loud(buf, block.size, starts, starts)
    scale = 10.0 ** places
    seconds = (np.where(ok, value, 0) * 10 ** np.where(ok, places, 0)
               + np.where(ok, fraction, 0)) / np.where(ok, scale, 1.0)
    return RingScan(starts, ends, line_ends, ok, seconds, msg_start)


def ring_rows(block: Block, scan: RingScan, first: int, slow: RawBatch) -> Columns:
    """Every fast line of the block as a plain kernel ``message`` row, in file order.

    ``slow`` holds the rows read one by one from the block's other lines; ``first`` is the
    number of the block's first line.
    """
    rows = np.flatnonzero(scan.fast)
    zeros = np.zeros(len(rows), dtype=np.int64)
    bulk = Columns(len(rows), {
        "line": first + rows,
        "program": Coded(zeros, ["kernel"]),
        "message": Cuts(block.buf, scan.msg_start[rows], scan.ends[rows]),
        "kind": Coded(zeros, [Kind.MESSAGE.value]),
        "count": np.ones(len(rows), dtype=np.int64),
        "uptime": pd.arrays.FloatingArray(scan.uptime[rows], np.zeros(len(rows), dtype=bool)),
    })
    if not len(slow):
        return bulk
    return interleave(bulk, first + rows, Columns.of_batch(slow),
                      np.asarray(slow.cols["line"], dtype=np.int64))
