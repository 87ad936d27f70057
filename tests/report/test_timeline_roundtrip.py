"""A Parquet timeline gives the events table back, values and dtypes, from the CLI too."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import conntrack_forensics as cf
from conntrack_forensics.cli import main
from conntrack_forensics.report.timeline_export import TimelineWriter

ROOT = Path(__file__).resolve().parents[2]
CASES = [ROOT / "sample_logs" / name for name in
         ("bogon-nat-listing", "k8s-node-capacity", "sosreport-web1")]


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_events_round_trip_through_parquet_in_chunks(case: Path, full: bool) -> None:
    events = cf.load(case, full=full).events
    buf = io.BytesIO()
    with TimelineWriter("parquet", buf) as writer:
        for start in range(0, len(events), 333):  # several row groups
            writer.write(events.iloc[start:start + 333])
    back = cf.read_timeline(io.BytesIO(buf.getvalue()))
    pd.testing.assert_frame_equal(back, events)
    assert list(back["kind"].cat.categories) == list(cf.Kind)  # every kind, not only those here


def test_no_events_round_trip() -> None:
    events = cf.load(ROOT / "sample_logs" / "README.md").events
    buf = io.BytesIO()
    with TimelineWriter("parquet", buf) as writer:
        writer.write(events)
    pd.testing.assert_frame_equal(cf.read_timeline(io.BytesIO(buf.getvalue())), events)


def test_cli_writes_parquet_to_a_file_and_to_a_pipe(tmp_path: Path) -> None:
    case = ROOT / "sample_logs" / "k8s-node-capacity"
    out = tmp_path / "timeline.parquet"
    r = CliRunner().invoke(main, ["timeline", str(case), "--format", "parquet", "-o", str(out)])
    assert r.exit_code == 0, r.output
    expected = cf.load(case, full=True).events
    pd.testing.assert_frame_equal(cf.read_timeline(out), expected)
    piped = CliRunner().invoke(main, ["timeline", str(case), "--format", "parquet"])
    assert piped.exit_code == 0
    pd.testing.assert_frame_equal(cf.read_timeline(io.BytesIO(piped.stdout_bytes)), expected)
