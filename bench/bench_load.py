"""Benchmark: parse throughput and peak memory of ``cf.load`` / ``cf.analyze`` on syslog.

    python bench/bench_load.py [--lines 1000000] [--analyze]

Writes a synthetic RFC 3164 ``messages`` file (background lines with a drop burst in the
middle) to bench/out/, then reports lines per second and the process's peak RSS. Issue 6 sets
the targets; this script is how they are measured, not a unit test.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

import conntrack_forensics as cf

OUT = Path(__file__).resolve().parent / "out"
BACKGROUND = [
    "ntpd[1432]: 0.0.0.0 c615 05 clock_sync",
    "sshd[{pid}]: Accepted publickey for deploy from 10.20.30.41 port {port} ssh2",
    "kernel: hrtimer: interrupt took {n} ns",
    "CROND[{pid}]: (root) CMD (/usr/lib64/sa/sa1 1 1)",
    "postfix/qmgr[1811]: 9F2A31C0A2: removed",
]


def make(lines: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"messages-{lines}"
    if path.exists():
        return path
    rng = random.Random(1)
    burst_at = lines // 2
    with path.open("w") as fh:
        for i in range(lines):
            sec = i * 86400 // lines
            stamp = f"Apr 26 {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
            if burst_at <= i < burst_at + 2000:
                msg = "kernel: nf_conntrack: table full, dropping packet."
            else:
                msg = rng.choice(BACKGROUND).format(pid=rng.randint(1000, 30000),
                                                    port=rng.randint(40000, 60000),
                                                    n=rng.randint(9000, 90000))
            fh.write(f"{stamp} bogon {msg}\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--analyze", action="store_true", help="time the whole analysis too")
    args = ap.parse_args()
    path = make(args.lines)
    size = path.stat().st_size
    t0 = time.perf_counter()
    if args.analyze:
        result = cf.analyze(path, year=2017, tz="UTC")
        n = len(result.events)
        extra = f", {len(result.incidents)} incident(s)"
    else:
        n = len(cf.load(path, year=2017, tz="UTC").events)
        extra = ""
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.lines:,} lines ({size / 2**20:.0f} MiB): {n:,} events in {dt:.2f} s = "
          f"{args.lines / dt:,.0f} lines/s; peak RSS {rss:.0f} MiB{extra}")


if __name__ == "__main__":
    main()
