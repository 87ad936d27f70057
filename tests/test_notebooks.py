"""The notebooks run top to bottom in a Jupyter kernel, and are stored clean.

Every ``notebooks/*.ipynb`` is executed with nbclient (from the ``test`` extra) in the
``python3`` kernel that ipykernel (also in the extra) provides to the same environment, with
``notebooks/`` as the working directory, as Jupyter would run it. A cell that raises fails the
test; the outputs must show the figures each notebook is about.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "python3"
#: Text each notebook's outputs must hold (what it is there to show).
EXPECTED = {
    "seed_incident.ipynb": ["iptables -t nat -L", "module_autoload", "0.95", "658", "118936"],
    "fleet_exploration.ipynb": ["gw1-20240221T060712Z", "web2-20240221T060731Z", "608", "1374",
                                "inferred_year", "relative"],
}
#: Paths of a particular machine must not be stored in a notebook.
_ABSOLUTE = re.compile(r"(?:/work/|/home/|/Users/|/root/|/tmp/|[A-Za-z]:\\\\)")


def test_the_notebooks_are_there() -> None:
    assert {p.name for p in NOTEBOOKS} >= set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == KERNEL
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.id} has stored outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.id} was run"
    assert not _ABSOLUTE.search(text), f"{path.name} holds an absolute path"
    assert json.loads(text)["nbformat"] == 4


def _output_text(nb: nbformat.NotebookNode) -> str:
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(str(out.data.get("text/plain", "")))
                parts.append(str(out.data.get("text/html", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError when a cell fails
    errors = [out for cell in nb.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert errors == []
    text = _output_text(nb)
    for expected in EXPECTED.get(path.name, []):
        assert expected in text, f"{path.name}: {expected!r} not in the outputs"
    images = sum("image/png" in out.get("data", {}) for cell in nb.cells
                 for out in cell.get("outputs", []))
    assert images >= 3, f"{path.name} drew {images} figure(s)"
