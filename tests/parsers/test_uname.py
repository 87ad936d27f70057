from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers import Head, parsers, pick
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def test_uname_a_centos6() -> None:
    raw, ctx = run_parser("uname", DATA / "uname" / "uname_-a")
    assert (ctx.records, ctx.skipped) == (1, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["message"] == "uname: kernel 2.6.32-696.el6.x86_64 on bogon (x86_64)"
    assert row["kind"] == "snapshot" and row["program"] == "uname"
    assert row["host"] == "bogon"
    assert pd.isna(row["module"]) and pd.isna(row["conntrack_count"])
    assert pd.isna(row["conntrack_loaded"])
    assert row["evidence"] == ("Linux bogon 2.6.32-696.el6.x86_64 #1 SMP Tue Mar 21 19:29:05 UTC "
                               "2017 x86_64 x86_64 x86_64 GNU/Linux")
    # "#1 SMP Tue Mar 21 ... 2017" is when the kernel was built, not when uname ran
    assert pd.isna(row["iso"]) and row["capture"] == "at"
    assert [name for name, _path in ctx.hints.host.values()] == ["bogon"]


def test_uname_a_short_host_name_and_other_machines() -> None:
    raw, ctx = run_parser("uname", DATA / "uname" / "uname-a_focal.txt")
    assert raw.iloc[0]["message"] == "uname: kernel 5.15.0-1051-aws on k8s-node-7 (x86_64)"
    assert raw.iloc[0]["host"] == "k8s-node-7"
    raw, ctx = run_parser("uname", DATA / "uname" / "uname-a_alpine.txt")
    assert (ctx.records, ctx.skipped) == (1, 0)
    assert raw.iloc[0]["message"] == "uname: kernel 5.15.127-0-lts on edge-gw-3 (aarch64)"


def test_uname_r_by_file_name() -> None:
    raw, ctx = run_parser("uname", DATA / "uname" / "uname_-r")
    assert (ctx.records, ctx.skipped) == (1, 0)
    (row,) = raw.to_dict("records")
    assert row["message"] == "uname: kernel 5.15.0-1051-aws"
    assert pd.isna(row["host"]) and not ctx.hints.host


def test_release_alone_needs_the_file_name() -> None:
    text = b"5.15.0-1051-aws\n"
    uname = parsers()["uname"]
    assert uname.sniff(Head.from_bytes("evidence.txt", text)) == 0.0
    assert uname.sniff(Head.from_bytes("version", text)) == 0.0
    for name in ("uname_-r", "uname", "osrelease"):
        assert pick(Head.from_bytes(name, text))[0] is uname, name


def test_uname_r_content_in_another_file_is_skipped(tmp_path: Path) -> None:
    p = tmp_path / "kernel.txt"
    p.write_text("5.15.0-1051-aws\n")
    raw, ctx = run_parser("uname", p)
    assert raw.empty and (ctx.records, ctx.skipped) == (1, 1)


def test_malformed_lines_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "uname_-a"
    p.write_text("uname: extra operand '-z'\n"
                 + (DATA / "uname" / "uname_-a").read_text()
                 + "Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bl.rdu2.centos.org)\n")
    raw, ctx = run_parser("uname", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (3, 2, 1)
    assert ctx.diag.rows[0].message == "not uname output" and ctx.diag.rows[0].line == 1
    assert raw.iloc[0]["line"] == 2


def test_kernel_banner_is_not_uname() -> None:
    banner = (b"Linux version 2.6.32-696.el6.x86_64 (mockbuild@c1bl.rdu2.centos.org) (gcc "
              b"version 4.4.7 20120313 (Red Hat 4.4.7-18) (GCC) ) #1 SMP Tue Mar 21 19:29:05 "
              b"UTC 2017\n")
    assert parsers()["uname"].sniff(Head.from_bytes("version", banner)) == 0.0


_UNAME_A = st.builds(
    lambda host, rel, machine: f"Linux {host} {rel} #1 SMP Tue Mar 21 19:29:05 UTC 2017 "
                               f"{machine} {machine} {machine} GNU/Linux",
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){0,2}", fullmatch=True),
    st.from_regex(r"[2-6]\.[0-9]{1,2}\.[0-9]{1,3}-[0-9a-z._]{1,12}", fullmatch=True),
    st.sampled_from(["x86_64", "aarch64", "i686", "ppc64le"]))
_RELEASE = st.from_regex(r"[2-6]\.[0-9]{1,2}\.[0-9]{1,3}(-[0-9a-z]{1,8})?", fullmatch=True)
_GARBAGE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30).map(
    lambda s: s.replace("\n", " ").replace("\r", " ") + " !")  # "!" is in no valid line


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_UNAME_A, _RELEASE, _GARBAGE, st.just("")), max_size=20))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / "uname_-a"  # named for uname: a release alone is read too
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("uname", p)
    assert ctx.records == sum(1 for ln in lines if ln.strip())
    assert ctx.skipped == sum(1 for ln in lines if ln.endswith(" !"))
    assert len(raw) == (1 if ctx.records > ctx.skipped else 0)
