"""The notebooks run top to bottom (code cells executed in order, from notebooks/)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(path.parent)
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(path), "exec"), namespace)
    assert namespace["incident"].trigger.command == "iptables -t nat -L"
    import matplotlib.pyplot as plt

    plt.close("all")
