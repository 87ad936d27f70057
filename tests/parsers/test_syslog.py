from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    nonblank = sum(1 for ln in text.split("\n") if ln.strip())
    assert ctx.records == nonblank
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
    assert sudo["command"].tolist() == ["/sbin/iptables -t nat -L", "/sbin/reboot"]
    assert sudo["user"].tolist() == ["alice", "alice"]
    assert sudo["program"].tolist() == ["sudo", "sudo"]


def test_logins_are_context_events() -> None:
    raw, ctx = run_parser("syslog", DATA / "syslog" / "secure.log")
    assert ctx.skipped == 0
    logins = raw.loc[raw["kind"] == "login"]
    assert logins["program"].tolist() == ["sshd", "su"]
    assert logins["user"].tolist() == ["alice", "root"]
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
