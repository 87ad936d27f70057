"""Year inference (CONTRACT section 1)."""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.events.years import rollover_offsets
from tests.conftest import set_mtime

DROP = "bogon kernel: nf_conntrack: table full, dropping packet."


def test_rollover_offsets() -> None:
    assert rollover_offsets(np.array([12, 12, 1, 1, 12, 1])).tolist() == [0, 0, 1, 1, 1, 2]
    assert rollover_offsets(np.array([5, 4, 5])).tolist() == [0, 0, 0]


def test_year_from_cli_and_tz_from_cli(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(f"Apr 27 00:03:27 {DROP}\n")
    r = cf.load(p, year=2017, tz="+08:00")
    assert r.events["time"].iloc[0] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert r.events["time_quality"].iloc[0] == "exact"
    assert (r.settings.year, r.settings.year_source) == (2017, "cli")
    assert (r.settings.tz, r.settings.tz_source) == ("+08:00", "cli")


def test_year_from_mtime(tmp_path: Path) -> None:
    p = tmp_path / "messages"
    p.write_text(f"Dec 31 23:59:59 {DROP}\n")
    set_mtime(p, "2019-01-02T00:00:00+00:00")
    r = cf.load(p)
    assert r.events["time"].iloc[0] == pd.Timestamp("2018-12-31T23:59:59Z")
    assert r.events["time_quality"].iloc[0] == "inferred_year"
    assert (r.settings.year, r.settings.year_source) == (2018, "mtime")
    assert r.settings.tz_source == "default"
    assert any("modification time" in m for m in r.diagnostics["message"])


def test_year_from_evidence_beats_mtime(tmp_path: Path) -> None:
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "root").mkdir()
    p = tmp_path / "var" / "log" / "messages"
    p.write_text(f"Apr 27 00:03:27 {DROP}\n")
    (tmp_path / "root" / ".bash_history").write_text("#1493222601\niptables -t nat -L\n")
    r = cf.load(tmp_path, tz="Asia/Shanghai")
    drop = r.events.loc[r.events["kind"] == "conntrack_drop"].iloc[0]
    assert drop["time"] == pd.Timestamp("2017-04-26T16:03:27Z")
    assert (r.settings.year, r.settings.year_source) == (2017, "evidence")
    assert r.events.loc[r.events["kind"] == "command", "host"].iloc[0] == "bogon"


def test_december_january_rollover_across_rotated_files(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "messages.2.gz", "wt") as fh:
        fh.write(f"Dec 30 10:00:00 {DROP}\n")
    (tmp_path / "messages.1").write_text(f"Dec 31 23:59:59 {DROP}\n")
    (tmp_path / "messages").write_text(f"Jan  1 00:00:01 {DROP}\nJan  2 08:00:00 {DROP}\n")
    for name in ("messages.2.gz", "messages.1", "messages"):
        set_mtime(tmp_path / name, "2018-01-03T00:00:00+00:00")
    r = cf.load(tmp_path)
    years = r.events.sort_values("time")["time"].dt.year.tolist()
    assert years == [2017, 2017, 2018, 2018]
    assert r.settings.year == 2018


def test_default_year_is_not_in_future(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "stdin", __import__("io").TextIOWrapper(
        __import__("io").BytesIO(f"Dec 31 23:59:59 {DROP}\n".encode())))
    r = cf.load("-")
    now = dt.datetime.now(dt.timezone.utc)
    t = r.events["time"].iloc[0]
    assert t <= now and t.year in (now.year, now.year - 1)
    assert r.settings.year_source == "default"


# ------------------------------------------------------------------------------- Feb 29

def _write(path: Path, lines: list[str], mtime: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{ln}\n" for ln in lines))
    if mtime is not None:
        set_mtime(path, mtime)
    return path


def _years(result: cf.LoadResult) -> list[str]:
    """Each event's UTC date, in file order (missing times as 'NaT')."""
    ev = result.events.sort_values(["source", "line"])
    return [str(t.date()) if pd.notna(t) else "NaT" for t in ev["time"]]


def _year_note(result: cf.LoadResult) -> str:
    notes = result.diagnostics.loc[result.diagnostics["message"].str.startswith("year "),
                                   "message"]
    assert len(notes) == 1, notes.tolist()
    return str(notes.iloc[0])


def test_feb_29_gives_a_leap_year_against_a_copied_mtime(tmp_path: Path) -> None:
    """A copy made in 2025 would put Feb 29 in 2025; the line itself says a leap year."""
    p = _write(tmp_path / "messages", [f"Feb 28 23:59:58 {DROP}", f"Feb 29 00:00:01 {DROP}",
                                       f"Feb 29 23:59:59 {DROP}", f"Mar  1 00:00:01 {DROP}"],
               "2025-06-10T10:00:00+00:00")
    r = cf.load(p)
    assert _years(r) == ["2024-02-28", "2024-02-29", "2024-02-29", "2024-03-01"]
    assert (r.settings.year, r.settings.year_source) == (2024, "mtime")
    assert "a leap year where Feb 29 is written" in _year_note(r)
    assert not (r.diagnostics["level"] == "warning").any()


def test_feb_29_before_a_rollover_puts_the_leap_year_in_the_older_segment(
        tmp_path: Path) -> None:
    _write(tmp_path / "messages.1", [f"Feb 29 10:00:00 {DROP}", f"Dec 31 23:59:59 {DROP}"],
           "2026-01-03T00:00:00+00:00")
    _write(tmp_path / "messages", [f"Jan  1 00:00:01 {DROP}", f"Jan  2 08:00:00 {DROP}"],
           "2026-01-03T00:00:00+00:00")
    r = cf.load(tmp_path)
    assert _years(r) == ["2025-01-01", "2025-01-02", "2024-02-29", "2024-12-31"]
    assert r.settings.year == 2025


def test_feb_29_after_a_rollover_puts_the_leap_year_in_the_newer_segment(
        tmp_path: Path) -> None:
    p = _write(tmp_path / "messages", [f"Dec 30 10:00:00 {DROP}", f"Jan  1 00:00:01 {DROP}",
                                       f"Feb 29 12:00:00 {DROP}", f"Mar  2 12:00:00 {DROP}"],
               "2025-03-05T00:00:00+00:00")
    assert _years(cf.load(p)) == ["2023-12-30", "2024-01-01", "2024-02-29", "2024-03-02"]


def test_year_option_that_makes_feb_29_impossible_is_a_usage_error(tmp_path: Path) -> None:
    p = _write(tmp_path / "var" / "log" / "messages",
               [f"Feb 29 00:00:01 {DROP}", f"Mar  1 00:00:01 {DROP}"],
               "2024-03-05T00:00:00+00:00")
    with pytest.raises(cf.UsageError) as err:
        cf.load(tmp_path, year=2023)
    assert str(err.value) == (f"--year 2023 makes Feb 29 in {p} impossible; the evidence fits "
                              "2024")
    assert _years(cf.load(tmp_path, year=2024)) == ["2024-02-29", "2024-03-01"]


def test_year_option_conflict_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    _write(tmp_path / "messages", [f"Feb 29 00:00:01 {DROP}"], "2024-03-05T00:00:00+00:00")
    r = subprocess.run([sys.executable, "-m", "conntrack_forensics", "report", str(tmp_path),
                        "--year", "2023", "-o", str(tmp_path / "out")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: --year 2023 makes Feb 29 in {tmp_path / 'messages'} impossible; the evidence "
        "fits 2024"]
    assert not (tmp_path / "out").exists()


def test_an_impossible_date_is_kept_untimed_and_named(tmp_path: Path) -> None:
    """Apr 31 exists in no year: the line stays, without a time, and a warning names it."""
    p = _write(tmp_path / "messages", [f"Apr 30 23:59:59 {DROP}", f"Apr 31 00:00:01 {DROP}"],
               "2019-05-02T00:00:00+00:00")
    r = cf.load(p)
    assert _years(r) == ["2019-04-30", "NaT"]
    warn = r.diagnostics.loc[r.diagnostics["level"] == "warning"]
    assert warn["message"].tolist() == [
        "date that does not exist in the year given to its line (the first: Apr 31 2019); kept "
        "without a time"]
    assert (warn["line"].tolist(), warn["count"].tolist()) == ([2], [1])


@settings(max_examples=40, deadline=None)
@given(leap=st.sampled_from(range(1996, 2093, 4)),
       before=st.lists(st.integers(0, 150), max_size=4),
       after=st.lists(st.integers(0, 150), max_size=4),
       lag_days=st.integers(0, 3 * 365))
def test_any_stream_holding_feb_29_gets_its_years_back(
        leap: int, before: list[int], after: list[int], lag_days: int) -> None:
    """Dates in order around a Feb 29 (at most 150 days apart: a year step shows as a step back
    in months), copied up to three years later: every line is timed, and since a leap year
    comes every four, the years are the very years written."""
    feb29 = dt.date(leap, 2, 29)
    days = [feb29]
    for step in before:
        days.insert(0, days[0] - dt.timedelta(days=step))
    for step in after:
        days.append(days[-1] + dt.timedelta(days=step))
    lines = [f"{d:%b} {d.day:2d} 12:00:00 {DROP}" for d in days]
    mtime = dt.datetime.combine(days[-1] + dt.timedelta(days=lag_days), dt.time(13),
                                dt.timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        p = _write(Path(tmp) / "messages", lines, mtime.isoformat())
        got = _years(cf.load(p))
    assert got == [str(d) for d in days]


# --------------------------------------------------------------------- dated file names

def test_rotation_date_in_the_name_beats_the_copied_mtime(tmp_path: Path) -> None:
    p = _write(tmp_path / "messages-20220306", [f"Mar  5 10:00:00 {DROP}"],
               "2026-01-03T00:00:00+00:00")
    r = cf.load(p)
    assert _years(r) == ["2022-03-05"]
    assert (r.settings.year, r.settings.year_source) == (2022, "evidence")
    note = _year_note(r)
    assert "rotation date in the name messages-20220306" in note
    # (its last line, Mar 5, is after 3 Jan 2026: the time alone would say Mar 5 2025)
    assert "the modification time (2026-01-03 00:00) would give 2025" in note


def test_hourly_rotation_date_and_the_new_year(tmp_path: Path) -> None:
    """``-2024010103``: rotated 1 Jan 2024 03:00, so Dec 31 is 2023 and Jan 1 is 2024."""
    p = _write(tmp_path / "syslog-2024010103", [f"Dec 31 23:59:00 {DROP}",
                                                f"Jan  1 02:10:00 {DROP}"])
    assert _years(cf.load(p)) == ["2023-12-31", "2024-01-01"]


def test_a_file_named_after_the_day_before_its_rotation_keeps_its_new_year_line(
        tmp_path: Path) -> None:
    """logrotate's ``dateyesterday``: ``-20231231`` rotated on 1 Jan 2024 holds Jan 1 lines."""
    p = _write(tmp_path / "messages-20231231", [f"Dec 31 23:50:00 {DROP}",
                                                f"Jan  1 00:00:30 {DROP}"])
    assert _years(cf.load(p)) == ["2023-12-31", "2024-01-01"]


def test_a_rotated_set_takes_its_year_from_the_newest_dated_name(tmp_path: Path) -> None:
    _write(tmp_path / "messages-20211226", [f"Dec 20 10:00:00 {DROP}"])
    _write(tmp_path / "messages-20220102", [f"Dec 30 10:00:00 {DROP}", f"Jan  1 09:00:00 {DROP}"])
    _write(tmp_path / "messages", [f"Jan  3 10:00:00 {DROP}"], "2030-01-01T00:00:00+00:00")
    r = cf.load(tmp_path)
    assert _years(r) == ["2022-01-03", "2021-12-20", "2021-12-30", "2022-01-01"]
    assert "messages-20220102" in _year_note(r)


# ----------------------------------------------------------------- dates inside messages

@pytest.mark.parametrize("text", [
    "anacron[812]: Anacron 2.3 started on 2021-06-14",
    "foo[1]: backup 2021/06/14 done",
    "ftpd[29504]: connection from 24.54.76.216 at Mon Jun 14 07:07:00 2021",
    "freshclam[901]: ClamAV update process started at Mon Jun 14 07:07:00 CEST 2021",
])
def test_a_date_written_in_a_line_beats_the_copied_mtime(tmp_path: Path, text: str) -> None:
    p = _write(tmp_path / "messages", [f"Jun 14 07:07:00 host7 {text}",
                                       f"Jun 14 09:00:00 {DROP}"], "2023-02-01T00:00:00+00:00")
    r = cf.load(p)
    assert _years(r) == ["2021-06-14", "2021-06-14"]
    note = _year_note(r)
    assert "from the dates written inside 1 line of the stream" in note
    assert "line 1 (Jun 14)" in note and "would give 2022" in note


@pytest.mark.parametrize("text", [
    "kernel: Linux version 2.6.32-696.el6.x86_64 #1 SMP Tue Mar 21 19:29:05 UTC 2017",  # build
    "ftpd[29504]: connection at Tue Jun 14 07:07:00 2021",  # 14 June 2021 was a Monday
    "app[3]: valid until 2021-06-16",  # two days away from its line
    "app[3]: release 1.2021-06-14",  # a version, not a date
])
def test_dates_that_say_nothing_of_the_line_are_not_evidence(tmp_path: Path, text: str) -> None:
    p = _write(tmp_path / "messages", [f"Jun 14 07:07:00 host7 {text}"],
               "2023-02-01T00:00:00+00:00")
    r = cf.load(p)
    assert _years(r) == ["2022-06-14"]
    assert r.settings.year_source == "mtime"


def test_a_date_a_day_away_across_new_year(tmp_path: Path) -> None:
    """A line stamped Dec 31 local that writes the UTC date 2024-01-01 is in 2023."""
    p = _write(tmp_path / "messages", [
        'Dec 31 23:30:05 host7 dockerd[1101]: time="2024-01-01T04:30:05.1Z" level=info',
        f"Jan  1 00:10:00 {DROP}"], "2026-01-01T00:00:00+00:00")
    assert _years(cf.load(p)) == ["2023-12-31", "2024-01-01"]


def test_dated_lines_count_the_same_in_full_and_counted_reading(tmp_path: Path) -> None:
    """The dated line sits in a run of plain lines of one minute, which a default load folds."""
    lines = [f"Jun 14 07:07:{s:02d} host7 ftpd[{29500 + s}]: connection from 10.1.1.{s} at "
             f"Mon Jun 14 07:07:{s:02d} 2021" for s in range(5)]
    lines += [f"Jun 14 07:07:{s:02d} host7 ftpd[{29500 + s}]: FTP session closed"
              for s in range(5, 9)]
    p = _write(tmp_path / "messages", [*lines, f"Jun 14 09:00:00 {DROP}"],
               "2023-02-01T00:00:00+00:00")
    counted, full = cf.load(p), cf.load(p, full=True)
    assert len(counted.events) < len(full.events)  # the minute was folded
    assert counted.settings.year == full.settings.year == 2021
    assert _year_note(counted) == _year_note(full)


def test_dated_lines_in_a_tarball_give_the_same_year(tmp_path: Path) -> None:
    import tarfile

    p = _write(tmp_path / "case" / "var" / "log" / "messages", [
        "Jun 14 07:07:00 host7 anacron[812]: Anacron 2.3 started on 2021-06-14",
        f"Jun 14 09:00:00 {DROP}"], "2023-02-01T00:00:00+00:00")
    with tarfile.open(tmp_path / "case.tar.gz", "w:gz") as tar:
        tar.add(p, arcname="var/log/messages")
    assert cf.load(tmp_path / "case").settings.year == 2021
    assert cf.load(tmp_path / "case.tar.gz").settings.year == 2021


def test_dated_text_disagreeing_lines_are_counted_and_the_majority_wins(tmp_path: Path) -> None:
    lines = [f"Jun 14 07:0{i}:00 host7 anacron[81{i}]: Anacron 2.3 started on 2021-06-14"
             for i in range(3)]
    lines.append("Jun 14 08:00:00 host7 replay[9]: re-sent record of 2019-06-14")
    p = _write(tmp_path / "messages", lines, "2023-02-01T00:00:00+00:00")
    r = cf.load(p)
    assert r.settings.year == 2021
    assert "3 lines of the stream (1 other disagree)" in _year_note(r)


def test_the_rotation_date_outranks_dates_in_the_text(tmp_path: Path) -> None:
    p = _write(tmp_path / "messages-20220615", [
        "Jun 14 07:07:00 host7 replay[9]: record 2021-06-14", f"Jun 14 09:00:00 {DROP}"])
    r = cf.load(p)
    assert r.settings.year == 2022
    assert "rotation date" in _year_note(r)


def test_dated_text_outranks_a_timestamped_history_of_the_same_host(tmp_path: Path) -> None:
    """The stream's own words first: the history's clock was a year off (recorded, not used)."""
    _write(tmp_path / "var" / "log" / "messages", [
        "Jun 14 07:07:00 host7 anacron[812]: Anacron 2.3 started on 2021-06-14",
        f"Jun 14 09:00:00 {DROP}"])
    _write(tmp_path / "root" / ".bash_history", ["#1592118000", "uptime"])  # 2020-06-14
    r = cf.load(tmp_path)
    assert r.events.loc[r.events["kind"] == "conntrack_drop", "time"].dt.year.tolist() == [2021]


def test_a_set_dated_by_its_own_lines_dates_the_other_sets_of_its_host(tmp_path: Path) -> None:
    """``secure`` has no dated line of its own; the ``messages`` beside it says 2021."""
    _write(tmp_path / "var" / "log" / "messages", [
        "Jun 14 07:07:00 host7 anacron[812]: Anacron 2.3 started on 2021-06-14",
        f"Jun 14 09:00:00 {DROP.replace('bogon', 'host7')}"], "2023-02-01T00:00:00+00:00")
    _write(tmp_path / "var" / "log" / "secure", [
        "Jun 14 08:59:10 host7 sshd[4120]: Accepted password for root from 10.0.0.5 port 50022 "
        "ssh2"], "2023-02-01T00:00:00+00:00")
    r = cf.load(tmp_path)
    assert _years(r) == ["2021-06-14", "2021-06-14", "2021-06-14"]
    diag = r.diagnostics
    notes = diag.loc[diag["path"].str.endswith("secure") & diag["message"].str.startswith("year"),
                     "message"].tolist()
    assert len(notes) == 1 and "messages (dated by its own lines)" in notes[0]


def test_a_year_read_from_one_hosts_lines_is_not_another_hosts(tmp_path: Path) -> None:
    """Two unrelated hosts' logs side by side: web1's ftpd dates say nothing of db9's year."""
    _write(tmp_path / "web1" / "var" / "log" / "messages", [
        "Jun 17 07:07:00 web1 ftpd[29504]: connection from 24.54.76.216 at Fri Jun 17 07:07:00 "
        "2005"], "2023-02-01T00:00:00+00:00")
    _write(tmp_path / "db9" / "var" / "log" / "messages", [
        "Dec 10 06:55:48 db9 sshd[24200]: Invalid user webmaster from 173.234.31.186"],
        "2023-02-01T00:00:00+00:00")
    r = cf.load(tmp_path)
    assert {i.path.split("/")[-4]: (i.year, i.year_source) for i in r.inputs} == {
        "web1": (2005, "evidence"), "db9": (2022, "mtime")}


# ------------------------------------------------- upper bounds: zones, captures, gzip headers

BOGON_DROP = "Apr 27 00:09:29 bogon kernel: nf_conntrack: table full, dropping packet."


def test_an_assumed_zone_lets_the_mtime_bound_reach_a_host_east_of_utc(tmp_path: Path) -> None:
    """Written at 00:09:29 +08:00, saved 2 s later (16:09:31Z): still 2017 with no zone known."""
    p = _write(tmp_path / "messages", [BOGON_DROP], "2017-04-26T16:09:31+00:00")
    r = cf.load(p)
    assert _years(r) == ["2017-04-27"]
    assert (r.settings.year, r.settings.year_source) == (2017, "mtime")
    assert r.events["time_quality"].iloc[0] == "inferred_year"
    note = _year_note(r)
    assert "the zone is assumed" in note and "14 hours ahead of UTC" in note


def test_a_known_zone_keeps_the_mtime_bound_exact(tmp_path: Path) -> None:
    """With the zone given, a line later than the modification time is from the year before."""
    p = _write(tmp_path / "messages", [BOGON_DROP], "2017-04-26T16:09:31+00:00")
    assert _years(cf.load(p, tz="UTC")) == ["2016-04-27"]
    east = cf.load(p, tz="Asia/Shanghai")
    assert east.events["time"].iloc[0] == pd.Timestamp("2017-04-26T16:09:29Z")
    assert "zone is assumed" not in _year_note(east)


def test_an_assumed_zone_bound_allows_fourteen_hours_and_no_more(tmp_path: Path) -> None:
    """UTC+14 is the easternmost zone: a line more than 14 h after the mtime is a year older."""
    inside = _write(tmp_path / "a" / "messages", ["Jan  1 13:59:00 h kernel: x"],
                    "2020-01-01T00:00:00+00:00")
    outside = _write(tmp_path / "b" / "messages", ["Jan  1 14:01:00 h kernel: x"],
                     "2020-01-01T00:00:00+00:00")
    assert cf.load(inside).settings.year == 2020
    assert cf.load(outside).settings.year == 2019


def _sos_date(root: Path, date: str, log: list[str], log_name: str = "var/log/kern.log") -> Path:
    (root / "sos_commands" / "date").mkdir(parents=True, exist_ok=True)
    (root / "sos_commands" / "date" / "date").write_text(date + "\n")
    _write(root / log_name, log)
    return root


def test_a_capture_clock_bounds_its_tree_from_above(tmp_path: Path) -> None:
    """A report taken 2022-02-10 cannot hold a line of 2022-06-08: it is 2021's."""
    root = _sos_date(tmp_path / "sosreport-web3", "Thu Feb 10 09:12:44 UTC 2022",
                     [f"Jun  8 03:14:07 {DROP}"])
    r = cf.load(root)
    drop = r.events.loc[r.events["kind"] == "conntrack_drop"]
    assert drop["time"].tolist() == [pd.Timestamp("2021-06-08T03:14:07Z")]
    note = _year_note(r)
    assert "sosreport-web3/sos_commands/date/date" in note and "2022-02-10 09:12" in note
    assert "would put lines after it" in note


def test_a_capture_clock_is_the_nearest_year_when_its_lines_precede_it(tmp_path: Path) -> None:
    """Lines a week before the capture keep the capture's year (the bound does not push back)."""
    root = _sos_date(tmp_path / "sos", "Thu Feb 10 09:12:44 UTC 2022",
                     [f"Feb  3 03:14:07 {DROP}"])
    assert _years(cf.load(root))[-1] == "2022-02-03"


def test_a_capture_clock_bounds_only_its_own_tree(tmp_path: Path) -> None:
    """Another host's report taken earlier says nothing of this tree's lines."""
    _sos_date(tmp_path / "sos-a", "Thu Feb 10 09:12:44 UTC 2022", [f"Feb  3 03:14:07 {DROP}"])
    _write(tmp_path / "b" / "root" / ".bash_history", ["#1654658047", "uptime"])
    _write(tmp_path / "b" / "var" / "log" / "messages", [f"Jun  8 03:14:07 {DROP}"])
    r = cf.load(tmp_path)
    b = r.events.loc[r.events["source"].str.contains("b/var/log/messages")]
    assert b["time"].tolist() == [pd.Timestamp("2022-06-08T03:14:07Z")]


def _gzip_with_mtime(path: Path, text: str, mtime: int, file_mtime: str | None) -> Path:
    import io

    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=mtime) as gz:
        gz.write(text.encode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    if file_mtime is not None:
        set_mtime(path, file_mtime)
    return path


def test_a_gzip_header_mtime_beats_the_copy_s_modification_time(tmp_path: Path) -> None:
    """messages-2.gz compressed 2016-12-31 keeps that time; its copy's 2018 time would say 2017."""
    stamp = int(pd.Timestamp("2016-12-31T04:02:00Z").timestamp())
    p = _gzip_with_mtime(tmp_path / "messages.2.gz", f"Dec 31 03:58:10 {DROP}\n", stamp,
                         "2018-03-05T10:00:00+00:00")
    r = cf.load(p, tz="UTC")
    assert _years(r) == ["2016-12-31"]
    assert (r.settings.year, r.settings.year_source) == (2016, "mtime")
    note = _year_note(r)
    assert "gzip header" in note and "2016-12-31 04:02" in note and "would give 2017" in note


def test_a_zero_gzip_mtime_falls_back_to_the_file_s_own(tmp_path: Path) -> None:
    """gzip -n writes MTIME 0: no time stamp, so the file's modification time decides."""
    p = _gzip_with_mtime(tmp_path / "messages.2.gz", f"Dec 31 03:58:10 {DROP}\n", 0,
                         "2018-03-05T10:00:00+00:00")
    r = cf.load(p, tz="UTC")
    assert _years(r) == ["2017-12-31"]
    assert "gzip header" not in _year_note(r)


def test_a_gzip_header_mtime_is_read_in_a_tarball_and_from_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys
    import tarfile

    stamp = int(pd.Timestamp("2016-12-31T04:02:00Z").timestamp())
    p = _gzip_with_mtime(tmp_path / "var" / "log" / "messages.2.gz",
                         f"Dec 31 03:58:10 {DROP}\n", stamp, None)
    with tarfile.open(tmp_path / "case.tar", "w") as tar:
        info = tar.gettarinfo(p, arcname="var/log/messages.2.gz")
        info.mtime = int(pd.Timestamp("2018-03-05T10:00:00Z").timestamp())
        with open(p, "rb") as fh:
            tar.addfile(info, fh)
    assert _years(cf.load(tmp_path / "case.tar", tz="UTC")) == ["2016-12-31"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(p.read_bytes())))
    assert _years(cf.load("-", tz="UTC")) == ["2016-12-31"]


def test_a_clock_reading_its_own_tree_contradicts_bounds_nothing(tmp_path: Path) -> None:
    """An RTC reset to 1970 at capture: the history's epochs of 2021 show the clock was wrong."""
    root = _sos_date(tmp_path / "sos", "Thu Jan  1 00:04:12 UTC 1970", [f"Jun  8 03:14:07 {DROP}"])
    _write(root / "root" / ".bash_history", ["#1623122000", "uptime"])
    r = cf.load(root)
    drop = r.events.loc[r.events["kind"] == "conntrack_drop"]
    assert drop["time"].tolist() == [pd.Timestamp("2021-06-08T03:14:07Z")]
    warned = r.diagnostics.loc[r.diagnostics["level"] == "warning", "message"]
    assert any("the clock was wrong, so it bounds no year" in m for m in warned)


def test_a_set_s_own_evidence_against_the_capture_clock_is_kept_and_named(tmp_path: Path) -> None:
    """A rotation date after the capture: the set's own name wins, and the clash is reported."""
    root = _sos_date(tmp_path / "sos", "Thu Feb 10 09:12:44 UTC 2022", [f"Jun  8 03:14:07 {DROP}"],
                     "var/log/messages-20220609")
    r = cf.load(root)
    assert _years(r)[-1] == "2022-06-08"
    note = _year_note(r)
    assert "rotation date in the name" in note and "later than the clock reading" in note
