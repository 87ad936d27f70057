from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers.uptime import uptime_seconds
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


@pytest.mark.parametrize(("name", "seconds", "program"), [
    ("uptime", 57632.41, "/proc/uptime"),
    ("uptime_command", 57600.0, "uptime"),
    ("uptime_days", 37 * 86400 + 2 * 3600 + 51 * 60, "uptime"),
])
def test_samples(name: str, seconds: float, program: str) -> None:
    raw, ctx = run_parser("uptime", DATA / "uptime" / name)
    assert (ctx.records, ctx.skipped) == (1, 0) and not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["boot_age"] == seconds and row["program"] == program
    assert row["kind"] == "snapshot" and row["capture"] == "at"


@pytest.mark.parametrize(("text", "seconds"), [
    (" 10:01:13 up 12 min,  1 user,  load average: 0.08, 0.21, 0.12", 720.0),
    (" 10:01:13 up 1 day, 10 min,  0 users,  load average: 0.08, 0.21, 0.12", 87000.0),
    ("10:01 up  3:02,  load average: 1.00, 1.00, 1.00", 10920.0),
    ("not an uptime", None),
])
def test_uptime_forms(text: str, seconds: float | None) -> None:
    assert uptime_seconds(text) == seconds


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(0, 999), hours=st.integers(0, 23), minutes=st.integers(0, 59),
       junk=st.booleans())
def test_parsed_plus_skipped(tmp_path: Path, days: int, hours: int, minutes: int,
                             junk: bool) -> None:
    up = f"{days} days, " if days else ""
    line = f" 08:15:02 up {up}{hours}:{minutes:02d},  1 user,  load average: 0.00, 0.01, 0.05"
    path = tmp_path / "uptime_cmd"
    path.write_text(line + ("\nload is fine\n" if junk else "\n"))
    raw, ctx = run_parser("uptime", path)
    assert ctx.records == 1 + junk and ctx.skipped == int(junk) and len(raw) == 1
    assert raw.loc[0, "boot_age"] == days * 86400 + hours * 3600 + minutes * 60
