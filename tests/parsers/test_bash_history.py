from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers.bash_history import user_from_path
from tests.conftest import DATA, set_mtime
from tests.parsers.helpers import run_parser


def test_timestamped(tmp_path: Path) -> None:
    home = tmp_path / "root"
    home.mkdir()
    shutil.copy(DATA / "bash_history" / "timestamped", home / ".bash_history")
    raw, ctx = run_parser("bash_history", home / ".bash_history")
    assert (ctx.records, ctx.skipped, len(raw)) == (5, 0, 5)
    assert not ctx.diag.rows
    row = raw.iloc[3]
    assert row["message"] == "iptables -t nat -L"
    assert row["epoch"] == 1493222601
    assert row["user"] == "root" and row["kind"] == "command" and row["line"] == 8


def test_untimestamped_bounded_by_mtime(tmp_path: Path) -> None:
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    p = home / ".bash_history"
    shutil.copy(DATA / "bash_history" / "plain", p)
    set_mtime(p, "2017-04-27T00:10:00+08:00")
    raw, ctx = run_parser("bash_history", p)
    assert len(raw) == 7 and ctx.skipped == 0
    assert raw["epoch"].isna().all()
    assert raw["line"].tolist() == list(range(1, 8))
    assert (raw["not_after"] == pd.Timestamp("2017-04-26T16:10:00Z")).all()
    assert (raw["user"] == "alice").all()


def test_untimestamped_between_stamps(tmp_path: Path) -> None:
    p = tmp_path / ".bash_history"
    p.write_text("ls\n#1493222380\niptables -L\nhalf\n#1493222601\niptables -t nat -L\n")
    raw, _ = run_parser("bash_history", p)
    half = raw.loc[raw["message"] == "half"].iloc[0]
    assert half["not_before"] == pd.Timestamp(1493222380, unit="s", tz="UTC")
    assert half["not_after"] == pd.Timestamp(1493222601, unit="s", tz="UTC")
    first = raw.iloc[0]
    assert pd.isna(first["not_before"])
    stamp = dt.datetime.fromtimestamp(1493222380, dt.timezone.utc)
    assert first["not_after"] == pd.Timestamp(stamp)


def test_dangling_stamp_is_skipped(tmp_path: Path) -> None:
    p = tmp_path / ".bash_history"
    p.write_text("#1493222380\nuptime\n#1493222381\n")
    raw, ctx = run_parser("bash_history", p)
    assert (len(raw), ctx.skipped) == (1, 1)


def test_user_from_path() -> None:
    assert user_from_path("x/root/.bash_history") == "root"
    assert user_from_path("x/home/bob/.bash_history") == "bob"
    assert user_from_path("x/.bash_history") is None


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.integers(10**9, 2 * 10**9).map(lambda n: f"#{n}"),
    st.text(min_size=1, max_size=40).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
), max_size=30))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / ".bash_history"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("bash_history", p)
    assert ctx.records - ctx.skipped == len(raw)


def test_a_stamped_file_reads_lines_up_to_the_next_stamp_as_one_entry(tmp_path: Path) -> None:
    """bash 5's read_history_range: a file that starts with a stamp has multi-line entries."""
    p = tmp_path / "root" / ".bash_history"
    p.parent.mkdir()
    p.write_text("#1493222380\nuptime\n#1493222601\niptables -t nat \\\n  -L -n\n"
                 "#1493222640\nfor t in filter nat; do\n  iptables -t $t -S\ndone\n")
    raw, ctx = run_parser("bash_history", p)
    assert (ctx.records, ctx.skipped) == (3, 0)
    assert raw["message"].tolist() == ["uptime", "iptables -t nat \\\n  -L -n",
                                       "for t in filter nat; do\n  iptables -t $t -S\ndone"]
    assert raw["epoch"].tolist() == [1493222380, 1493222601, 1493222640]
    assert raw["line"].tolist() == [2, 4, 7]
    assert raw["evidence"].iloc[1] == "iptables -t nat \\\n  -L -n"


def test_a_multi_line_entry_is_matched_as_the_command_the_shell_ran() -> None:
    from conntrack_forensics.correlate.knowledge import normalize_command

    assert normalize_command("iptables -t nat \\\n  -L -n") == "iptables -t nat -L -n"


def test_a_file_without_a_leading_stamp_keeps_one_line_per_entry(tmp_path: Path) -> None:
    """bash sets history_multiline_entries only when the file's first line is a stamp."""
    p = tmp_path / ".bash_history"
    p.write_text("ls\n#1493222601\niptables -t nat \\\n-L -n\n")
    raw, _ = run_parser("bash_history", p)
    assert raw["message"].tolist() == ["ls", "iptables -t nat \\", "-L -n"]
    assert raw["epoch"].iloc[1] == 1493222601 and pd.isna(raw["epoch"].iloc[2])


def test_a_damaged_stamp_in_a_stamped_file_delimits_and_is_counted(tmp_path: Path) -> None:
    p = tmp_path / ".bash_history"
    p.write_text("#1493222380\nuptime\n#14932x2601\niptables -t nat -L\n")
    raw, ctx = run_parser("bash_history", p)
    assert raw["message"].tolist() == ["uptime", "iptables -t nat -L"]
    assert pd.isna(raw["epoch"].iloc[1]) and ctx.skipped == 1
