"""Clock skew between two sources of one host (events/skew.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

import conntrack_forensics as cf

DROP = "nf_conntrack: table full, dropping packet"


DISTINCT = [
    "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.",
    "e1000e: eth1 NIC Link is Down",
    "e1000e: eth1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    "IPv6: ADDRCONF(NETDEV_CHANGE): eth1: link becomes ready",
    "device eth0 entered promiscuous mode",
    "device eth0 left promiscuous mode",
    "perf: interrupt took too long (2503 > 2500), lowering kernel.perf_event_max_sample_rate",
    "EXT4-fs (dm-2): mounted filesystem with ordered data mode. Opts: (null)",
]


def _kernel_lines(rng: random.Random) -> list[tuple[dt.datetime, str]]:
    """A journal's kernel lines: an hour of ordinary kernel messages around a 100 s flood."""
    t = dt.datetime(2024, 5, 20, 2, 2, 13, tzinfo=dt.timezone.utc)
    out = [(t - dt.timedelta(minutes=30), "e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex")]
    for k, text in enumerate(DISTINCT * 3):  # spread over the hour, 2 min 20 s apart
        at = t - dt.timedelta(minutes=25) + dt.timedelta(seconds=140 * k,
                                                         microseconds=rng.randint(0, 900000))
        out.append((at, f"{text} [{k}]" if k >= len(DISTINCT) else text))
    for window in range(20):
        start = t + dt.timedelta(seconds=5 * window, microseconds=rng.randint(0, 900000))
        if window:
            out.append((start, f"net_ratelimit: {rng.randint(100, 5000)} callbacks suppressed"))
        out += [(start + dt.timedelta(milliseconds=13 * k), DROP) for k in range(10)]
    return sorted(out)


def _write(root: Path, skew: dt.timedelta, local: dt.timezone | None = None) -> int:
    """The journal holds the hour; the forwarded ``messages`` only its second half."""
    rng = random.Random(3)
    lines = _kernel_lines(rng)
    (root / "journal").mkdir(parents=True)
    (root / "journal" / "kernel.json").write_text("".join(json.dumps({
        "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1e6)), "_HOSTNAME": "web1",
        "_TRANSPORT": "kernel", "MESSAGE": m}) + "\n" for t, m in lines))
    (root / "central").mkdir()
    stamp = (lambda t: (t + skew).astimezone(local)) if local else (lambda t: t + skew)
    half = lines[len(lines) // 4:]  # forwarding began later: a different window
    (root / "central" / "messages").write_text("".join(
        f"{stamp(t):%b %d %H:%M:%S} web1 kernel: {m}\n" for t, m in half))
    return sum(1 for _, m in lines if m == DROP)


@pytest.mark.parametrize("seconds", [37, -95])
def test_a_skewed_forwarded_log_is_measured_and_corrected(tmp_path: Path, seconds: int) -> None:
    drops = _write(tmp_path, dt.timedelta(seconds=seconds))
    a = cf.analyze(tmp_path, tz="UTC", year=2024)
    (skew,) = a.to_dict()["settings"]["clock_skew"]
    assert skew["source"].endswith("central/messages")
    assert skew["reference"].endswith("journal/kernel.json")
    assert -seconds <= skew["seconds"] <= -seconds + 1  # whole seconds in the forwarded log
    assert skew["lines"] >= 10  # distinctive lines only: drops and rate-limit lines never pair
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


def test_a_flood_split_by_rotation_is_one_stream(tmp_path: Path) -> None:
    """Bursts every 5 s across ``messages.1`` and ``messages``: no skew, every drop counted."""
    log = tmp_path / "var" / "log"
    log.mkdir(parents=True)
    start = dt.datetime(2023, 6, 11, 3, 5, 2)
    files: dict[str, list[str]] = {"messages.1": [], "messages": []}
    for k in range(240):
        t = start + dt.timedelta(seconds=5 * k)
        name = "messages.1" if k < 120 else "messages"
        files[name] += [f"{t:%b %d %H:%M:%S} nat1 kernel: {DROP}.\n"] * 10
    for name, lines in files.items():
        (log / name).write_text("".join(lines))
    a = cf.analyze(tmp_path, tz="UTC", year=2023)
    assert a.to_dict()["settings"]["clock_skew"] == []
    (inc,) = a.incidents
    assert inc.drops_logged == 2400


def test_drop_lines_alone_never_pair(tmp_path: Path) -> None:
    """Two overlapping sources holding only drops: nothing distinctive, no skew measured."""
    t0 = dt.datetime(2024, 5, 20, 2, 2, 13, tzinfo=dt.timezone.utc)
    instants = [t0 + dt.timedelta(seconds=5 * k) for k in range(60)]
    (tmp_path / "journal").mkdir()
    (tmp_path / "journal" / "kernel.json").write_text("".join(json.dumps({
        "__REALTIME_TIMESTAMP": str(int(t.timestamp() * 1e6)), "_HOSTNAME": "web1",
        "_TRANSPORT": "kernel", "MESSAGE": DROP}) + "\n" for t in instants))
    (tmp_path / "central").mkdir()
    (tmp_path / "central" / "messages").write_text("".join(
        f"{t + dt.timedelta(seconds=40):%b %d %H:%M:%S} web1 kernel: {DROP}\n"
        for t in instants[10:]))
    a = cf.analyze(tmp_path, tz="UTC", year=2024)
    assert a.to_dict()["settings"]["clock_skew"] == []
