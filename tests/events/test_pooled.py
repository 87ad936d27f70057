"""Small files framed together give each file the rows it would have alone."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import tarfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.events import pooled, processes, read

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


def test_worker_processes_give_the_answer_of_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # small files read by spawned workers in chunks of 3, a compressed one and an archive
    # read here meanwhile: every table, diagnostic, summary and setting is the same
    tree = _tree(tmp_path / "tree", 30)
    with gzip.open(tree / "node-1" / "var" / "log" / "messages.1.gz", "wt") as fh:
        fh.write("May  1 09:00:00 node-1 kernel: nf_conntrack version 0.5.0 (16384 buckets, "
                 "65536 max)\n")
    (tree / "node-0" / "garbage.bin").write_bytes(b"\x00\x01\x02 not a log" * 10)
    with tarfile.open(tmp_path / "extra.tar", "w") as tar:
        tar.add(DATA / "dmesg" / "dmesg.txt", arcname="host9/dmesg.txt")
    monkeypatch.setattr(processes, "MIN_FILES", 10)
    monkeypatch.setattr(processes, "CHUNK", 3)
    tasks: list[int] = []

    class Counted(ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            tasks.append(len(args[0]))
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(processes, "ProcessPoolExecutor", Counted)
    inputs = [tree, tmp_path / "extra.tar"]
    one = cf.load(inputs, processes=1)
    assert not tasks
    many = cf.load(inputs, processes=2)
    assert len(tasks) > 5 and max(tasks) == 3  # the small files went to the workers
    pd.testing.assert_frame_equal(one.events, many.events)
    pd.testing.assert_frame_equal(one.diagnostics, many.diagnostics)
    assert [vars(i) for i in one.inputs] == [vars(i) for i in many.inputs]
    assert vars(one.settings) == vars(many.settings)


def test_without_worker_processes_the_files_are_read_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path, 12)
    monkeypatch.setattr(processes, "MIN_FILES", 5)

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("no /dev/shm")

    monkeypatch.setattr(processes, "ProcessPoolExecutor", refuse)
    got = cf.load(tree, processes=2)
    alone = cf.load(tree, processes=1)
    pd.testing.assert_frame_equal(alone.events, got.events)
    notes = got.diagnostics[got.diagnostics["message"].str.contains("worker processes")]
    assert len(notes) == 1 and "no /dev/shm" in notes["message"].iloc[0]


def test_a_file_whose_rows_no_frame_can_hold_is_said_not_raised(tmp_path: Path) -> None:
    # a journal line whose MESSAGE escapes a lone surrogate: no text column can hold it; the
    # file beside it in the same pool is read as ever, the bad one is an error diagnostic
    line = ('{"__REALTIME_TIMESTAMP":"1710399491204518","_HOSTNAME":"h",'
            '"SYSLOG_IDENTIFIER":"x","MESSAGE":"%s"}\n')
    (tmp_path / "a.json").write_text("".join(line % f"fine {i}" for i in range(3)))
    (tmp_path / "b.json").write_text(line % "fine" + line % "bad \\ud800 here")
    got = cf.load(tmp_path, full=True)
    assert got.events["source"].str.endswith("a.json").sum() == 3
    assert not got.events["source"].str.endswith("b.json").any()
    errors = got.diagnostics[got.diagnostics["level"] == "error"]
    assert errors["path"].str.endswith("b.json").tolist() == [True]
    assert "parser failed" in errors["message"].iloc[0]
