from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.parsers import parsers
from conntrack_forensics.parsers.base import Head
from conntrack_forensics.parsers.syslog import _match
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


def test_rfc3164_rows_and_kinds() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "rfc3164.log")
    assert ctx.records == 12 and ctx.skipped == 0 and not ctx.diag.rows
    assert len(raw) == 12
    assert raw["kind"].tolist() == [
        "module_load", "module_load", "conntrack_drop", "conntrack_drop",
        "ratelimit_suppressed", "conntrack_drop", "conntrack_drop", "message", "shutdown",
        "boot", "boot", "message",
    ]
    # repeats stand for N more copies of the repeated message
    assert raw["count"].tolist()[2:7] == [1, 4, 1012, 1, 2]
    banner = raw.iloc[1]
    assert (banner["module"], banner["conntrack_max"], banner["conntrack_buckets"]) == (
        "nf_conntrack", 65536, 16384)
    row = raw.iloc[7]
    assert (row["host"], row["program"], row["pid"], row["mon"], row["day"], row["sod"]) == (
        "bogon", "ntpd", 1432, 4, 7, 241.0)
    assert row["message"] == "0.0.0.0 c615 05 clock_sync"
    assert raw.iloc[11]["program"] == "sshd(pam_unix)"


def test_rfc3339_and_inline_repeat() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "rfc3339.log")
    assert ctx.skipped == 0 and len(raw) == 6
    assert raw["iso"].iloc[1] == "2024-03-14T09:12:03.481205+00:00"
    assert raw["kind"].tolist() == ["message", "conntrack_drop", "ratelimit_suppressed",
                                    "conntrack_drop", "sysctl", "message"]
    assert raw["conntrack_max"].iloc[4] == 131072
    assert raw["count"].iloc[5] == 3


def test_rfc5424() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "rfc5424.log")
    assert ctx.skipped == 0
    assert raw["program"].tolist() == ["kernel", "kernel", "systemd"]
    assert raw["kind"].tolist() == ["conntrack_drop", "ratelimit_suppressed", "message"]
    assert raw["pid"].iloc[2] == 1
    assert raw["message"].iloc[2] == "Started Session 42 of user ops."


def test_line_without_program_keeps_text() -> None:
    m = _match("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2")
    assert m is not None and m.host == "combo" and m.msg.endswith("ROOT LOGIN ON tty2")
    m = _match("Jun 19 04:09:11 combo syslogd 1.4.1: restart.")
    assert m is not None and m.program is None and m.msg == "syslogd 1.4.1: restart."


def test_bad_lines_are_counted(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text("Apr 27 00:03:27 bogon kernel: ok\nnot a syslog line\n"
                 "Foo 27 00:03:27 bogon kernel: bad month\nApr 27 00:03:28 bogon x: ok\n")
    raw, ctx = run_parser("syslog", p)
    assert (ctx.records, ctx.skipped, len(raw)) == (4, 2, 2)
    (row,) = ctx.diag.rows
    assert (row.line, row.count, row.message) == (2, 2, "line is not in a syslog format")


_LINES = st.one_of(
    st.text(max_size=80).map(lambda s: s.replace("\n", " ").replace("\r", " ")),
    st.builds(lambda d, h, m: f"Apr {d:2d} {h:02d}:{m:02d}:00 host kernel: x",
              st.integers(0, 40), st.integers(0, 30), st.integers(0, 70)),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINES, max_size=30))
def test_property_every_line_is_an_event_or_skipped(tmp_path: Path, lines: list[str]) -> None:
    p = tmp_path / "fuzz.log"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, ctx = run_parser("syslog", p)
    # NUL bytes are removed by the line reader (and counted as a repair), so a line of NULs
    # is blank
    text = p.read_text(encoding="utf-8").replace("\x00", "")
    records, read = 0, False  # an indented line after a line read is part of that record
    for ln in text.split("\n"):
        if ln.strip() and not (ln[:1] in " \t" and read):
            records += 1
            read = read or _match(ln) is not None
    assert ctx.records == records
    assert ctx.records - ctx.skipped == len(raw)


def test_journalctl_short_separators() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "journalctl_short.txt")
    assert ctx.skipped == 0 and not ctx.diag.rows
    assert raw["kind"].tolist() == ["conntrack_drop", "ratelimit_suppressed", "boot", "boot",
                                    "message"]
    reboot = raw.iloc[2]
    assert (reboot["line"], reboot["message"], reboot["host"]) == (4, "-- Reboot --",
                                                                    "k8s-node-3")
    assert (reboot["mon"], reboot["day"], reboot["sod"]) == (3, 14, 9 * 3600 + 30 * 60 + 11)


def test_sudo_lines_are_commands() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "secure.log")
    assert ctx.skipped == 0
    sudo = raw.loc[raw["kind"] == "command"]
    # the reboot sudo refused (3 incorrect password attempts) never ran: no command
    assert sudo["command"].tolist() == ["/sbin/iptables -t nat -L"]
    assert sudo["user"].tolist() == ["alice"]
    assert sudo["program"].tolist() == ["sudo"]


def test_logins_are_context_events() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "secure.log")
    assert ctx.skipped == 0
    logins = raw.loc[raw["kind"] == "login"]
    # sudo's refusal is context too: who was there and what they tried
    assert logins["program"].tolist() == ["sshd", "sudo", "su"]
    assert logins["user"].tolist() == ["alice", "alice", "root"]
    assert logins["command"].isna().tolist() == [True, True, True]
    assert logins["evidence"].iloc[0].startswith("Apr 27 00:01:02 bogon sshd[24011]: Accepted ")
    failed = raw.loc[raw["message"].str.startswith("Failed password")]
    assert failed["kind"].tolist() == ["message"]  # a failed attempt is no login


def test_plain_lines_are_counted_when_background_is_allowed(tmp_path: Path) -> None:
    import pandas as pd

    from conntrack_forensics.diagnostics import Diagnostics
    from conntrack_forensics.inputs.walk import iter_sources
    from conntrack_forensics.parsers import ParseContext, parsers
    from conntrack_forensics.parsers.background import collapse_background
    from conntrack_forensics.parsers.base import Hints, as_frame

    log = tmp_path / "messages"
    log.write_text(
        "Dec 31 23:59:58 gw ntpd[2]: clock_sync\n"
        "Dec 31 23:59:59 gw ntpd[2]: clock_sync\n"
        "Dec 31 23:59:59 gw kernel: nf_conntrack: table full, dropping packet.\n"
        "Dec 31 23:59:59 gw kernel: last message repeated 3 times\n"
        "Jan  1 00:00:00 gw ntpd[2]: clock_sync\n"
        "Jan  1 00:00:01 gw ntpd[2]: clock_sync\n"
        "Jan  1 00:00:01 gw ntpd[2]: last message repeated 2 times\n"
        "Jan  1 00:01:00 web ntpd[2]: lonely\n")
    diag = Diagnostics()
    (source,) = list(iter_sources([log], diag))
    ctx = ParseContext(source, diag, Hints(), background=True)
    raw = pd.concat([as_frame(b) for b in parsers()["syslog"].parse(ctx)], ignore_index=True)
    raw = collapse_background(raw)  # as the loader does: the repeat joins its minute's count
    assert ctx.records == 8 and ctx.skipped == 0
    rows = [(r.kind, int(r.count), r.message, int(r.line), r.mon, r.sod)
            for r in raw.itertuples()]
    assert rows == [
        ("background", 2, "2 plain lines", 2, 12, 86399.0),
        ("conntrack_drop", 1, "nf_conntrack: table full, dropping packet.", 3, 12, 86399.0),
        ("conntrack_drop", 3, "last message repeated 3 times", 4, 12, 86399.0),
        ("background", 4, "4 plain lines", 7, 1, 1.0),   # the repeat of a plain line counts
        ("message", 1, "lonely", 8, 1, 60.0),            # a run of one keeps its text
    ]


def test_continuation_lines_belong_to_the_record_above(tmp_path: Path) -> None:
    """Indented lines (a stack trace) neither hide the file from the sniff nor count."""
    path = DATA / "syslog" / "continuation.log"  # ten drops, each with two "\tcontinuation"
    head = Head.from_bytes(path.name, path.read_bytes())
    assert parsers()["syslog"].sniff(head) == 1.0
    raw, ctx = run_parser("syslog", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (10, 0, 10) and not ctx.diag.rows
    assert raw["line"].tolist() == list(range(1, 30, 3))
    assert raw["message"].iloc[0] == (
        "nf_conntrack: table full, dropping packet\n\tcontinuation\n\tcontinuation")
    (incident,) = cf.analyze(path, year=2024, tz="UTC").incidents
    assert incident.drops_logged == 10


def test_a_long_stack_trace_does_not_make_the_parser_give_up(tmp_path: Path) -> None:
    trace = ["Aug 16 00:31:59 gw java[4242]: Exception in thread \"main\" java.lang.Error: x"]
    trace += [f"\tat com.example.Deep.call{i}(Deep.java:{i})" for i in range(1200)]
    drops = [f"Aug 16 00:32:{s:02d} gw kernel: nf_conntrack: table full, dropping packet"
             for s in range(5)]
    path = tmp_path / "syslog"
    path.write_text("\n".join(["Aug 16 00:31:58 gw kernel: hello", *trace, *drops]) + "\n")
    raw, ctx = run_parser("syslog", path)
    assert (ctx.records, ctx.skipped) == (7, 0) and not ctx.diag.rows
    assert (raw["kind"] == "conntrack_drop").sum() == 5
    java = raw[raw["program"] == "java"]["message"].iloc[0]
    assert java.count("\n") == 1200
    assert java.endswith("\tat com.example.Deep.call1199(Deep.java:1199)")


def test_an_indented_first_line_is_still_skipped(tmp_path: Path) -> None:
    """Nothing above it to belong to: counted, not dropped silently."""
    path = tmp_path / "messages"
    path.write_text("\torphan\nAug 16 00:32:01 gw kernel: x\n\tbelongs to x\n")
    raw, ctx = run_parser("syslog", path)
    assert (ctx.records, ctx.skipped, len(raw)) == (2, 1, 1)


def test_doubled_space_after_the_tag() -> None:
    """Debian's rsyslog writes two spaces after some tags: boot, login and rsyslog 8 repeats."""
    raw, ctx = run_parser("syslog", DATA / "syslog" / "doubled_space.log")
    assert ctx.skipped == 0
    assert raw["kind"].tolist() == ["boot", "login", "conntrack_drop", "conntrack_drop",
                                    "conntrack_drop", "conntrack_drop", "message"]
    assert raw["count"].tolist() == [1, 1, 1, 76, 1, 3, 1]
    assert raw["user"].iloc[1] == "fred"
    # the message is what follows the one space rsyslog skips
    assert raw["message"].iloc[0].startswith(' [origin software="rsyslogd"')


def test_chromeos_severity_is_not_a_host() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "chromeos_messages")
    assert ctx.skipped == 0
    assert raw["host"].isna().all()
    assert raw["program"].tolist() == ["kernel", "kernel", "kernel", "shill", "update_engine"]
    assert raw["kind"].tolist()[:3] == ["conntrack_drop", "conntrack_drop",
                                        "ratelimit_suppressed"]
    assert raw["pid"].iloc[3] == 1520


@pytest.mark.parametrize("line", [
    "2024-03-01 08:00:05.123 12345 INFO nova.compute.manager [req-1 - - - - -] Took 0.5 s",
    "2024-03-01 08:00:05,123 - urllib3.connectionpool - WARNING - Retrying",
    "2024-03-01 08:00:05 status installed libc6:amd64 2.36-9",
    "2024-03-01 08:00:05 configure libc6:amd64 2.36-9 <none>",
    "2024-03-01T08:00:05.123Z ERROR a severity, and no tag after it",
    "Mar  1 08:00:05 12345 app: a pid where the host goes",
    "Mar  1 08:00:05 - app: a dash where the host goes",
    "2024-03-01T08:00:05Z 12345 INFO app: OpenStack's layout with a T",
])
def test_no_severity_number_or_dash_becomes_a_host(line: str) -> None:
    assert _match(line) is None


@pytest.mark.parametrize(("line", "host", "program"), [
    ("Mar  1 08:00:05 NOTICE kernel: x", None, "kernel"),
    ("2024-03-01T08:00:05.1Z WARNING sshd[7]: x", None, "sshd"),
    ("2024-03-01 08:00:05 gw sshd[7]: a space for T, with host and tag", "gw", "sshd"),
    ("Mar  1 08:00:05 INFO-7 app: a name with a severity in it", "INFO-7", "app"),
])
def test_hosts_that_stay(line: str, host: str | None, program: str) -> None:
    m = _match(line)
    assert m is not None and (m.host, m.program) == (host, program)
