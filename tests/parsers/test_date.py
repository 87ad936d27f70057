from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.parsers.date_output import reading
from tests.conftest import DATA
from tests.parsers.helpers import run_parser


@pytest.mark.parametrize(("name", "iso", "capture"), [
    ("date", "2017-04-27T08:15:02", "clock"),
    ("date_--utc", "2017-04-27T00:15:02+00:00", "clock"),
    ("date_en_US", "2017-04-27T08:15:02", "clock"),
    ("date_-R", "2017-04-27T08:15:02+08:00", "clock"),
    ("hwclock", "2017-04-27T08:15:03.481233+08:00", None),
])
def test_readings(name: str, iso: str, capture: str | None) -> None:
    raw, ctx = run_parser("date", DATA / "date" / name)
    assert (ctx.records, ctx.skipped) == (1, 0) and not ctx.diag.rows
    (row,) = raw.to_dict("records")
    assert row["iso"] == iso and row["kind"] == "snapshot"
    assert (row["capture"] if isinstance(row["capture"], str) else None) == capture


def test_abbreviation_is_named_in_the_message() -> None:
    raw, _ = run_parser("date", DATA / "date" / "date")
    assert raw.loc[0, "message"] == ("date: clock read Thu Apr 27 08:15:02 CST 2017 (zone "
                                     "abbreviation CST read as the host's local time)")


@pytest.mark.parametrize("text", [
    "Thu Apr 31 08:15:02 CST 2017",  # no such day
    "Apr 27 08:15:02 bogon kernel: hello",
    "2017-04-27",
])
def test_non_readings(text: str) -> None:
    assert reading(text) is None


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(when=st.datetimes(), form=st.sampled_from(["%a %b %e %H:%M:%S UTC %Y",
                                                   "%a, %d %b %Y %H:%M:%S +0000",
                                                   "%Y-%m-%dT%H:%M:%S+00:00"]),
       junk=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                             min_size=1, max_size=20).filter(lambda s: s.strip()), max_size=2))
def test_every_line_is_a_record(tmp_path: Path, when: object, form: str, junk: list[str]) -> None:
    import datetime as dt

    assert isinstance(when, dt.datetime)
    if when.year < 1000:
        return
    good = when.replace(microsecond=0).strftime(form)
    lines = [good, *[j.replace("\n", " ").replace("\r", " ") for j in junk]]
    path = tmp_path / "date"
    path.write_text("\n".join(lines) + "\n")
    raw, ctx = run_parser("date", path)
    kept = [ln for ln in lines if ln.strip()]
    assert ctx.records == len(kept)
    assert ctx.records - ctx.skipped == len(raw)
    assert raw.loc[0, "iso"] == when.replace(microsecond=0).isoformat() + "+00:00"
