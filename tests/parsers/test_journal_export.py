from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.source import is_binary
from conntrack_forensics.parsers import Head, journal_export, pick
from conntrack_forensics.parsers.journal_json import MAX_REALTIME_US
from tests.conftest import DATA
from tests.parsers.helpers import run_parser, tool
from tests.parsers.test_journal_json import parse_plain

EXPORT = DATA / "journal_export" / "k8s-node-7.export"
JSON = DATA / "journal_json" / "k8s-node-7.json"
HOST = "k8s-node-7"
BOOT_B = "a81d5e3c9b7f4e2d8c6a1b0f3e5d7c9a"
DROP = "nf_conntrack: nf_conntrack: table full, dropping packet"

Fields = list[tuple[str, "str | bytes"]]


#: Entries in the export format (bytes, and text with a line feed, as binary fields, as
#: journalctl writes them): the serialiser of tools/make_journal_files.py, which wrote the
#: binary journal samples from such text.
export_bytes = tool("make_journal_files").export_text


def _entry(us: int, message: str | bytes, boot: str = "b1", host: str = "node-1",
           *extra: tuple[str, str | bytes]) -> Fields:
    return [("__CURSOR", f"s=0;i={us:x}"), ("__REALTIME_TIMESTAMP", str(us)),
            ("__MONOTONIC_TIMESTAMP", "1"), ("_BOOT_ID", boot), *extra,
            ("MESSAGE", message), ("_HOSTNAME", host)]


def test_export_sample_rows() -> None:
    raw, ctx = run_parser("journal_export", EXPORT)
    assert (ctx.records, ctx.skipped, len(raw)) == (20, 0, 21)
    assert not ctx.diag.rows
    drop = raw.iloc[5]
    assert (drop["line"], drop["host"], drop["program"], drop["message"], drop["kind"],
            drop["count"], drop["epoch"]) == (116, HOST, "kernel", DROP, "conntrack_drop", 1,
                                              1710407523.481205)
    assert pd.isna(drop["pid"])
    lines = EXPORT.read_text(encoding="utf-8").split("\n")
    # line is the physical line of the entry's first field; evidence is the entry's text
    assert lines[drop["line"] - 1].startswith("__CURSOR=")
    assert drop["evidence"] == "\n".join(lines[115:128])
    assert drop["evidence"].endswith("_RUNTIME_SCOPE=system")
    proxy = raw.iloc[2]
    assert (proxy["program"], proxy["pid"], proxy["kind"], proxy["conntrack_max"]) == (
        "kube-proxy", 1187, "sysctl", 131072)


def test_export_sample_matches_json_sample() -> None:
    export, _ = run_parser("journal_export", EXPORT)
    flat, _ = run_parser("journal_json", JSON)
    cols = ["host", "program", "pid", "kind", "count", "conntrack_max", "epoch"]
    pd.testing.assert_frame_equal(export[cols], flat[cols])
    # the JSON sample's invalid UTF-8 message is valid Latin-1 text in the export sample
    differ = export.index[export["message"] != flat["message"]].tolist()
    assert differ == [12] and export.loc[12, "message"].endswith('"menu: café crème"}')


def test_export_sample_boot() -> None:
    raw, _ = run_parser("journal_export", EXPORT)
    boots = raw.loc[raw["message"].str.startswith("-- Boot ")]
    assert boots["message"].tolist() == [f"-- Boot {BOOT_B} --"]
    (i,) = boots.index
    assert (boots.loc[i, "kind"], boots.loc[i, "host"], boots.loc[i, "line"],
            boots.loc[i, "epoch"], boots.loc[i, "evidence"]) == (
        "boot", HOST, raw.loc[i + 1, "line"], raw.loc[i + 1, "epoch"],
        raw.loc[i + 1, "evidence"])


def test_binary_fields(tmp_path: Path) -> None:
    core = b"\x7fELF\x02\x01\x01\x00" + b"\n\x00\xff" * 3000  # 9008 bytes, 3000 line feeds
    data = export_bytes([
        _entry(1_000_000, "plain", "b1", "node-1", ("SYSLOG_IDENTIFIER", "app"), ("_PID", "42")),
        _entry(2_000_000, b"caf\xe9\nsecond line", "b1", "node-1",
               ("SYSLOG_IDENTIFIER", b"kube\xfflet"), ("COREDUMP", core)),
        _entry(3_000_000, DROP, "b1", "node-1", ("_TRANSPORT", "kernel")),
    ])
    path = tmp_path / "journal.export"
    path.write_bytes(data)
    raw, ctx = run_parser("journal_export", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (3, 0, 3) and not ctx.diag.rows
    assert raw["message"].tolist() == ["plain", "caf\ufffd\nsecond line", DROP]
    assert raw["program"].tolist() == ["app", "kube\ufffdlet", "kernel"]
    assert raw["kind"].tolist() == ["message", "message", "conntrack_drop"]
    # physical lines: the line feeds inside binary values count
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    assert [data[starts[n - 1]:].startswith(b"__CURSOR=") for n in raw["line"]] == [True] * 3
    assert raw["line"].tolist()[:2] == [1, 10]
    evidence = raw["evidence"].iloc[2]
    assert evidence.startswith("__CURSOR=") and f"MESSAGE={DROP}" in evidence
    # such a file is still text to the input layer, and is read end to end
    assert not is_binary(data)
    events, diagnostics = cf.load(path, full=True)
    assert len(events) == 3 and set(events["format"].astype(str)) == {"journal_export"}


def test_binary_field_evidence_is_summarised(tmp_path: Path) -> None:
    big = b"x" * 5000
    path = tmp_path / "journal.export"
    path.write_bytes(export_bytes([
        _entry(1_000_000, DROP, "b1", "n", ("_TRANSPORT", "kernel"), ("COREDUMP", big),
               ("SMALL", b"\x01\x02ok")),
    ]))
    raw, _ = run_parser("journal_export", path)
    evidence = raw["evidence"].iloc[0]
    assert "COREDUMP=[5000 bytes of binary data]" in evidence
    assert "SMALL=\x01\x02ok" in evidence


def test_compressed_export(tmp_path: Path) -> None:
    path = tmp_path / "journal.export.gz"
    path.write_bytes(gzip.compress(EXPORT.read_bytes()))
    raw, ctx = run_parser("journal_export", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (20, 0, 21)


def test_truncated_compressed_export_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.export.gz"
    whole = gzip.compress(EXPORT.read_bytes())
    path.write_bytes(whole[: len(whole) * 2 // 3])
    raw, ctx = run_parser("journal_export", path)
    assert 0 < len(raw) < 21 and ctx.skipped <= 1
    (row,) = [r for r in ctx.diag.rows if r.level == "error"]
    assert "gzip data truncated or unreadable" in row.message


def test_malformed_entries_are_counted(tmp_path: Path) -> None:
    good = export_bytes([_entry(1_000_000, DROP, "b1", "n", ("_TRANSPORT", "kernel"))])
    data = (
        good
        + b"MESSAGE=no time\n_HOSTNAME=n\n\n"                       # no __REALTIME_TIMESTAMP
        + b"__REALTIME_TIMESTAMP=1\nthis is not a field\nMESSAGE=x\n\n"  # a stray line
        + b"__REALTIME_TIMESTAMP=1\nMESSAGE\n" + b"\xff" * 8 + b"garbage\n\n"  # absurd length
        + b"__REALTIME_TIMESTAMP=1\nMESSAGE\n" + struct.pack("<Q", 3) + b"abcX\n\n"  # no LF
        + b"__REALTIME_TIMESTAMP=" + str(MAX_REALTIME_US + 1).encode() + b"\nMESSAGE=y\n\n"
        + good
        + b"__REALTIME_TIMESTAMP=1\nMESSAGE\n" + struct.pack("<Q", 100) + b"cut short"
    )
    path = tmp_path / "journal.export"
    path.write_bytes(data)
    raw, ctx = run_parser("journal_export", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (8, 6, 2)
    assert raw["kind"].tolist() == ["conntrack_drop", "conntrack_drop"]
    reasons = {r.message: r.count for r in ctx.diag.rows}
    assert reasons == {
        "journal entry without a valid __REALTIME_TIMESTAMP": 2,
        "line is not a journal export field": 1,
        "binary journal field length out of range; damaged entry skipped": 1,
        "binary journal field not followed by a line feed": 1,
        "binary journal field cut short at the end of the file": 1,
    }


def test_repeated_fields_keep_the_first(tmp_path: Path) -> None:
    path = tmp_path / "journal.export"
    path.write_bytes(export_bytes([
        _entry(1_000_000, "m", "b1", "n", ("SYSLOG_IDENTIFIER", "first"),
               ("SYSLOG_IDENTIFIER", b"second"), ("SYSLOG_IDENTIFIER", "third"), ("_PID", "5")),
    ]))
    raw, _ = run_parser("journal_export", path)
    assert (raw["program"].iloc[0], raw["pid"].iloc[0]) == ("first", 5)


def test_boot_changes_per_host(tmp_path: Path) -> None:
    path = tmp_path / "journal.export"
    path.write_bytes(export_bytes([
        _entry(1_000_000, "a1", "A1", "a"),
        _entry(2_000_000, "b1", "B1", "b"),
        _entry(3_000_000, "a2", "A2", "a"),
        _entry(4_000_000, "b1 again", "B1", "b"),
    ]))
    raw, ctx = run_parser("journal_export", path)
    assert ctx.records == 4 and len(raw) == 5
    (i,) = raw.index[raw["kind"] == "boot"]
    assert (raw.loc[i, "message"], raw.loc[i, "host"], raw.loc[i, "epoch"]) == (
        "-- Boot A2 --", "a", 3.0)
    assert raw.loc[i + 1, "message"] == "a2"


def test_sniff() -> None:
    def best(data: bytes) -> str | None:
        parser, _ = pick(Head.from_bytes("evidence", data))
        return parser.NAME if parser else None

    binary = export_bytes([_entry(1_000_000, b"\x00\x01\xfe" * 30)] * 3)
    assert best(binary) == "journal_export"
    assert best(b"MESSAGE=hello\n_PID=4\n\n") == "journal_export"
    assert best(b"MESSAGE=hello\nFOO=bar\n") is None
    assert best(b"TZ=UTC\nHOSTNAME=x\n") != "journal_export"


# ------------------------------------------------------------------------------- property

_NAMES = st.sampled_from(["__REALTIME_TIMESTAMP", "_HOSTNAME", "_BOOT_ID", "MESSAGE",
                          "SYSLOG_IDENTIFIER", "_PID", "_TRANSPORT", "X"])
_VALUES = st.one_of(st.text(max_size=20), st.binary(max_size=20),
                    st.integers(1, 2 * 10**15).map(str), st.sampled_from(["b1", "b2", "kernel"]))
_FIELDS = st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=8)
_GARBAGE = st.one_of(
    st.binary(max_size=60),
    st.builds(lambda name, tail: name + b"\n" + tail,  # a binary field gone wrong
              st.sampled_from([b"MESSAGE", b"X", b"__REALTIME_TIMESTAMP=1\nMESSAGE"]),
              st.binary(max_size=20)),
)


def _valid(fields: Fields) -> bool:
    ts = next((v for n, v in fields if n == "__REALTIME_TIMESTAMP"), None)
    text = ts.decode("utf-8", "replace") if isinstance(ts, bytes) else ts
    return text is not None and text.isascii() and text.isdigit() and len(text) <= 19 and \
        0 < int(text) <= MAX_REALTIME_US


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_FIELDS, _GARBAGE), max_size=15))
def test_property_every_entry_is_an_event_or_skipped(
    tmp_path: Path, items: list[Fields | bytes]
) -> None:
    path = tmp_path / "fuzz.export"
    data = b"".join(i + b"\n\n" if isinstance(i, bytes) else export_bytes([i]) for i in items)
    path.write_bytes(data)
    raw, ctx = parse_plain("journal_export", path)
    markers = int((raw["kind"].eq("boot") & raw["message"].str.fullmatch(r"(?s)-- Boot .* --")
                   ).sum())
    assert ctx.records - ctx.skipped == len(raw) - markers
    entries = [i for i in items if not isinstance(i, bytes)]
    if len(entries) == len(items):  # no garbage: every entry is a record, exactly
        assert ctx.records == len(entries)
        assert ctx.records - ctx.skipped == sum(_valid(e) for e in entries)


# --------------------------------------------------------------------------- end to end


def test_incident_found_from_an_export_alone() -> None:
    analysis = cf.analyze(EXPORT)
    (inc,) = analysis.incidents
    assert inc.host == HOST
    assert (inc.drops_logged, inc.drops_suppressed) == (6, 312)
    assert abs((inc.start - pd.Timestamp("2024-03-14T09:12:03.481205Z")).total_seconds()) < 1e-6
    assert inc.conntrack_max == 131072
    assert set(analysis.events["format"].astype(str)) == {"journal_export"}
    assert not len(analysis.diagnostics)


# ------------------------------------------------------ plain entries read whole (read ahead)


def _loaded(path: Path, ahead: bool, monkeypatch: pytest.MonkeyPatch
            ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The load of ``path``, plain entries read whole (``ahead``) or every line one by one."""
    with monkeypatch.context() as m:
        if not ahead:
            m.setattr(journal_export._Reader, "text_entries", lambda self: iter(()))
        r = cf.load(path, year=2024, tz="UTC", full=True)
    return r.events, r.diagnostics, sum(i.records for i in r.inputs)


def _same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _loaded(path, True, monkeypatch), _loaded(path, False, monkeypatch)
    pd.testing.assert_frame_equal(fast[0], slow[0])
    pd.testing.assert_frame_equal(fast[1], slow[1])
    assert fast[2] == slow[2]


def _plain_entry(n: int) -> bytes:
    return export_bytes([_entry(1491004800000000 + n, f"plain message {n}", "b1", "node-1",
                                ("_PID", str(n)), ("SYSLOG_IDENTIFIER", "app"))])


_ODD_ENTRIES = [
    export_bytes([_entry(1491004800000000, "binary\nmessage")]),
    export_bytes([_entry(1491004800000001, b"not utf-8 \xff")]),
    export_bytes([_entry(1491004800000002, "caf\u00e9")]),
    export_bytes([_entry(1491004800000003, "first", "b1", "node-1", ("MESSAGE", "second"))]),
    export_bytes([_entry(1491004800000004, "x", "b2")]),
    export_bytes([_entry(1491004800000005, DROP)]),
    export_bytes([_entry(1491004800000006, "cr\r")]),
    _plain_entry(7).replace(b"\n", b"\r\n"),
    _plain_entry(8).replace(b"_PID=", b"lower=case\n_PID="),
    _plain_entry(9).replace(b"_PID=", b"NOT A FIELD\n_PID="),
    _plain_entry(10).replace(b"__REALTIME_TIMESTAMP=", b"__REALTIME_TIMESTAMP=x"),
    _plain_entry(11)[:-1] + b"BIG=" + b"a" * (1024 * 1024) + b"\n\n",
    b"\n\n" + _plain_entry(12),
    _plain_entry(13)[:-1] + b"MESSAGE\n" + struct.pack("<Q", 3) + b"a\n\n" + b"\n\n",
]


@pytest.mark.parametrize("odd", range(len(_ODD_ENTRIES)))
def test_odd_entry_among_plain_ones(odd: int, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mixed.export"
    path.write_bytes(b"".join(_plain_entry(n) for n in range(20)) + _ODD_ENTRIES[odd]
                     + b"".join(_plain_entry(n) for n in range(20, 40)))
    _same_both_ways(path, monkeypatch)


@pytest.mark.parametrize("tail", [b"", b"\n", b"X=cut", b"MESSAGE\n\x05\x00", b"MESSAGE=no end"])
def test_file_end_read_ahead(tail: bytes, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "end.export"
    path.write_bytes(b"".join(_plain_entry(n) for n in range(30))[:-1] + tail)
    _same_both_ways(path, monkeypatch)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.one_of(_FIELDS, _GARBAGE, st.integers(0, 99)), max_size=15))
def test_property_read_ahead_agrees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    items: list[Fields | bytes | int]) -> None:
    path = tmp_path / "fuzz.export"
    data = b"".join(_plain_entry(i) if isinstance(i, int) else i + b"\n\n"
                    if isinstance(i, bytes) else export_bytes([i]) for i in items)
    path.write_bytes(_plain_entry(0) + data)
    _same_both_ways(path, monkeypatch)
