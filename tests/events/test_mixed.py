"""A directory of every format at once: one consistent table, each kernel line counted once."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import conntrack_forensics as cf
from conntrack_forensics.parsers import parsers
from tests.conftest import DATA, SAMPLES

JOURNAL_REMOTE = Path("/lib/systemd/systemd-journal-remote")
COLUMNS = ["kind", "message", "program", "pid", "user", "count", "line", "format"]


def _samples() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.parent.name in parsers()
                  and p.name != "README.md")


def test_every_sample_reads_the_same_alone_and_mixed(tmp_path: Path) -> None:
    mixed = tmp_path / "logs"
    for sample in _samples():
        dest = mixed / sample.parent.name / sample.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample, dest)
    together = cf.load(mixed)
    by_input = {Path(i.path).relative_to(mixed).as_posix(): i for i in together.inputs}
    assert len(by_input) == len(_samples())
    for sample in _samples():
        rel = f"{sample.parent.name}/{sample.name}"
        alone = cf.load(mixed / rel)
        (one,) = alone.inputs
        got = by_input[rel]
        assert (got.format, got.records, got.skipped, got.events) == (
            one.format, one.records, one.skipped, one.events), rel
        ours = together.events.loc[together.events["source"] == (mixed / rel).as_posix()]
        pd.testing.assert_frame_equal(
            ours[COLUMNS].reset_index(drop=True), alone.events[COLUMNS].reset_index(drop=True),
            check_categorical=False, obj=rel)
    wanted = {p.format for p in parsers().values() if p.NAME != "host_config"}
    if not shutil.which("journalctl"):
        wanted.discard("journal_file")
    assert wanted <= set(together.events["format"].dropna())


def _journal_rows(kernel: pd.DataFrame) -> list[dict[str, object]]:
    return [{"__REALTIME_TIMESTAMP": str(t.value // 1000), "_HOSTNAME": "web1",
             "_BOOT_ID": "5f0c3e8a2b7d4c19a6e1f02b3c4d5e6f", "_TRANSPORT": "kernel",
             "SYSLOG_IDENTIFIER": "kernel", "PRIORITY": "4", "MESSAGE": m}
            for t, m in zip(kernel["time"], kernel["message"], strict=True)]


def test_one_host_in_five_formats_counts_each_drop_once(tmp_path: Path) -> None:
    case = tmp_path / "sosreport-web1"
    shutil.copytree(SAMPLES / "sosreport-web1", case, symlinks=True)
    expected = json.loads((case / "expected.json").read_text())
    ev = cf.load(case).events
    kernel = ev.loc[(ev["source"] == f"{case.as_posix()}/var/log/messages")
                    & (ev["program"] == "kernel")]
    rows = _journal_rows(kernel)
    (case / "journal").mkdir()
    (case / "journal" / "kernel.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    export = "".join("".join(f"{k}={v}\n" for k, v in r.items()) + "\n" for r in rows)
    (case / "journal" / "kernel.export").write_text(export)
    if JOURNAL_REMOTE.exists() and shutil.which("journalctl"):
        subprocess.run([str(JOURNAL_REMOTE), "-o", str(case / "journal" / "kernel.journal"),
                        str(case / "journal" / "kernel.export")], check=True,
                       capture_output=True)
    analysis = cf.analyze(case)
    formats = set(analysis.events["format"].dropna())
    assert {"syslog", "dmesg", "journal_json", "journal_export", "snapshot"} <= formats
    (inc,) = analysis.incidents
    assert inc.drops_logged == expected["drops_logged"]
    assert inc.drops_suppressed == expected["drops_suppressed"]
    assert inc.peak_drops_per_second == expected["peak_drops_per_second"]
    if "journal_file" in formats:
        drops = analysis.events.loc[analysis.events["kind"] == "conntrack_drop"]
        assert (drops["format"] == "journal_file").sum() == expected["drops_logged"]
    else:
        pytest.skip("systemd-journal-remote is not installed: binary journal not included")
