"""Counting rules (CONTRACT section 5) on small hand-made evidence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.correlate.view import HostView
from conntrack_forensics.model import to_frame

DROP = "kernel: nf_conntrack: table full, dropping packet."


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_same_kernel_line_in_two_sources_counts_once(tmp_path: Path) -> None:
    lines = [f"Apr 27 00:03:27 bogon {DROP}", f"Apr 27 00:03:27 bogon {DROP}",
             f"Apr 27 00:03:28 bogon {DROP}"]
    _write(tmp_path / "messages", lines)
    _write(tmp_path / "kern.log", lines[:2])  # a second copy of the first two only
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert inc.drops_logged == 3
    assert inc.peak_drops_per_second == 2


def test_largest_source_wins_per_second(tmp_path: Path) -> None:
    _write(tmp_path / "messages", [f"Apr 27 00:03:27 bogon {DROP}",
                                   "Apr 27 00:03:27 bogon kernel: last message repeated 9 times"])
    _write(tmp_path / "kern.log", [f"Apr 27 00:03:27 bogon {DROP}"] * 3)
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert inc.drops_logged == 10


def test_gap_splits_incidents_and_is_honoured(tmp_path: Path) -> None:
    _write(tmp_path / "messages", [
        f"Apr 27 00:00:00 bogon {DROP}",
        f"Apr 27 00:04:00 bogon {DROP}",   # 240 s later: same incident at the default gap
        f"Apr 27 00:20:00 bogon {DROP}",   # 960 s later: a new one
    ])
    assert [i.drops_logged for i in cf.analyze(tmp_path, year=2017).incidents] == [2, 1]
    assert len(cf.analyze(tmp_path, year=2017, gap=100).incidents) == 3
    assert len(cf.analyze(tmp_path, year=2017, gap=1000).incidents) == 1


def test_suppressed_counts_only_between_drops(tmp_path: Path) -> None:
    """Summaries join an incident only between its drops (or conntrack's, just after).

    The kernel prints ``N callbacks suppressed`` just before the next message of the same
    ratelimit state; every subsystem that rate-limits prints one, so a generic summary before
    the first drop or after the last is another subsystem's and neither starts nor extends the
    incident.
    """
    _write(tmp_path / "messages", [
        "Apr 27 00:00:00 bogon kernel: net_ratelimit: 7 callbacks suppressed",  # before: out
        "Apr 27 00:00:00 bogon kernel: martian source 10.0.0.5 from 10.0.0.1, on dev eth0",
        f"Apr 27 00:00:01 bogon {DROP}",
        "Apr 27 00:00:05 bogon kernel: nf_conntrack: 10 callbacks suppressed",  # between: in
        "Apr 27 00:00:10 bogon kernel: __ratelimit: 100 callbacks suppressed",  # between: in
        "Apr 27 00:00:15 bogon kernel: 1000 callbacks suppressed",  # between: in
        f"Apr 27 00:00:16 bogon {DROP}",
        "Apr 27 00:00:18 bogon kernel: nf_conntrack: 20 callbacks suppressed",  # 2 s, names it
        "Apr 27 00:00:19 bogon kernel: net_ratelimit: 3 callbacks suppressed",  # after: out
        "Apr 27 00:00:40 bogon kernel: nf_conntrack: 40 callbacks suppressed",  # > 5 s: out
        "Apr 27 02:00:00 bogon kernel: net_ratelimit: 5 callbacks suppressed",  # far away
    ])
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert inc.drops_suppressed == 10 + 100 + 1000 + 20
    assert inc.drops_logged == 2
    assert (inc.start.second, inc.end.second) == (1, 16)
    reasons = inc.to_dict()["suppressed_reasons"]
    assert any("3 summary line(s) between" in r and "1,110 suppressed" in r for r in reasons)
    assert any("1 nf_conntrack summary" in r and "(20 suppressed)" in r for r in reasons)
    assert any("3 summary line(s) near the incident left out" in r and "(50 suppressed)" in r
               for r in reasons)


def test_generic_summaries_do_not_bridge_bursts(tmp_path: Path) -> None:
    """Two drop bursts 10 min apart stay two incidents however many summaries lie between."""
    _write(tmp_path / "messages", [f"Apr 27 00:00:00 bogon {DROP}"]
           + [f"Apr 27 00:0{m}:30 bogon kernel: net_ratelimit: 12 callbacks suppressed"
              for m in range(1, 10)]
           + [f"Apr 27 00:10:00 bogon {DROP}"])
    incs = cf.analyze(tmp_path, year=2017).incidents
    assert [(i.drops_logged, i.drops_suppressed) for i in incs] == [(1, 0), (1, 0)]


def test_no_summaries_no_reasons(tmp_path: Path) -> None:
    _write(tmp_path / "messages", [f"Apr 27 00:00:00 bogon {DROP}"])
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert inc.suppressed_reasons == [] and inc.drops_suppressed == 0


def test_suppressed_alone_is_not_an_incident(tmp_path: Path) -> None:
    _write(tmp_path / "messages",
           ["Apr 27 00:00:00 bogon kernel: net_ratelimit: 7 callbacks suppressed"])
    assert cf.analyze(tmp_path, year=2017).incidents == []


def test_expectation_table_full_is_not_a_drop(tmp_path: Path) -> None:
    _write(tmp_path / "messages",
           ["Apr 27 00:00:00 bogon kernel: nf_conntrack: expectation table full"])
    a = cf.analyze(tmp_path, year=2017)
    assert a.incidents == [] and set(a.events["kind"]) == {"conntrack_warning"}
    (warning,) = a.to_dict()["conntrack_warnings"]
    assert warning == {"host": "bogon", "message": "nf_conntrack: expectation table full",
                       "count": 1, "first": "2017-04-27T00:00:00Z",
                       "last": "2017-04-27T00:00:00Z", "sources": [f"{tmp_path}/messages:1"]}
    assert "expectation table full" in a.to_markdown() and "expectation table full" in \
        a.to_html()


def test_drop_variants(tmp_path: Path) -> None:
    _write(tmp_path / "messages", [
        "Apr 27 00:00:00 h kernel: ip_conntrack: table full, dropping packet.",
        "Apr 27 00:00:01 h kernel: nf_conntrack: table full, dropping packet.",
        "Apr 27 00:00:02 h kernel: nf_conntrack: nf_conntrack: table full, dropping packet",
        "Apr 27 00:00:03 h kernel: [ 1234.567890] nf_conntrack: table full, dropping packet",
    ])
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert inc.drops_logged == 4


def test_table_size_banner_then_sysctl(tmp_path: Path) -> None:
    _write(tmp_path / "messages", [
        "Apr 27 00:00:00 h kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)",
        "Apr 27 00:01:00 h kube-proxy[9]: I0427 conntrack.go:100] Set sysctl "
        "'net/netfilter/nf_conntrack_max' to 131072",
        f"Apr 27 03:00:00 h {DROP}",
    ])
    (inc,) = cf.analyze(tmp_path, year=2017).incidents
    assert (inc.conntrack_max, inc.conntrack_buckets) == (131072, 16384)
    assert inc.cause == "capacity"


# --------------------------------------------- a reboot: the kernel started again (issue 15)

def _view(rows: list[tuple[str, str, str, str | None]]) -> HostView:
    """``(time, kind, program, message, boot_id)`` rows of one host, one source, in order."""
    return HostView("bogon", to_frame({
        "time": pd.to_datetime([r[0] for r in rows], utc=True),
        "kind": [r[1] for r in rows], "program": [r[2] for r in rows],
        "message": [r[3] for r in rows], "boot_id": [r[4] for r in rows],
        "source": ["journal"] * len(rows), "line": list(range(1, len(rows) + 1)),
    }))


RSYSLOG = '[origin software="rsyslogd" swVersion="8.24.0" x-pid="1021"] '
AFTER, UNTIL = pd.Timestamp("2017-04-26T16:04:00Z"), pd.Timestamp("2017-04-26T16:14:00Z")


def test_a_logging_daemons_own_stop_and_start_are_no_restart() -> None:
    view = _view([
        ("2017-04-26T16:03:59Z", "conntrack_drop", "kernel", DROP, None),
        ("2017-04-26T16:05:00Z", "shutdown", "rsyslogd", RSYSLOG + "exiting on signal 15.", None),
        ("2017-04-26T16:05:00Z", "shutdown", "kernel", "Kernel logging (proc) stopped.", None),
        ("2017-04-26T16:05:01Z", "boot", "rsyslogd", RSYSLOG + "start", None),
    ])
    assert view.restart(AFTER, UNTIL) is None


@pytest.mark.parametrize(("row", "why"), [
    (("2017-04-26T16:06:00Z", "boot", "kernel", "Linux version 3.10.0-957.el7.x86_64 (x@y)",
      None), "banner"),
    (("2017-04-26T16:06:00Z", "shutdown", "kernel", "reboot: Restarting system", None),
     "the kernel's last line"),
    (("2017-04-26T16:06:00Z", "boot", "systemd",
      "systemd 219 running in system mode. (+PAM +AUDIT)", None), "systemd as pid 1"),
    (("2017-04-26T16:06:00Z", "login", "sshd", "Accepted publickey for root from 10.0.0.9",
      "b2c4"), "a new _BOOT_ID"),
])
def test_the_kernel_starting_again_is_a_restart(row: tuple, why: str) -> None:
    view = _view([
        ("2017-04-26T16:03:59Z", "conntrack_drop", "kernel", DROP, "a1f0"),
        ("2017-04-26T16:05:00Z", "shutdown", "rsyslogd", RSYSLOG + "exiting on signal 15.",
         "a1f0"),
        row,
    ])
    got = view.restart(AFTER, UNTIL)
    assert got is not None and got["message"] == row[3], why
    assert view.restart(AFTER, pd.Timestamp("2017-04-26T16:05:30Z")) is None  # too late


def test_going_down_is_a_restart_only_once_a_boot_follows() -> None:
    down = ("2017-04-26T16:05:00Z", "shutdown", "systemd", "Reached target Shutdown.", None)
    assert _view([down]).restart(AFTER, UNTIL) is None
    got = _view([down, ("2017-04-26T16:06:30Z", "boot", "rsyslogd", RSYSLOG + "start", None)]
                ).restart(AFTER, UNTIL)
    assert got is not None and got["message"] == "Reached target Shutdown."
