"""Dates written inside syslog messages: what is read, and where in a file it is looked for."""

from __future__ import annotations

import numpy as np
import pytest

from conntrack_forensics.inputs.blocks import Block
from conntrack_forensics.parsers._dated_text import (
    MAX_LINES,
    DatedText,
    DatedTextSampler,
    dates_in,
)
from conntrack_forensics.parsers.syslog import _stamp


@pytest.mark.parametrize(("message", "found"), [
    ("Anacron 2.3 started on 2024-03-01", [(2024, 3, 1)]),
    ('time="2024-02-29T23:59:58.1Z" level=info msg="x"', [(2024, 2, 29)]),
    ("nightly dump 2024/03/01 ok", [(2024, 3, 1)]),
    ("ClamAV update process started at Fri Mar  1 00:00:01 2024", [(2024, 3, 1)]),
    ("ClamAV update process started at Fri Mar  1 00:00:01 CET 2024", [(2024, 3, 1)]),
    ("from 2024-03-01 to 2024-03-02", [(2024, 3, 1), (2024, 3, 2)]),
    ("ccpp-2017-04-26-06:38:17-3788 creation detected", [(2017, 4, 26)]),
    # not dates: no such day, a weekday that is not the date's, part of a longer number,
    # a version, mixed separators, a day-first date
    ("rotated 2023-02-29", []),
    ("at Sat Mar  1 00:00:01 2024", []),
    ("serial 12024-03-01", []),
    ("package 1.2024-03-01", []),
    ("id 2024-03/01", []),
    ("BIOS 2.2 05/23/2018", []),
])
def test_dates_in(message: str, found: list[tuple[int, int, int]]) -> None:
    assert [d[:3] for d in dates_in(message)] == found


def _block(lines: list[str]) -> tuple[Block, np.ndarray, np.ndarray]:
    data = "".join(f"{ln}\n" for ln in lines).encode()
    block = Block.of(data)
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return block, starts, ends


def _lines(day: int, n: int, dated: set[int]) -> list[str]:
    return [f"Mar {day:2d} 10:00:{i % 60:02d} h cron[{i}]: " +
            (f"run on 2024-03-{day:02d}" if i in dated else "plain") for i in range(n)]


def test_only_the_first_and_last_blocks_are_read() -> None:
    """A date in a middle block is not looked for: the cost stays two blocks per file."""
    sampler = DatedTextSampler(_stamp)
    first = 1
    for day, dated in ((1, {3}), (2, {4}), (3, {5})):
        block, starts, ends = _block(_lines(day, 10, dated))
        sampler.block(block, starts, ends, first)
        first += 10
    found = sampler.finish()
    assert [(d.line, d.mon, d.day, d.year, d.tday) for d in found] == [
        (4, 3, 1, 2024, 1), (26, 3, 3, 2024, 3)]


def test_lines_without_a_yearless_stamp_are_not_read() -> None:
    """An RFC 3339 line has its year already; a line the parser cannot split is no evidence."""
    block, starts, ends = _block(["2024-03-01T10:00:00+00:00 h app: run on 2024-03-01",
                                  "garbage 2024-03-01", "Mar  1 10:00:00 h app: on 2024-03-01"])
    sampler = DatedTextSampler(_stamp)
    sampler.block(block, starts, ends, 1)
    assert [d.line for d in sampler.finish()] == [3]


def test_a_block_gives_at_most_max_lines_spread_over_it() -> None:
    n = 3 * MAX_LINES
    block, starts, ends = _block(_lines(1, n, set(range(n))))
    sampler = DatedTextSampler(_stamp)
    sampler.block(block, starts, ends, 1)
    found = sampler.finish()
    assert len(found) == MAX_LINES
    assert found[0].line == 1 and found[-1].line == n


def test_days_apart() -> None:
    d = DatedText(1, 12, 31, 2024, 1, 1, "2024-01-01")
    assert (d.days_apart(2023), d.days_apart(2024)) == (1, 365)
    assert DatedText(1, 2, 29, 2024, 2, 29, "").days_apart(2023) is None
