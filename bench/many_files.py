"""Benchmark: many small files, as a fleet's logs, sosreports or a log server's tree hold them.

Writes N small log files (a few lines each) under 50 host directories, a third each of RFC
3164 syslog, ``journalctl -o json`` and RFC 5424, one host with a short conntrack incident, then
runs ``python -m conntrack_forensics report TREE -o OUT --format json`` on them in a child
process per size and prints its wall time and peak resident memory, with PASS or FAIL against
issue 17's targets:

- 10,000 files reported in 10 s or less;
- time linear in the file count: 10,000 files at most 11x the time of 1,000;
- peak memory flat in it: 10,000 files within 25% of 1,000.

The report must find the one incident each time (it is checked). Trees are kept in
``bench/out/many-N`` and reused.

Usage: ``python bench/many_files.py [--sizes 1000,10000]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import print_rows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOSTS = 50
LINES = 5
MAX_SECONDS_10K = 10.0
MAX_GROWTH = 11.0
MAX_RSS_RATIO = 1.25
START = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)


def build(tree: Path, n: int) -> None:
    """Write ``n`` small files under ``tree``; file ``i`` belongs to host ``i % 50``."""
    for i in range(n):
        host = f"node-{i % HOSTS:02d}"
        logs = tree / host / "var" / "log"
        logs.mkdir(parents=True, exist_ok=True)
        t0 = START + dt.timedelta(minutes=i)
        stamps = [t0 + dt.timedelta(seconds=k) for k in range(LINES)]
        kind = i % 3
        if kind == 0:
            text = "".join(f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} kernel: eth0: link is up "
                           f"({k})\n" for k, t in enumerate(stamps))
            (logs / f"messages-{i:05d}").write_text(text, encoding="utf-8")
        elif kind == 1:
            text = "".join(json.dumps({
                "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1e6)), "_HOSTNAME": host,
                "SYSLOG_IDENTIFIER": "systemd", "PRIORITY": "6",
                "MESSAGE": f"Started session {i}-{k} of user ops."}) + "\n"
                for k, t in enumerate(stamps))
            (logs / f"journal-{i:05d}.json").write_text(text, encoding="utf-8")
        else:
            text = "".join(f"<30>1 {t:%Y-%m-%dT%H:%M:%S}.000000+00:00 {host} app 4242 - - "
                           f"request {i}-{k} served\n" for k, t in enumerate(stamps))
            (logs / f"app-{i:05d}.log").write_text(text, encoding="utf-8")
    t = START + dt.timedelta(minutes=n // 2)
    drops = "".join(f"{t:%b} {t.day:2d} {t:%H:%M:%S} node-07 kernel: nf_conntrack: table "
                    "full, dropping packet\n" for _ in range(3))
    (tree / "node-07" / "var" / "log" / "kern.log").write_text(drops, encoding="utf-8")


def run(tree: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and incidents of one report of ``tree``."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "conntrack_forensics", "report", str(tree), "-o", str(out),
         "--format", "json", "--year", "2024"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"report failed on {tree}: {err}")
    incidents = len(json.loads((out / "postmortem.json").read_text())["incidents"])
    return seconds, usage.ru_maxrss / 1024, incidents  # KiB on Linux


Row = tuple[str, str, str, "bool | None"]


def measure(sizes: list[int]) -> list[Row]:
    """Report each size's tree; the rows of the results table (name, measured, goal, ok)."""
    got: dict[int, tuple[float, float]] = {}
    rows: list[Row] = []
    for n in sizes:
        tree = OUT / f"many-{n}"
        if not tree.exists():
            build(tree, n)
        out = OUT / f"many-{n}-report"
        shutil.rmtree(out, ignore_errors=True)
        seconds, rss, incidents = run(tree, out)
        got[n] = (seconds, rss)
        rows.append((f"report {n:,} small files", f"{seconds:.1f} s, peak RSS {rss:.0f} MB, "
                     f"{incidents} incident(s)", "the one incident", incidents == 1))
    if 10_000 in got:
        s = got[10_000][0]
        rows.append(("report 10,000 small files", f"{s:.1f} s", f"<= {MAX_SECONDS_10K:.0f} s",
                     s <= MAX_SECONDS_10K))
    if 1_000 in got and 10_000 in got:
        growth = got[10_000][0] / got[1_000][0]
        ratio = got[10_000][1] / got[1_000][1]
        rows.append(("time 10,000 / 1,000 files", f"{growth:.2f}", f"<= {MAX_GROWTH}",
                     growth <= MAX_GROWTH))
        rows.append(("peak RSS 10,000 / 1,000 files",
                     f"{got[10_000][1]:.0f} / {got[1_000][1]:.0f} MB = {ratio:.2f}",
                     f"<= {MAX_RSS_RATIO} (flat)", ratio <= MAX_RSS_RATIO))
    return rows


def main() -> int:
    """Build, run each size, print the figures and the verdicts; 0 when all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="file counts (default %(default)s)")
    args = parser.parse_args()
    rows = measure([int(s) for s in args.sizes.split(",")])
    print_rows(rows)
    return 0 if all(r[3] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
