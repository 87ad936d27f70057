"""Host-less application logs stamped with a date and time are not syslog (issue 14)."""

from __future__ import annotations

import shutil
from pathlib import Path

import conntrack_forensics as cf
from conntrack_forensics.parsers import parsers
from conntrack_forensics.parsers.base import Head
from tests.conftest import DATA
from tests.parsers.helpers import run_parser

_DIR = DATA / "timestamped_text"


def _pick(path: Path) -> str:
    head = Head.from_bytes(path.name, path.read_bytes())
    scores = {name: p.sniff(head) for name, p in parsers().items()}
    return max(scores, key=lambda n: scores[n])


def test_dpkg_log() -> None:
    path = _DIR / "dpkg.log"
    assert _pick(path) == "timestamped_text"
    raw, ctx = run_parser("timestamped_text", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (7, 0, 7)
    assert raw["host"].isna().all() and raw["pid"].isna().all()
    assert raw["iso"].iloc[6] == "2024-03-01 08:00:06"
    assert raw["message"].iloc[6] == "status installed libc6:amd64 2.36-9"


def test_openstack_log_with_a_traceback() -> None:
    path = _DIR / "nova-compute.log"
    assert _pick(path) == "timestamped_text"
    raw, ctx = run_parser("timestamped_text", path)
    # the four lines of the bare traceback belong to the record above them
    assert (ctx.records, ctx.skipped, len(raw)) == (6, 0, 6) and not ctx.diag.rows
    assert raw["line"].tolist() == [1, 2, 3, 4, 5, 10]
    assert raw["pid"].tolist() == [12345] * 5 + [12346]
    assert raw["host"].isna().all()
    assert raw["message"].iloc[1].startswith("WARNING nova.compute.resource_tracker ")
    assert raw["iso"].iloc[0] == "2024-03-01 08:00:05.123"
    assert raw["message"].iloc[4].split("\n")[1:] == (
        _DIR / "nova-compute.log").read_text().split("\n")[5:9]


def test_lines_before_the_first_stamp_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("garbage\n2024-03-01 08:00:05,123 INFO started\nTraceback (x):\n")
    raw, ctx = run_parser("timestamped_text", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (2, 1, 1)
    assert raw["message"].iloc[0] == "INFO started\nTraceback (x):"


def test_syslog_files_stay_syslog() -> None:
    for name in ("rfc3339.log", "rfc3164.log", "journalctl_short.txt", "chromeos_messages"):
        assert _pick(DATA / "syslog" / name) == "syslog", name


def test_application_logs_take_their_trees_host_and_make_no_phantom_hosts(
        tmp_path: Path) -> None:
    """An OpenStack sosreport once reported 313 hosts: its pids read as host names."""
    root = tmp_path / "sosreport-compute-1"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("compute-1\n")
    logs = root / "var" / "log"
    (logs / "nova").mkdir(parents=True)
    shutil.copy(_DIR / "nova-compute.log", logs / "nova" / "nova-compute.log")
    shutil.copy(_DIR / "dpkg.log", logs / "dpkg.log")
    (logs / "syslog").write_text(
        "2024-03-01T08:00:01.000000+00:00 compute-1 kernel: [ 12.0] Linux version 6.1.0\n")
    loaded = cf.load(root, tz="UTC", full=True)
    events = loaded.events
    assert set(events["host"].dropna()) == {"compute-1"}
    assert events["host"].notna().all()
    formats = events.groupby("source", observed=True)["format"].first()
    assert {Path(s).name: f for s, f in formats.items()} == {
        "nova-compute.log": "timestamped_text", "dpkg.log": "timestamped_text",
        "syslog": "syslog"}
    first = events[events["format"] == "timestamped_text"]["time"].min()
    assert str(first) == "2024-03-01 08:00:04+00:00"
