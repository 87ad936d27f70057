"""tcsh history as ``savehist`` writes it: ``#+`` ten-digit epochs before each event."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.parsers import Head, pick
from tests.conftest import DATA, set_mtime
from tests.parsers.helpers import run_parser


def _home(tmp_path: Path, text: str | None = None) -> Path:
    p = tmp_path / "root" / ".history"
    p.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        shutil.copy(DATA / "tcsh_history" / "history", p)
    else:
        p.write_text(text)
    return p


def test_tcsh_history(tmp_path: Path) -> None:
    raw, ctx = run_parser("tcsh_history", _home(tmp_path))
    assert (ctx.records, ctx.skipped, len(raw)) == (8, 0, 8)
    assert not ctx.diag.rows
    row = raw.iloc[4]
    assert row["message"] == "iptables -t nat -L"
    assert row["epoch"] == 1493222601 and row["line"] == 10
    assert row["user"] == "root" and row["program"] == "tcsh" and row["kind"] == "command"
    assert raw["epoch"].notna().all()


def test_a_tcsh_history_is_not_read_as_bash_history() -> None:
    """Before this parser, bash claimed the file by name and made the stamps commands."""
    body = (DATA / "tcsh_history" / "history").read_bytes()
    for name in (".history", "evidence.txt"):
        parser, score = pick(Head.from_bytes(name, body))
        assert parser is not None and parser.NAME == "tcsh_history", (name, score)


def test_the_tcsh_nat_listing_is_the_timed_trigger_candidate(tmp_path: Path) -> None:
    _home(tmp_path)
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text(
        "Apr 26 16:03:21 bogon kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)\n"
        "Apr 26 16:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n")
    analysis = cf.analyze(tmp_path, year=2017, tz="UTC")
    trigger = analysis.incidents[0].trigger
    assert trigger is not None and trigger.command == "iptables -t nat -L"
    assert pd.Timestamp(trigger.time) == pd.Timestamp(1493222601, unit="s", tz="UTC")


def test_untimed_zero_and_continued_events(tmp_path: Path) -> None:
    p = _home(tmp_path, "ls\n#+0000000000\npwd\n#+1493222601\niptables -t nat \\\n-L -n\n"
                        "#+1493222700\n")
    set_mtime(p, "2017-04-26T17:00:00+00:00")
    raw, ctx = run_parser("tcsh_history", p)
    assert raw["message"].tolist() == ["ls", "pwd", "iptables -t nat \\\n-L -n"]
    assert raw["epoch"].isna().tolist() == [True, True, False]
    assert raw["not_after"].iloc[1] == pd.Timestamp(1493222601, unit="s", tz="UTC")
    assert raw["line"].tolist() == [1, 3, 5]
    assert ctx.skipped == 1  # the last stamp has no event after it


def test_a_damaged_stamp_is_counted_and_its_event_untimed(tmp_path: Path) -> None:
    raw, ctx = run_parser("tcsh_history", _home(tmp_path, "#+14932x2601\nuptime\n"))
    assert raw["message"].tolist() == ["uptime"] and raw["epoch"].isna().all()
    assert ctx.skipped == 1


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.integers(0, 2 * 10**9).map(lambda n: f"#+{n:010d}"),
    st.text(min_size=1, max_size=40).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
), max_size=30))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / ".history"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("tcsh_history", p)
    assert ctx.records - ctx.skipped == len(raw)
