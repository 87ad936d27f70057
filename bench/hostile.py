"""Benchmark: the report of a hostile evidence tree within 60 s and 400 MB peak memory.

Builds the tree of ``tests/inputs/hostile_tree.py`` (the bogon-nat-listing incident beside
link loops, FIFOs, devices, gzip/bzip2/xz bombs of 4 GiB each, a 64 MB line, hostile archives,
odd names) in a temporary directory, runs ``python -m conntrack_forensics report TREE -o OUT``
in a child process, and prints its wall time, its peak resident memory, and PASS or FAIL.

Usage: ``python bench/hostile.py [--keep DIR]``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inputs import hostile_tree  # noqa: E402

MAX_SECONDS = 60.0
MAX_RSS_MB = 400.0


def main() -> int:
    """Build, run, measure; 0 when within both bounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    tree = work / "evidence"
    try:
        if not tree.exists():
            hostile_tree.build(tree)
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "conntrack_forensics", "report", str(tree), "-o",
             str(work / "out")], cwd=ROOT, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - start
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    finally:
        if args.keep is None:
            hostile_tree.unlock(tree)
            shutil.rmtree(work, ignore_errors=True)
    ok = proc.returncode == 0 and seconds <= MAX_SECONDS and rss_mb <= MAX_RSS_MB
    print(f"exit {proc.returncode}, {seconds:.1f} s (limit {MAX_SECONDS:.0f}), peak RSS "
          f"{rss_mb:.0f} MB (limit {MAX_RSS_MB:.0f}): {'PASS' if ok else 'FAIL'}")
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
