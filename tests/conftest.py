from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "sample_logs"
LOGHUB = ROOT.parent / "shared" / "data" / "loghub"


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctests and relative paths resolve from the repository root."""
    monkeypatch.chdir(ROOT)


def loghub(name: str) -> Path:
    path = LOGHUB / name
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is expected beside the checkout)")
    return path


def set_mtime(path: Path, iso: str) -> None:
    import datetime as dt

    t = dt.datetime.fromisoformat(iso).timestamp()
    os.utime(path, (t, t))
