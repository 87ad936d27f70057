"""Shared helpers of the report tests: the cases, and where the browser screenshots go."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import conntrack_forensics as cf
from tests.conftest import SAMPLES, set_mtime

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
SCENARIOS = HERE.parent / "scenarios"
#: Every bundled case: the sample logs and the scenarios.
CASES = (sorted(p.parent for p in SAMPLES.glob("*/expected.json"))
         + sorted(p.parent for p in SCENARIOS.glob("*/expected.json")))
#: Screenshots written in this session, listed at the end of the run.
WRITTEN: list[Path] = []


def analyze_case(case: Path, work: Path) -> cf.Analysis:
    """Analyze a bundled case as its own test does (scenarios: copied, mtimes set, args)."""
    if case.parent != SCENARIOS:
        return cf.analyze(case)
    exp: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    dest = work / case.name
    shutil.copytree(case, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("README.md", "expected.json"))
    for rel, iso in exp.get("mtimes", {}).items():
        set_mtime(dest / rel, iso.replace("Z", "+00:00"))
    args = exp.get("args", {})
    return cf.analyze(dest, tz=args.get("tz"), year=args.get("year"), gap=args.get("gap", 300))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Name the screenshots the browser test kept."""
    if WRITTEN:
        terminalreporter.write_sep("-", "report screenshots")
        for path in WRITTEN:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
