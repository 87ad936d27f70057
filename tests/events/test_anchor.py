"""dmesg seconds since boot: anchored to a boot, then aligned with the host's syslog lines."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.events.anchor import _best_shifts

BOOT = dt.datetime(2024, 5, 18, 2, 11, 4, 250000, tzinfo=dt.timezone.utc)
BANNER = ("Linux version 3.10.0-1160.el7.x86_64 (mockbuild@kbuilder.bsys.centos.org) "
          "(gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) ) #1 SMP Mon Oct 19 16:18:59 "
          "UTC 2020")
DROP = "nf_conntrack: table full, dropping packet"


def _evidence(tmp_path: Path, rsyslog_delay: float) -> tuple[Path, int]:
    """messages (boot lines stamped when rsyslog started) and dmesg of the same boot."""
    rng = random.Random(7)
    ring: list[tuple[float, str]] = [(0.0, BANNER), (0.8, "Command line: ro quiet"),
                                     (9.4, "nf_conntrack version 0.5.0 (16384 buckets, 65536 max)")]
    t = 201000.0
    for window in range(30):
        start = t + window * 5 + rng.random()
        if window:
            ring.append((start, f"net_ratelimit: {rng.randint(300, 3000)} callbacks suppressed"))
        for k in range(10):
            ring.append((start + k * 0.013, DROP))
    dmesg = "".join(f"[{up:12.6f}] {text}\n" for up, text in ring)
    started = BOOT + dt.timedelta(seconds=rsyslog_delay)
    lines = []
    for up, text in ring:
        when = BOOT + dt.timedelta(seconds=up)
        stamp = max(when, started) if up < 60 else when
        lines.append(f"{stamp:%b %d %H:%M:%S} web1 kernel: {text}")
    root = tmp_path / "web1"
    (root / "var/log").mkdir(parents=True)
    (root / "var/log/messages").write_text("\n".join(lines) + "\n")
    (root / "sos_commands/kernel").mkdir(parents=True)
    (root / "sos_commands/kernel/dmesg").write_text(dmesg)
    return root, sum(1 for _, text in ring if text == DROP)


@pytest.mark.parametrize("delay", [0.0, 14.6, 70.0])
def test_dmesg_lands_on_the_same_seconds_as_messages(tmp_path: Path, delay: float) -> None:
    root, drops = _evidence(tmp_path, delay)
    analysis = cf.analyze(root, year=2024)
    (inc,) = analysis.incidents
    assert inc.drops_logged == drops  # the ring's copies count once
    ev = analysis.events
    ring = ev.loc[(ev["format"] == "dmesg") & (ev["kind"] == "conntrack_drop"), "time"]
    syslog = ev.loc[(ev["format"] == "syslog") & (ev["kind"] == "conntrack_drop"), "time"]
    assert sorted(ring.dt.floor("s")) == sorted(syslog)
    notes = " ".join(analysis.diagnostics["message"])
    if delay:
        assert "seconds since boot shifted -" in notes


def test_no_shared_lines_means_no_shift(tmp_path: Path) -> None:
    root = tmp_path / "h"
    (root / "var/log").mkdir(parents=True)
    (root / "var/log/messages").write_text(f"May 18 02:11:20 web1 kernel: {BANNER}\n")
    (root / "dmesg").write_text(f"[    0.000000] {BANNER}\n[   12.000000] e1000: eth0 up\n")
    result = cf.load(root, year=2024)
    ring = result.events.loc[result.events["format"] == "dmesg", "time"]
    assert ring.iloc[0] == pd.Timestamp("2024-05-18T02:11:20Z")
    assert not any("shifted" in m for m in result.diagnostics["message"])


def test_best_shifts_are_the_heaviest_spans() -> None:
    lows = np.array([-15.2, -15.1, -10.0, 4.9])
    mids = _best_shifts(lows, np.ones(4), np.array([1.0, 1.0, 0.1, 0.1]))
    assert mids.tolist() == pytest.approx([-14.65])
    both = _best_shifts(np.array([-5.0, 5.0]), np.ones(2), np.ones(2))
    assert both.tolist() == pytest.approx([-4.5, 5.5])


def _ring_and_messages(tmp_path: Path, shared: bool) -> None:
    """A ring whose boot is in no other evidence; ``messages`` holds the flood (and, when
    ``shared``, three distinctive kernel lines the ring also holds)."""
    boot = dt.datetime(2023, 3, 5, 8, 12, 40, 417000, tzinfo=dt.timezone.utc)
    distinct = ["e1000e: eth1 NIC Link is Down",
                "e1000e: eth1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
                "nf_conntrack version 0.5.0 (16384 buckets, 65536 max)"]
    ring: list[tuple[float, str]] = [(0.0, BANNER)]
    msgs: list[str] = []
    t = dt.datetime(2023, 3, 14, 13, 54, 30, tzinfo=dt.timezone.utc)
    for k, text in enumerate(distinct):
        at = t + dt.timedelta(seconds=40 * k)
        ring.append(((at - boot).total_seconds() + 0.3, text))
        if shared:
            msgs.append(f"{at:%b %d %H:%M:%S} app3 kernel: {text}\n")
    flood = dt.datetime(2023, 3, 14, 14, 1, 12, tzinfo=dt.timezone.utc)
    for k in range(6):
        at = flood + dt.timedelta(seconds=5 * k)
        for i in range(10):
            ring.append(((at - boot).total_seconds() + 0.2 + 0.01 * i, DROP))
            msgs.append(f"{at:%b %d %H:%M:%S} app3 kernel: {DROP}\n")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("app3\n")
    (tmp_path / "var" / "log").mkdir(parents=True)
    (tmp_path / "var" / "log" / "messages").write_text("".join(msgs))
    (tmp_path / "dmesg").write_text("".join(f"[{u:12.6f}] {m}\n" for u, m in ring))


def test_a_ring_without_boot_is_anchored_by_its_distinctive_lines(tmp_path: Path) -> None:
    _ring_and_messages(tmp_path, shared=True)
    a = cf.analyze(tmp_path, tz="UTC", year=2023)
    (inc,) = a.incidents
    assert inc.drops_logged == 60  # the ring's drops are the twins of messages'
    assert inc.start == pd.Timestamp("2023-03-14T14:01:12Z")
    ring = a.events.loc[a.events["source"].str.endswith("dmesg")]
    assert ring["time"].notna().all()
    assert (ring["time_quality"] == "relative").all()
    assert "from the same kernel lines in" in " ".join(a.diagnostics["message"])


def test_a_ring_that_matches_only_on_drops_stays_untimed(tmp_path: Path) -> None:
    """The drop text repeats identically: it cannot anchor; the ring's rows stay out."""
    _ring_and_messages(tmp_path, shared=False)
    a = cf.analyze(tmp_path, tz="UTC", year=2023)
    (inc,) = a.incidents
    assert inc.drops_logged == 60
    assert inc.start == pd.Timestamp("2023-03-14T14:01:12Z")
    assert a.events["time"].dropna().min() >= pd.Timestamp("2023-01-01", tz="UTC")
    ring = a.events.loc[a.events["source"].str.endswith("dmesg")]
    assert ring["time"].isna().all()
    assert (ring["time_quality"] == "unknown").all()
    (warning,) = [d for d in a.to_dict()["diagnostics"]
                  if d["level"] == "warning" and "no boot time" in d["message"]]
    assert warning["path"].endswith("dmesg")
