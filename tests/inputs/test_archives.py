"""Archives: tar (any compression) and zip members read as streams, unsafe members refused."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

import conntrack_forensics as cf
from tests.conftest import SAMPLES

DROP = "kernel: nf_conntrack: table full, dropping packet."


def _add(tf: tarfile.TarFile, name: str, data: bytes, mtime: float = 1514937600) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    tf.addfile(info, io.BytesIO(data))


def test_sosreport_tarball_end_to_end(tmp_path: Path) -> None:
    archive = tmp_path / "sosreport-bogon-20170427.tar.xz"
    with tarfile.open(archive, "w:xz") as tf:
        tf.add(SAMPLES / "bogon-nat-listing", arcname="sosreport-bogon-20170427")
    direct = cf.analyze(SAMPLES / "bogon-nat-listing").incidents[0]
    (inc,) = cf.analyze(archive).incidents
    assert (inc.drops_logged, inc.start, inc.cause) == (direct.drops_logged, direct.start,
                                                         direct.cause)
    assert inc.trigger is not None and inc.trigger.source == (
        f"{archive.as_posix()}!/sosreport-bogon-20170427/root/.bash_history:60")


def test_zip_members_and_compressed_member(tmp_path: Path) -> None:
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("var/log/messages.1.gz",
                    gzip.compress(f"Apr 27 00:03:27 web1 {DROP}\n".encode()))
        zf.writestr("var/log/messages", f"Apr 27 00:03:28 web1 {DROP}\n")
    a = cf.analyze(archive, year=2017)
    assert a.incidents[0].drops_logged == 2
    assert set(a.events["source"]) == {f"{archive.as_posix()}!/var/log/messages",
                                       f"{archive.as_posix()}!/var/log/messages.1.gz"}


def test_rotation_inside_tar_gives_years_in_order(tmp_path: Path) -> None:
    archive = tmp_path / "varlog.tgz"
    with tarfile.open(archive, "w:gz") as tf:  # live file first in the archive
        _add(tf, "var/log/messages", f"Jan  1 00:00:01 h {DROP}\n".encode())
        _add(tf, "var/log/messages.1", f"Dec 31 23:59:59 h {DROP}\n".encode())
    ev = cf.load(archive).events  # member mtimes say 2018-01-03
    got = dict(zip(ev["source"].str.rsplit("/", n=1).str[-1], ev["time"], strict=True))
    assert got["messages.1"] == pd.Timestamp("2017-12-31T23:59:59Z")
    assert got["messages"] == pd.Timestamp("2018-01-01T00:00:01Z")


def test_unsafe_members_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tf:
        _add(tf, "../../etc/passwd", b"root:x:0:0::/root:/bin/bash\n")
        _add(tf, "/abs/messages", f"Apr 27 00:03:27 h {DROP}\n".encode())
        link = tarfile.TarInfo("var/log/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tf.addfile(link)
        _add(tf, "var/log/messages", f"Apr 27 00:03:27 h {DROP}\n".encode())
    r = cf.load(archive, year=2017)
    assert len(r.events) == 1
    msgs = r.diagnostics["message"].tolist()
    assert msgs.count("archive member with an absolute or '..' path refused") == 2
    assert any("/etc/shadow" in m and "not followed" in m for m in msgs)


def test_localtime_link_in_archive_sets_zone(tmp_path: Path) -> None:
    archive = tmp_path / "host.tar"
    with tarfile.open(archive, "w") as tf:
        link = tarfile.TarInfo("etc/localtime")
        link.type = tarfile.SYMTYPE
        link.linkname = "../usr/share/zoneinfo/Asia/Shanghai"
        tf.addfile(link)
        _add(tf, "var/log/messages", f"Apr 27 00:03:27 bogon {DROP}\n".encode())
    r = cf.load(archive, year=2017)
    assert r.events["time"].iloc[0] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert r.settings.tz == "Asia/Shanghai"


def test_links_between_members_fold_into_one_note(tmp_path: Path) -> None:
    archive = tmp_path / "sosreport-bogon.tar"
    with tarfile.open(archive, "w") as tf:
        _add(tf, "sosreport-bogon/sos_commands/date/date", b"Thu Apr 27 00:15:02 UTC 2017\n")
        for name, target in [("date", "sos_commands/date/date"), ("uptime", "sos_commands/x")]:
            link = tarfile.TarInfo(f"sosreport-bogon/{name}")
            link.type = tarfile.SYMTYPE
            link.linkname = target
            tf.addfile(link)
    diag = cf.load(archive).diagnostics
    notes = diag.loc[diag["message"].str.startswith("symbolic links inside the archive")]
    assert notes[["path", "count"]].values.tolist() == [[archive.as_posix(), 2]]


def test_member_larger_than_the_replay_buffer_is_read_whole(tmp_path: Path) -> None:
    from conntrack_forensics.inputs.replay import REPLAY_CAP

    line = f"Apr 27 00:03:27 bogon {DROP}\n".encode()
    data = line * (2 * REPLAY_CAP // len(line) + 7)
    archive = tmp_path / "big.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "var/log/messages", data)
    r = cf.load(archive, year=2017)
    assert int(r.events["count"].sum()) == data.count(b"\n")
    assert r.diagnostics.loc[r.diagnostics["level"] != "info"].empty


def test_truncated_tar_keeps_earlier_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        _add(tf, "var/log/messages", f"Apr 27 00:03:27 h {DROP}\n".encode())
        _add(tf, "var/log/secure", __import__("os").urandom(50_000))
    archive = tmp_path / "cut.tar.gz"
    archive.write_bytes(gzip.compress(buf.getvalue())[:-600])
    r = cf.load(archive, year=2017)
    assert (r.events["kind"] == "conntrack_drop").sum() == 1
    assert (r.diagnostics["level"] == "error").any()


def test_nested_archive_not_opened(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("messages", f"Apr 27 00:03:27 h {DROP}\n")
    archive = tmp_path / "outer.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
    r = cf.load(archive, year=2017)
    assert len(r.events) == 0
    notes = r.diagnostics.loc[r.diagnostics["message"].str.startswith(
        "archive inside an archive not opened"), "path"].tolist()
    assert notes == [f"{archive.as_posix()}!/inner.zip"]


def test_archive_from_stdin(tmp_path: Path, monkeypatch) -> None:
    import sys

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        _add(tf, "var/log/messages", f"Apr 27 00:03:27 h {DROP}\n".encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buf.getvalue())))
    r = cf.load("-", year=2017)
    assert r.events["source"].tolist() == ["<stdin>!/var/log/messages"]
