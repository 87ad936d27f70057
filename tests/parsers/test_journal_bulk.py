"""The journal JSON fast path (_journal_bulk.py) gives what reading every line one by one gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.blocks import Block
from conntrack_forensics.parsers import _journal_reader
from conntrack_forensics.parsers._journal_bulk import read_block, split_lines

BOOT = "4f7c2e9a1d3b4c5e8f6a7b9c0d1e2f3a"


def entry(n: int, **fields: Any) -> dict[str, Any]:
    """A journal entry as ``journalctl -o json`` writes it; ``...`` removes a field."""
    out: dict[str, Any] = {
        "__CURSOR": f"s=8d3c;i={n:x}", "__REALTIME_TIMESTAMP": str(1491004800000000 + n * 7919),
        "__MONOTONIC_TIMESTAMP": str(254518 + n), "_BOOT_ID": BOOT, "PRIORITY": "6",
        "SYSLOG_FACILITY": "3", "SYSLOG_IDENTIFIER": "sshd", "_TRANSPORT": "syslog",
        "_PID": str(100 + n), "_COMM": "sshd", "MESSAGE": f"session {n} opened",
        "_HOSTNAME": "bogon",
    }
    for key, value in fields.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def line(n: int, **fields: Any) -> str:
    return json.dumps(entry(n, **fields), separators=(",", ":"))


TRICKY = [
    line(1, MESSAGE=[104, 105, 255]),
    line(2, MESSAGE=None),
    line(3, MESSAGE=...),
    line(4, _HOSTNAME=...),
    line(5, _HOSTNAME=""),
    line(6, __REALTIME_TIMESTAMP=...),
    line(7, __REALTIME_TIMESTAMP="0"),
    line(8, __REALTIME_TIMESTAMP="0001491004800000000"),
    line(9, __REALTIME_TIMESTAMP="9223372036000000000"),
    line(10, __REALTIME_TIMESTAMP="9007199254740993"),
    line(11, __REALTIME_TIMESTAMP="99999999999999999999"),
    line(12, __REALTIME_TIMESTAMP="12a"),
    line(13, _PID="abc"),
    line(14, _PID="", SYSLOG_PID="77"),
    line(15, _PID=..., SYSLOG_PID="12345678901"),
    line(16, PRIORITY="10"),
    line(17, PRIORITY=""),
    line(18, _TRANSPORT="kernel", SYSLOG_IDENTIFIER="foo"),
    line(19, _TRANSPORT="journal", SYSLOG_IDENTIFIER=..., _COMM=...),
    line(20, _TRANSPORT=..., SYSLOG_IDENTIFIER="", _COMM="bar"),
    line(21, _BOOT_ID=""),
    line(22, _BOOT_ID="other-boot"),
    line(23, _BOOT_ID="other-boot", _HOSTNAME="h2"),
    line(24, MESSAGE='line one\nline two "quoted" back\\slash /slash'),
    line(25, MESSAGE="caf\u00e9 \u0041"),
    json.dumps(entry(26, MESSAGE="caf\u00e9"), ensure_ascii=False),
    line(27, MESSAGE="nf_conntrack: table full, dropping packet"),
    line(28, MESSAGE="Accepted password for root from 10.0.0.9 port 22 ssh2"),
    line(29, MESSAGE="{braces} [brackets] a:b, c"),
    line(30, X_NESTED={"a": [1, {"b": None}]}),
    line(31, X_NUMBER=12345678901234567890123),
    line(32)[:-1] + ',"X_NAN":NaN}',
    json.dumps(entry(33), separators=(" , ", " : ")),
    line(34)[:-20],
    line(35) + " ",
    " " + line(36),
    "\x1e" + line(37),
    "\x1e",
    "",
    "garbage",
    "{}",
    "[1,2]",
    json.dumps(entry(38), indent=2),
    line(39, MESSAGE="tab").replace("tab", "t\tab"),
    line(40).replace('"__CURSOR"', '"_HOST\\u004eAME":"escaped","__CURSOR"'),
    line(41, SYSLOG_IDENTIFIER='prog"x'),
    line(42) + "\r",
    line(43) + "\r\r",  # (one carriage return is a line end's, the other the line's)
    line(44, MESSAGE="x\x00y").replace("\\u0000", "\x00"),
]
#: Lines that make Arrow reject their whole block (read one by one then).
REJECTED = [
    line(50, __REALTIME_TIMESTAMP=1491004800000000),
    line(51, _PID=42),
    line(52).replace('"MESSAGE":', '"MESSAGE":"dup","MESSAGE":'),
    line(53) + line(54),
    line(55)[:-1] + ",}",
    line(56, MESSAGE="\ud800 lone surrogate"),
]


def _frames(path: Path, bulk: bool, monkeypatch: pytest.MonkeyPatch, batch_rows: int = 20_000,
            full: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, int] | str:
    """The events and diagnostics of ``path``, with or without the fast path.

    Or what the load raised: a lone surrogate's row cannot be framed, a small file's (pooled
    with others) not even inside the loader's guard.
    """
    with monkeypatch.context() as m:
        # a file of this few lines is read one by one unless the limit is lowered
        m.setattr(_journal_reader, "POOLED_LINES", 0 if bulk else 10**9)
        m.setattr(_journal_reader, "BATCH_ROWS", batch_rows)
        try:
            r = cf.load(path, year=2024, tz="UTC", full=full)
        except UnicodeEncodeError as exc:
            return repr(exc)
    return r.events, r.diagnostics, sum(i.records for i in r.inputs)


def _same(path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> None:
    fast, slow = _frames(path, True, monkeypatch, **kw), _frames(path, False, monkeypatch, **kw)
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast[0], slow[0])
    pd.testing.assert_frame_equal(fast[1], slow[1])
    assert fast[2] == slow[2]


def _write(tmp_path: Path, lines: list[str], name: str = "journal.json") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    return path


def _plain(count: int, start: int = 0) -> list[str]:
    return [line(n) for n in range(start, start + count)]


@pytest.mark.parametrize("tricky", TRICKY + REJECTED)
def test_tricky_line_among_plain_ones(tricky: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, [*_plain(30), tricky, *_plain(30, 30)])
    _same(path, monkeypatch)
    _same(path, monkeypatch, batch_rows=7, full=False)


def test_fast_path_takes_plain_lines() -> None:
    lines = [*_plain(5), *TRICKY, *_plain(5, 5)]
    block = Block.of(("\n".join(lines) + "\n").encode())
    got = read_block(block, split_lines(block))
    assert got.fast[:5].all() and got.fast[-5:].all()
    assert not got.fast[5 + TRICKY.index(line(27, MESSAGE="nf_conntrack: table full, "
                                                          "dropping packet"))]
    rejected = Block.of(("\n".join([*_plain(5), REJECTED[0]]) + "\n").encode())
    assert not read_block(rejected, split_lines(rejected)).fast.any()


def test_mixed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _plain(50)
    for k, tricky in enumerate(TRICKY):
        lines[k] = tricky
    path = _write(tmp_path, lines + _plain(40, 50))
    _same(path, monkeypatch)
    _same(path, monkeypatch, batch_rows=5)
    _same(path, monkeypatch, batch_rows=5, full=False)


def test_boots_of_several_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    lines = []
    for n in range(400):
        host = ["h1", "h2", "", None][int(rng.integers(4))]
        boot = ["b1", "b2", "b3", ""][int(rng.integers(4))] if rng.random() < 0.1 else "b0"
        lines.append(line(n, _HOSTNAME=... if host is None else host, _BOOT_ID=boot))
    path = _write(tmp_path, lines)
    _same(path, monkeypatch)
    for rows in (2, 3, 19):  # a boot row stays in the batch of its entry's row
        _same(path, monkeypatch, batch_rows=rows, full=False)


def test_gives_up_as_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, [*_plain(45), line(45, _BOOT_ID="b2"), *["garbage"] * 1100,
                             *_plain(10, 50)])
    _same(path, monkeypatch, batch_rows=7)
    _same(path, monkeypatch, batch_rows=7, full=False)
    got = _frames(path, True, monkeypatch, batch_rows=7)
    assert not isinstance(got, str)
    events, diagnostics, _ = got
    assert len(events) == 42  # the rows of the batches handed on before giving up
    assert diagnostics.message.str.contains("gave up").any()


def test_lone_surrogate_is_read_one_by_one(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, [*_plain(30), line(30, MESSAGE="\ud800"), *_plain(30, 31)])
    _same(path, monkeypatch, batch_rows=8)
    _same(path, monkeypatch, batch_rows=8, full=False)


_value = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["", "kernel", "conntrack", "0", "007", "12a", " 5", "h1", "h2"]),
    st.integers(-3, 10**20), st.none(), st.lists(st.integers(0, 255), max_size=3),
)
_entry = st.fixed_dictionaries({}, optional={
    "__REALTIME_TIMESTAMP": st.one_of(st.integers(0, 2**60).map(str), _value),
    "_HOSTNAME": st.sampled_from(["h1", "h2", ""]) | _value,
    "_TRANSPORT": st.sampled_from(["kernel", "syslog", "journal", ""]),
    "SYSLOG_IDENTIFIER": _value, "_COMM": _value, "_PID": _value, "SYSLOG_PID": _value,
    "MESSAGE": _value, "_BOOT_ID": st.sampled_from(["b1", "b2", ""]) | _value,
    "PRIORITY": _value, "OTHER": _value,
})


@st.composite
def _lines(draw: st.DrawFn) -> list[str]:
    out = [line(0)]  # (a file must read as journal JSON first)
    for n in range(1, draw(st.integers(1, 25))):
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(TRICKY + REJECTED)))
        elif draw(st.integers(0, 3)) == 0:
            fields = draw(_entry)
            out.append(json.dumps(fields, separators=(",", ":"),
                                  ensure_ascii=draw(st.booleans())))
        else:
            out.append(line(n, _BOOT_ID=draw(st.sampled_from([BOOT, "b2"])),
                            _HOSTNAME=draw(st.sampled_from(["bogon", "h2"]))))
    return out


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=_lines(), rows=st.integers(1, 30))
def test_property_fast_path_agrees(lines: list[str], rows: int, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, lines)
    _same(path, monkeypatch, batch_rows=rows)
    _same(path, monkeypatch, batch_rows=rows, full=False)
