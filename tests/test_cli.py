"""The command line as a user meets it: real subprocesses, exit codes, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conntrack_forensics import __version__
from conntrack_forensics.cli import main

DROP = "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conntrack_forensics", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True, text=True, timeout=120,
    )


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


@pytest.mark.parametrize("command", [[], ["report"], ["timeline"]])
def test_every_command_has_help(command: list[str]) -> None:
    r = CliRunner().invoke(main, [*command, "--help"])
    assert r.exit_code == 0 and "Usage:" in r.output and len(r.output) > 200


def test_list_formats() -> None:
    r = CliRunner().invoke(main, ["--list-formats"])
    assert r.exit_code == 0
    assert {"syslog", "bash_history", "host_config"} <= {ln.split()[0] for ln in
                                                          r.output.splitlines()}


def test_report_writes_three_files(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    out = tmp_path / "pm"
    r = run("report", str(log), "-o", str(out), "--year", "2017", "--tz", "+08:00")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["postmortem.html", "postmortem.json",
                                                      "postmortem.md"]
    assert "bogon-20170426T160327Z" in r.stdout
    assert f"wrote {out / 'postmortem.json'}" in r.stdout
    data = json.loads((out / "postmortem.json").read_text())
    assert data["incidents"][0]["start"] == "2017-04-26T16:03:27Z"


def test_report_json_only(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    r = run("report", str(log), "-o", str(tmp_path / "pm"), "--format", "json", "--year", "2017")
    assert r.returncode == 0
    assert [p.name for p in (tmp_path / "pm").iterdir()] == ["postmortem.json"]


def test_report_from_stdin(tmp_path: Path) -> None:
    r = run("report", "-", "-o", str(tmp_path), "--format", "json", "--year", "2017",
            stdin=DROP.encode())
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "postmortem.json").read_text())
    assert data["inputs"][0]["path"] == "<stdin>"
    assert len(data["incidents"]) == 1


def test_no_incident_is_success(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text("Apr 27 00:03:27 bogon ntpd[1]: synchronized\n")
    r = run("report", str(log), "-o", str(tmp_path / "pm"))
    assert r.returncode == 0
    assert "no conntrack table-full incident" in r.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "/no/such/path"], "does not exist"),
    (["report", "{log}", "--tz", "Nowhere/City"], "unknown time zone"),
    (["report", "{log}", "--year", "99"], "year out of range"),
    (["report", "{log}", "--format", "pdf"], "unknown report format"),
    (["report", "{log}", "--gap", "0"], "--gap"),
    (["report"], "Missing argument"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    r = run(*[a.replace("{log}", str(log)) for a in args], "-o", str(tmp_path / "pm")) \
        if args != ["report"] else run(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_unwritable_output_exits_1(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("report", str(log), "-o", str(blocker / "sub"))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "cannot write the report" in r.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "timesketch"])
def test_timeline_formats(tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP + "Apr 27 00:03:28 bogon ntpd[7]: hello\n")
    hist = tmp_path / ".bash_history"
    hist.write_text("ls\n")
    out = tmp_path / f"t.{fmt}"
    r = run("timeline", str(tmp_path), "--format", fmt, "-o", str(out), "--year", "2017")
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    if fmt == "jsonl":
        rows = [json.loads(x) for x in text.splitlines()]
        assert rows[0]["time"] == "2017-04-27T00:03:27Z" and rows[0]["kind"] == "conntrack_drop"
        assert len(rows) == 3
    elif fmt == "csv":
        assert text.splitlines()[0].startswith("time,host,kind,message")
        assert len(text.splitlines()) == 4
    else:
        assert text.splitlines()[0].startswith("message,datetime,timestamp,timestamp_desc")
        assert len(text.splitlines()) == 3
        assert "without a time left out" in r.stderr


def test_no_progress_bar_in_pipes(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    r = run("report", str(log), "-o", str(tmp_path / "pm"), "--year", "2017")
    assert "reading" not in r.stderr and r.stderr == ""
