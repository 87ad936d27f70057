"""Hand-written host evidence trees, each with the postmortem it must give (expected.json).

Every directory beside this file that holds an ``expected.json`` is a scenario: a small host
file system (or several, ``logs/<host>/...``) written line by line in the formats the tools
print, a ``README.md`` saying what happened and why the report must conclude what it does, and
the expected figures, counted by hand from the lines. The scenario is copied to a temporary
directory (inputs are never touched; README.md and expected.json are left out, they are not
evidence), the modification times git does not keep are set there from ``mtimes``,
``conntrack_forensics.analyze`` runs on the copy, and the postmortem JSON is compared field by
field.

``expected.json`` keys:

- ``description``: one line.
- ``args``: ``tz``, ``year``, ``gap`` passed to ``analyze``.
- ``mtimes``: ``{"relative/path": "2019-07-16T09:08:49Z"}``, set on the copy.
- ``time_precision_seconds`` (optional): compare every time truncated to whole seconds
  (times derived from ``dmesg`` or audit records carry fractions the syslog twin does not).
- ``allowed_diagnostics`` (optional): substrings of warning/error diagnostics that may occur;
  any other warning or error fails the scenario.
- ``incidents``: in the order of the report (start, then host); each lists the CONTRACT
  section 4 fields the evidence states with certainty:

  - ``host``, ``start``, ``end``, ``drops_logged``, ``drops_suppressed``,
    ``peak_drops_per_second``, ``conntrack_max``, ``conntrack_buckets``, ``cause``: equal;
  - ``trigger``: ``null``, or the subset of ``command``, ``user``, ``time``, ``identity``,
    ``via``, ``run_as`` to match (equal); a ``command`` given as a list accepts any of its
    spellings of the same act (the shell history's ``sudo iptables ...``, sudo's
    ``/sbin/iptables ...``); ``records``, an integer, is how many records of the one action the
    trigger must cite, counted by hand: each sudo log line, each audit event that records the
    command (``USER_CMD``; each ``EXECVE`` event of it), each history line;
  - ``recovery``: ``null``, or ``kind`` and ``time``;
  - ``candidate_commands_low``: commands (or lists of spellings of one command) that must be
    listed among the candidates, every listing with a confidence below 0.5;
  - ``candidate_reasons`` (extension): ``{command: [substring, ...]}``, each substring in the
    reasons of that command's candidate;
  - ``candidates`` (extension): partial candidates that must be listed (``command``, ``user``,
    ``time``, ``not_before``, ``not_after``; ``rank`` is the 1-based position);
  - ``module_loads``: ``{module, time}`` loads that must be listed, each once; a module named
    here must not be listed at any other time (one load seen in several sources is one load);
  - ``one_candidate_per_action`` (extension): ``true`` when no two candidates may be the same
    command (compared as ``correlate.knowledge.normalize_command`` words it) within 5 seconds
    (``FUSE_SECONDS``) of each other: one action recorded by several sources is one candidate;
  - ``candidates_absent`` (extension): substrings no candidate's command may contain (such as
    ``(load of nf_conntrack`` when the evidence shows which command caused that load);
  - ``cause_reasons_contain`` (extension): substrings each found in some ``cause_reasons``
    entry (the line that shows conntrack was in use, the service that keeps it loaded).

Whatever the scenario, the JSON must not carry pandas' placeholders (``<NA>``, ``nan``,
``NaT``) as text.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.correlate.knowledge import normalize_command
from tests.conftest import set_mtime
from tests.scenarios import make_rollover

HERE = Path(__file__).resolve().parent
SCENARIOS = sorted(p.parent for p in HERE.glob("*/expected.json"))
EQUAL_FIELDS = ("host", "drops_logged", "drops_suppressed", "peak_drops_per_second",
                "conntrack_max", "conntrack_buckets", "cause")
TIME_FIELDS = ("start", "end")
LOW = 0.5
NOT_EVIDENCE = ("README.md", "expected.json")
#: Records of one action lie this close together (sudo, audit and a shell's stamp of one act).
FUSE_SECONDS = 5.0
#: Trigger fields compared as they are.
TRIGGER_EQUAL = ("user", "identity", "via", "run_as")


def _load(case: Path) -> dict[str, Any]:
    return json.loads((case / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.name)
def scenario(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Any]:
    src: Path = request.param
    exp = _load(src)
    work = tmp_path_factory.mktemp("scenario") / src.name
    # the scenario's README.md and expected.json describe the evidence; they are not part of it
    shutil.copytree(src, work, symlinks=True, ignore=shutil.ignore_patterns(*NOT_EVIDENCE))
    for rel, iso in exp.get("mtimes", {}).items():
        target = work / rel
        assert target.is_file(), f"{src.name}: mtimes names {rel}, which is not in the scenario"
        set_mtime(target, iso.replace("Z", "+00:00"))
    args = exp.get("args", {})
    analysis = cf.analyze(work, tz=args.get("tz"), year=args.get("year"),
                          gap=args.get("gap", 300))
    return src.name, exp, analysis.to_dict()


def _t(value: str | None, exp: dict[str, Any]) -> str | None:
    """A time as compared: truncated to the second when the scenario says so."""
    if value is None or exp.get("time_precision_seconds") != 1:
        return value
    return value.split(".")[0].removesuffix("Z") + "Z"


def _summary(incidents: list[dict[str, Any]]) -> str:
    return "; ".join(f"{i['host']} {i['start']}..{i['end']} ({i['drops_logged']} drops)"
                     for i in incidents) or "none"


def _pairs(scenario: tuple[str, dict[str, Any], Any]):
    name, exp, data = scenario
    got = data["incidents"]
    want = exp["incidents"]
    assert len(got) == len(want), (
        f"{name}: {len(got)} incidents reported ({_summary(got)}), {len(want)} expected")
    return name, exp, list(zip(want, got, strict=True))


def _spellings(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_incident_count(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, _, data = scenario
    _pairs(scenario)
    keys = [(pd.Timestamp(i["start"]), i["host"]) for i in data["incidents"]]
    assert keys == sorted(keys), f"{name}: incidents not sorted by start, host: {keys}"


def test_incident_figures(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        label = f"{name} incident {n} ({got['id']})"
        for key in EQUAL_FIELDS:
            if key in want and got[key] != want[key]:
                problems.append(f"{label}: {key} is {got[key]!r}, expected {want[key]!r}")
        for key in TIME_FIELDS:
            if key in want and _t(got[key], exp) != _t(want[key], exp):
                problems.append(f"{label}: {key} is {got[key]!r}, expected {want[key]!r}")
    assert not problems, "\n".join(problems)


def test_trigger(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        if "trigger" not in want:
            continue
        label = f"{name} incident {n} ({got['id']})"
        w, g = want["trigger"], got["trigger"]
        if w is None:
            if g is not None:
                problems.append(f"{label}: trigger is `{g['command']}` ({g['user']}, "
                                f"{g['confidence']}), expected none")
            continue
        if g is None:
            best = got["candidates"][0] if got["candidates"] else None
            problems.append(f"{label}: no trigger, expected `{w.get('command')}`; best "
                            f"candidate: {best and (best['command'], best['confidence'])}")
            continue
        if "command" in w and g["command"] not in _spellings(w["command"]):
            problems.append(f"{label}: trigger command is {g['command']!r}, expected one of "
                            f"{_spellings(w['command'])}")
        for key in TRIGGER_EQUAL:
            if key in w and g.get(key) != w[key]:
                problems.append(f"{label}: trigger {key} is {g.get(key)!r}, expected {w[key]!r}")
        if "time" in w and _t(g["time"], exp) != _t(w["time"], exp):
            problems.append(f"{label}: trigger time is {g['time']!r}, expected {w['time']!r}")
        if "records" in w and len(g.get("records") or []) != w["records"]:
            cited = [(r["format"], r["source"]) for r in g.get("records") or []]
            problems.append(f"{label}: the trigger cites {len(cited)} records {cited}, expected "
                            f"{w['records']}")
    assert not problems, "\n".join(problems)


def test_cause_reasons(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, _, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        label = f"{name} incident {n} ({got['id']})"
        reasons = got.get("cause_reasons") or []
        for needle in want.get("cause_reasons_contain", []):
            if not any(needle in r for r in reasons):
                problems.append(f"{label}: no cause reason says {needle!r}: {reasons}")
    assert not problems, "\n".join(problems)


def test_recovery(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        if "recovery" not in want:
            continue
        label = f"{name} incident {n} ({got['id']})"
        w, g = want["recovery"], got["recovery"]
        if w is None or g is None:
            if w != g:
                problems.append(f"{label}: recovery is {g and (g['kind'], g['time'])}, "
                                f"expected {w and (w['kind'], w['time'])}")
            continue
        if (g["kind"], _t(g["time"], exp)) != (w["kind"], _t(w["time"], exp)):
            problems.append(f"{label}: recovery is {g['kind']} at {g['time']} "
                            f"({g.get('evidence')!r}), expected {w['kind']} at {w['time']}")
    assert not problems, "\n".join(problems)


def test_candidates(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        label = f"{name} incident {n} ({got['id']})"
        cands = got["candidates"]
        listed = [(c["command"], c["confidence"]) for c in cands]
        for entry in want.get("candidate_commands_low", []):
            names = _spellings(entry)
            hits = [c for c in cands if c["command"] in names]
            if not hits:
                problems.append(f"{label}: {names} not among the candidates {listed}")
            for c in hits:
                if c["confidence"] >= LOW:
                    problems.append(f"{label}: candidate {c['command']!r} has confidence "
                                    f"{c['confidence']}, expected below {LOW}")
        for command, needles in want.get("candidate_reasons", {}).items():
            hits = [c for c in cands if c["command"] == command]
            if not hits:
                problems.append(f"{label}: {command!r} not among the candidates {listed}")
                continue
            reasons = " | ".join(hits[0]["reasons"])
            for needle in needles:
                if needle not in reasons:
                    problems.append(f"{label}: the reasons for {command!r} do not say "
                                    f"{needle!r}: {reasons}")
        for needle in want.get("candidates_absent", []):
            problems += [f"{label}: candidate {c['command']!r} ({c['confidence']}) is listed, "
                         f"expected none containing {needle!r}: {c['reasons']}"
                         for c in cands if needle in c["command"]]
        for partial in want.get("candidates", []):
            hits = [(i, c) for i, c in enumerate(cands, 1) if c["command"] == partial["command"]]
            if not hits:
                problems.append(f"{label}: {partial['command']!r} not among the candidates "
                                f"{listed}")
                continue
            rank, c = hits[0]
            if "rank" in partial and rank != partial["rank"]:
                problems.append(f"{label}: {partial['command']!r} ranks {rank}, expected "
                                f"{partial['rank']} (candidates {listed})")
            for key in ("user", "time", "not_before", "not_after"):
                if key in partial and _t(c.get(key), exp) != _t(partial[key], exp):
                    problems.append(f"{label}: candidate {partial['command']!r} has {key} "
                                    f"{c.get(key)!r}, expected {partial[key]!r}")
    assert not problems, "\n".join(problems)


def test_one_candidate_per_action(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, _, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        if not want.get("one_candidate_per_action"):
            continue
        label = f"{name} incident {n} ({got['id']})"
        timed = [(normalize_command(c["command"]), pd.Timestamp(c["time"]), c)
                 for c in got["candidates"] if c["time"] is not None]
        for i, (key, t, c) in enumerate(timed):
            for key2, t2, c2 in timed[i + 1:]:
                if key == key2 and abs((t2 - t).total_seconds()) <= FUSE_SECONDS:
                    problems.append(f"{label}: one action listed twice: {c['command']!r} at "
                                    f"{c['time']} ({c['source']}) and {c2['command']!r} at "
                                    f"{c2['time']} ({c2['source']})")
    assert not problems, "\n".join(problems)


def test_module_loads(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, pairs = _pairs(scenario)
    problems = []
    for n, (want, got) in enumerate(pairs, 1):
        if "module_loads" not in want:
            continue
        label = f"{name} incident {n} ({got['id']})"
        listed = [(m["module"], m["time"]) for m in got["module_loads"]]
        for load in want["module_loads"]:
            same = [m for m in got["module_loads"] if m["module"] == load["module"]]
            at = [m for m in same if _t(m["time"], exp) == _t(load["time"], exp)]
            if not at:
                problems.append(f"{label}: no {load['module']} load at {load['time']} "
                                f"among {listed}")
            if len(at) > 1:
                problems.append(f"{label}: {load['module']} listed {len(at)} times at "
                                f"{load['time']}: one load seen in several sources is one load")
            wanted = {_t(w["time"], exp) for w in want["module_loads"]
                      if w["module"] == load["module"]}
            others = [(m["time"], m["source"]) for m in same if _t(m["time"], exp) not in wanted]
            if others:
                problems.append(f"{label}: {load['module']} also listed as loaded at {others}; "
                                f"the evidence shows loads at {sorted(wanted)} only")
    assert not problems, "\n".join(problems)


PLACEHOLDERS = frozenset({"<NA>", "nan", "NaN", "NaT", "None"})


def _placeholders(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return [f"{path} = {value!r}"] if isinstance(value, str) and value in PLACEHOLDERS else []


def test_json_has_no_placeholder_text(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, _, data = scenario
    found = _placeholders(data, "postmortem")
    assert not found, f"{name}: missing values written as text:\n" + "\n".join(found[:20])


def test_no_unexpected_warnings(scenario: tuple[str, dict[str, Any], Any]) -> None:
    name, exp, data = scenario
    allowed = exp.get("allowed_diagnostics", [])
    bad = [f"{d['level']}: {d['path']}:{d['line']}: {d['message']}"
           for d in data["diagnostics"]
           if d["level"] in ("warning", "error")
           and not any(s in d["message"] for s in allowed)]
    assert not bad, f"{name}: unexpected diagnostics:\n" + "\n".join(bad)


def test_at_least_eight_scenarios() -> None:
    assert len(SCENARIOS) >= 8, [p.name for p in SCENARIOS]


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda p: p.name)
def test_scenario_is_documented(case: Path) -> None:
    exp = _load(case)
    assert (case / "README.md").is_file(), f"{case.name}: README.md missing"
    assert exp.get("description"), f"{case.name}: description missing"
    assert "incidents" in exp, f"{case.name}: incidents missing"


def test_compressed_members_match_their_generator() -> None:
    """The committed .gz files hold exactly the text make_rollover.py writes."""
    for name, text in make_rollover.MEMBERS.items():
        path = make_rollover.HERE / name
        assert path.is_file(), f"{path} missing: run python tests/scenarios/make_rollover.py"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            assert fh.read() == text, f"{path} differs from make_rollover.py: rerun it"
