"""The same inputs and options give byte-identical reports (CONTRACT section 4).

Each sample is copied (modification times kept) to the same relative name under two
different directories, and reported from each directory as the working directory, under
different environments: zone (``TZ``), locale (``LANG``/``LC_ALL``) and hash seed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

ENVIRONMENTS = [
    {"TZ": "UTC", "LANG": "C", "LC_ALL": "C", "PYTHONHASHSEED": "0"},
    {"TZ": "Asia/Tokyo", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8",
     "PYTHONHASHSEED": "4242"},
]


def _report(cwd: Path, name: str, env: dict[str, str]) -> dict[str, bytes]:
    full = {**os.environ, **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")]))}
    r = subprocess.run([sys.executable, "-m", "conntrack_forensics", "report", name,
                        "-o", "out"], cwd=cwd, env=full, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return {f: (cwd / "out" / f"postmortem.{f}").read_bytes() for f in ("json", "md", "html")}


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_reports_are_byte_identical_across_directories_and_environments(
        tmp_path: Path, sample: str) -> None:
    runs = []
    for n, env in enumerate(ENVIRONMENTS):
        cwd = tmp_path / f"run{n}" / "case"
        shutil.copytree(SAMPLES / sample, cwd / sample, symlinks=True)
        runs.append(_report(cwd, sample, env))
    first, second = runs
    for fmt in ("json", "md", "html"):
        assert first[fmt] == second[fmt], f"{sample}: postmortem.{fmt} differs"
    assert str(tmp_path).encode() not in first["json"] + first["md"] + first["html"]
