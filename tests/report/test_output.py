"""Report files are written whole or not at all (report/output.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import conntrack_forensics as cf
from conntrack_forensics.report.output import open_atomic, write_atomic
from tests.conftest import SAMPLES


def test_write_atomic_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "postmortem.md"
    target.write_text("old\n")
    write_atomic(target, "new ✓\n")
    write_atomic(tmp_path / "postmortem.json", b"{}\n")
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert (tmp_path / "postmortem.json").read_bytes() == b"{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["postmortem.json", "postmortem.md"]


def test_new_files_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "postmortem.html", "<html></html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "postmortem.html").stat().st_mode) == 0o644


def test_an_interrupted_stream_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "timeline.csv"
    target.write_text("previous run\n")
    with pytest.raises(KeyboardInterrupt), open_atomic(target) as fh:
        fh.write("time,host\n" * 10_000)
        raise KeyboardInterrupt
    assert target.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.csv"]


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "postmortem.md"
    link.symlink_to(elsewhere)
    write_atomic(link, "report\n")
    assert elsewhere.read_text() == "keep\n"
    assert not link.is_symlink() and link.read_text() == "report\n"


def test_postmortem_files_are_written_atomically(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = cf.analyze(SAMPLES / "bogon-nat-listing")
    target = tmp_path / "postmortem.json"
    target.write_text('{"previous": true}\n')
    real_replace = os.replace

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        analysis.to_json(target)
    assert target.read_text() == '{"previous": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["postmortem.json"]
    monkeypatch.setattr(os, "replace", real_replace)
    analysis.to_json(target)
    assert target.read_text() == analysis.to_json()
