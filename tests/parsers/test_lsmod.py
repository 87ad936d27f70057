from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers import Head, parsers, pick
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def test_lsmod_with_conntrack_loaded() -> None:
    raw, ctx = run_parser("lsmod", DATA / "lsmod" / "lsmod")
    assert (ctx.records, ctx.skipped) == (41, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["kind"] == "snapshot" and row["program"] == "lsmod"
    assert row["message"] == (
        "lsmod: conntrack loaded: nf_conntrack (used by xt_state, iptable_nat, nf_nat, "
        "nf_conntrack_ipv4), iptable_nat, nf_conntrack_ipv4 (used by iptable_nat, nf_nat), "
        "nf_nat (used by iptable_nat), xt_state"
    )
    assert row["module"] == "iptable_nat,nf_conntrack,nf_conntrack_ipv4,nf_nat,xt_state"
    assert row["conntrack_loaded"] is True
    assert pd.isna(row["conntrack_count"]) and pd.isna(row["conntrack_max"])
    assert row["line"] == 7  # the nf_conntrack row
    assert row["evidence"] == (
        "nf_conntrack           79758  4 xt_state,iptable_nat,nf_nat,nf_conntrack_ipv4\n"
        "iptable_nat             6051  1\n"
        "nf_conntrack_ipv4       9186  7 iptable_nat,nf_nat\n"
        "nf_nat                 22676  1 iptable_nat\n"
        "xt_state                1492  4"
    )
    assert row["capture"] == "at" and pd.isna(row["iso"])  # placed at the date beside it


def test_kmod_lsmod_without_nf_conntrack_ipv4() -> None:
    raw, ctx = run_parser("lsmod", DATA / "lsmod" / "lsmod_jammy.txt")
    assert (ctx.records, ctx.skipped) == (29, 0)
    (row,) = raw.to_dict("records")
    assert row["conntrack_loaded"] is True
    assert row["module"] == "nf_conntrack,nf_conntrack_netlink,nf_nat,xt_MASQUERADE,xt_conntrack"
    assert row["message"].startswith(
        "lsmod: conntrack loaded: nf_conntrack (used by xt_conntrack, nf_nat, "
        "nf_conntrack_netlink, xt_MASQUERADE), nf_conntrack_netlink, nf_nat (used by ")


def test_proc_modules_without_conntrack() -> None:
    raw, ctx = run_parser("lsmod", DATA / "lsmod" / "proc_modules")
    assert (ctx.records, ctx.skipped) == (31, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["kind"] == "snapshot" and row["program"] == "/proc/modules"
    assert row["message"] == "/proc/modules: conntrack not loaded (31 modules)"
    assert row["conntrack_loaded"] is False
    assert pd.isna(row["module"])
    assert row["evidence"] == "31 modules, none of them nf_conntrack or ip_conntrack"


def test_proc_modules_forms(tmp_path: Path) -> None:
    p = tmp_path / "modules"
    p.write_text(
        "nf_conntrack 79758 3 nf_nat,nf_conntrack_ipv4,xt_state, Live 0xffffffffa01e1000\n"
        "ip_tables 17831 0 - Loading 0x0000000000000000\n"
        "wireguard 86016 0 - Live 0x0000000000000000 (OE)\n"
        "nf_defrag_ipv4 1483 - - Live 0xffffffffa01d9000\n"
    )
    raw, ctx = run_parser("lsmod", p)
    assert (ctx.records, ctx.skipped) == (4, 0)
    (row,) = raw.to_dict("records")
    assert row["program"] == "/proc/modules" and row["conntrack_loaded"] is True
    assert row["message"] == ("/proc/modules: conntrack loaded: nf_conntrack "
                              "(used by nf_nat, nf_conntrack_ipv4, xt_state)")


def test_ip_conntrack_of_2_6_18(tmp_path: Path) -> None:
    p = tmp_path / "lsmod"
    p.write_text(
        "Module                  Size  Used by\n"
        "iptable_nat            11205  0 \n"
        "ip_nat                 20973  1 iptable_nat\n"
        "ip_conntrack           53217  2 iptable_nat,ip_nat\n"
        "nfnetlink              10713  2 ip_nat,ip_conntrack\n"
    )
    raw, _ = run_parser("lsmod", p)
    (row,) = raw.to_dict("records")
    assert row["conntrack_loaded"] is True
    assert row["module"] == "ip_conntrack,ip_nat,iptable_nat"
    assert row["line"] == 4


def test_grep_excerpt_only_says_loaded(tmp_path: Path) -> None:
    text = ("nf_conntrack_ipv4       9186  7 iptable_nat,nf_nat\n"
            "nf_conntrack           79758  4 xt_state,iptable_nat,nf_nat,nf_conntrack_ipv4\n")
    assert pick(Head.from_bytes("evidence.txt", text.encode()))[0] is parsers()["lsmod"]
    p = tmp_path / "lsmod_grep_conntrack"
    p.write_text(text)
    raw, _ = run_parser("lsmod", p)
    assert raw.iloc[0]["conntrack_loaded"]
    # an excerpt without the conntrack core is not the whole list: nothing is concluded
    p.write_text("nf_nat                 22676  1 iptable_nat\n")
    raw, _ = run_parser("lsmod", p)
    assert pd.isna(raw.iloc[0]["conntrack_loaded"])


def test_headerless_rows_need_a_conntrack_module() -> None:
    text = b"e1000 134863 0\next4 381293 2\n"
    assert parsers()["lsmod"].sniff(Head.from_bytes("evidence.txt", text)) == 0.0


def test_malformed_lines_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "lsmod"
    text = (DATA / "lsmod" / "lsmod").read_text()
    p.write_text(text + "lsmod: ERROR: could not open '/proc/modules'\n\nnf_nat twelve 1\n")
    raw, ctx = run_parser("lsmod", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (43, 2, 1)
    assert ctx.diag.rows[0].message == "not an lsmod or /proc/modules line"
    assert ctx.diag.rows[0].line == 42
    assert raw.iloc[0]["conntrack_loaded"]


def test_no_module_no_event(tmp_path: Path) -> None:
    p = tmp_path / "lsmod"
    p.write_text("Module                  Size  Used by\n")
    raw, ctx = run_parser("lsmod", p)
    assert raw.empty and (ctx.records, ctx.skipped) == (1, 0)


_NAME = st.sampled_from(["nf_conntrack", "ip_conntrack", "nf_nat", "xt_state", "e1000", "ext4",
                         "ip_tables", "nf_conntrack_ftp", "dm_mod"])
_LSMOD_ROW = st.builds(
    lambda n, s, r, u: f"{n:<19} {s:>8}  {r} {','.join(u)}".rstrip(),
    _NAME, st.integers(0, 10**7), st.integers(0, 99), st.lists(_NAME, max_size=3))
_PROC_ROW = st.builds(
    lambda n, s, r, u, t: f"{n} {s} {r} {''.join(x + ',' for x in u) or '-'} Live 0x{s:016x}{t}",
    _NAME, st.integers(0, 10**7), st.integers(0, 99), st.lists(_NAME, max_size=3),
    st.sampled_from(["", " (O)", " (OE)"]))
_GARBAGE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30).map(
    lambda s: s.replace("\n", " ").replace("\r", " ") + " !")  # "!" is in no valid line


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.booleans(), st.lists(st.one_of(_LSMOD_ROW, _PROC_ROW, _GARBAGE, st.just("")),
                               max_size=30))
def test_property_records(tmp_path: Path, header: bool, lines: list[str]) -> None:
    if header:
        lines = ["Module                  Size  Used by", *lines]
    p = tmp_path / "lsmod"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("lsmod", p)
    assert ctx.records == sum(1 for ln in lines if ln.strip())
    assert ctx.skipped == sum(1 for ln in lines if ln.endswith(" !"))
    modules = ctx.records - ctx.skipped - header
    assert len(raw) == (1 if modules else 0)
    if modules:
        assert raw.iloc[0]["kind"] == "snapshot"
