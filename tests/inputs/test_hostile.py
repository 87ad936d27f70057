"""Hostile evidence: a real incident among everything a broken machine can leave (issue 16).

The tree (:mod:`.hostile_tree`) holds the bogon-nat-listing incident beside symbolic link
loops, dangling links, a FIFO, a socket, a device, a link to ``/dev/zero``, unreadable and
vanishing files, names that are not UTF-8 or hold newlines and shell syntax, a NUL-filled file,
a broken journal, gzip, bzip2 and xz bombs, a 64 MB line and archives with ``..`` members.
Nothing may crash, the incident must come out as it does from the clean sample, and a
diagnostic must name each oddity.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import conntrack_forensics as cf
from conntrack_forensics.inputs.names import display

from . import hostile_tree

#: The oddity, and words its diagnostic must hold.
EXPECTED = {
    "file_loop": "symbolic link loop",
    "dir_loop": "symbolic link loop",
    "dangling": "dangling symbolic link",
    "fifo": "FIFO",
    "socket": "a socket",
    "device": "a device",
    "link_to_device": "/dev/zero, a device",
    "link_to_fifo": "a FIFO",
    "unreadable": "permission denied",
    "unreadable_dir": "directory not read: permission denied",
    "vanishing": "vanished",
    "not_utf8": "not valid UTF-8",
    "newline": "control characters",
    "nul_filled": "only NUL bytes",
    "broken_journal": "not valid JSON",
    "bomb": "decompression bomb",
    "bz2_bomb": "decompression bomb",
    "xz_bomb": "decompression bomb",
    "long_line": "line longer than 1,048,576 bytes",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Path]]]:
    root = tmp_path_factory.mktemp("hostile") / "evidence"
    made = hostile_tree.build(root, bomb_gib=1)
    yield root, made
    hostile_tree.unlock(root)


def _facts(incident: Any) -> tuple[object, ...]:
    trigger = incident.trigger
    return (incident.host, incident.start.isoformat(), incident.drops_logged, incident.cause,
            trigger.command if trigger is not None else None)


def _state(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry under ``root`` as (mode, size, mtime), without following or opening any."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture()
def denied(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a non-root user meets them: ``locked`` unreadable, ``locked-dir`` unlistable, and
    ``vanishing`` removed after the walk listed it (root reads through any mode bits)."""
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> int:
        name = os.path.basename(os.fsdecode(path))
        if name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        if name == "vanishing":
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        return real_open(path, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if os.path.basename(os.fsdecode(path)) == "locked-dir":
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)


def test_analyze_finds_the_incident_and_names_every_oddity(
    tree: tuple[Path, dict[str, Path]], denied: None
) -> None:
    root, made = tree
    before = _state(root)
    clean = cf.analyze(hostile_tree.SAMPLE)
    result = cf.analyze(root)
    assert [_facts(i) for i in result.incidents] == [_facts(i) for i in clean.incidents]
    assert _facts(result.incidents[0]) == (
        "bogon", "2017-04-26T16:03:27+00:00", 658, "module_autoload", "iptables -t nat -L")
    diag = result.diagnostics
    for key, words in EXPECTED.items():
        if key not in made:  # no device or socket could be made here
            continue
        path = display(made[key].as_posix())
        messages = diag.loc[diag["path"] == path, "message"].tolist()
        assert any(words in m for m in messages), (key, path, messages)
    levels = dict(zip(diag["message"], diag["level"].astype(str), strict=False))
    assert all(levels[m] == "warning" for m in levels if "symbolic link loop" in m)
    assert _state(root) == before  # nothing written, moved or touched


def test_archives_with_traversal_members(tree: tuple[Path, dict[str, Path]]) -> None:
    root, made = tree
    result = cf.load(root)
    diag = result.diagnostics
    tar, zipped = made["tar"].as_posix(), made["zip"].as_posix()
    refused = set(diag.loc[diag["message"].str.contains("'..' path refused"), "path"])
    assert {f"{tar}!/../../escaped.log", f"{tar}!//etc/absolute.log",
            f"{tar}!/ok/../../../up.log", f"{zipped}!/../../escaped.log",
            f"{zipped}!//absolute.log", f"{zipped}!/..\\..\\windows.log"} <= refused
    links = diag.loc[diag["path"] == f"{tar}!/var/log/shadow-link", "message"].tolist()
    assert links == ["symbolic link to /etc/shadow (outside the input) not followed"]
    assert not (root.parent / "escaped.log").exists()


def test_odd_names_are_read_and_never_run(tree: tuple[Path, dict[str, Path]]) -> None:
    root, made = tree
    result = cf.load(root)
    read = {i.path: i.records for i in result.inputs}
    for key in ("not_utf8", "newline", "quotes", "subshell", "glob"):
        assert read[display(made[key].as_posix())] == 1, key
    assert not any(p.name == "pwned" for p in root.rglob("*"))
    assert not Path("pwned").exists()


def test_report_through_the_cli(tree: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    root, made = tree
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "conntrack_forensics", "report", str(root), "-o", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "postmortem.json").read_text())
    incident = report["incidents"][0]
    assert (incident["start"], incident["drops_logged"], incident["cause"],
            incident["trigger"]["command"]) == (
        "2017-04-26T16:03:27Z", 658, "module_autoload", "iptables -t nat -L")
    paths = {d["path"] for d in report["diagnostics"]}
    for key in ("file_loop", "dangling", "fifo", "link_to_device", "bomb", "long_line"):
        assert display(made[key].as_posix()) in paths, key
    assert "not_utf8" in made and display(made["not_utf8"].as_posix()) in paths
