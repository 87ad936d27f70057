"""The package reads as its pipeline: stages as folders, no import cycles, small modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conntrack_forensics"
#: What may sit at the package root: the public face and the vocabulary every stage shares.
ROOT_MODULES = {"__init__", "__main__", "_display", "_version", "analysis", "cli", "diagnostics",
                "errors", "model", "plots", "times"}
STAGES = {"inputs", "parsers", "events", "correlate", "report"}
MAX_LINES = 400


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("conntrack_forensics", cache_dir=None)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    """Type-only imports count too: grimp reads every import statement."""
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_the_root_holds_only_the_public_face() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert modules == ROOT_MODULES
    assert packages == STAGES


@pytest.mark.parametrize("package", sorted(STAGES))
def test_each_stage_says_what_comes_in_and_goes_out(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    lines = doc.splitlines() if doc else []
    assert any(x.startswith("In: ") for x in lines), package
    assert any(x.startswith("Out: ") for x in lines), package


def test_no_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_stages_import_only_the_stages_below_them() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]), checked by import-linter."""
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(linter), "--no-cache"], capture_output=True, text=True,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stdout[-3000:]


def test_design_opens_with_the_pipeline_the_code_has() -> None:
    """docs/design.md's diagram names each stage and the type it hands on; both exist."""
    import importlib

    text = (PACKAGE.parent / "docs" / "design.md").read_text(encoding="utf-8")
    diagram = text.split("```text", 1)[1].split("```", 1)[0]
    rows = re.findall(r"^\s+(\w+)(/|\.py)\s.*──▶ ([A-Z]\w+)", diagram, re.M)
    assert [stage for stage, _, _ in rows] == ["inputs", "parsers", "events", "correlate",
                                               "analysis"]
    assert set(re.findall(r"^\s+(\w+)/\s", diagram, re.M)) == STAGES
    for stage, _, name in rows:
        assert hasattr(importlib.import_module(f"conntrack_forensics.{stage}"), name), name
