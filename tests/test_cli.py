"""The command line as a user meets it: real subprocesses, exit codes, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------- evidence text on a terminal, outputs

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"


def _sample_with_command(tmp_path: Path, command: str) -> Path:
    """The bogon sample, its trigger command replaced by ``command``."""
    import shutil

    from tests.conftest import SAMPLES

    root = tmp_path / "bogon"
    shutil.copytree(SAMPLES / "bogon-nat-listing", root)
    hist = root / "root" / ".bash_history"
    hist.write_text(hist.read_text().replace("iptables -t nat -L\n", command + "\n"))
    return root


def test_summary_shows_control_sequences_escaped(tmp_path: Path) -> None:
    command = f"iptables -t nat -L {ESCAPES}"
    root = _sample_with_command(tmp_path, command)
    r = run("report", str(root), "-o", str(tmp_path / "pm"))
    assert r.returncode == 0, r.stderr
    assert not [c for c in r.stdout if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f"]
    assert "iptables -t nat -L \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in r.stdout
    # the report keeps the evidence's text
    data = json.loads((tmp_path / "pm" / "postmortem.json").read_text())
    assert data["incidents"][0]["trigger"]["command"] == command


def test_error_messages_show_control_sequences_escaped(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("report", str(log), "-o", str(blocker / f"case{ESCAPES}"))
    assert r.returncode == 1
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert "case\\x1b]0;pwned\\x07" in r.stderr and r.stderr.count("\n") == 1


def test_report_output_naming_a_file_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    blocker = tmp_path / "pm"
    blocker.write_text("notes\n")
    r = run("report", str(log), "-o", str(blocker))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "is an existing file" in r.stderr
    assert "Traceback" not in r.stderr and blocker.read_text() == "notes\n"


def test_timeline_output_naming_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "messages"
    log.write_text(DROP)
    r = run("timeline", str(log), "-o", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "is a directory" in r.stderr


def test_report_inside_its_inputs_is_not_read_back(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import SAMPLES

    logs = tmp_path / "logs"
    shutil.copytree(SAMPLES / "bogon-nat-listing", logs)
    first = run("report", str(logs), "-o", str(logs / "pm"))
    assert first.returncode == 0, first.stderr
    again = run("report", str(logs), "-o", str(tmp_path / "pm2"))
    assert again.returncode == 0, again.stderr
    one = json.loads((logs / "pm" / "postmortem.json").read_text())
    two = json.loads((tmp_path / "pm2" / "postmortem.json").read_text())
    assert two["incidents"] == one["incidents"]
    ours = [i for i in two["inputs"] if "pm/postmortem." in i["path"]]
    assert len(ours) == 3 and all(i["events"] == 0 and i["format"] is None for i in ours)


def test_interrupted_timeline_leaves_the_old_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from conntrack_forensics.report import timeline_export

    log = tmp_path / "messages"
    log.write_text(DROP * 3)
    out = tmp_path / "out" / "timeline.csv"
    out.parent.mkdir()
    out.write_text("previous run\n")

    def half_then_interrupt(events: object, fmt: str, fh: Any) -> int:
        fh.write("time,host\n2017-04-27T00:03:27Z,bo")
        fh.flush()
        raise KeyboardInterrupt

    monkeypatch.setattr(timeline_export, "write_timeline", half_then_interrupt)
    r = CliRunner().invoke(main, ["timeline", str(log), "-o", str(out), "--year", "2017"])
    assert r.exit_code == 1 and "interrupted" in r.output
    assert out.read_text() == "previous run\n"
    assert [p.name for p in out.parent.iterdir()] == ["timeline.csv"]


def test_zone_unknown_here_named_by_the_evidence_is_no_usage_error(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "localtime").symlink_to("../usr/share/zoneinfo/Mars/Olympus_Mons")
    (tmp_path / "messages").write_text(DROP)
    r = run("report", str(tmp_path), "-o", str(tmp_path / "pm"), "--year", "2017")
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "pm" / "postmortem.json").read_text())
    assert (data["settings"]["tz"], data["settings"]["tz_source"]) == ("UTC", "default")
    assert data["incidents"][0]["start"] == "2017-04-27T00:03:27Z"
    (warn,) = [d for d in data["diagnostics"] if "Mars/Olympus_Mons" in d["message"]]
    assert warn["level"] == "warning" and warn["path"].endswith("etc/localtime")


def test_limit_options_reach_the_input_stage(tmp_path: Path) -> None:
    """`--max-line-bytes` cuts a long line and the diagnostic names the limit and the option."""
    log = tmp_path / "messages"
    log.write_text("Apr 26 16:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"
                   f"Apr 26 16:03:28 bogon app: {'x' * 5000}\n", encoding="utf-8")
    out = tmp_path / "pm"
    r = run("report", str(log), "--year", "2017", "--max-line-bytes", "1000", "-o", str(out),
            "--format", "json")
    assert r.returncode == 0, r.stderr
    diags = json.loads((out / "postmortem.json").read_text())["diagnostics"]
    assert any("max_line_bytes=1,000" in d["message"] and "--max-line-bytes" in d["message"]
               for d in diags)
    bad = run("report", str(log), "--max-line-bytes", "0", "-o", str(out))
    assert bad.returncode == 2 and "--max-line-bytes" in bad.stderr


def test_a_reader_that_goes_away_is_no_failure() -> None:
    """`timeline ... | head -1`: the closed pipe ends the run quietly, not as a failure."""
    proc = subprocess.Popen([sys.executable, "-m", "conntrack_forensics", "timeline",
                             "sample_logs/bogon-nat-listing"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(timeout=120)
    assert "error" not in err.lower() and "Traceback" not in err
