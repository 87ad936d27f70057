from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers import Head, parsers, pick
from tests.conftest import DATA
from tests.parsers.helpers import run_parser

OLD_HEADER = ("entries  searched found new invalid ignore delete delete_list insert insert_failed "
              "drop early_drop icmp_error  expect_new expect_create expect_delete")


def test_conntrack_s_netlink() -> None:
    raw, ctx = run_parser("conntrack_stats", DATA / "conntrack_stats" / "conntrack_-S")
    assert (ctx.records, ctx.skipped) == (4, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["message"] == "conntrack -S: drop 455, early_drop 0, insert_failed 455 over 4 CPUs"
    assert row["kind"] == "snapshot" and row["program"] == "conntrack -S"
    assert pd.isna(row["module"])
    assert pd.isna(row["conntrack_count"])  # netlink's per-CPU counters have no entries
    assert row["conntrack_loaded"] is True
    assert row["line"] == 1  # the first CPU with drops
    assert row["evidence"].split("\n")[0] == (
        "cpu=0   \tfound=175 invalid=2032 ignore=125803 insert=0 insert_failed=7 drop=7 "
        "early_drop=0 error=0 search_restart=0")
    assert row["evidence"].count("\n") == 3
    assert row["capture"] == "at"


def test_conntrack_s_from_proc_takes_entries_once() -> None:
    raw, ctx = run_parser("conntrack_stats", DATA / "conntrack_stats" / "conntrack_-S_el6")
    assert (ctx.records, ctx.skipped) == (2, 0)
    (row,) = raw.to_dict("records")
    assert row["conntrack_count"] == 65536  # on every row, not summed
    assert row["message"] == ("conntrack -S: drop 35,136, early_drop 0, insert_failed 0 over "
                              "2 CPUs, 65,536 entries")


def test_proc_net_stat_old_header() -> None:
    raw, ctx = run_parser("conntrack_stats", DATA / "conntrack_stats" / "nf_conntrack")
    assert (ctx.records, ctx.skipped) == (3, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["program"] == "/proc/net/stat/nf_conntrack"
    assert row["message"] == ("/proc/net/stat/nf_conntrack: drop 35,136, early_drop 0, "
                              "insert_failed 0 over 2 CPUs, 65,536 entries")
    assert row["conntrack_count"] == 65536 and row["conntrack_loaded"] is True
    assert row["line"] == 2
    assert row["evidence"].startswith(OLD_HEADER + "\n00010000  008c95cb ")


def test_proc_net_stat_new_header_read_by_name() -> None:
    raw, ctx = run_parser("conntrack_stats",
                          DATA / "conntrack_stats" / "proc_net_stat_nf_conntrack_jammy")
    assert (ctx.records, ctx.skipped) == (5, 0)
    (row,) = raw.to_dict("records")
    # drop is column 11 in both layouts; insert_failed sits after "chainlength" here
    assert row["message"] == ("/proc/net/stat/nf_conntrack: drop 4,860, early_drop 0, "
                              "insert_failed 316 over 4 CPUs, 262,137 entries")
    assert row["conntrack_count"] == 262137


def test_ip_conntrack_file_names_the_program(tmp_path: Path) -> None:
    p = tmp_path / "ip_conntrack"
    p.write_text(OLD_HEADER + "\n" + "0000fffe  " + " ".join(["00000001"] * 15) + " \n")
    raw, _ = run_parser("conntrack_stats", p)
    assert raw.iloc[0]["program"] == "/proc/net/stat/ip_conntrack"
    assert raw.iloc[0]["message"].endswith("over 1 CPU, 65,534 entries")


def test_conntrack_c_only_by_file_name(tmp_path: Path) -> None:
    raw, ctx = run_parser("conntrack_stats", DATA / "conntrack_stats" / "conntrack_-C")
    assert (ctx.records, ctx.skipped) == (1, 0)
    (row,) = raw.to_dict("records")
    assert row["program"] == "conntrack -C"
    assert row["message"] == "conntrack -C: 262,139 entries in use"
    assert row["conntrack_count"] == 262139 and row["conntrack_loaded"] is True
    stats = parsers()["conntrack_stats"]
    assert stats.sniff(Head.from_bytes("evidence.txt", b"262139\n")) == 0.0
    assert stats.sniff(Head.from_bytes("conntrack -C.txt", b"262139\n")) == 0.9
    p = tmp_path / "count"
    p.write_text("262139\n")
    raw, ctx = run_parser("conntrack_stats", p)
    assert raw.empty and ctx.skipped == 1


def test_malformed_rows_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "nf_conntrack"
    good = (DATA / "conntrack_stats" / "nf_conntrack").read_text()
    p.write_text(good
                 + "00010000  008c95cb 112caa1a\n"  # cut short
                 + "00010000  " + " ".join(["0000zz00"] * 15) + "\n"
                 + "conntrack v1.4.4 (conntrack-tools): Operation failed: invalid parameters\n")
    raw, ctx = run_parser("conntrack_stats", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (6, 3, 1)
    assert [(d.line, d.message) for d in ctx.diag.rows] == [
        (4, "not as many cells as the header has columns"),
        (5, "a cell that is not a hexadecimal number"),
        (6, "not a conntrack statistics line"),
    ]
    assert raw.iloc[0]["message"].endswith("over 2 CPUs, 65,536 entries")


def test_hex_rows_without_header_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "nf_conntrack"
    p.write_text("00010000  " + " ".join(["00000001"] * 15) + "\n")
    raw, ctx = run_parser("conntrack_stats", p)
    assert raw.empty and (ctx.records, ctx.skipped) == (1, 1)
    assert ctx.diag.rows[0].message == "not a conntrack statistics line"


def test_sniff_by_content() -> None:
    netlink = (b"cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 "
               b"error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n")
    assert pick(Head.from_bytes("evidence.txt", netlink))[0] is parsers()["conntrack_stats"]
    assert pick(Head.from_bytes("stats", OLD_HEADER.encode() + b"\n"))[0] is parsers()[
        "conntrack_stats"]


_CPU = st.builds(
    lambda cpu, vals: f"cpu={cpu:<4}\t" + "".join(f"{k}={v} " for k, v in vals),
    st.integers(0, 255),
    st.lists(st.tuples(st.sampled_from(["found", "invalid", "insert_failed", "drop",
                                        "early_drop", "entries"]), st.integers(0, 2**32 - 1)),
             min_size=1, max_size=6))
_ROW = st.lists(st.integers(0, 2**32 - 1), min_size=16, max_size=16).map(
    lambda v: "  ".join([f"{v[0]:08x}", " ".join(f"{x:08x}" for x in v[1:13]),
                         " ".join(f"{x:08x}" for x in v[13:])]))
_SHORT = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=15).map(
    lambda v: " ".join(f"{x:08x}" for x in v) + " !")  # too few cells (and not hex)
_GARBAGE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30).map(
    lambda s: s.replace("\n", " ").replace("\r", " ") + " !")  # "!" is in no valid line


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(st.one_of(_CPU, _ROW, _SHORT, _GARBAGE, st.just("")),
                               max_size=30))
def test_property_records(tmp_path: Path, header: bool, lines: list[str]) -> None:
    if header:
        lines = [OLD_HEADER, *lines]
    p = tmp_path / "nf_conntrack"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("conntrack_stats", p)
    assert ctx.records == sum(1 for ln in lines if ln.strip())
    hex_rows = sum(1 for ln in lines if len(ln.split()) == 16 and ln[:1] in "0123456789abcdef"
                   and not ln.endswith(" !"))
    bad = sum(1 for ln in lines if ln.endswith(" !")) + (0 if header else hex_rows)
    assert ctx.skipped == bad
    assert len(raw) == (1 if ctx.records - ctx.skipped - header else 0)
