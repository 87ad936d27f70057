"""Reading each input: a file that half reads as a log is a problem, not a note."""

from __future__ import annotations

from pathlib import Path

import conntrack_forensics as cf

DROP = "Aug 16 00:32:01 gw kernel: nf_conntrack: table full, dropping packet"


def _levels(result: cf.LoadResult, name: str) -> list[tuple[str, str]]:
    d = result.diagnostics
    rows = d.loc[d["path"].str.endswith(name)]
    return list(zip(rows["level"], rows["message"], strict=True))


def test_a_file_that_partly_reads_as_syslog_is_a_warning(tmp_path: Path) -> None:
    # 3 of 10 lines are syslog: not enough to be sure, too many to be another kind of file
    lines = [DROP] * 3 + [f"frame {n}: 0x{n:08x} in handler()" for n in range(7)]
    (tmp_path / "messages").write_text("\n".join(lines) + "\n")
    result = cf.load(tmp_path, year=2020)
    assert len(result.events) == 0
    (level, message), = _levels(result, "messages")
    assert level == "warning"
    assert "30% of its first lines read as syslog" in message


def test_a_file_of_another_kind_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Remember to renew the certificate.\nCall Bob.\n")
    result = cf.load(tmp_path, year=2020)
    assert _levels(result, "notes.txt") == [("info", "not a recognised log format; skipped")]
