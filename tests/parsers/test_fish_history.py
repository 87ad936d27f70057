from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers.fish_history import fish_user, unescape
from tests.conftest import DATA, set_mtime
from tests.parsers.helpers import run_parser


def test_fish_history(tmp_path: Path) -> None:
    fish = tmp_path / "home" / "alice" / ".local" / "share" / "fish"
    fish.mkdir(parents=True)
    shutil.copy(DATA / "fish_history" / "fish_history", fish / "fish_history")
    raw, ctx = run_parser("fish_history", fish / "fish_history")
    assert (ctx.records, ctx.skipped, len(raw)) == (18, 0, 18)
    assert not ctx.diag.rows
    row = raw.iloc[10]
    assert row["message"] == "iptables -t nat -L"
    assert row["evidence"] == "- cmd: iptables -t nat -L\n  when: 1493222601"
    assert row["epoch"] == 1493222601
    assert row["line"] == 28
    assert row["user"] == "alice" and row["program"] == "fish" and row["kind"] == "command"
    assert pd.isna(row["not_after"])
    assert raw.iloc[12]["message"] == "sudo modprobe nf_conntrack"
    assert raw["epoch"].notna().all()
    assert (raw["user"] == "alice").all()


def test_paths_and_escapes(tmp_path: Path) -> None:
    raw, ctx = run_parser("fish_history", DATA / "fish_history" / "fish_history")
    assert not ctx.diag.rows
    grep = raw.iloc[4]
    assert grep["message"] == "sudo grep -E 'table full\\|dropping packet' /var/log/messages"
    assert grep["evidence"].endswith("  paths:\n    - /var/log/messages")
    loop = raw.loc[raw["message"].str.startswith("for f")].iloc[0]
    assert loop["message"] == (
        "for f in /var/log/messages*\n    sudo grep -c 'nf_conntrack: table full' $f\nend"
    )


def test_multiline(tmp_path: Path) -> None:
    p = tmp_path / "fish_history"
    p.write_text(
        "- cmd: for i in (seq 3)\\n  echo \\\\n$i\\nend\n"
        "  when: 1493219230\n"
        "- cmd: echo C:\\\\temp \\t\n"
        "  when: 1493219231\n"
    )
    raw, ctx = run_parser("fish_history", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (2, 0, 2)
    assert raw.iloc[0]["message"] == "for i in (seq 3)\n  echo \\n$i\nend"
    assert raw.iloc[1]["message"] == "echo C:\\temp \\t"  # unknown escapes are kept
    assert raw["line"].tolist() == [1, 3]


def test_unescape() -> None:
    assert unescape("a\\nb") == "a\nb"
    assert unescape("a\\\\nb") == "a\\nb"
    assert unescape("a\\\\\\nb") == "a\\\nb"
    assert unescape("trailing\\") == "trailing\\"
    assert unescape("plain") == "plain"


def test_malformed_records_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / "fish_history"
    p.write_text(
        "  when: 1493222500\n"  # orphan: no entry yet
        "- cmd: iptables -t nat -L\n"
        "  when: 1493222601\n"
        "- cmd: sudo modprobe nf_conntrack\n"
        "  when: yesterday\n"  # not a number: the entry is skipped
        "- cmd: uptime\n"
        "  when: 1493222700\n"
        "  when: 1493222701\n"  # a second when: orphan
        "garbage line\n"
        "- cmd:\n"  # no command
        "  when: 1493222800\n"
    )
    raw, ctx = run_parser("fish_history", p)
    assert raw["message"].tolist() == ["iptables -t nat -L", "uptime"]
    assert (ctx.records, ctx.skipped, len(raw)) == (7, 5, 2)
    reasons = {d.message: d.line for d in ctx.diag.rows}
    assert reasons["fish history 'when:' is not a number"] == 5
    assert reasons["fish history 'when:' with no '- cmd:' before it"] == 1
    assert reasons["line is not in fish history format"] == 9
    assert reasons["fish history entry with no command"] == 10


def test_entry_without_when_is_bounded(tmp_path: Path) -> None:
    p = tmp_path / "fish_history"
    p.write_text(
        "- cmd: iptables -L\n  when: 1493222380\n"
        "- cmd: half\n"
        "- cmd: iptables -t nat -L\n  when: 1493222601\n"
        "- cmd: last\n"
    )
    set_mtime(p, "2017-04-27T00:10:00+08:00")
    raw, ctx = run_parser("fish_history", p)
    assert (len(raw), ctx.skipped) == (4, 0)
    half = raw.loc[raw["message"] == "half"].iloc[0]
    assert half["not_before"] == pd.Timestamp(1493222380, unit="s", tz="UTC")
    assert half["not_after"] == pd.Timestamp(1493222601, unit="s", tz="UTC")
    last = raw.loc[raw["message"] == "last"].iloc[0]
    assert last["not_after"] == pd.Timestamp("2017-04-26T16:10:00Z")
    assert pd.isna(last["epoch"])


def test_user_from_path() -> None:
    assert fish_user("x/home/alice/.local/share/fish/fish_history") == "alice"
    assert fish_user("x/root/.local/share/fish/fish_history") == "root"
    assert fish_user("x/home/bob/.config/fish/fish_history") == "bob"
    assert fish_user("x/home/carol/fish_history") == "carol"
    assert fish_user("x/fish_history") is None


_LINE = st.one_of(
    st.text(max_size=30).map(lambda s: f"- cmd: {s}"),
    st.integers(0, 2 * 10**9).map(lambda n: f"  when: {n}"),
    st.text(max_size=12).map(lambda s: f"  when: {s}"),
    st.sampled_from(["  paths:", "    - /etc/hosts", "- cmd:", "  when:", "x", ""]),
    st.text(max_size=40),
).map(lambda s: s.replace("\n", " ").replace("\r", " "))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE, max_size=30))
def test_property_records(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / "fish_history"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    raw, ctx = run_parser("fish_history", p)
    assert ctx.records - ctx.skipped == len(raw)
