"""The dmesg fast path (_dmesg_bulk.py) reads every line it takes as the regexes do."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.blocks import Block, BlockReader
from conntrack_forensics.parsers import dmesg
from conntrack_forensics.parsers._dmesg_bulk import RingScan, scan_ring
from conntrack_forensics.parsers.classify import PREFILTER
from conntrack_forensics.parsers.dmesg import _split
from tests.conftest import DATA

TRICKY = [
    "[    0.000000] Linux version 5.15.0 (x) #1 SMP",
    "[    1.204311] NET: Registered protocol family 2",
    "<6>[    2.000000] a priority first",
    "<6>[2.5] a priority, no spaces",
    "[3.0] no spaces",
    "[ 12345678.123456] eight digits of seconds",
    "[ 123456789012.123] twelve digits of seconds",
    "[ 0.1] one tenth",
    "[ 999999.999999] many nines",
    "[ 1.1234567] seven decimals",
    "[    3.000000]no space after the bracket",
    "[    3.000000]  two spaces after the bracket",
    "[    3.000000]",
    "[    3.000000] ",
    "[    5.000000] a carriage return\rinside",
    "[    5.000000] a line end of CR LF\r",
    "[    5.000000] a carriage return before CR LF\r\r",
    "[    3.000000]\ta tab after the bracket",
    "[\t3.0] a tab inside",
    "[ 1234567890123456.1] sixteen digits",
    "[ 12345678901234567890.1] twenty digits",
    "[ 123456789.1234567] sixteen digits in all",
    "[ 1.123456789] nine decimals",
    "[ 1.12345678] eight decimals",
    "[                                      5.0] many spaces",
    "<1234>[    2.000000] a long priority",
    "<>[    2.000000] an empty priority",
    "[ 3.] no decimals",
    "[ .5] no seconds",
    "[ 5.0 ] a space before the bracket",
    "[5.0]] two brackets",
    "[-5.0] negative",
    "  [ 5.0] spaces first",
    "[    5.000000] caf\u00e9",
    "[    5.000000] a bell \x07",
    "[    5.000000] nf_conntrack: table full, dropping packet",
    "[    5.000000] net_ratelimit: 44 callbacks suppressed",
    "kern  :info  : [ 9211.533120] dmesg -x",
    "[Thu Apr 27 00:03:27 2017] dmesg -T",
    "6,712,263812123456,-;/dev/kmsg",
    " SUBSYSTEM=net",
    "",
    "no time stamp",
]


def _compare(lines: list[str]) -> RingScan:
    """Scan ``lines`` as one block; every line taken reads as :func:`.dmesg._split` does."""
    data = "".join(f"{ln}\n" for ln in lines).encode()
    scan = scan_ring(Block.of(data))
    assert len(scan) == len(lines)
    for i, line in enumerate(lines):
        if not scan.fast[i]:
            continue
        text = line.removesuffix("\r")  # (of a CR LF line end)
        parts = _split(text)
        assert parts is not None, line
        uptime, iso, msg = parts
        assert iso is None and not PREFILTER.search(text), line
        assert scan.uptime[i] == uptime, line
        assert msg == data[scan.msg_start[i]:scan.ends[i]].decode(), line
    return scan


def test_tricky_lines_read_alike() -> None:
    scan = _compare(TRICKY)
    taken = [ln for ln, fast in zip(TRICKY, scan.fast, strict=True) if fast]
    # (a kernel banner has a classifier's word; "]" may start a message)
    assert taken == [*TRICKY[1:17], "[5.0]] two brackets"]


_line = st.builds(
    lambda pri, spaces, whole, decimals, sep, msg: f"{pri}[{spaces}{whole}.{decimals}]{sep}{msg}",
    st.sampled_from(["", "<6>", "<12>", "<1234>", "<>"]), st.sampled_from(["", " ", "    ", "\t"]),
    st.text(alphabet="0123456789", min_size=0, max_size=18),
    st.text(alphabet="0123456789", min_size=0, max_size=10),
    st.sampled_from([" ", "", "  ", "\t", "\r"]),
    st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7f, exclude_characters="\n"),
            max_size=30))


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, min_size=1, max_size=20))
def test_property_fast_path_agrees_with_the_regexes(lines: list[str]) -> None:
    _compare(lines)


def _ring(tmp_path: Path) -> Path:
    """Plain lines with every other kind of line in between, and a run of bad ones."""
    lines = (DATA / "dmesg" / "dmesg.txt").read_text().splitlines()
    for i in range(4000):
        lines.append(f"[{i * 0.37:12.6f}] eth{i % 4}: plain line {i}")
        if i % 29 == 0:
            lines.append(TRICKY[i // 29 % len(TRICKY)])
        if i % 97 == 1:
            lines.append(f"[{i * 0.37:12.6f}] nf_conntrack: table full, dropping packet")
    path = tmp_path / "dmesg"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"[ 5.0] bad \xff bytes\n\x00\n")
    return path


@pytest.mark.parametrize("block_bytes", [None, 4096], ids=["one-block", "small-blocks"])
@pytest.mark.parametrize("full", [True, False], ids=["full", "background"])
def test_ring_loads_the_same_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool,
        block_bytes: int | None) -> None:
    if block_bytes is not None:
        monkeypatch.setattr(dmesg, "BlockReader",
                            functools.partial(BlockReader, block_bytes=block_bytes))
    path = _ring(tmp_path)
    monkeypatch.setattr(dmesg, "SMALL_BLOCK", 0)  # every block in bulk
    fast = cf.load(path, full=full)
    monkeypatch.setattr(dmesg, "SMALL_BLOCK", 1 << 62)  # every block line by line
    slow = cf.load(path, full=full)
    pd.testing.assert_frame_equal(fast.events, slow.events)
    pd.testing.assert_frame_equal(fast.diagnostics, slow.diagnostics)
    assert [(i.records, i.skipped) for i in fast.inputs] == \
        [(i.records, i.skipped) for i in slow.inputs]
    assert (fast.events["kind"] == "conntrack_drop").sum() > 40


def test_giving_up_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand bad lines in a row end the file where they did, bulk lines before them."""
    plain = [f"[{i:12.6f}] plain {i}" for i in range(3000)]
    path = tmp_path / "dmesg"
    path.write_text("\n".join(plain + ["garbage"] * 999 + plain[:1] + ["garbage"] * 1000
                              + plain) + "\n")
    monkeypatch.setattr(dmesg, "BlockReader", functools.partial(BlockReader, block_bytes=8192))
    monkeypatch.setattr(dmesg, "SMALL_BLOCK", 0)
    fast = cf.load(path, full=True)
    monkeypatch.setattr(dmesg, "SMALL_BLOCK", 1 << 62)
    slow = cf.load(path, full=True)
    pd.testing.assert_frame_equal(fast.events, slow.events)
    pd.testing.assert_frame_equal(fast.diagnostics, slow.diagnostics)
    assert fast.inputs[0].records == slow.inputs[0].records
    assert fast.diagnostics["message"].str.contains("gave up").any()
