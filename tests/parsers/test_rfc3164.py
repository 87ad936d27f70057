"""The syslog fast path (_rfc3164.py, _bulk.py) reads every line it takes as the regexes do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.blocks import Block
from conntrack_forensics.parsers import _keywords, _rfc3164
from conntrack_forensics.parsers._rfc3164 import Scan, scan_block
from conntrack_forensics.parsers.classify import PREFILTER
from conntrack_forensics.parsers.syslog import _match

TRICKY = [
    "Apr 27 00:03:27 bogon kernel: plain text",
    "Apr  7 10:03:28 web-1 sshd(pam_unix)[19937]: check pass; user unknown",
    "Apr 07 23:59:60 h crond[1]:no space after colon",
    "Dec 31 23:59:59 h prog[]: empty pid",
    "Dec 31 23:59:59 h prog[12a]: not a pid",
    "Dec 31 23:59:59 h prog[123456789]: long pid",
    "Dec 31 23:59:59 h prog]: bracket",
    "Dec 31 23:59:59 h :empty program",
    "Dec 31 23:59:59 h Started something without a colon",
    "Dec 31 23:59:59 h -- MARK --",
    "Dec 31 23:59:59 h prog:  two spaces",
    "Dec 31 23:59:59 h prog:",
    "Dec 31 23:59:59 h\tprog: tab after host",
    "Dec 31 23:59:59 h prog: caf\u00e9 (bytes outside ASCII)",
    "Dec 31 23:59:59 h prog: a bell \x07 (a control byte)",
    "Dec 31 23:59:59 h  prog: two spaces after host",
    "Dec 31 23:59:59 host: prog: host ends with a colon",
    "Dec 31 23:59:59 a-very-long-host-name-that-is-longer-than-32.example.com app: x",
    "Dec 31 23:59:59 h a-very-long-program-name-longer-than-32-bytes[1]: x",
    "Dec 32 23:59:59 h app: day 32",
    "Dec 31 24:00:00 h app: hour 24",
    "Dec 31 23:60:00 h app: minute 60",
    "Dec 31 23:59:61 h app: second 61",
    "Foo 31 23:59:59 h app: no month",
    "Dec 31 23:59:59.123 h app: fraction",
    "<13>Dec 31 23:59:59 h app: priority",
    "Dec 31 23:59:59 h app: caf\u00e9",
    "Dec 31 23:59:59 h kernel: nf_conntrack: table full, dropping packet.",
    "Dec 31 23:59:59 h app: last message repeated 3 times",
    "Dec 31 23:59:59 h app: windows line\r",
    "Dec 31 23:59:59",
    "Dec 31 23:59:59 h",
    "Dec 31 23:59:59 h ",
    "",
    "not syslog at all",
    "2024-03-14T09:12:03.481205+00:00 web-1 kernel: rsyslog's RSYSLOG_FileFormat",
    "2024-03-14T09:12:03Z h sshd[77]: UTC, no fraction",
    "2024-03-14T09:12:03.481205-05:30 h cron[1]: a negative offset",
    "2024-12-31T23:59:59.999999+14:00 h app: the year's last microsecond, far east",
    "2024-02-29T00:00:00Z h app: a leap day",
    "2023-02-29T00:00:00Z h app: no such day",
    "2024-03-14 09:12:03Z h app: a space for T",
    "2024-03-14T09:12:60Z h app: a leap second",
    "2024-03-14T09:12:03.481+00:00 h app: milliseconds",
    "2024-03-14T09:12:03,481205+00:00 h app: a comma",
    "2024-03-14T09:12:03+0000 h app: no colon in the offset",
    "2024-03-14T09:12:03 h app: no zone",
    "2024-03-14T09:12:03+24:00 h app: offset 24 hours",
    "2024-13-14T09:12:03Z h app: month 13",
    "2024-03-14T09:12:03Z",
    "2024-03-14T09:12:03Z h",
    # what stands where the host goes is no severity, pid or dash (issue 14)
    "2024-03-14T09:12:03.123456Z INFO shill[1520]: ChromeOS: no host",
    "2024-03-14T09:12:03.123456+00:00 12345 INFO nova.compute.manager: a pid",
    "Dec 31 23:59:59 WARNING app: a severity",
    "Dec 31 23:59:59 - app: a dash",
    "Dec 31 23:59:59 4242 app: a number",
    # two spaces after the tag (Debian's rsyslog): the message keeps the second
    "Dec 31 23:59:59 h app:  two spaces",
    "Dec 31 23:59:59 h app[7]:   three spaces",
    "\tat com.example.Deep.call(Deep.java:1)",
]


def _compare(lines: list[str]) -> Scan:
    data = "".join(f"{ln}\n" for ln in lines).encode()
    scan = scan_block(Block.of(data), fields=True)
    assert len(scan) == len(lines)
    assert scan.program is not None and scan.pid is not None and scan.msg_start is not None
    for i, line in enumerate(lines):
        if not scan.fast[i]:
            continue
        text = line.removesuffix("\r")
        m = _match(text)
        assert m is not None, line
        assert not PREFILTER.search(text) and "repeated" not in text
        if m.iso is not None:  # as the loader reads it
            text_time = m.iso.replace(",", ".").replace(" ", "T")
            expected = pd.to_datetime(pd.Series([text_time]), format="ISO8601", utc=True,
                                      errors="coerce")[0]
            assert scan.epoch is not None and scan.mon[i] == 0, line
            assert round(scan.epoch[i] * 1e6) == expected.value // 1000, line
        else:
            assert scan.epoch is None or np.isnan(scan.epoch[i]), line
            assert m.mdsod == (scan.mon[i], scan.day[i], float(scan.sod[i])), line
        assert m.host == scan.hosts[scan.host[i]], line
        program = scan.programs[scan.program[i]] if scan.program[i] >= 0 else None
        assert (m.program, m.pid) == (program, None if scan.pid[i] < 0 else scan.pid[i]), line
        start = int(scan.msg_start[i] - scan.starts[i])
        assert m.msg == text.encode()[start:].decode(), line
    return scan


def test_tricky_lines_read_alike() -> None:
    scan = _compare(TRICKY)
    taken = [ln for ln, fast in zip(TRICKY, scan.fast, strict=True) if fast]
    assert taken[:4] == TRICKY[:4]  # the common shapes do take the fast path
    assert "Dec 31 23:59:59 h app: caf\u00e9" not in taken  # non-ASCII is read line by line
    assert TRICKY[-3] in taken  # two spaces after the tag: the message keeps one
    assert TRICKY[-2] not in taken  # a continuation follows: read (and joined) line by line
    assert not [ln for ln in taken if ln.startswith(("Dec 31 23:59:59 WARNING",
                                                     "Dec 31 23:59:59 -", "Dec 31 23:59:59 4"))]
    iso = [ln for ln in TRICKY if ln[:1].isdigit()]
    assert [ln in taken for ln in iso] == [True] * 5 + [False] * (len(iso) - 5)


def _issue14_log(tmp_path: Path) -> Path:
    """Debian's doubled spaces, stack traces, ChromeOS and a pid where the host goes."""
    lines = []
    for i in range(2400):
        minute, second = divmod(i // 4, 60)
        stamp = f"Aug 16 {minute // 60 + 10:02d}:{minute % 60:02d}:{second:02d}"
        if i % 101 == 9:
            lines.append(f"{stamp} gw kernel:  message repeated {i % 7 + 2} times: "
                         "[ nf_conntrack: table full, dropping packet]")
        elif i % 37 == 4:
            lines.append(f"{stamp} gw java[77]:  Exception in thread \"main\"")
            lines += [f"\tat com.example.C.m{k}(C.java:{k})" for k in range(i % 5 + 1)]
        elif i % 53 == 2:
            lines.append(f"{stamp} gw sshd[3]:  Accepted publickey for fred from 10.0.0.9 port "
                         f"{i} ssh2")
        elif i % 61 == 6:
            lines.append(f"{stamp} 12345 app: a pid where the host goes {i}")
        else:
            lines.append(f"{stamp} gw app{i % 3}[{i}]:  plain message {i}")
    path = tmp_path / "syslog"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("full", [True, False], ids=["full", "background"])
def test_issue14_lines_read_alike_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool) -> None:
    path = _issue14_log(tmp_path)
    fast = cf.load(path, year=2024, tz="UTC", full=full)
    assert (fast.events["host"] == "12345").sum() == 0
    _slow_only(monkeypatch)
    slow = cf.load(path, year=2024, tz="UTC", full=full)
    assert fast.inputs[0].records == slow.inputs[0].records == 2400
    pids = sum(1 for i in range(2400)
               if i % 61 == 6 and i % 101 != 9 and i % 37 != 4 and i % 53 != 2)
    assert fast.inputs[0].skipped == slow.inputs[0].skipped == pids == 38
    columns = ["time", "host", "program", "pid", "kind", "message", "count", "line"]
    loud = ~fast.events["kind"].isin(["message", "background"])
    pd.testing.assert_frame_equal(
        fast.events.loc[loud, columns].reset_index(drop=True),
        slow.events.loc[~slow.events["kind"].isin(["message", "background"]),
                        columns].reset_index(drop=True))
    if full:
        pd.testing.assert_frame_equal(fast.events[columns], slow.events[columns])
    assert fast.events.loc[fast.events["kind"] == "conntrack_drop", "count"].sum() == sum(
        i % 7 + 2 for i in range(2400) if i % 101 == 9)


_name = st.text(alphabet="abcxyz-._:[]0123456789 ", min_size=0, max_size=40)
_line = st.builds(
    lambda mon, day, h, m, s, pad, host, prog, pid, sep, msg: (
        f"{mon} {day:{pad}} {h:02d}:{m:02d}:{s:02d} {host} {prog}{pid}{sep}{msg}"),
    st.sampled_from(["Jan", "Apr", "Dec", "Foo"]), st.integers(0, 33), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61), st.sampled_from(["2d", "02d", "d"]),
    _name, _name, st.sampled_from(["", "[42]", "[]", "[x]", "[1234567]", "[12345678]"]),
    st.sampled_from([": ", ":", " ", "", ":  "]),
    st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7f, exclude_characters="\n"),
            max_size=30))


_iso_line = st.builds(
    lambda y, mo, d, t, h, mi, s, frac, zone, host, prog, pid, sep, msg: (
        f"{y:04d}-{mo:02d}-{d:02d}{t}{h:02d}:{mi:02d}:{s:02d}{frac}{zone} {host} "
        f"{prog}{pid}{sep}{msg}"),
    st.sampled_from([1969, 1970, 2000, 2023, 2024, 2201]), st.integers(0, 13),
    st.integers(0, 32), st.sampled_from(["T", " ", "t"]), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61),
    st.sampled_from(["", ".000000", ".481205", ".999999", ".481", ".4812051", ",481205", "."]),
    st.sampled_from(["Z", "z", "+00:00", "-05:30", "+14:00", "+0530", "", "+24:00", "-00:60"]),
    _name, _name, st.sampled_from(["", "[42]", "[x]"]), st.sampled_from([": ", ":", " "]),
    st.text(alphabet="abc :[]", max_size=10))


@settings(max_examples=300, deadline=None)
@given(st.lists(_line | _iso_line, min_size=1, max_size=20))
def test_property_fast_path_agrees_with_the_regexes(lines: list[str]) -> None:
    _compare(lines)


def _slow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _rfc3164.scan_block

    def nothing_fast(block: Block, fields: bool = False) -> Scan:
        scan = real(block, fields)
        scan.fast = np.zeros(len(scan), dtype=bool)
        return scan
    monkeypatch.setattr(_rfc3164, "scan_block", nothing_fast)


def _log(tmp_path: Path, style: str = "rfc3164") -> Path:
    lines = []
    for i in range(3000):
        host = ("web1", "web2", "gw")[i % 3 if i % 7 else 0]
        minute, second = divmod(i // 2, 60)
        clock = f"{minute // 60 + 22:02d}:{minute % 60:02d}:{second:02d}"
        stamp = f"Dec 31 {clock}" if style == "rfc3164" else \
            f"2016-12-31T{clock}.{i * 7919 % 10**6:06d}+01:00"
        if i % 97 == 5:
            text = "kernel: nf_conntrack: table full, dropping packet."
        elif i % 89 == 7:
            text = "kernel: last message repeated 4 times"
        elif i % 83 == 3:
            text = "sshd[7]: Accepted publickey for root from 10.0.0.1 port 1 ssh2"
        else:
            text = f"app{i % 5}[{i}]: plain message {i}"
        if i == 1500:  # journalctl's separator: the boot takes the next line's time and host
            lines.append("-- Reboot --")
        lines.append(f"{stamp} {host} {text}")
    new_year = ["Jan  1 00:00:01", "Jan  1 00:00:02", "Jan  1 00:00:02"] if style == "rfc3164" \
        else ["2017-01-01T00:00:01Z", "2017-01-01T00:00:02Z", "2017-01-01T00:00:02Z"]
    lines += [f"{new_year[0]} web1 app: next year", f"{new_year[1]} web1 app: x",
              f"{new_year[2]} web1 app: last message repeated 2 times"]
    path = tmp_path / "messages"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("style", ["rfc3164", "rfc3339"])
@pytest.mark.parametrize("full", [True, False], ids=["full", "background"])
def test_load_is_the_same_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool, style: str) -> None:
    path = _log(tmp_path, style)
    fast = cf.load(path, year=2017, tz="UTC", full=full)
    _slow_only(monkeypatch)
    slow = cf.load(path, year=2017, tz="UTC", full=full)
    assert fast.inputs[0].records == slow.inputs[0].records == 3004
    columns = ["time", "time_quality", "host", "program", "pid", "kind", "message", "count",
               "line"]
    if full:
        pd.testing.assert_frame_equal(fast.events[columns], slow.events[columns])
    else:  # the same lines counted per host and minute (rows may be cut differently)
        def per_minute(events: pd.DataFrame) -> pd.Series:
            return events.groupby([events["host"], events["time"].dt.floor("min"),
                                   events["kind"]])["count"].sum()
        pd.testing.assert_series_equal(per_minute(fast.events), per_minute(slow.events))
        loud = ~fast.events["kind"].isin(["message", "background"])
        pd.testing.assert_frame_equal(
            fast.events.loc[loud, columns].reset_index(drop=True),
            slow.events.loc[~slow.events["kind"].isin(["message", "background"]),
                            columns].reset_index(drop=True))


def test_both_engines_find_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan (when installed) and RE2 leave the same lines to the line-by-line reader."""
    data = "".join(f"{ln}\n" for ln in TRICKY * 3).encode()
    first = scan_block(Block.of(data), fields=True)
    monkeypatch.setattr(_keywords, "_hyperscan", lambda: None)
    assert _keywords.engine() == "re2"
    again = _compare(TRICKY * 3)
    assert first.fast.tolist() == again.fast.tolist()
