from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def test_raw_dmesg() -> None:
    raw, ctx = run_parser("dmesg", DATA / "dmesg" / "dmesg.txt")
    assert (len(raw), ctx.skipped) == (9, 0) and not ctx.diag.rows
    assert raw["kind"].tolist() == ["boot", "message", "message", "module_load", "module_load",
                                    "conntrack_drop", "conntrack_drop",
                                    "ratelimit_suppressed", "conntrack_drop"]
    row = raw.iloc[5]
    assert (row["uptime"], row["program"], row["message"]) == (
        5428.00221, "kernel", "nf_conntrack: table full, dropping packet.")


def test_kmsg_and_x_and_T() -> None:
    raw, ctx = run_parser("dmesg", DATA / "dmesg" / "kmsg.txt")
    assert ctx.skipped == 0 and raw["uptime"].tolist() == [0.0, 263812.123456, 263816.644368]
    raw, _ = run_parser("dmesg", DATA / "dmesg" / "dmesg_x.txt")
    assert raw["count"].tolist() == [1, 1, 44]
    raw, _ = run_parser("dmesg", DATA / "dmesg" / "dmesg_T.txt")
    assert raw["iso"].iloc[1] == "2017-04-27T00:03:27" and raw["uptime"].isna().all()


def _host(tmp_path: Path, messages: str) -> Path:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(messages)
    (tmp_path / "dmesg").write_text((DATA / "dmesg" / "dmesg.txt").read_text())
    return tmp_path


def test_anchored_by_matching_banner_and_deduplicated(tmp_path: Path) -> None:
    banner = (DATA / "dmesg" / "dmesg.txt").read_text().splitlines()[0].split("] ", 1)[1]
    _host(tmp_path, f"Apr 26 22:33:05 bogon kernel: {banner}\n"
          "Apr 27 00:03:33 bogon kernel: nf_conntrack: table full, dropping packet.\n"
          "Apr 27 00:03:33 bogon kernel: nf_conntrack: table full, dropping packet.\n")
    a = cf.analyze(tmp_path, tz="+08:00", year=2017)
    ev = a.events.loc[a.events["format"] == "dmesg"]
    assert (ev["time_quality"] == "relative").all()
    assert ev["host"].unique().tolist() == ["bogon"]
    drop = ev.loc[ev["kind"] == "conntrack_drop"].iloc[0]
    assert drop["time"] == pd.Timestamp("2017-04-26T14:33:05Z") + pd.Timedelta(seconds=5428.00221)
    (inc,) = a.incidents
    assert inc.drops_logged == 3  # 2 in the same second in both sources, then 1 more
    assert any("anchored" in m for m in a.diagnostics["message"])


def test_unanchored_dmesg_is_left_untimed(tmp_path: Path) -> None:
    """No boot in the evidence: the ring's rows keep no time and make no incident in 1970."""
    p = tmp_path / "dmesg.out"
    p.write_text((DATA / "dmesg" / "dmesg.txt").read_text())
    a = cf.analyze(p)
    assert a.incidents == []
    assert a.events["time"].isna().all()
    assert "no boot time" in " ".join(a.diagnostics["message"])


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.builds(lambda s, m: f"[{s:12.6f}] {m}", st.floats(0, 10**7), st.text(max_size=30)),
    st.text(max_size=40),
).map(lambda s: s.replace("\n", " ").replace("\r", " ")), max_size=25))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / "dmesg"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("dmesg", p)
    assert ctx.records - ctx.skipped == len(raw)
