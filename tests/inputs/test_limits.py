"""Bounded cost on hostile input: each limit cuts what it must, says so, and can be raised."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.events.load import load
from conntrack_forensics.inputs.blocks import BlockReader, iter_line_chunks
from conntrack_forensics.inputs.limits import Limits
from conntrack_forensics.inputs.walk import iter_sources

DROP = "kernel: nf_conntrack: table full, dropping packet."


def _line(second: int) -> str:
    return f"Apr 27 00:{second // 60:02d}:{second % 60:02d} bogon {DROP}\n"


def _warnings(result: cf.LoadResult) -> list[tuple[str, str, int]]:
    d = result.diagnostics
    d = d[d["level"] == "warning"]
    return [(Path(p).name, m, int(c))
            for p, m, c in zip(d["path"], d["message"], d["count"], strict=True)]


def test_limits_are_checked_and_named() -> None:
    with pytest.raises(cf.UsageError, match=r"max_line_bytes \(--max-line-bytes\) must be "
                       "positive, not 0"):
        Limits(max_line_bytes=0)
    assert Limits(max_members=5).hint("max_members") == (
        "limit max_members=5; raise it with --max-archive-members")


@pytest.mark.parametrize("block_bytes", [64, 1 << 20], ids=["spanning-blocks", "in-a-block"])
def test_long_line_cut_and_the_lines_after_it_kept(tmp_path: Path, block_bytes: int) -> None:
    long = "Apr 27 00:00:01 bogon app: " + "x" * 5000 + "\n"
    p = tmp_path / "messages"
    p.write_text(_line(0) + long + _line(2) + long + _line(3))
    diag = Diagnostics()
    source = next(iter_sources([p], diag, Limits(max_line_bytes=300)))
    lines = [ln for chunk in iter_line_chunks(source, diag, block_bytes) for ln in chunk.lines]
    assert lines == [_line(0)[:-1], long[:300], _line(2)[:-1], long[:300], _line(3)[:-1]]
    (row,) = [r for r in diag.rows if "line longer" in r.message]
    assert row.count == 2 and row.level == "warning"
    assert row.message == ("line longer than 300 bytes cut to its first 300 bytes (the first at "
                           f"byte {len(_line(0))} of the file; limit max_line_bytes=300 bytes; "
                           "raise it with --max-line-bytes)")


def test_endless_line_is_never_held_whole(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    with open(p, "wb") as fh:
        fh.write(b"Apr 27 00:00:01 bogon app: ")
        fh.write(b"y" * (3 << 20))  # no line end at all
    diag = Diagnostics()
    source = next(iter_sources([p], diag, Limits(max_line_bytes=1000)))
    reader = BlockReader(source, diag, block_bytes=4096)
    sizes = [block.size for block in reader]
    reader.finish(1)
    assert sizes == [1001]  # the first 1000 bytes and a line end; the rest skipped
    assert "max_line_bytes=1,000" in diag.rows[0].message


def test_raised_line_limit_keeps_the_line(tmp_path: Path) -> None:
    long = "Apr 27 00:00:01 bogon app: " + "x" * 5000 + "\n"
    p = tmp_path / "messages"
    p.write_text(long + _line(2))
    default = load(p, year=2017, full=True)
    assert not any("line longer" in m for _, m, _ in _warnings(default))
    tight = load(p, year=2017, full=True, limits=Limits(max_line_bytes=100))
    assert [m for _, m, _ in _warnings(tight) if "line longer" in m]
    assert len(tight.events) == len(default.events) == 2


def test_decompressed_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "messages.1.gz"
    p.write_bytes(gzip.compress("".join(_line(i % 3600) for i in range(20_000)).encode()))
    result = load(p, year=2017, limits=Limits(max_decompressed_bytes=100_000))
    drops = int(result.events.loc[result.events["kind"] == "conntrack_drop", "count"].sum())
    assert 0 < drops < 20_000
    (msg,) = [m for _, m, _ in _warnings(result) if "decompressed data cut" in m]
    assert "max_decompressed_bytes=100,000 bytes; raise it with --max-decompressed-bytes" in msg


def test_ratio_limit_stops_a_bomb_but_not_a_log(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.log.gz"
    bomb.write_bytes(gzip.compress(_line(1).encode() + bytes(4 << 20)))
    log = tmp_path / "messages.1.gz"
    log.write_bytes(gzip.compress("".join(_line(i % 3600) for i in range(40_000)).encode()))
    limits = Limits(ratio_grace_bytes=1 << 20)
    result = load([bomb, log], year=2017, limits=limits)
    bombs = [(name, m) for name, m, _ in _warnings(result) if "decompression bomb" in m]
    assert len(bombs) == 1 and bombs[0][0] == "bomb.log.gz"
    assert "limit max_ratio=1,000; raise it with --max-compression-ratio" in bombs[0][1]
    kept = load(bomb, year=2017, limits=Limits(ratio_grace_bytes=1 << 20, max_ratio=1e6))
    assert not any("decompression bomb" in m for _, m, _ in _warnings(kept))


def _tar(path: Path, names: list[str]) -> None:
    with tarfile.open(path, "w") as tf:
        for i, name in enumerate(names):
            data = _line(i).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_member_count_limit(tmp_path: Path) -> None:
    archive = tmp_path / "many.tar"
    _tar(archive, [f"var/log/messages.{i}" for i in range(1, 6)])
    result = load(archive, year=2017, limits=Limits(max_members=3))
    assert len(result.inputs) == 3
    assert ("many.tar", "archive has more than 3 members: the rest were not read (limit "
            "max_members=3; raise it with --max-archive-members)", 1) in _warnings(result)
    assert len(load(archive, year=2017).inputs) == 5


def test_zip_member_count_limit(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(4):
            zf.writestr(f"messages.{i + 1}", _line(i))
    result = load(archive, year=2017, limits=Limits(max_members=2))
    assert len(result.inputs) == 2
    assert any("more than 2 members" in m for _, m, _ in _warnings(result))


def test_nesting_depth_can_be_raised(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("var/log/messages", _line(5))
    outer = tmp_path / "outer.tar.gz"
    with tarfile.open(outer, "w:gz") as tf:
        info = tarfile.TarInfo("inner.zip")
        info.size = len(inner.getvalue())
        tf.addfile(info, io.BytesIO(inner.getvalue()))
    shallow = load(outer, year=2017)
    assert len(shallow.events) == 0
    assert any("max_archive_depth=1" in m for _, m, _ in _warnings(shallow))
    deep = load(outer, year=2017, limits=Limits(max_archive_depth=2))
    assert deep.events["kind"].tolist() == ["conntrack_drop"]
    assert deep.events["source"].tolist() == [
        f"{outer.as_posix()}!/inner.zip!/var/log/messages"]


def test_depth_zero_opens_no_archive(tmp_path: Path) -> None:
    archive = tmp_path / "logs.tar"
    _tar(archive, ["var/log/messages"])
    result = load(archive, year=2017, limits=Limits(max_archive_depth=0))
    assert len(result.events) == 0
    assert _warnings(result) == [("logs.tar", "archive not opened (limit max_archive_depth=0; "
                                  "raise it with --max-archive-depth)", 1)]
