from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.source import Source
from conntrack_forensics.parsers import Head, ParseContext, parsers, pick
from conntrack_forensics.parsers.base import Hints, as_frame
from conntrack_forensics.parsers.journal_json import MAX_REALTIME_US, field_text
from tests.conftest import DATA
from tests.parsers.helpers import run_parser

JSON = DATA / "journal_json" / "k8s-node-7.json"
PRETTY = DATA / "journal_json" / "k8s-node-7-pretty.json"
HOST = "k8s-node-7"
BOOT_B = "a81d5e3c9b7f4e2d8c6a1b0f3e5d7c9a"
DROP = "nf_conntrack: nf_conntrack: table full, dropping packet"
SAME = ["host", "program", "pid", "message", "kind", "count", "module", "conntrack_max",
        "epoch"]


def parse_plain(name: str, path: Path) -> tuple[pd.DataFrame, ParseContext]:
    """Like ``run_parser``, for a file the input layer must not inspect (fuzzed bytes may look
    like an archive's magic to it): the parser alone, on the file as it is."""
    ctx = ParseContext(Source(path.as_posix(), path, "", path.as_posix()), Diagnostics(), Hints())
    frames = [as_frame(b) for b in parsers()[name].parse(ctx)]
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"kind": [], "message": []}, dtype="string")), ctx


def _write(path: Path, records: list[dict[str, Any]], layout: str = "json") -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            if layout == "pretty":
                fh.write(json.dumps(rec, indent="\t", separators=(",", " : ")) + "\n")
            else:
                fh.write(("\x1e" if layout == "seq" else "") + json.dumps(rec) + "\n")
    return path


def _entry(us: int, message: Any, boot: str = "b1", host: str = "node-1",
           **fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"__REALTIME_TIMESTAMP": str(us), "_BOOT_ID": boot,
                           "_HOSTNAME": host, "MESSAGE": message}
    rec.update(fields)
    return rec


def test_json_sample_rows() -> None:
    raw, ctx = run_parser("journal_json", JSON)
    assert (ctx.records, ctx.skipped, len(raw)) == (20, 0, 21)
    assert not ctx.diag.rows
    assert raw["kind"].tolist() == [
        "boot", "message", "sysctl", "message", "message",
        "conntrack_drop", "conntrack_drop", "conntrack_drop", "ratelimit_suppressed",
        "conntrack_drop", "message", "conntrack_drop", "message", "conntrack_drop",
        "message", "shutdown", "boot", "boot", "message", "sysctl", "message",
    ]
    drop = raw.iloc[5]
    assert (drop["line"], drop["host"], drop["program"], drop["message"], drop["kind"],
            drop["count"], drop["epoch"]) == (6, HOST, "kernel", DROP, "conntrack_drop", 1,
                                              1710407523.481205)
    assert pd.isna(drop["pid"]) and pd.isna(drop["iso"]) and drop["mon"] == 0
    assert drop["priority"] == int(json.loads(drop["evidence"])["PRIORITY"])
    assert drop["evidence"] == JSON.read_text(encoding="utf-8").split("\n")[5]
    proxy = raw.iloc[2]
    assert (proxy["line"], proxy["host"], proxy["program"], proxy["pid"], proxy["kind"],
            proxy["conntrack_max"], proxy["epoch"]) == (3, HOST, "kube-proxy", 1187, "sysctl",
                                                        131072, 1710399511.020441)
    assert raw.iloc[8]["count"] == 312
    assert raw.iloc[10]["program"] == "kubelet" and raw.iloc[10]["pid"] == 1043


def test_message_as_byte_array_is_decoded() -> None:
    raw, _ = run_parser("journal_json", JSON)
    row = raw.iloc[12]
    assert row["program"] == "kubelet" and row["kind"] == "message"
    assert row["message"].endswith('"Data":"menu: caf\ufffd cr\ufffdme"}')
    assert row["message"].startswith("I0314 09:12:14.220153    1043 kubelet.go:2457]")


def test_new_boot_id_adds_boot_event() -> None:
    raw, _ = run_parser("journal_json", JSON)
    boots = raw.loc[raw["message"].str.startswith("-- Boot ")]
    assert len(boots) == 1  # the file's first entry starts no boot event
    (i,) = boots.index
    marker, first = raw.loc[i], raw.loc[i + 1]
    assert marker["message"] == f"-- Boot {BOOT_B} --"
    assert (marker["kind"], marker["host"], marker["line"], marker["epoch"]) == (
        "boot", HOST, first["line"], first["epoch"])
    assert marker["evidence"] == first["evidence"] and f'"_BOOT_ID":"{BOOT_B}"' in \
        marker["evidence"]
    assert first["message"].startswith("Linux version 5.15.0-1053-aws")
    # every entry knows its boot: the drops belong to the first, the banner to the second
    assert marker["boot_id"] == first["boot_id"] == BOOT_B
    drops = raw.loc[raw["kind"] == "conntrack_drop"]
    assert drops["boot_id"].nunique() == 1 and drops["boot_id"].iloc[0] != BOOT_B


def test_pretty_gives_the_same_events() -> None:
    flat, _ = run_parser("journal_json", JSON)
    pretty, ctx = run_parser("journal_json", PRETTY)
    assert (ctx.records, ctx.skipped, len(pretty)) == (20, 0, 21) and not ctx.diag.rows
    pd.testing.assert_frame_equal(pretty[SAME], flat[SAME])
    lines = PRETTY.read_text(encoding="utf-8").split("\n")
    assert pretty["line"].tolist()[:3] == [1, 16, 43]
    for line, evidence in zip(pretty["line"], pretty["evidence"], strict=True):
        if not pd.isna(evidence):
            assert lines[line - 1] == "{" and json.loads(evidence)


def test_json_seq_gives_the_same_events(tmp_path: Path) -> None:
    records = [json.loads(ln) for ln in JSON.read_text(encoding="utf-8").splitlines()]
    path = _write(tmp_path / "journal.seq", records, "seq")
    parser, score = pick(Head.from_bytes("evidence", path.read_bytes()))
    assert parser is not None and parser.NAME == "journal_json" and score >= 0.9
    seq, ctx = run_parser("journal_json", path)
    flat, _ = run_parser("journal_json", JSON)
    assert ctx.skipped == 0 and not ctx.diag.rows
    pd.testing.assert_frame_equal(seq[SAME], flat[SAME])
    assert not seq["evidence"].dropna().str.contains("\x1e").any()


def test_sniff_wants_a_journal_object() -> None:
    def score(text: str) -> float:
        return pick(Head.from_bytes("x", text.encode()))[1]

    assert score('{"MESSAGE":"hi","_PID":"1"}\n') >= 0.9
    assert score('{\n\t"__REALTIME_TIMESTAMP" : "1710407523481205",\n') >= 0.5  # cut short
    assert score('{"level":"info","msg":"hi"}\n') < 0.5
    assert score('{"level":"info"}\n{"MESSAGE":"hi"}\n') < 0.5  # the first object decides
    # a file cut in the middle of a record: the next whole record decides
    pretty = PRETTY.read_text(encoding="utf-8")
    assert score(pretty[pretty.index('"MESSAGE"'):]) >= 0.9
    assert score(JSON.read_text(encoding="utf-8")[700:]) >= 0.9
    assert score("[1, 2]\n") < 0.5


def test_malformed_records_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    good = json.dumps(_entry(1710407523481205, DROP, _TRANSPORT="kernel"))
    path.write_text("\n".join([
        "not json at all",
        "[1, 2, 3]",
        good,
        '{"__REALTIME_TIMESTAMP":"1710407523481206","MESSAGE":"cut',  # truncated line
        json.dumps({"MESSAGE": "no time here"}),
        json.dumps(_entry(0, "epoch zero")),
        json.dumps(_entry(MAX_REALTIME_US + 1, "after 2262")),
        '{"__REALTIME_TIMESTAMP":"1710407523481207","MESSAGE":"x",}',  # trailing comma
        good,
        "{",  # a pretty record cut short at the end of the file
        '\t"__REALTIME_TIMESTAMP" : "1710407523481208",',
    ]) + "\n")
    raw, ctx = run_parser("journal_json", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (10, 8, 2)
    assert raw["kind"].tolist() == ["conntrack_drop", "conntrack_drop"]
    assert raw["line"].tolist() == [3, 9]
    reasons = {(r.message, r.line, r.count) for r in ctx.diag.rows}
    assert reasons == {
        ("line is not part of a JSON journal record", 1, 2),
        ("journal record is not valid JSON", 4, 3),
        ("journal entry without a valid __REALTIME_TIMESTAMP", 5, 3),
    }


def test_truncated_pretty_record_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "pretty.json"
    rec = json.dumps(_entry(1710407523481205, DROP, _TRANSPORT="kernel"), indent="\t")
    cut = "\n".join(rec.split("\n")[:3])
    path.write_text(f"{cut}\n{rec}\n{rec}\n")
    raw, ctx = run_parser("journal_json", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (3, 1, 2)
    assert raw["line"].tolist() == [4, 4 + rec.count("\n") + 1]


def test_fields_kernel_transport_repeats_and_null(tmp_path: Path) -> None:
    path = _write(tmp_path / "j.json", [
        # the kernel transport makes the program "kernel" whatever the identifier says
        _entry(1_000_000, DROP, _TRANSPORT="kernel", SYSLOG_IDENTIFIER="k"),
        # a user-space entry without a name is not taken for the kernel
        _entry(2_000_000, DROP, _TRANSPORT="stdout"),
        _entry(3_000_000, None, SYSLOG_IDENTIFIER=["kubelet", "kubelet-2"], _PID=["7", "8"],
               _HOSTNAME=["node-1", "node-x"]),
        _entry(4_000_000, ["first", "second"], _COMM="containerd", _PID="x1"),
        _entry(5_000_000, [104, 105, 0xFF], SYSLOG_IDENTIFIER="app", _PID="12"),
    ])
    raw, ctx = run_parser("journal_json", path)
    assert ctx.skipped == 0
    assert raw["program"].fillna("-").tolist() == ["kernel", "-", "kubelet", "containerd", "app"]
    assert raw["kind"].tolist() == ["conntrack_drop", "message", "message", "message",
                                    "message"]
    assert raw["message"].tolist() == [DROP, DROP, "", "first", "hi\ufffd"]
    assert raw["pid"].fillna(-1).tolist()[2:] == [7, -1, 12]
    assert raw["host"].tolist() == ["node-1"] * 5
    assert raw["epoch"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_field_text() -> None:
    assert field_text("x") == "x" and field_text(None) is None
    assert field_text([]) == "" and field_text([[104, 105], "x"]) == "hi"
    assert field_text(42) == "42" and field_text(True) is None and field_text({}) is None
    assert field_text(b"\xffa") == "\ufffda"


def test_boot_changes_per_host(tmp_path: Path) -> None:
    path = _write(tmp_path / "j.json", [
        _entry(1_000_000, "a1", boot="A1", host="a"),
        _entry(2_000_000, "b1", boot="B1", host="b"),   # another host: not a reboot
        _entry(3_000_000, "a1 again", boot="A1", host="a"),
        {"__REALTIME_TIMESTAMP": "3500000", "_HOSTNAME": "a", "MESSAGE": "no boot id"},
        _entry(4_000_000, "a2", boot="A2", host="a"),
        _entry(5_000_000, "b1 again", boot="B1", host="b"),
        _entry(6_000_000, "b2", boot="B2", host="b"),
        _entry(7_000_000, "b2 again", boot="B2", host="b"),
    ])
    raw, ctx = run_parser("journal_json", path)
    assert ctx.records == 8 and len(raw) == 10
    boots = raw.loc[raw["kind"] == "boot"]
    assert boots["message"].tolist() == ["-- Boot A2 --", "-- Boot B2 --"]
    assert boots["host"].tolist() == ["a", "b"]
    assert boots["epoch"].tolist() == [4.0, 6.0]
    assert boots["line"].tolist() == [5, 7]
    assert boots["program"].isna().all()


# ------------------------------------------------------------------------------- property


def _valid_ts(ts: str | None) -> bool:
    return ts is not None and ts.isascii() and ts.isdigit() and len(ts) <= 19 and \
        0 < int(ts) <= MAX_REALTIME_US


_TS = st.one_of(st.integers(1, 2 * 10**15).map(str), st.integers(0, 2**64).map(str),
                st.none(), st.text(max_size=4))
_ENTRY = st.builds(
    lambda ts, host, boot, msg, transport: {
        k: v for k, v in {
            "__REALTIME_TIMESTAMP": ts, "_HOSTNAME": host, "_BOOT_ID": boot,
            "_TRANSPORT": transport, "MESSAGE": msg,
        }.items() if v is not None or k == "MESSAGE"
    },
    _TS,
    st.sampled_from(["a", "b", None]),
    st.sampled_from(["b1", "b2", None]),
    st.one_of(st.text(max_size=30), st.lists(st.integers(0, 255), max_size=12), st.none(),
              st.just(DROP)),
    st.sampled_from(["kernel", "stdout", None]),
)
_GARBAGE = st.one_of(st.text(max_size=40), st.text('{}[]":,\\ x0\x1e\t', max_size=30)).map(
    lambda s: s.replace("\n", " ").replace("\r", " "))
_ITEMS = st.lists(st.one_of(_ENTRY, _GARBAGE), max_size=25)


def _expected_boots(entries: list[dict[str, Any]]) -> int:
    last: dict[Any, str] = {}
    n = 0
    for e in entries:
        if not _valid_ts(e.get("__REALTIME_TIMESTAMP")):
            continue
        boot = e.get("_BOOT_ID")
        if boot:
            prev = last.get(e.get("_HOSTNAME"))
            n += prev is not None and prev != boot
            last[e.get("_HOSTNAME")] = boot
    return n


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_ITEMS, st.sampled_from(["json", "seq", "pretty"]))
def test_property_every_record_is_an_event_or_skipped(
    tmp_path: Path, items: list[Any], layout: str
) -> None:
    path = tmp_path / "fuzz.json"
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            if isinstance(item, str):
                fh.write(item + "\n")
            elif layout == "pretty":
                fh.write(json.dumps(item, indent="\t") + "\n")
            else:
                fh.write(("\x1e" if layout == "seq" else "") + json.dumps(item) + "\n")
    raw, ctx = parse_plain("journal_json", path)
    markers = int((raw["kind"].eq("boot") & raw["message"].str.fullmatch(r"-- Boot \S+ --")
                   ).sum())
    assert ctx.records - ctx.skipped == len(raw) - markers
    entries = [i for i in items if isinstance(i, dict)]
    if len(entries) == len(items):  # no garbage: every entry is a record, exactly
        valid = sum(_valid_ts(e.get("__REALTIME_TIMESTAMP")) for e in entries)
        assert (ctx.records, ctx.records - ctx.skipped) == (len(entries), valid)
        assert markers == _expected_boots(entries)


# --------------------------------------------------------------------------- end to end


def test_incident_found_from_a_journal_alone() -> None:
    analysis = cf.analyze(JSON)
    (inc,) = analysis.incidents
    assert inc.host == HOST
    assert (inc.drops_logged, inc.drops_suppressed) == (6, 312)
    assert abs((inc.start - pd.Timestamp("2024-03-14T09:12:03.481205Z")).total_seconds()) < 1e-6
    assert inc.conntrack_max == 131072 and inc.kernel == "5.15.0-1051-aws"
    ev = analysis.events
    assert set(ev["format"].astype(str)) == {"journal_json"}
    assert set(ev["time_quality"].astype(str)) == {"exact"}
    assert ev["time"].notna().all() and not len(analysis.diagnostics)


def test_pretty_incident_matches() -> None:
    (inc,) = cf.analyze(PRETTY).incidents
    assert (inc.host, inc.drops_logged, inc.drops_suppressed) == (HOST, 6, 312)
