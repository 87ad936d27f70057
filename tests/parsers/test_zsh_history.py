from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers import Head, parsers, pick
from conntrack_forensics.parsers.zsh_history import unmetafy
from tests.conftest import DATA, set_mtime
from tests.parsers.helpers import run_parser


def _metafy(data: bytes) -> bytes:
    out = bytearray()
    for c in data:
        if c == 0 or 0x83 <= c <= 0xA2:
            out += bytes([0x83, c ^ 0x20])
        else:
            out.append(c)
    return bytes(out)


def test_extended(tmp_path: Path) -> None:
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    shutil.copy(DATA / "zsh_history" / "extended", home / ".zsh_history")
    raw, ctx = run_parser("zsh_history", home / ".zsh_history")
    assert (ctx.records, ctx.skipped, len(raw)) == (32, 0, 32)
    assert not ctx.diag.rows
    row = raw.iloc[12]
    assert row["message"] == "iptables -t nat -L"
    assert row["evidence"] == ": 1493222601:0;iptables -t nat -L"
    assert row["epoch"] == 1493222601
    assert row["line"] == 15
    assert row["user"] == "alice" and row["program"] == "zsh" and row["kind"] == "command"
    assert pd.isna(row["not_after"])
    assert "sudo modprobe nf_conntrack" in raw["message"].tolist()
    assert raw["epoch"].notna().all()
    assert (raw["user"] == "alice").all()


def test_metafied_bytes_are_restored(tmp_path: Path) -> None:
    raw, ctx = run_parser("zsh_history", DATA / "zsh_history" / "extended")
    assert not ctx.diag.rows
    assert 'git commit -am "Überlast — nf_conntrack_max erhöht"' in raw["message"].tolist()


def test_unmetafy_across_blocks() -> None:
    data = _metafy("echo Überlast — ä\n".encode())
    cut = data.index(b"\x83") + 1  # the block ends on the Meta byte
    first, pending = unmetafy(data[:cut])
    second, pending2 = unmetafy(data[cut:], pending)
    assert pending and not pending2
    assert (first + second).decode() == "echo Überlast — ä\n"
    assert unmetafy(b"plain ascii") == (b"plain ascii", False)
    assert unmetafy(b"a\x83\nb") == (b"a\x83\nb", False)  # damaged: the line is not merged


def test_multiline(tmp_path: Path) -> None:
    p = tmp_path / ".zsh_history"
    p.write_text(
        ": 1493219230:4;for f in /var/log/messages*; do\\\n"
        "  grep -c 'table full' \"$f\"\\\n"
        "\\\n"
        "done\n"
        ": 1493222601:0;iptables -t nat -L\n"
    )
    raw, ctx = run_parser("zsh_history", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (2, 0, 2)
    first = raw.iloc[0]
    assert first["message"] == (
        "for f in /var/log/messages*; do\n  grep -c 'table full' \"$f\"\n\ndone"
    )
    assert first["line"] == 1 and first["epoch"] == 1493219230
    assert first["evidence"].startswith(": 1493219230:4;for f")
    assert first["evidence"].count("\n") == 3
    assert raw.iloc[1]["line"] == 5


def test_file_ends_inside_a_continued_command(tmp_path: Path) -> None:
    p = tmp_path / ".zsh_history"
    p.write_text(": 1493222601:0;echo a\\\nb\\\n")
    raw, ctx = run_parser("zsh_history", p)
    assert (len(raw), ctx.skipped) == (1, 0)
    assert raw.iloc[0]["message"] == "echo a\nb"


def test_malformed_records_are_skipped(tmp_path: Path) -> None:
    p = tmp_path / ".zsh_history"
    p.write_text(
        ": 1493222601:0;iptables -t nat -L\n"
        ": 1493222650;sudo modprobe nf_conntrack\n"  # no duration
        ": 1493222700:0;\n"  # no command
        ": 14932x2710:0;uptime\n"
        ": 1493222800:0;sudo conntrack -C\n"
    )
    raw, ctx = run_parser("zsh_history", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (5, 3, 2)
    assert raw["message"].tolist() == ["iptables -t nat -L", "sudo conntrack -C"]
    assert {d.line for d in ctx.diag.rows} == {2, 3}  # folded by reason: first line of each


def test_plain_history_bounded_by_mtime(tmp_path: Path) -> None:
    home = tmp_path / "root"
    home.mkdir()
    p = home / ".histfile"
    p.write_text("uptime\niptables -t nat -L\nsudo modprobe nf_conntrack\nexit\n")
    set_mtime(p, "2017-04-27T00:10:00+08:00")
    raw, ctx = run_parser("zsh_history", p)
    assert (len(raw), ctx.skipped) == (4, 0)
    assert raw["epoch"].isna().all()
    assert raw["line"].tolist() == [1, 2, 3, 4]
    assert (raw["not_after"] == pd.Timestamp("2017-04-26T16:10:00Z")).all()
    assert (raw["user"] == "root").all() and (raw["program"] == "zsh").all()


def test_plain_between_stamps(tmp_path: Path) -> None:
    p = tmp_path / ".zsh_history"
    p.write_text(": 1493222380:0;iptables -L\nhalf\n: 1493222601:0;iptables -t nat -L\n")
    raw, _ = run_parser("zsh_history", p)
    half = raw.loc[raw["message"] == "half"].iloc[0]
    assert half["not_before"] == pd.Timestamp(1493222380, unit="s", tz="UTC")
    assert half["not_after"] == pd.Timestamp(1493222601, unit="s", tz="UTC")


def test_sniff_plain_needs_a_zsh_name() -> None:
    text = b"uptime\niptables -t nat -L\nsudo modprobe nf_conntrack\nexit\n"
    for name in (".zsh_history", ".histfile", ".zhistory"):
        parser, _ = pick(Head.from_bytes(name, text))
        assert parser is not None and parser.NAME == "zsh_history", name
    assert parsers()["zsh_history"].sniff(Head.from_bytes(".bash_history", text)) == 0.0
    assert parsers()["zsh_history"].sniff(Head.from_bytes("evidence.txt", text)) == 0.0


def test_user_from_path(tmp_path: Path) -> None:
    for rel, user in (("home/bob/.zsh_history", "bob"), ("root/.zsh_history", "root"),
                      ("case/.zsh_history", None)):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(": 1493222601:0;iptables -t nat -L\n")
        raw, _ = run_parser("zsh_history", p)
        assert raw.iloc[0]["user"] == user or (user is None and pd.isna(raw.iloc[0]["user"]))


_LINE = st.one_of(
    st.tuples(st.integers(0, 2 * 10**9), st.integers(0, 99), st.text(max_size=30)).map(
        lambda t: f": {t[0]}:{t[1]};{t[2]}"),
    st.text(max_size=40),
    st.sampled_from([": 1493222601;x", ": :0;", "\\", ": 1:2;a\\", ""]),
).map(lambda s: s.replace("\n", " ").replace("\r", " "))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE, max_size=30), st.booleans())
def test_property_records(tmp_path: Path, lines: list[str], meta: bool) -> None:
    p = tmp_path / ".zsh_history"
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    p.write_bytes(_metafy(data) if meta else data)
    raw, ctx = run_parser("zsh_history", p)
    assert ctx.records - ctx.skipped == len(raw)
