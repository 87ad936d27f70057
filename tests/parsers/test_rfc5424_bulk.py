"""The RFC 5424 fast path (_rfc5424.py) reads every line it takes as the regexes do."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.blocks import Block, BlockReader
from conntrack_forensics.parsers import syslog
from conntrack_forensics.parsers._rfc3164 import Scan, scan_block
from conntrack_forensics.parsers._rfc5424 import Taken, take_rfc5424
from conntrack_forensics.parsers.classify import PREFILTER
from conntrack_forensics.parsers.syslog import _match

_HEAD = "<30>1 2024-03-14T09:12:03Z"
TRICKY = [
    "<30>1 2024-03-14T09:12:03.481205+00:00 web-1 sshd 77 - - plain message",
    "<30>1 2024-03-14T09:12:03Z web-1 sshd 77 - - no fraction, Z",
    "<4>1 2024-03-14T09:12:03.5Z h kernel - - - one digit of fraction",
    "<191>1 2024-03-14T09:12:03.123-05:30 h app 1 - - milliseconds, negative offset",
    "<0>1 2024-03-14T09:12:03.481205+23:59 h app 1 - - the largest offset",
    "<30>1 2024-03-14T09:12:03.481205-00:00 h app 1 - - minus zero",
    "<30>1 2024-02-29T00:00:00Z h app 1 - - a leap day",
    "<30>1 1970-01-01T00:00:00Z h app 1 - - the epoch",
    "<30>1 2200-12-31T23:59:59.999999+14:00 h app 1 - - the last year taken",
    "<30>1 2106-02-07T06:28:16.999999Z h app 1 - - past 2**32 seconds",
    "<30>1 2024-03-14T09:12:03.1234567Z h app - - - seven digits of fraction",
    "<30>1 2024-03-14T09:12:03.123456789Z h app - - - nanoseconds",
    "<30>1 2024-03-14T09:12:03.481205+24:00 h app 1 - - offset 24 hours",
    "<30>1 2024-03-14T09:12:03.481205+0000 h app 1 - - no colon in the offset",
    "<30>1 2024-03-14T09:12:03.481205 h app 1 - - no zone",
    "<30>1 2024-03-14T09:12:03.481205z h app 1 - - lower-case z",
    "<30>1 2024-03-14t09:12:03Z h app 1 - - lower-case t",
    "<30>1 2024-03-14T09:12:03,481205Z h app 1 - - a comma",
    "<30>1 2024-03-14T09:12:03.Z h app 1 - - a dot, no digits",
    "<30>1 2016-12-31T23:59:60Z h app 1 - - a leap second",
    "<30>1 2023-02-29T00:00:00Z h app 1 - - no such day",
    "<30>1 2024-13-01T00:00:00Z h app 1 - - month 13",
    "<30>1 2024-04-30T24:00:00Z h app 1 - - hour 24",
    "<30>1 1969-12-31T23:59:59.999999Z h app 1 - - before 1970",
    "<30>1 2201-01-01T00:00:00Z h app 1 - - after 2200",
    "<30>1 0757-03-01T08:00:05Z h app 1 - - year 757",
    "<30>1 2024-03-14T09:12:03Zjunk h app 1 - - junk after the zone",
    "<30>1 - h app 1 - - no time",
    f"{_HEAD} - app 1 - - no host",
    f"{_HEAD} INFO app 1 - - a severity for host",
    f"{_HEAD} 12345 app 1 - - a number for host",
    f"{_HEAD} h - - - - every field nil",
    f"{_HEAD} h - 42 - - no app",
    f"{_HEAD} h app abc - - a process id of letters",
    f"{_HEAD} h app 12a - - a process id of digits and letters",
    f"{_HEAD} h app 1234567 - - seven digits of pid",
    f"{_HEAD} h app 12345678 - - eight digits of pid",
    f"{_HEAD} h app 123456789012 - - twelve digits of pid",
    f"{_HEAD} h app 99999999999999999999 - - a pid too large",
    f"{_HEAD} h app 1234567a - - eight bytes of process id",
    f"{_HEAD} h app 007 - - leading zeros",
    f"{_HEAD} h app 1 ID47 - a message id",
    f'{_HEAD} h app 1 - [ex@32473 iut="3"] structured data',
    f'{_HEAD} h app 1 - [a b="esc \\] bracket"][c d="q \\" quote"] two elements',
    f'{_HEAD} h app 1 - [a b="x"]',
    f"{_HEAD} h app 1 - [a]x",
    f"{_HEAD} h app 1 - -",
    f"{_HEAD} h app 1 - - ",
    f"{_HEAD} h app 1 - -  two spaces before the message",
    f"{_HEAD} h app 1 - -x",
    f"{_HEAD} h app 1 -",
    f"{_HEAD} h",
    "<30>1 ",
    "<30>2 2024-03-14T09:12:03Z h app 1 - - version 2",
    "<3000>1 2024-03-14T09:12:03Z h app 1 - - a long priority",
    "<>1 2024-03-14T09:12:03Z h app 1 - - no priority",
    "<30>1  2024-03-14T09:12:03Z h app 1 - - two spaces after the version",
    f"{_HEAD}  h app 1 - - two spaces after the time",
    f"{_HEAD}\th app 1 - - a tab after the time",
    f"{_HEAD} h\tapp 1 - - a tab after the host",
    f"{_HEAD} h app 1 - - a tab\tin the message",
    f"{_HEAD} h app 1 - - a carriage return\rin the message",
    f"{_HEAD} h app 1 - - a line end of CR LF\r",
    f"{_HEAD} h app 1 - - a carriage return before CR LF\r\r",
    f"{_HEAD} h app 1 - - \ufeffa BOM before the message",
    f"{_HEAD} h app 1 - - caf\u00e9",
    f"{_HEAD} h app 1 - - a bell \x07",
    f"{_HEAD} a-very-long-host-name-that-is-longer-than-32.example.com app 1 - - long host",
    f"{_HEAD} h a-very-long-app-name-longer-than-32-bytes-here 1 - - a long app",
    f"{_HEAD} h app 1 a-very-long-msgid-longer-than-32-bytes-xx - a long message id",
    f"{_HEAD} h: app: 1 - - colons",
    f"{_HEAD} h app[1] 1 - - brackets",
    f"{_HEAD} h kernel - - - nf_conntrack: table full, dropping packet",
    f"{_HEAD} h app 1 - - last message repeated 3 times",
    f"{_HEAD} h sudo 1 - - ops : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/sbin/iptables -L",
    f"{_HEAD} h app 1 - - followed by a continuation line",
    "\tat com.example.Deep.call(Deep.java:1)",
    "<13>Mar 14 09:12:03 h app: RFC 3164 with a priority",
    "Mar 14 09:12:03 h app: RFC 3164",
    "-- Reboot --",
    "",
    "not syslog at all",
]


def _loader_micros(iso: str) -> int:
    """Microseconds since 1970 of an RFC 3339 time, as the loader reads it."""
    text = iso.replace(",", ".").replace(" ", "T")
    stamp = pd.to_datetime(pd.Series([text]), format="ISO8601", utc=True, errors="coerce")[0]
    return int(stamp.value // 1000)


def _compare(lines: list[str]) -> tuple[Scan, Taken]:
    """Scan ``lines`` as one block; every RFC 5424 line taken reads as :func:`_match` does."""
    data = "".join(f"{ln}\n" for ln in lines).encode()
    scan = scan_block(Block.of(data), fields=True)
    before = scan.fast.copy()
    taken = take_rfc5424(scan)
    assert len(scan) == len(lines)
    assert not before[taken.rows].any()
    assert (scan.fast == before | np.isin(np.arange(len(lines)), taken.rows)).all()
    assert scan.program is not None and scan.pid is not None and scan.msg_start is not None
    for i in taken.rows.tolist():
        text = lines[i].removesuffix("\r")  # (of a CR LF line end)
        m = _match(text)
        assert m is not None and m.iso is not None, text
        assert not PREFILTER.search(text) and "repeated" not in text
        assert scan.epoch is not None and (scan.mon[i], scan.day[i], scan.sod[i]) == (0, 0, 0)
        assert round(scan.epoch[i] * 1e6) == _loader_micros(m.iso), text
        assert m.host == scan.hosts[scan.host[i]], text
        program = scan.programs[scan.program[i]] if scan.program[i] >= 0 else None
        assert (m.program, m.pid) == (program, None if scan.pid[i] < 0 else scan.pid[i]), text
        assert m.msg == data[scan.msg_start[i]:scan.ends[i]].decode(), text
    return scan, taken


def test_tricky_lines_read_alike() -> None:
    _scan, taken = _compare(TRICKY)
    got = {TRICKY[i] for i in taken.rows.tolist()}
    assert set(TRICKY[:10]) <= got  # the common shapes do take the fast path
    left = ["seven digits of fraction", "nanoseconds", "leap second", "no such day",
            "structured data", "BOM", "caf\u00e9", "twelve digits", "a pid too large",
            "no host", "a severity",
            "followed by a continuation", "before CR LF", "table full", "repeated"]
    for words in left:
        (line,) = [ln for ln in TRICKY if words in ln]
        assert line not in got, line


_field = st.sampled_from(["web-1", "h", "sshd", "-", "ID47"]) \
    | st.text(alphabet="abz-._:[]0123456789\t\r", min_size=0, max_size=36)
_msg = st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7f,
                                      exclude_characters="\n"), max_size=30)


def _line(pri: str, y: int, mo: int, d: int, t: str, h: int, mi: int, s: int, frac: str,
          zone: str, host: str, app: str, procid: str, msgid: str, sd: str, msg: str) -> str:
    return (f"<{pri}>1 {y:04d}-{mo:02d}-{d:02d}{t}{h:02d}:{mi:02d}:{s:02d}{frac}{zone} "
            f"{host} {app} {procid} {msgid} {sd}{msg}")


#: Lines of every shape, most of them not taken.
_wild = st.builds(
    _line, st.sampled_from(["0", "30", "191", "1000", ""]),
    st.sampled_from([1969, 1970, 2017, 2024, 2106, 2200, 2201]), st.integers(0, 13),
    st.integers(0, 32), st.sampled_from(["T", " ", "t"]), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61),
    st.sampled_from(["", ".0", ".5", ".481", ".000000", ".481205", ".999999", ".4812051",
                     ".481205123", ",481205", "."]),
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "-05:30", "+14:00", "+23:59", "+0530", "",
                     "+24:00", "-00:60"]),
    _field, _field, st.sampled_from(["-", "1", "42", "1234567", "12345678", "x1", "1x", ""]),
    _field, st.sampled_from(["- ", "-", "", '[a b="c"] ', "[x] ", "-  "]), _msg)
#: Lines of the common shape with odd values: most of them taken.
_usual = st.builds(
    _line, st.sampled_from(["0", "30", "191"]),
    st.sampled_from([1970, 2017, 2024, 2106, 2199, 2200]), st.integers(1, 12),
    st.integers(1, 31), st.just("T"), st.integers(0, 23), st.integers(0, 59),
    st.integers(0, 60),
    st.sampled_from(["", ".0", ".5", ".481", ".000000", ".481205", ".999999", ".000001"]),
    st.sampled_from(["Z", "+00:00", "-00:00", "-05:30", "+14:00", "+23:59", "-23:59"]),
    st.sampled_from(["web-1", "h", "10.0.0.1", "a.b-c_d"]),
    st.sampled_from(["sshd", "-", "kernel", "a:b", "x[1]"]),
    st.sampled_from(["-", "0", "42", "1234567", "abc", "4a"]),
    st.sampled_from(["-", "ID47"]), st.just("- "), _msg)


@settings(max_examples=300, deadline=None)
@given(st.lists(_usual | _wild, min_size=1, max_size=20))
def test_property_fast_path_agrees_with_the_regexes(lines: list[str]) -> None:
    _compare(lines)


def _slow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave every RFC 5424 line to the line-by-line reader."""
    monkeypatch.setattr(syslog, "take_rfc5424",
                        lambda scan: Taken(np.zeros(0, dtype=np.int64)))


def _mixed_log(tmp_path: Path) -> Path:
    """Fast-path lines with every kind of fallback line in between (repeats far back too)."""
    lines = []
    for i in range(6000):
        host = ("web-1", "web-2", "gw")[i % 3]
        app = ("sshd", "cron", "-", "kernel")[i % 4]
        clock = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        stamp = f"2024-03-{1 + i // 86400:02d}T{clock}.{i * 7919 % 10**6:06d}+01:00"
        if i % 97 == 5:
            lines.append(f"<4>1 {stamp} {host} kernel - - - nf_conntrack: table full, "
                         "dropping packet")
        elif i % 89 == 7:
            lines.append(f"<30>1 {stamp} {host} {app} - - - last message repeated 4 times")
        elif i % 1500 == 1499:
            lines.append("-- Reboot --")
        elif i % 61 == 3:
            lines.append(TRICKY[i % len(TRICKY)])
        else:
            pid = ("-", str(i), "abc")[i % 3]
            lines.append(f"<30>1 {stamp} {host} {app} {pid} - - plain message {i}")
    lines.append("<4>1 2024-03-02T00:00:00Z gw kernel - - - last message repeated 9 times")
    path = tmp_path / "var" / "log" / "messages"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "timezone").write_text("Europe/Berlin\n")  # an info note on the zone
    return tmp_path


@pytest.mark.parametrize("block_bytes", [None, 4096], ids=["one-block", "small-blocks"])
@pytest.mark.parametrize("full", [True, False], ids=["full", "background"])
def test_mixed_file_loads_the_same_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool,
        block_bytes: int | None) -> None:
    if block_bytes is not None:  # repeats of lines taken in blocks before their own
        monkeypatch.setattr(syslog, "BlockReader",
                            functools.partial(BlockReader, block_bytes=block_bytes))
    path = _mixed_log(tmp_path)
    fast = cf.load(path, full=full)
    _slow_only(monkeypatch)
    slow = cf.load(path, full=full)
    pd.testing.assert_frame_equal(fast.events, slow.events)
    pd.testing.assert_frame_equal(fast.diagnostics, slow.diagnostics)
    assert [(i.records, i.skipped) for i in fast.inputs] == \
        [(i.records, i.skipped) for i in slow.inputs]
    assert (fast.events["kind"] == "conntrack_drop").sum() > 60
    assert fast.diagnostics["message"].str.contains("time zone Europe/Berlin").any()


def test_the_fast_path_takes_most_lines(tmp_path: Path) -> None:
    path = _mixed_log(tmp_path) / "var" / "log" / "messages"
    scan = scan_block(Block.of(path.read_bytes()), fields=True)
    assert len(take_rfc5424(scan).rows) > 0.9 * len(scan)


def test_a_repeat_looks_back_past_rfc5424_lines_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 3164 and 5424 lines of one host: the RFC 5424 lines taken in bulk do not crowd the
    RFC 3164 ones out of the look-back of a ``last message repeated``."""
    stamp = "<30>1 2024-03-10T10:{:02d}:{:02d}Z gw {} - - - plain {}"
    lines = ["Mar 10 10:00:00 gw kernel: nf_conntrack: table full, dropping packet",
             "Mar 10 10:00:01 gw kernel: a plain kernel line"]
    lines += [stamp.format(i // 60 % 60, i % 60, ("sshd", "cron")[i % 2], i) for i in range(1500)]
    lines += ["Mar 10 10:30:00 gw kernel: last message repeated 5 times",
              "<4>1 2024-03-10T10:40:00Z gw kernel - - - last message repeated 6 times"]
    path = tmp_path / "messages"
    path.write_text("\n".join(lines) + "\n")
    fast = cf.load(path, year=2024, tz="UTC", full=True)
    _slow_only(monkeypatch)
    slow = cf.load(path, year=2024, tz="UTC", full=True)
    pd.testing.assert_frame_equal(fast.events, slow.events)
    assert (fast.events["kind"] == "conntrack_drop").sum() == 1  # the repeats are plain
