"""Full-parse speed of the formats besides RFC 3164 syslog, one core each (issue 17).

    python bench/formats.py [--records 500000] [--repeat 3] [--only rfc5424,dmesg]

Each input is generated once in ``bench/out/`` from the real background of
``../shared/data/loghub/Linux_2k.log`` (Loghub; attribution in that folder's README): its
messages re-stamped over 30 days, in the shape each format takes on a real host, with a
seeded conntrack incident (banner, drops, ``callbacks suppressed``) in the middle:

- ``rfc5424``: ``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`` (rsyslog's RFC 5424 template);
- ``journal-json``: ``journalctl -o json``, one object per line with the fields journald
  stores for a syslog and a kernel message;
- ``journal-export``: ``journalctl -o export``, the same entries as ``KEY=value`` lines;
- ``audit``: ``/var/log/audit/audit.log``, an ``execve`` event (SYSCALL, EXECVE, CWD, PATH,
  PROCTITLE records) every few user or service records;
- ``dmesg``: the kernel ring as ``dmesg`` prints it, ``[seconds.micros] message``.

The rate is the file's text lines over the seconds ``load(full=True)`` took under ``taskset -c
0``, timed inside the interpreter, best of ``--repeat`` runs; the target is 500,000 lines per
second. The records the tool counts as read (``InputSummary.records``) are printed beside it:
a line for the line formats and audit, an entry for the journal formats (one line of ``-o
json``, about 13 lines of ``-o export``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, PARSE, background, print_rows, run_python  # noqa: E402

TARGET = 500_000
START = dt.datetime(2017, 4, 1, tzinfo=dt.timezone.utc)
SPAN = 30 * 86400
HOST = "bogon"
BOOT = "4f7c2e9a1d3b4c5e8f6a7b9c0d1e2f3a"
MACHINE = "ec2a6f1e3b9d4c7a8e5f0b1c2d3e4f5a"


def _messages(count: int) -> Iterator[tuple[dt.datetime, str, int, str]]:
    """(time, program, pid, message) of ``count`` records, the incident in the middle."""
    lines = background()
    rng = random.Random(count)
    incident = count // 2
    for i in range(count):
        t = START + dt.timedelta(seconds=i * SPAN / count)
        if i == incident - 5:
            yield t, "kernel", 0, "nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"
        elif incident <= i < incident + 3000:
            if (i - incident) % 11 == 10:
                burst = rng.randint(100, 3000)
                yield t, "kernel", 0, f"net_ratelimit: {burst} callbacks suppressed"
            else:
                yield t, "kernel", 0, "nf_conntrack: nf_conntrack: table full, dropping packet"
        else:
            text = lines[i % len(lines)]
            program, _, message = text.partition(": ")
            name, _, pid = program.partition("[")
            digits = pid.rstrip("]")
            yield t, name or "kernel", int(digits) if digits.isdigit() else 0, message


def _rfc5424(count: int) -> Iterator[str]:
    for n, (t, prog, pid, msg) in enumerate(_messages(count)):
        pri = "<4>" if prog == "kernel" else "<30>"
        yield (f"{pri}1 {t:%Y-%m-%dT%H:%M:%S}.{n * 7919 % 10**6:06d}+00:00 {HOST} {prog} "
               f"{pid or '-'} - - {msg}\n")


def _journal_fields(n: int, t: dt.datetime, prog: str, pid: int, msg: str) -> dict[str, str]:
    micros = int(t.timestamp()) * 10**6 + n * 7919 % 10**6
    mono = 254518 + n * 1000
    fields = {
        "__CURSOR": f"s=8d3c1f0b2a4e4c6f9e1d7a5b3c2f1e0d;i={n:x};b={BOOT};m={mono:x};"
                    f"t={micros:x};x={n * 2654435761 % 2**64:016x}",
        "__REALTIME_TIMESTAMP": str(micros),
        "__MONOTONIC_TIMESTAMP": str(mono),
        "_BOOT_ID": BOOT,
        "PRIORITY": "5" if prog == "kernel" else "6",
        "SYSLOG_FACILITY": "0" if prog == "kernel" else "3",
        "SYSLOG_IDENTIFIER": prog,
    }
    if prog == "kernel":
        fields["_TRANSPORT"] = "kernel"
    else:
        fields.update({"_TRANSPORT": "syslog", "_PID": str(pid or 1), "_UID": "0", "_GID": "0",
                       "_COMM": prog[:15], "_SYSTEMD_UNIT": f"{prog}.service"})
    fields.update({"MESSAGE": msg, "_MACHINE_ID": MACHINE, "_HOSTNAME": HOST})
    return fields


def _journal_json(count: int) -> Iterator[str]:
    for n, (t, prog, pid, msg) in enumerate(_messages(count)):
        yield json.dumps(_journal_fields(n, t, prog, pid, msg), separators=(",", ":")) + "\n"


def _journal_export(count: int) -> Iterator[str]:
    for n, (t, prog, pid, msg) in enumerate(_messages(count)):
        fields = _journal_fields(n, t, prog, pid, msg)
        yield "".join(f"{k}={v}\n" for k, v in fields.items()) + "\n"


def _audit(count: int) -> Iterator[str]:
    serial = 4500
    rng = random.Random(7)
    n = 0
    while n < count:
        t = START + dt.timedelta(seconds=n * SPAN / count)
        stamp = f"audit({t.timestamp():.3f}:{serial})"
        serial += 1
        if n % 8 == 7:  # an execve event: five records
            cmd = rng.choice([("iptables", "-t", "nat", "-L"), ("ls", "-la", "/tmp"),
                              ("systemctl", "status", "httpd"), ("modprobe", "nf_conntrack")])
            args = " ".join(f'a{i}="{a}"' for i, a in enumerate(cmd))
            title = " ".join(cmd).encode().hex().upper()
            yield (f"type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 "
                   "a0=1e3c0f0 a1=1e3d2a0 a2=1e3b010 a3=7ffd8 items=2 ppid=2791 "
                   f"pid={3000 + n % 900} "
                   f"auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 "
                   f'ses=1 comm="{cmd[0]}" exe="/sbin/{cmd[0]}" '
                   f"subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"exec\"\n")
            yield f"type=EXECVE msg={stamp}: argc={len(cmd)} {args}\n"
            yield f'type=CWD msg={stamp}:  cwd="/root"\n'
            yield (f'type=PATH msg={stamp}: item=0 name="/sbin/{cmd[0]}" inode=33575 dev=fd:00 '
                   "mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n")
            yield f"type=PROCTITLE msg={stamp}: proctitle={title}\n"
            n += 5
        else:
            yield (f"type=USER_ACCT msg={stamp}: pid=2790 uid=0 auid=4294967295 ses=4294967295 "
                   "subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:accounting "
                   'grantors=pam_unix,pam_localuser acct="root" exe="/usr/sbin/sshd" '
                   "hostname=10.0.0.5 addr=10.0.0.5 terminal=ssh res=success'\n")
            n += 1


def _dmesg(count: int) -> Iterator[str]:
    for n, (_t, _prog, _pid, msg) in enumerate(_messages(count)):
        seconds = 3.0 + n * SPAN / count
        yield f"[{seconds:12.6f}] {msg}\n"


FORMATS: dict[str, Callable[[int], Iterator[str]]] = {
    "rfc5424": _rfc5424, "journal-json": _journal_json, "journal-export": _journal_export,
    "audit": _audit, "dmesg": _dmesg,
}


def make(fmt: str, records: int) -> Path:
    """The ``fmt`` input of about ``records`` records in ``bench/out/`` (written once)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{fmt}-{records}"
    if not path.exists():
        tmp = path.with_suffix(".part")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(FORMATS[fmt](records))
        tmp.rename(path)
    return path


def measure(fmt: str, records: int, repeat: int) -> tuple[str, str, str, bool]:
    """One row of the results table: the best full parse of ``fmt`` on one core."""
    path = make(fmt, records)
    run = run_python(PARSE.format(path=str(path)), repeat, one_core=True)
    best = min((float(out.split()[2]), out) for out, _kernel in run.outputs)[1]
    _events, got, seconds = best.split()
    with path.open("rb") as fh:
        lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b""))
    rate = lines / float(seconds)
    size = path.stat().st_size / 2**20
    return (f"full parse {fmt}, one core ({size:.0f} MiB)",
            f"{lines:,} lines ({int(got):,} records) in {float(seconds):.2f} s = "
            f"{rate:,.0f} lines/s ({int(got) / float(seconds):,.0f} records/s)",
            f">= {TARGET:,} lines/s", rate >= TARGET)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated formats (default: all)")
    args = ap.parse_args()
    chosen = args.only.split(",") if args.only else list(FORMATS)
    rows = [measure(fmt, args.records, args.repeat) for fmt in chosen]
    print_rows(list(rows))
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
