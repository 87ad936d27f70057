"""Small files framed together give each file the rows it would have alone."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.events import pooled, read

DATA = Path(__file__).resolve().parent.parent / "data"
START = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc)


def _tree(root: Path, files: int) -> Path:
    """Small files of three formats over two hosts, plain lines in shared minutes."""
    for i in range(files):
        host = f"node-{i % 2}"
        logs = root / host / "var" / "log"
        logs.mkdir(parents=True, exist_ok=True)
        stamps = [START + dt.timedelta(seconds=10 * k) for k in range(4)]
        if i % 3 == 0:
            (logs / f"messages-{i:03d}").write_text("".join(
                f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} sshd[42]: session opened {k}\n"
                for k, t in enumerate(stamps)))
        elif i % 3 == 1:
            (logs / f"journal-{i:03d}.json").write_text("".join(json.dumps({
                "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1e6)), "_HOSTNAME": host,
                "SYSLOG_IDENTIFIER": "systemd", "MESSAGE": f"Started unit {i}-{k}."}) + "\n"
                for k, t in enumerate(stamps)))
        else:
            (logs / f"app-{i:03d}.log").write_text("".join(
                f"<30>1 {t:%Y-%m-%dT%H:%M:%S}.000000+00:00 {host} app 7 - - served {k}\n"
                for k, t in enumerate(stamps)))
    # host-less evidence beside them: histories, the kernel ring, a snapshot and its clock
    for name in ("bash_history/timestamped", "dmesg/dmesg.txt", "date/date",
                 "sysctl/90-conntrack.conf", "host_config/timezone"):
        shutil.copy(DATA / name, root / "node-0" / name.replace("/", "-"))
    t = START + dt.timedelta(minutes=1)
    (root / "node-1" / "var" / "log" / "kern.log").write_text("".join(
        f"{t:%b} {t.day:2d} {t:%H:%M:%S} node-1 kernel: nf_conntrack: table full, dropping "
        "packet\n" for _ in range(3)))
    return root


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("pool_rows", [1, 7, 200_000])
def test_pooled_frames_match_framing_each_file_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full: bool, pool_rows: int) -> None:
    tree = _tree(tmp_path, 24)
    monkeypatch.setattr(read, "POOLED_ROWS", -1)  # every file framed on its own
    alone = cf.load(tree, year=2024, full=full)
    monkeypatch.setattr(read, "POOLED_ROWS", 5_000)
    monkeypatch.setattr(pooled, "POOL_ROWS", pool_rows)  # pools of one file, a few, or all
    together = cf.load(tree, year=2024, full=full)
    pd.testing.assert_frame_equal(alone.events, together.events)
    pd.testing.assert_frame_equal(alone.diagnostics, together.diagnostics)
    assert [vars(i) for i in alone.inputs] == [vars(i) for i in together.inputs]


def test_no_run_of_plain_lines_spans_two_files(tmp_path: Path) -> None:
    # two files of one host, their four plain lines each in the same minute: each file's
    # background row counts its own four lines, never the other's
    tree = _tree(tmp_path, 6)
    events = cf.load(tree, year=2024).events
    rows = events[(events["kind"] == "background") & events["source"].str.contains("messages")]
    assert len(rows) == 2
    assert rows["count"].tolist() == [4, 4]
    assert rows["source"].nunique() == 2
