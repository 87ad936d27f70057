"""The input layer and bad input: nothing crashes, everything is counted and named."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.source import rotation_key, scope_of
from conntrack_forensics.inputs.walk import iter_sources

LINE = "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"


def _diag(result: cf.LoadResult) -> list[tuple[str, str, int]]:
    d = result.diagnostics
    return [(Path(p).name, m, int(c))
            for p, m, c in zip(d["path"], d["message"], d["count"], strict=True)]


@pytest.mark.parametrize("opener", [gzip.open, bz2.open, lzma.open], ids=["gz", "bz2", "xz"])
def test_compressed_read_transparently(tmp_path: Path, opener) -> None:
    p = tmp_path / "messages.1"  # no extension: detected by magic bytes
    with opener(p, "wt") as fh:
        fh.write(LINE * 3)
    result = cf.load(p, year=2017)
    assert len(result.events) == 3
    assert (result.events["kind"] == "conntrack_drop").all()


def test_rotation_order() -> None:
    names = ["messages", "messages.1", "messages.2.gz", "messages-20170416", "messages-20170423"]
    ordered = sorted(names, key=lambda n: rotation_key(n)[1])
    assert ordered == ["messages-20170416", "messages-20170423", "messages.2.gz",
                       "messages.1", "messages"]
    assert {rotation_key(n)[0] for n in names} == {"messages"}
    assert rotation_key("kern.log.1")[0] == "kern.log"


def test_directory_sources_oldest_first(tmp_path: Path) -> None:
    (tmp_path / "messages").write_text(LINE)
    (tmp_path / "messages.1").write_text(LINE)
    with gzip.open(tmp_path / "messages.2.gz", "wt") as fh:
        fh.write(LINE)
    names = [s.basename for s in iter_sources([tmp_path], Diagnostics())]
    assert names == ["messages.2.gz", "messages.1", "messages"]


def test_scope_of() -> None:
    assert scope_of(("bogon", "var", "log", "messages"), "logs") == "logs/bogon"
    assert scope_of(("bogon", "root", ".bash_history"), "logs") == "logs/bogon"
    assert scope_of(("web1", "messages"), "logs") == "logs/web1"


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(LINE.encode() * 2)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = cf.load("-", year=2017)
    assert len(result.events) == 2
    assert set(result.events["source"]) == {"<stdin>"}


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(cf.InputNotFoundError):
        cf.load(tmp_path / "nope")


def test_empty_binary_and_prose(tmp_path: Path) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "core.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "notes.txt").write_text("Remember to renew the certificate.\nThanks!\n")
    (tmp_path / "messages").write_text(LINE)
    result = cf.load(tmp_path, year=2017)
    assert len(result.events) == 1
    got = _diag(result)
    assert ("empty.log", "empty file", 1) in got
    assert ("core.bin", "binary file skipped (not a text log)", 1) in got
    assert ("notes.txt", "not a recognised log format; skipped", 1) in got


def test_nul_bytes_and_invalid_utf8(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_bytes(LINE.encode() + b"\x00" * 500 + LINE.encode()
                  + b"Apr 27 00:03:29 bogon app: caf\xe9 \xff\n")
    result = cf.load(p, year=2017)
    assert len(result.events) == 3
    assert result.events["message"].iloc[2] == "caf\ufffd \ufffd"
    got = _diag(result)
    assert ("messages", "NUL bytes removed from line", 1) in got
    assert ("messages", "invalid UTF-8 replaced with U+FFFD in line", 1) in got


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    body = "".join(f"Apr 27 00:{i // 60:02d}:{i % 60:02d} bogon app: line {i}\n"
                   for i in range(3000))
    data = gzip.compress(body.encode())
    p = tmp_path / "messages.2.gz"
    p.write_bytes(data[: len(data) // 2])
    result = cf.load(p, year=2017)
    assert 0 < len(result.events) < 3000
    levels = set(result.diagnostics["level"].astype(str))
    assert "error" in levels
    msg = result.diagnostics.loc[result.diagnostics["level"] == "error", "message"].iloc[0]
    assert "truncated or corrupt" in msg


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "secure"
    locked.write_text(LINE)
    (tmp_path / "messages").write_text(LINE)
    real_open = os.open

    def fake_open(path, *args, **kwargs):
        if Path(path).name == "secure":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    result = cf.load(tmp_path, year=2017)
    assert len(result.events) == 1
    assert ("secure", "cannot read file: permission denied (run as a user who may read it, or "
            "copy it readable)", 1) in _diag(result)


def test_inputs_are_never_written(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(LINE)
    before = (p.stat().st_mtime_ns, p.read_bytes())
    cf.analyze(tmp_path).to_json(tmp_path.parent / "out.json")
    assert (p.stat().st_mtime_ns, p.read_bytes()) == before


def test_symlink_outside_input_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text(LINE)
    root = tmp_path / "case"
    root.mkdir()
    (root / "messages").symlink_to(outside)
    result = cf.load(root, year=2017)
    assert len(result.events) == 0
    assert "not followed" in result.diagnostics["message"].iloc[0]


def test_symlink_inside_input_is_read_once_under_the_target_name(tmp_path: Path) -> None:
    root = tmp_path / "sosreport-bogon"
    (root / "sos_commands/kernel").mkdir(parents=True)
    (root / "sos_commands/kernel/dmesg").write_text(
        "[ 5.000000] nf_conntrack: table full, dropping packet.\n")
    (root / "dmesg").symlink_to("sos_commands/kernel/dmesg")
    (root / "etc").mkdir()
    (root / "usr/share/zoneinfo/Asia").mkdir(parents=True)
    (root / "usr/share/zoneinfo/Asia/Shanghai").write_bytes(b"TZif2" + bytes(40))
    (root / "etc/localtime").symlink_to("../usr/share/zoneinfo/Asia/Shanghai")
    result = cf.load(root)
    assert result.events["source"].tolist() == [f"{root.as_posix()}/sos_commands/kernel/dmesg"]
    notes = result.diagnostics.set_index("message")["path"]
    assert notes["symbolic links to files inside the input not followed (each target is read "
                 "under its own name)"] == root.as_posix()
    assert result.inputs and any(i.path.endswith("etc/localtime") for i in result.inputs)
