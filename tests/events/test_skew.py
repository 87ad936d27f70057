"""Clock skew between two sources of one host (events/skew.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

import conntrack_forensics as cf

DROP = "nf_conntrack: table full, dropping packet"


def _kernel_lines(rng: random.Random) -> list[tuple[dt.datetime, str]]:
    t = dt.datetime(2024, 5, 20, 2, 2, 13, tzinfo=dt.timezone.utc)
    out = [(t - dt.timedelta(minutes=30), "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex")]
    for window in range(20):
        start = t + dt.timedelta(seconds=5 * window, microseconds=rng.randint(0, 900000))
        if window:
            out.append((start, f"net_ratelimit: {rng.randint(100, 5000)} callbacks suppressed"))
        out += [(start + dt.timedelta(milliseconds=13 * k), DROP) for k in range(10)]
    return out


def _write(root: Path, skew: dt.timedelta, local: dt.timezone | None = None) -> int:
    rng = random.Random(3)
    lines = _kernel_lines(rng)
    (root / "journal").mkdir(parents=True)
    (root / "journal" / "kernel.json").write_text("".join(json.dumps({
        "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1e6)), "_HOSTNAME": "web1",
        "_TRANSPORT": "kernel", "MESSAGE": m}) + "\n" for t, m in lines))
    (root / "central").mkdir()
    stamp = (lambda t: (t + skew).astimezone(local)) if local else (lambda t: t + skew)
    (root / "central" / "messages").write_text("".join(
        f"{stamp(t):%b %d %H:%M:%S} web1 kernel: {m}\n" for t, m in lines))
    return sum(1 for _, m in lines if m == DROP)


@pytest.mark.parametrize("seconds", [37, -95])
def test_a_skewed_forwarded_log_is_measured_and_corrected(tmp_path: Path, seconds: int) -> None:
    drops = _write(tmp_path, dt.timedelta(seconds=seconds))
    a = cf.analyze(tmp_path, tz="UTC", year=2024)
    (skew,) = a.to_dict()["settings"]["clock_skew"]
    assert skew["source"].endswith("central/messages")
    assert skew["reference"].endswith("journal/kernel.json")
    assert -seconds <= skew["seconds"] <= -seconds + 1  # whole seconds in the forwarded log
    assert skew["lines"] >= 150
    (inc,) = a.incidents
    assert inc.drops_logged == drops
    assert any(d["level"] == "warning" and "clock differs from" in d["message"]
               for d in a.to_dict()["diagnostics"])


def test_a_wrong_zone_shows_as_hours(tmp_path: Path) -> None:
    drops = _write(tmp_path, dt.timedelta(0), local=dt.timezone(dt.timedelta(hours=8)))
    a = cf.analyze(tmp_path, year=2024)  # no zone in the evidence: the local times read as UTC
    (skew,) = a.to_dict()["settings"]["clock_skew"]
    assert -8 * 3600 <= skew["seconds"] <= -8 * 3600 + 1
    assert "-8.00 h" in " ".join(a.diagnostics["message"])
    (inc,) = a.incidents
    assert inc.drops_logged == drops


def test_sources_that_agree_report_no_skew(tmp_path: Path) -> None:
    _write(tmp_path, dt.timedelta(0))
    a = cf.analyze(tmp_path, tz="UTC", year=2024)
    assert a.to_dict()["settings"]["clock_skew"] == []
