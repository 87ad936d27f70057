"""File-system oddities: each one diagnostic naming the path, never an abort or a hang."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import conntrack_forensics as cf
from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.blocks import iter_line_chunks
from conntrack_forensics.inputs.walk import iter_sources

LINE = "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"


def _rows(result: cf.LoadResult) -> list[tuple[str, str, str]]:
    """The warnings and errors (notes on time zones aside)."""
    d = result.diagnostics
    d = d[d["level"] != "info"]
    return [(Path(p).name, str(lv), m)
            for p, lv, m in zip(d["path"], d["level"], d["message"], strict=True)]


def test_symlink_loop_named_by_the_user(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    (tmp_path / "messages").write_text(LINE)
    result = cf.load([tmp_path / "a", tmp_path / "messages"], year=2017)
    assert len(result.events) == 1
    assert _rows(result) == [("a", "warning", "symbolic link loop (-> b): not followed")]


def test_link_loop_through_directories(tmp_path: Path) -> None:
    (tmp_path / "x").symlink_to("y/f")
    (tmp_path / "y").symlink_to("x/g")
    (tmp_path / "messages").write_text(LINE)
    result = cf.load(tmp_path, year=2017)
    assert len(result.events) == 1
    assert ("x", "warning", "symbolic link loop (-> y/f): not followed") in _rows(result)


def test_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "messages.1").symlink_to("messages.0")
    result = cf.load(tmp_path, year=2017)
    assert _rows(result) == [("messages.1", "warning", "dangling symbolic link (-> messages.0: "
                              "no such file): not followed")]


def test_fifo_named_by_the_user_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # no writer: opening it to read would block
    result = cf.load(tmp_path / "pipe", year=2017)
    assert _rows(result) == [("pipe", "warning", "a FIFO (named pipe), not a regular file: "
                              "skipped (never opened)")]


def test_link_to_dev_zero(tmp_path: Path) -> None:
    (tmp_path / "messages").symlink_to("/dev/zero")
    result = cf.load(tmp_path, year=2017)
    assert _rows(result) == [("messages", "warning", "symbolic link to /dev/zero, a device: not "
                              "followed (never opened)")]


def _as_unprivileged(work: Callable[[], list[tuple[str, str, str]]]) -> list[tuple[str, str, str]]:
    """``work()`` run as a user without root's override of permissions.

    Under root (CI, containers) a forked child drops to ``nobody`` (uid and gid 65534) and
    sends its result back through a pipe; the modules it needs are imported already, so it
    reads nothing from root's directories.
    """
    if os.geteuid() != 0:
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(work(), out)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and data, "the unprivileged run failed"
    return cast(list[tuple[str, str, str]], pickle.loads(data))


def test_unreadable_file_and_directory() -> None:
    tree = Path(tempfile.mkdtemp(prefix="cf-perm-", dir="/tmp"))
    try:
        tree.chmod(0o755)  # the unprivileged user may list it ...
        (tree / "messages").write_text(LINE)
        (tree / "messages").chmod(0o644)
        (tree / "secure").write_text(LINE)
        (tree / "secure").chmod(0)  # ... but not read this
        (tree / "sub").mkdir()
        (tree / "sub" / "messages").write_text(LINE)
        (tree / "sub").chmod(0)  # ... nor list this
        cf.load(tree / "messages", year=2017)  # imports all the loader needs, before the fork

        def work() -> list[tuple[str, str, str]]:
            result = cf.load(tree, year=2017)
            assert result.events["kind"].eq("conntrack_drop").sum() == 1  # the readable one
            return _rows(result)

        rows = _as_unprivileged(work)
    finally:
        (tree / "sub").chmod(0o700)
        shutil.rmtree(tree)
    assert any(n == "secure" and "permission denied" in m for n, _, m in rows)
    assert any(n == "sub" and "directory not read: permission denied" in m for n, _, m in rows)


def _reading(tmp_path: Path) -> tuple[Path, Diagnostics, Iterator[Any]]:
    """A 10,000-line file being read in 64 KiB blocks: its path, diagnostics and blocks."""
    p = tmp_path / "messages"
    p.write_text(LINE * 10_000)
    diag = Diagnostics()
    source = next(iter_sources([p], diag))
    return p, diag, iter_line_chunks(source, diag, block_bytes=64 * 1024)


def test_file_truncated_while_read(tmp_path: Path) -> None:
    p, diag, chunks = _reading(tmp_path)
    first = next(chunks)
    os.truncate(p, 100)  # logrotate's copytruncate, mid-read
    rest = [ln for chunk in chunks for ln in chunk.lines]
    assert len(first.lines) + len(rest) < 10_000
    (row,) = [r for r in diag.rows if "shrank" in r.message]
    assert row.level == "warning" and row.path == p.as_posix()
    assert row.message.startswith(f"file shrank while being read (from {len(LINE) * 10_000:,} "
                                  "to 100 bytes")


def test_file_grown_while_read_is_read_as_it_was(tmp_path: Path) -> None:
    p, diag, chunks = _reading(tmp_path)
    count = len(next(chunks).lines)
    with open(p, "a") as fh:
        fh.write(LINE * 500)
    count += sum(len(chunk.lines) for chunk in chunks)
    assert count == 10_000
    assert [r.message for r in diag.rows] == [
        f"file grew while being read (from {len(LINE) * 10_000:,} to {len(LINE) * 10_500:,} "
        "bytes); read up to its size when opened"]


def test_names_that_are_not_utf8(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/messages-\xff"
    with open(raw, "wb") as fh:
        fh.write(LINE.encode())
    result = cf.load(tmp_path, year=2017)
    shown = f"{tmp_path.as_posix()}/messages-\\xff"
    assert result.events["source"].tolist() == [shown]
    assert _rows(result) == [("messages-\\xff", "warning", "file name is not valid UTF-8 (its "
                              "undecodable bytes shown as \\xNN); the file was read")]
    assert {p.encode("utf-8") for p in result.diagnostics["path"]}  # no lone surrogate left


def test_file_vanished_or_swapped_for_a_fifo_after_listing(tmp_path: Path) -> None:
    from conntrack_forensics.events.read import read_source
    from conntrack_forensics.parsers.base import Hints

    p = tmp_path / "messages"
    p.write_text(LINE)
    diag = Diagnostics()
    source = next(iter_sources([p], diag))
    p.unlink()  # rotated away between the walk and the reading
    assert read_source(source, 0, diag, Hints()).raw is None
    os.mkfifo(p)  # and something else put in its place: never opened to block
    read_source(source, 0, diag, Hints())
    assert [(r.level, r.message) for r in diag.rows] == [
        ("warning", "cannot read file: it vanished (removed or rotated away after it was "
                    "listed)"),
        ("warning", "cannot read file: not a regular file (a FIFO (named pipe)); never read")]
