"""Build tests/data/journal_file/: real binary journal files, written by systemd's own tools.

    python tools/make_journal_files.py [--remote /lib/systemd/systemd-journal-remote]

The journals' content is written here as journal export text (``journalctl -o export``, the
format ``systemd-journal-remote`` reads): a CentOS 7 web server whose operator's
``sudo iptables -t nat -L`` loads nf_conntrack and fills its table, then a reboot; and an Ubuntu
22.04 NAT gateway. ``systemd-journal-remote`` turns each text into a ``.journal`` file, which is
gzipped (a journal file is 8 MiB, nearly all zeros) into:

* ``web-03.journal.gz``: the CentOS 7 node, two boots;
* ``system@<seqnum id>-<first seqnum>-<first time>.journal~.gz``: the gateway, named like an
  archived journal (journald's ``system@...`` pattern, with the ``~`` of a file set aside);
* ``web-03-truncated.journal.gz``: ``web-03.journal`` cut short (a damaged copy);
* ``k8s-node-7.journal.gz``: ``tests/data/journal_export/k8s-node-7.export`` converted.

The export texts are deterministic (``export_text``), and so are the gzip wrappers; what systemd
writes is not: the journal files carry random file and sequence-number IDs (and the cursors
journalctl prints derive from them), so each run gives different bytes for the same entries.
The committed ``.gz`` files are the test inputs; tests/parsers/test_journal_file.py rebuilds
the export texts with this module to compare the events parsed from both.

The journals are written without the newer incompatible features (compact mode, keyed hashes,
compression) so that journalctl back to CentOS 7's systemd 219 can read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "journal_file"
K8S_EXPORT = ROOT / "tests" / "data" / "journal_export" / "k8s-node-7.export"
UTC = dt.timezone.utc
REMOTE_CANDIDATES = (
    "/lib/systemd/systemd-journal-remote",
    "/usr/lib/systemd/systemd-journal-remote",
)
#: Where ``struct Header`` keeps ``machine_id``: after the signature (8), the flags (4 + 4),
#: the state (1), 7 reserved bytes and the file ID (16).
MACHINE_ID_OFFSET = 40
#: Journal file features journalctl of old systemd versions cannot read, turned off.
COMPAT_ENV = {"SYSTEMD_JOURNAL_COMPACT": "0", "SYSTEMD_JOURNAL_KEYED_HASH": "0"}

WEB = "web-03"
WEB_MACHINE = "8a2f4c1e9b7d4e3fa6c5b0d1e2f3a4b5"
WEB_BOOT_A = "3c9e1f7a2b4d4c8e9f0a1b2c3d4e5f60"
WEB_BOOT_B = "d41b7e2c9f3a4b6c8e1d0f2a3b5c7e9d"
WEB_SEQNUM_ID = "5e0a7c3b1d9f4e2a8c6b4d2f0e1a3c5b"
GW = "natgw-1"
GW_MACHINE = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
GW_BOOT = "7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2"
GW_SEQNUM_ID = "6b1f0c2d9a8e4f7b8c3d2e1f0a9b8c7d"
K8S_MACHINE = "ec2a6f1e3b9d4c7a8e5f0b1c2d3e4f5a"  # the _MACHINE_ID of k8s-node-7.export

DROP = "nf_conntrack: nf_conntrack: table full, dropping packet"
CENTOS_KERNEL = ("Linux version 3.10.0-1160.95.1.el7.x86_64 (mockbuild@kbuilder.bsys.centos.org) "
                 "(gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) ) #1 SMP Mon Jul 24 "
                 "13:59:37 UTC 2023")
CENTOS_CMDLINE = ("Command line: BOOT_IMAGE=/vmlinuz-3.10.0-1160.95.1.el7.x86_64 "
                  "root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root "
                  "rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8")
SYSTEMD_219 = ("systemd 219 running in system mode. (+PAM +AUDIT +SELINUX +IMA -APPARMOR +SMACK "
               "+SYSVINIT +UTMP +LIBCRYPTSETUP +GCRYPT +GNUTLS +ACL +XZ +LZ4 -SECCOMP +BLKID "
               "+ELFUTILS +KMOD +IDN)")
UBUNTU_KERNEL = ("Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) (gcc (Ubuntu "
                 "11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) "
                 "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 (Ubuntu 5.15.0-91.101-generic "
                 "5.15.131)")

Fields = list[tuple[str, "str | bytes"]]


@dataclass
class Journal:
    """Entries of one host's journal, numbered and cursored as journald would."""

    host: str
    machine: str
    seqnum_id: str
    entries: list[Fields] = field(default_factory=list)
    boots: dict[str, dt.datetime] = field(default_factory=dict)  # boot id -> boot time

    def boot(self, boot_id: str, at: dt.datetime) -> None:
        self.boots[boot_id] = at

    def add(self, boot_id: str, at: dt.datetime, message: str, extra: Fields) -> None:
        us = _us(at)
        mono = us - _us(self.boots[boot_id])
        seq = len(self.entries) + 1
        digest = hashlib.sha256(f"{self.seqnum_id}:{seq}:{message}".encode()).hexdigest()[:16]
        cursor = (f"s={self.seqnum_id};i={seq:x};b={boot_id};m={mono:x};t={us:x};"
                  f"x={digest.lstrip('0') or '0'}")
        self.entries.append([
            ("__CURSOR", cursor), ("__REALTIME_TIMESTAMP", str(us)),
            ("__MONOTONIC_TIMESTAMP", str(mono)), ("_BOOT_ID", boot_id), *extra,
            ("MESSAGE", message), ("_MACHINE_ID", self.machine), ("_HOSTNAME", self.host),
        ])

    def kernel(self, boot_id: str, at: dt.datetime, message: str, priority: int = 6) -> None:
        mono = _us(at) - _us(self.boots[boot_id])
        self.add(boot_id, at, message, [
            ("_SOURCE_MONOTONIC_TIMESTAMP", str(max(mono - 311, 0))), ("_TRANSPORT", "kernel"),
            ("PRIORITY", str(priority)), ("SYSLOG_FACILITY", "0"),
            ("SYSLOG_IDENTIFIER", "kernel"),
        ])

    def systemd(self, boot_id: str, at: dt.datetime, message: str) -> None:
        self.add(boot_id, at, message, [
            ("PRIORITY", "6"), ("SYSLOG_FACILITY", "3"), ("_UID", "0"), ("_GID", "0"),
            ("SYSLOG_IDENTIFIER", "systemd"), ("_TRANSPORT", "journal"), ("_PID", "1"),
            ("_COMM", "systemd"), ("_EXE", "/usr/lib/systemd/systemd"),
            ("_CMDLINE", "/usr/lib/systemd/systemd --switched-root --system --deserialize 22"),
            ("_SYSTEMD_CGROUP", "/"), ("_SYSTEMD_UNIT", "init.scope"),
            ("_SYSTEMD_SLICE", "-.slice"),
        ])

    def syslog(self, boot_id: str, at: dt.datetime, ident: str, pid: int, message: str,
               facility: int, exe: str, cmdline: str, unit: str) -> None:
        self.add(boot_id, at, message, [
            ("PRIORITY", "6" if ident != "sudo" else "5"), ("SYSLOG_FACILITY", str(facility)),
            ("SYSLOG_IDENTIFIER", ident), ("SYSLOG_PID", str(pid)), ("_TRANSPORT", "syslog"),
            ("_PID", str(pid)), ("_UID", "0"), ("_GID", "0"), ("_COMM", ident),
            ("_EXE", exe), ("_CMDLINE", cmdline), ("_SYSTEMD_CGROUP", f"/{unit}"),
            ("_SYSTEMD_UNIT", unit.rsplit("/", 1)[-1]),
            ("_SOURCE_REALTIME_TIMESTAMP", str(_us(at) - 93)),
        ])


def _us(t: dt.datetime) -> int:
    return int(t.timestamp()) * 1_000_000 + t.microsecond


def _t(y: int, mo: int, d: int, h: int, mi: int, s: int, us: int) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def web03() -> Journal:
    """CentOS 7 web server: boot, `sudo iptables -t nat -L`, conntrack fills, reboot, boot."""
    j = Journal(WEB, WEB_MACHINE, WEB_SEQNUM_ID)
    a = _t(2023, 9, 12, 6, 40, 11, 250117)
    j.boot(WEB_BOOT_A, a)
    j.kernel(WEB_BOOT_A, a, CENTOS_KERNEL, 5)
    j.kernel(WEB_BOOT_A, a + dt.timedelta(microseconds=1), CENTOS_CMDLINE)
    j.systemd(WEB_BOOT_A, a + dt.timedelta(seconds=2, microseconds=401233), SYSTEMD_219)
    j.systemd(WEB_BOOT_A, a + dt.timedelta(seconds=9, microseconds=8811),
              "Started The nginx HTTP and reverse proxy server.")
    login = _t(2023, 9, 14, 13, 2, 47, 118402)
    j.syslog(WEB_BOOT_A, login, "sshd", 21877,
             "Accepted publickey for admin from 10.20.0.15 port 51544 ssh2: RSA "
             "SHA256:Xb2pOq1x5Vt8b6y2N0kS1dQ3q0t7mR3L4wZ9cYkQe1E", 10, "/usr/sbin/sshd",
             "sshd: admin [priv]", "system.slice/sshd.service")
    nat = _t(2023, 9, 14, 13, 5, 2, 640019)
    j.syslog(WEB_BOOT_A, nat, "sudo", 21902,
             "   admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; "
             "COMMAND=/usr/sbin/iptables -t nat -L", 10, "/usr/bin/sudo",
             "sudo iptables -t nat -L", "user.slice/user-1000.slice/session-41.scope")
    j.kernel(WEB_BOOT_A, nat + dt.timedelta(microseconds=30511),
             "ip_tables: (C) 2000-2006 Netfilter Core Team")
    j.kernel(WEB_BOOT_A, nat + dt.timedelta(microseconds=41877),
             "nf_conntrack version 0.5.0 (65536 buckets, 262144 max)")
    # the burst: net_ratelimit lets ten lines through every five seconds and counts the rest
    first = _t(2023, 9, 14, 13, 5, 9, 3517)
    suppressed = (1234, 2876, 3310, 2954)
    for window, n in enumerate((None, *suppressed)):
        start = first + dt.timedelta(seconds=5 * window)
        if n is not None:
            j.kernel(WEB_BOOT_A, start, f"net_ratelimit: {n} callbacks suppressed", 4)
        for k in range(10):
            j.kernel(WEB_BOOT_A, start + dt.timedelta(microseconds=1000 + 173_201 * k), DROP, 4)
    down = _t(2023, 9, 14, 13, 6, 1, 500203)
    j.syslog(WEB_BOOT_A, down, "systemd-logind", 811, "System is rebooting.", 4,
             "/usr/lib/systemd/systemd-logind", "/usr/lib/systemd/systemd-logind",
             "system.slice/systemd-logind.service")
    j.systemd(WEB_BOOT_A, down + dt.timedelta(seconds=1, microseconds=20314),
              "Stopping The nginx HTTP and reverse proxy server...")
    j.systemd(WEB_BOOT_A, down + dt.timedelta(seconds=3, microseconds=7715),
              "Reached target Shutdown.")
    b = _t(2023, 9, 14, 13, 7, 18, 91044)
    j.boot(WEB_BOOT_B, b)
    j.kernel(WEB_BOOT_B, b, CENTOS_KERNEL, 5)
    j.kernel(WEB_BOOT_B, b + dt.timedelta(microseconds=1), CENTOS_CMDLINE)
    j.systemd(WEB_BOOT_B, b + dt.timedelta(seconds=2, microseconds=388120), SYSTEMD_219)
    j.systemd(WEB_BOOT_B, b + dt.timedelta(seconds=8, microseconds=937002),
              "Started The nginx HTTP and reverse proxy server.")
    return j


def natgw() -> Journal:
    """Ubuntu 22.04 NAT gateway: conntrack already loaded at boot, the table simply fills."""
    j = Journal(GW, GW_MACHINE, GW_SEQNUM_ID)
    a = _t(2024, 2, 3, 22, 15, 40, 701266)
    j.boot(GW_BOOT, a)
    j.kernel(GW_BOOT, a, UBUNTU_KERNEL, 5)
    j.syslog(GW_BOOT, a + dt.timedelta(seconds=14, microseconds=551002), "systemd-sysctl", 402,
             "Couldn't write '262144' to 'net/netfilter/nf_conntrack_max', ignoring: "
             "No such file or directory", 3, "/lib/systemd/systemd-sysctl",
             "/lib/systemd/systemd-sysctl", "system.slice/systemd-sysctl.service")
    burst = _t(2024, 2, 5, 9, 41, 12, 880412)
    for window, n in enumerate((None, 512, 1734)):
        start = burst + dt.timedelta(seconds=5 * window)
        if n is not None:
            j.kernel(GW_BOOT, start, f"net_ratelimit: {n} callbacks suppressed", 4)
        for k in range(10):
            j.kernel(GW_BOOT, start + dt.timedelta(microseconds=2000 + 151_733 * k), DROP, 4)
    return j


def export_text(entries: Sequence[Fields]) -> bytes:
    """Entries in the journal export format (values with a line feed, or bytes, as binary)."""
    out = bytearray()
    for fields in entries:
        for name, value in fields:
            if isinstance(value, str) and "\n" not in value:
                out += f"{name}={value}\n".encode()
            else:
                data = value.encode() if isinstance(value, str) else value
                out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        out += b"\n"
    return bytes(out)


def find_remote() -> str | None:
    """The path of systemd-journal-remote, if installed."""
    found = shutil.which("systemd-journal-remote")
    if found:
        return found
    for path in REMOTE_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


def build_journal(export: bytes, out: Path, remote: str | None = None,
                  machine_id: str | None = None) -> int:
    """Write the journal file ``out`` (its name ends in .journal) from export text; entries.

    systemd-journal-remote puts the machine ID of the host it runs on in the file's header;
    with ``machine_id`` (32 hex digits) that header field is set to the journal's own host
    instead, so the build machine's ID is not published. journalctl does not check it when
    reading.

    Raises:
        RuntimeError: systemd-journal-remote is missing or failed.
    """
    remote = remote or find_remote()
    if remote is None:
        raise RuntimeError("systemd-journal-remote is not installed")
    if out.exists():
        out.unlink()
    with tempfile.NamedTemporaryFile(suffix=".export") as src:
        src.write(export)
        src.flush()
        proc = subprocess.run(
            [remote, "--compress=no", "--seal=no", "--split-mode=none", f"--output={out}",
             src.name],
            capture_output=True, env={**os.environ, **COMPAT_ENV}, check=False,
        )
    err = proc.stderr.decode("utf-8", "replace")
    last = err.strip().rsplit("\n", 1)[-1]
    if proc.returncode != 0 or not last.startswith("Finishing after writing "):
        raise RuntimeError(f"systemd-journal-remote failed ({proc.returncode}): {err}")
    if machine_id is not None:
        with out.open("r+b") as fh:
            if fh.read(8) != b"LPKSHHRH":
                raise RuntimeError(f"{out} is not a journal file")
            fh.seek(MACHINE_ID_OFFSET)
            fh.write(bytes.fromhex(machine_id))
    return int(last.split()[3])


def write_gz(path: Path, data: bytes) -> None:
    """Gzip ``data`` to ``path`` reproducibly (no name, no time in the header)."""
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="",
                                                compresslevel=9) as fh:
        fh.write(data)


def archived_name(j: Journal) -> str:
    """``system@<seqnum id>-<first seqnum>-<first realtime>.journal~``, in hex."""
    first_us = int(dict(j.entries[0])["__REALTIME_TIMESTAMP"])
    return f"system@{j.seqnum_id}-{1:016x}-{first_us:016x}.journal~"


def truncated(data: bytes) -> bytes:
    """The journal cut in the middle of its used part (before its trailing zeros)."""
    used = len(data.rstrip(b"\x00"))
    return data[: used // 2]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--remote", help="path of systemd-journal-remote")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    web, gw = web03(), natgw()
    jobs = [
        ("web-03.journal", export_text(web.entries), len(web.entries), WEB_MACHINE),
        (archived_name(gw), export_text(gw.entries), len(gw.entries), GW_MACHINE),
        ("k8s-node-7.journal", K8S_EXPORT.read_bytes(), None, K8S_MACHINE),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, expected, machine in jobs:
            journal = Path(tmp) / (name[:-1] if name.endswith("~") else name)  # needs .journal
            written = build_journal(text, journal, args.remote, machine)
            if expected is not None and written != expected:
                raise SystemExit(f"{name}: wrote {written} entries, expected {expected}")
            data = journal.read_bytes()
            write_gz(args.out / f"{name}.gz", data)
            print(f"{name}.gz: {written} entries")
            if name == "web-03.journal":
                write_gz(args.out / "web-03-truncated.journal.gz", truncated(data))
                print("web-03-truncated.journal.gz")


if __name__ == "__main__":
    main()
