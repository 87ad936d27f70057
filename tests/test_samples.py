"""The bundled sample cases end to end, field by field against their expected.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import conntrack_forensics as cf
from tests.conftest import LOGHUB, SAMPLES, loghub

CASES = sorted(p.parent for p in SAMPLES.glob("*/expected.json"))


def _expected(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text())


@pytest.fixture(scope="module", params=CASES, ids=lambda p: p.name)
def case(request: pytest.FixtureRequest) -> tuple[Path, dict, dict]:
    path: Path = request.param
    analysis = cf.analyze(path)
    return path, _expected(path), analysis.to_dict()


def test_at_least_three_cases() -> None:
    assert len(CASES) >= 3


def test_one_incident_with_expected_figures(case: tuple[Path, dict, dict]) -> None:
    _, exp, data = case
    (inc,) = data["incidents"]
    for key in ("host", "drops_logged", "drops_suppressed",
                "peak_drops_per_second", "conntrack_max", "conntrack_buckets", "cause"):
        assert inc[key] == exp[key], key
    for key in ("start", "end"):
        # a time from dmesg's seconds since boot is known to the second its syslog twin shows
        got = inc[key]
        if exp.get("time_precision_seconds") == 1:
            got = got.split(".")[0].rstrip("Z") + "Z"
        assert got == exp[key], key


def test_trigger(case: tuple[Path, dict, dict]) -> None:
    _, exp, data = case
    trig = data["incidents"][0]["trigger"]
    if exp["trigger_command"] is None:
        assert trig is None
    else:
        assert (trig["command"], trig["user"], trig["time"]) == (
            exp["trigger_command"], exp["trigger_user"], exp["trigger_time"])
        assert trig["confidence"] >= 0.5 and trig["reasons"]
    if exp["trigger_command"] is not None and exp["trigger_time"] is None:  # untimed: bounds
        assert (trig["not_before"], trig["not_after"]) == (
            exp["trigger_not_before"], exp["trigger_not_after"])
        assert trig["confidence"] < 0.9  # less sure than a timed trigger


def test_recovery(case: tuple[Path, dict, dict]) -> None:
    _, exp, data = case
    rec = data["incidents"][0]["recovery"]
    if exp["recovery_kind"] is None:
        assert rec is None
    else:
        assert (rec["kind"], rec["time"]) == (exp["recovery_kind"], exp["recovery_time"])


def test_settings_and_inputs(case: tuple[Path, dict, dict]) -> None:
    path, exp, data = case
    assert data["settings"]["tz"] == exp["tz"]
    assert data["settings"]["year"] == exp["year"]
    by_path = {Path(i["path"]).relative_to(path).as_posix(): i for i in data["inputs"]}
    for rel, lines in exp["line_counts"].items():
        got = by_path[rel]
        # a history entry with HISTTIMEFORMAT is two lines: "#epoch" and the command
        timed = exp.get("history_timestamps", True)
        per_record = 2 if got["format"] == "bash_history" and timed else 1
        assert got["records"] * per_record == lines, rel
        assert got["skipped"] == 0, rel
    assert not [d for d in data["diagnostics"] if d["level"] != "info"]


def test_seed_red_herring_ranked_low() -> None:
    a = cf.analyze(SAMPLES / "bogon-nat-listing")
    (inc,) = a.incidents
    low = [c for c in inc.candidates if c.command == "iptables -L"]
    assert low and low[0].confidence < 0.5
    assert any(m.module == "nf_conntrack" for m in inc.module_loads)
    assert inc.explanation[0].startswith("`iptables -t nat -L` was run")
    assert "filled it within 6 seconds" in inc.explanation[-1]
    assert "### Root cause" in a.to_markdown() and "<h3>Root cause</h3>" in a.to_html()


def test_report_is_deterministic(tmp_path: Path) -> None:
    src = SAMPLES / "bogon-nat-listing"
    a = cf.analyze(src).to_json()
    b = cf.analyze(src).to_json()
    assert a == b


def test_loghub_background_parses_clean_and_has_no_incident() -> None:
    for name in ("Linux_2k.log", "OpenSSH_2k.log"):
        path = loghub(name)
        result = cf.load(path, full=True)
        assert len(result.events) == 2000, name
        assert result.inputs[0].skipped == 0
        assert not (result.diagnostics["level"].astype(str) != "info").any(), name
        assert cf.analyze(path).incidents == []


def test_seed_mixed_with_real_background(tmp_path: Path) -> None:
    loghub("Linux_2k.log")
    case = tmp_path / "case"
    shutil.copytree(SAMPLES / "bogon-nat-listing", case)
    shutil.copy(LOGHUB / "Linux_2k.log", case / "combo-messages")
    shutil.copy(LOGHUB / "OpenSSH_2k.log", case / "var" / "log" / "auth.log")
    a = cf.analyze(case)
    assert [i.host for i in a.incidents] == ["bogon"]
    exp = _expected(SAMPLES / "bogon-nat-listing")
    assert a.incidents[0].drops_logged == exp["drops_logged"]
    assert set(a.hosts) >= {"bogon", "combo", "LabSZ"}


def test_sosreport_snapshots_are_at_the_capture_time(tmp_path: Path) -> None:
    import tarfile

    case = SAMPLES / "sosreport-web1"
    exp = _expected(case)
    a = cf.analyze(case)
    snaps = a.events.loc[a.events["kind"] == "snapshot"]
    assert set(snaps["program"]) >= {"date", "uptime", "uname", "lsmod", "sysctl",
                                     "/proc/net/stat/nf_conntrack", "iptables"}
    assert (snaps["time"] == pd.Timestamp(exp["capture"])).all()
    sysctl = snaps.loc[snaps["program"] == "sysctl"].iloc[0]
    assert sysctl["conntrack_count"] == sysctl["conntrack_max"] == 65536
    assert snaps.loc[snaps["program"] == "lsmod", "conntrack_loaded"].iloc[0]
    # the same report as a tarball, links and all, gives the same incident
    archive = tmp_path / "sosreport-web1-2024-05-20-xkqpzdv.tar.xz"
    with tarfile.open(archive, "w:xz") as tf:
        tf.add(case, arcname="sosreport-web1-2024-05-20-xkqpzdv")
    packed = cf.analyze(archive).to_dict()["incidents"][0]
    direct = a.to_dict()["incidents"][0]
    for key in ("host", "start", "end", "drops_logged", "drops_suppressed", "conntrack_max",
                "cause", "recovery", "trigger"):
        assert packed[key] == direct[key], key
