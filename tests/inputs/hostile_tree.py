"""A hostile evidence tree: one real incident among everything a broken machine can leave.

Built by :func:`build` under a directory the caller owns (``tmp_path``); used by
``test_hostile.py`` and ``bench/hostile.py``. Each oddity's path is returned by name, so a test
can ask that a diagnostic names it.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import shutil
import socket
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "bogon-nat-listing"
#: A line from a host of its own, with a full time stamp (no zone or year to infer).
ODD_LINE = b"2017-04-26T10:00:00+00:00 oddhost app: a message in an oddly named file\n"
MiB = 2**20


def _gzip_zeros_member(size: int) -> bytes:
    """One gzip member of ``size`` zero bytes, compressed as it streams (never held whole)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(MiB)
    out = [comp.compress(chunk) for _ in range(size // MiB)]
    out.append(comp.flush())
    return b"".join(out)


def _write_bomb(path: Path, head: bytes, gib: int, kind: str = "gzip") -> None:
    """A small file whose data is ``head`` then ``gib`` GiB of zero bytes.

    The zeros are 64 MiB compressed once (as they stream), the result repeated: gzip, bzip2
    and xz all read concatenated members as one stream.
    """
    if kind == "gzip":
        member, first = _gzip_zeros_member(64 * MiB), gzip.compress(head)
    else:
        comp = bz2.BZ2Compressor() if kind == "bzip2" else lzma.LZMACompressor(preset=0)
        chunk = bytes(MiB)
        member = b"".join([comp.compress(chunk) for _ in range(64)] + [comp.flush()])
        first = bz2.compress(head) if kind == "bzip2" else lzma.compress(head)
    with open(path, "wb") as fh:
        fh.write(first)
        for _ in range(gib * 16):
            fh.write(member)


def _write_long_line(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        fh.write(b"2017-04-26T10:00:01+00:00 oddhost app: ")
        block = b"A" * MiB
        for _ in range(size // MiB):
            fh.write(block)
        fh.write(b"\n2017-04-26T10:00:02+00:00 oddhost app: after the long line\n")


def _tar_with_traversal(path: Path) -> None:
    with tarfile.open(path, "w") as tf:
        for name in ("../../escaped.log", "/etc/absolute.log", "ok/../../../up.log"):
            info = tarfile.TarInfo(name)
            info.size = len(ODD_LINE)
            tf.addfile(info, io.BytesIO(ODD_LINE))
        link = tarfile.TarInfo("var/log/shadow-link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tf.addfile(link)
        hard = tarfile.TarInfo("var/log/hard-link")
        hard.type, hard.linkname = tarfile.LNKTYPE, "../../../etc/passwd"
        tf.addfile(hard)
        dev = tarfile.TarInfo("dev/zero")
        dev.type, dev.devmajor, dev.devminor = tarfile.CHRTYPE, 1, 5
        tf.addfile(dev)


def _zip_with_traversal(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("../../escaped.log", "/absolute.log", "..\\..\\windows.log"):
            zf.writestr(name, ODD_LINE)


def _special_files(odd: Path) -> dict[str, Path]:
    made: dict[str, Path] = {}
    os.mkfifo(odd / "fifo")
    made["fifo"] = odd / "fifo"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(odd / "sock"))
        made["socket"] = odd / "sock"
    except OSError:  # a path too long for a socket address
        pass
    finally:
        sock.close()
    try:
        os.mknod(odd / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        made["device"] = odd / "null-device"
    except (OSError, AttributeError):  # not root: no device of our own
        pass
    (odd / "zero").symlink_to("/dev/zero")
    made["link_to_device"] = odd / "zero"
    (odd / "fifo-link").symlink_to("fifo")
    made["link_to_fifo"] = odd / "fifo-link"
    return made


def build(root: Path, *, bomb_gib: int = 4, long_line_mib: int = 64) -> dict[str, Path]:
    """Build the tree under ``root``; the paths of its oddities by name."""
    root.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    shutil.copytree(SAMPLE, root / "bogon-nat-listing")
    odd = root / "odd"
    odd.mkdir()
    (odd / "loop-a").symlink_to("loop-b")
    (odd / "loop-b").symlink_to("loop-a")
    made["file_loop"] = odd / "loop-a"
    (odd / "dir-loop").mkdir()
    (odd / "dir-loop" / "down").symlink_to("../dir-loop")  # a link to a directory
    (odd / "dir-loop" / "x").symlink_to("y/x")
    (odd / "dir-loop" / "y").symlink_to("x/y")  # two links each through the other
    made["dir_loop"] = odd / "dir-loop" / "x"
    (odd / "dangling").symlink_to("/nonexistent/conntrack-forensics/messages")
    made["dangling"] = odd / "dangling"
    made.update(_special_files(odd))
    (odd / "locked").write_bytes(ODD_LINE)
    (odd / "locked").chmod(0)
    made["unreadable"] = odd / "locked"
    (odd / "locked-dir").mkdir()
    (odd / "locked-dir" / "messages").write_bytes(ODD_LINE)
    (odd / "locked-dir").chmod(0)
    made["unreadable_dir"] = odd / "locked-dir"
    (odd / "vanishing").write_bytes(ODD_LINE)
    made["vanishing"] = odd / "vanishing"
    bad = os.fsencode(odd) + b"/bad-\xff\xfe-name.log"
    with open(bad, "wb") as fh:
        fh.write(ODD_LINE)
    made["not_utf8"] = Path(os.fsdecode(bad))
    for key, name in (("newline", "new\nline.log"), ("quotes", "it's \"quoted\".log"),
                      ("subshell", "$(touch pwned).log"), ("glob", "*?[.log")):
        (odd / name).write_bytes(ODD_LINE)
        made[key] = odd / name
    (odd / "nul-filled").write_bytes(bytes(8 * MiB))
    made["nul_filled"] = odd / "nul-filled"
    (odd / "journal.json").write_bytes(
        b'{"__REALTIME_TIMESTAMP":"1493222400000000","_HOSTNAME":"oddhost","MESSAGE":"hi"}\n'
        b'{"__REALTIME_TIMESTAMP":"1493222401000000","_HOSTNAME":"oddhost","MESS\n'
        b'{"__REALTIME_TIMESTAMP": oops}\n')
    made["broken_journal"] = odd / "journal.json"
    hostile = root / "hostile"
    hostile.mkdir()
    _write_bomb(hostile / "bomb.log.gz", b"2017-04-26T10:00:03+00:00 oddhost app: bomb\n", bomb_gib)
    made["bomb"] = hostile / "bomb.log.gz"
    _write_bomb(hostile / "bomb.log.bz2", b"2017-04-26T10:00:04+00:00 oddhost app: bz2 bomb\n",
                bomb_gib, "bzip2")
    made["bz2_bomb"] = hostile / "bomb.log.bz2"
    _write_bomb(hostile / "bomb.log.xz", b"2017-04-26T10:00:05+00:00 oddhost app: xz bomb\n",
                bomb_gib, "xz")
    made["xz_bomb"] = hostile / "bomb.log.xz"
    _write_long_line(hostile / "long-line.log", long_line_mib * MiB)
    made["long_line"] = hostile / "long-line.log"
    _tar_with_traversal(hostile / "evil.tar")
    made["tar"] = hostile / "evil.tar"
    _zip_with_traversal(hostile / "evil.zip")
    made["zip"] = hostile / "evil.zip"
    return made


def unlock(root: Path) -> None:
    """Make the locked files and directories removable again."""
    for path in (root / "odd" / "locked", root / "odd" / "locked-dir"):
        if path.exists():
            path.chmod(0o700)
