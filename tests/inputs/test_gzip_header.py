"""A gzip header's MTIME (RFC 1952 section 2.3.1) on every kind of source."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.source import gzip_mtime
from conntrack_forensics.inputs.walk import iter_sources

STAMP = 1492358401  # 2017-04-16T16:00:01Z
WHEN = dt.datetime(2017, 4, 16, 16, 0, 1, tzinfo=dt.timezone.utc)
LINE = b"Apr 16 15:59:58 bogon kernel: nf_conntrack: table full, dropping packet.\n"


def _gz(mtime: int) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=mtime) as gz:
        gz.write(LINE)
    return buf.getvalue()


def _only(paths: list[str | Path]) -> list:
    return list(iter_sources(paths, Diagnostics()))


def test_a_gz_file_keeps_its_header_time_apart_from_its_own(tmp_path: Path) -> None:
    p = tmp_path / "messages-20170416.gz"
    p.write_bytes(_gz(STAMP))
    (src,) = _only([p])
    assert src.header_mtime == WHEN
    assert src.mtime is not None and src.mtime > WHEN  # the file's own: when it was written here


@pytest.mark.parametrize("data", [_gz(0), bz2.compress(LINE), LINE], ids=["mtime0", "bz2", "plain"])
def test_no_header_time_without_a_gzip_mtime(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "messages.2"
    p.write_bytes(data)
    (src,) = _only([p])
    assert src.header_mtime is None


def test_a_tar_member_and_standard_input_have_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _gz(STAMP)
    with tarfile.open(tmp_path / "case.tar", "w") as tar:
        info = tarfile.TarInfo("var/log/messages.2.gz")
        info.size, info.mtime = len(data), STAMP + 86_400 * 400
        tar.addfile(info, io.BytesIO(data))
    (member,) = _only([tmp_path / "case.tar"])
    assert member.header_mtime == WHEN
    assert member.mtime == WHEN + dt.timedelta(days=400)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    (stdin,) = _only(["-"])
    try:
        assert stdin.header_mtime == WHEN and stdin.mtime is None
    finally:
        stdin.close()


def test_a_zip_member_has_it(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "case.zip", "w") as zf:
        zf.writestr("var/log/messages.2.gz", _gz(STAMP))
    (member,) = _only([tmp_path / "case.zip"])
    assert member.header_mtime == WHEN


def test_a_truncated_header_is_no_time() -> None:
    assert gzip_mtime(_gz(STAMP)[:7]) is None
    assert gzip_mtime(b"") is None
