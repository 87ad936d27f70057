from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def test_sysctl_a_with_conntrack_loaded() -> None:
    raw, ctx = run_parser("sysctl", DATA / "sysctl" / "sysctl_-a")
    assert (ctx.records, ctx.skipped) == (83, 0)
    assert not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["kind"] == "snapshot" and row["program"] == "sysctl"
    assert (row["conntrack_max"], row["conntrack_count"], row["conntrack_buckets"]) == (
        65536, 65536, 16384)
    assert row["conntrack_loaded"] is True
    assert row["host"] == "bogon"
    assert row["message"] == ("sysctl: conntrack loaded, 65,536 of 65,536 entries in use "
                              "(100%), 16,384 buckets")
    assert row["capture"] == "at"
    assert row["evidence"].startswith("net.ipv4.netfilter.ip_conntrack_buckets = 16384\n")
    assert row["line"] == 41  # the first conntrack key in the sorted listing


def test_sysctl_a_without_conntrack_says_not_loaded() -> None:
    raw, ctx = run_parser("sysctl", DATA / "sysctl" / "sysctl_-a_without_conntrack")
    assert ctx.skipped == 0
    (row,) = raw.to_dict("records")
    assert row["conntrack_loaded"] is False
    assert row["message"] == "sysctl: conntrack not loaded"
    assert row["host"] == "web2"
    assert "none of them nf_conntrack_*" in row["evidence"]


def test_single_proc_values_are_named_by_their_file() -> None:
    raw, _ = run_parser("sysctl", DATA / "sysctl" / "nf_conntrack_max")
    (row,) = raw.to_dict("records")
    assert row["conntrack_max"] == 262144 and row["program"] == "nf_conntrack_max"
    raw, _ = run_parser("sysctl", DATA / "sysctl" / "ip_conntrack_count")
    (row,) = raw.to_dict("records")
    assert row["conntrack_count"] == 65532 and row["conntrack_loaded"] is True


def test_configuration_is_not_state() -> None:
    raw, ctx = run_parser("sysctl", DATA / "sysctl" / "90-conntrack.conf")
    assert (ctx.records, ctx.skipped) == (3, 0)
    (row,) = raw.to_dict("records")
    assert row["program"] == "sysctl.conf"
    assert row["conntrack_max"] is None  # when it was applied is unknown
    assert "net.netfilter.nf_conntrack_max = 262144" in row["message"]


def test_garbage_lines_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "sysctl_-a"
    text = (DATA / "sysctl" / "sysctl_-a").read_text()
    path.write_text(text + "sysctl: permission denied on key 'fs.protected_hardlinks'\n")
    _raw, ctx = run_parser("sysctl", path)
    assert (ctx.records, ctx.skipped) == (84, 1)
    assert ctx.diag.rows[0].message == "not a sysctl key = value line"


_KEY = st.from_regex(r"[a-z]{2,6}(\.[a-z_]{2,8}){1,3}", fullmatch=True)
_GOOD = st.builds(lambda k, v: f"{k} = {v}", _KEY, st.integers(0, 10**9))
_BAD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
               max_size=30).filter(lambda s: s.strip() and "=" not in s and
                                   not s.strip().startswith(("#", ";")))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(_GOOD, _BAD), min_size=1, max_size=40))
def test_records_are_parsed_or_skipped(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "sysctl_-a"
    path.write_text("\n".join(lines) + "\n")
    _raw, ctx = run_parser("sysctl", path)
    assert ctx.records == len(lines)
    assert ctx.skipped == sum(1 for ln in lines if "=" not in ln)
