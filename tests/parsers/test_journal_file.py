from __future__ import annotations

import gzip
import io
import os
import shutil
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.inputs.walk import iter_sources
from conntrack_forensics.parsers import Head, ParseContext, parsers, pick, pick_binary
from conntrack_forensics.parsers import journal_file as jf
from conntrack_forensics.parsers.base import Hints
from tests.conftest import DATA
from tests.parsers.helpers import run_parser, tool
from tests.parsers.test_journal_export import export_bytes

TOOL = tool("make_journal_files")
SAMPLES = DATA / "journal_file"
WEB = SAMPLES / "web-03.journal.gz"
TRUNCATED = SAMPLES / "web-03-truncated.journal.gz"
K8S = SAMPLES / "k8s-node-7.journal.gz"
(ARCHIVED,) = SAMPLES.glob("system@*.journal~.gz")
K8S_EXPORT = DATA / "journal_export" / "k8s-node-7.export"
DROP = "nf_conntrack: nf_conntrack: table full, dropping packet"

JOURNALCTL = shutil.which("journalctl")
REMOTE = TOOL.find_remote()
needs_journalctl = pytest.mark.skipif(
    JOURNALCTL is None, reason="journalctl is not installed: binary journals are read with it")
needs_remote = pytest.mark.skipif(
    REMOTE is None, reason="systemd-journal-remote is not installed: it writes the journals")
posix_only = pytest.mark.skipif(os.name != "posix", reason="the stand-in journalctl is a sh script")

#: What the journal and its export text must agree on (source, line, format, evidence differ).
SAME = ["time", "host", "kind", "message", "count", "program", "pid", "user", "command",
        "module", "conntrack_max", "conntrack_buckets", "time_quality"]


def _head(path: Path) -> bytes:
    with gzip.open(path) as fh:
        return fh.read(64 * 1024)


def _load(path: Path) -> cf.LoadResult:
    return cf.load(path, full=True)


# ------------------------------------------------------------------------------- detection


def test_journal_files_are_picked_by_magic() -> None:
    for path in SAMPLES.glob("*.gz"):
        parser = pick_binary(_head(path))
        assert parser is not None and parser.NAME == "journal_file", path.name
        assert parser.format == "journal_file"


def test_sniff_knows_a_journal_head_and_no_text() -> None:
    parser = parsers()["journal_file"]
    assert parser.sniff(Head.from_bytes("system.journal", _head(WEB))) == 1.0
    for text in [b"LPKSHHRH is the signature of a systemd journal file\n",
                 b"LPKSHHRH\tx\n" * 20, b"MESSAGE=LPKSHHRH\n_PID=1\n\n", b""]:
        assert parser.sniff(Head.from_bytes("notes.journal", text)) == 0.0
        picked, _ = pick(Head.from_bytes("notes.journal", text))
        assert picked is None or picked.NAME != "journal_file"


# ------------------------------------------------------------------------ same as export


@needs_journalctl
@pytest.mark.parametrize(("journal", "export"), [
    (WEB, lambda: TOOL.export_text(TOOL.web03().entries)),
    (ARCHIVED, lambda: TOOL.export_text(TOOL.natgw().entries)),
    (K8S, K8S_EXPORT.read_bytes),
], ids=["web-03", "archived", "k8s-node-7"])
def test_journal_gives_the_events_of_its_export(journal: Path, export, tmp_path: Path) -> None:
    text = tmp_path / "journal.export"
    text.write_bytes(export())
    from_text, from_journal = _load(text), _load(journal)
    assert from_text.diagnostics.empty and from_journal.diagnostics.empty
    pd.testing.assert_frame_equal(from_journal.events[SAME], from_text.events[SAME])
    assert set(from_journal.events["format"].astype(str)) == {"journal_file"}
    assert set(from_text.events["format"].astype(str)) == {"journal_export"}
    (j_in,), (t_in,) = from_journal.inputs, from_text.inputs
    assert (j_in.format, j_in.records, j_in.skipped) == ("journal_file", t_in.records, 0)


@needs_journalctl
def test_web03_rows_and_entry_numbers() -> None:
    raw, ctx = run_parser("journal_file", WEB)
    entries = len(TOOL.web03().entries)
    assert (ctx.records, ctx.skipped, len(raw)) == (entries, 0, entries + 1) and not ctx.diag.rows
    # line is the entry's number in the journal; the second boot's marker shares its entry's
    assert raw["line"].tolist() == [*range(1, 66), 66, *range(66, entries + 1)]
    kinds = Counter(raw["kind"])
    assert (kinds["conntrack_drop"], kinds["ratelimit_suppressed"], kinds["command"]) == (50, 4, 1)
    banner = raw.loc[raw["kind"].eq("module_load") & raw["module"].eq("nf_conntrack")].iloc[0]
    assert (banner["conntrack_max"], banner["conntrack_buckets"], banner["program"]) == (
        262144, 65536, "kernel")
    sudo = raw.loc[raw["kind"] == "command"].iloc[0]
    assert (sudo["program"], sudo["pid"], sudo["user"], sudo["command"]) == (
        "sudo", 21902, "admin", "/usr/sbin/iptables -t nat -L")
    assert sudo["evidence"].startswith("__CURSOR=s=")
    assert "\n_HOSTNAME=web-03" in sudo["evidence"]
    boots = raw.loc[raw["message"].str.startswith("-- Boot ")]
    assert boots["message"].tolist() == [f"-- Boot {TOOL.WEB_BOOT_B} --"]


@needs_journalctl
def test_archived_journal_is_read() -> None:
    result = _load(ARCHIVED)
    events = result.events
    assert ARCHIVED.name.endswith(".journal~.gz") and result.diagnostics.empty
    assert set(events["host"]) == {"natgw-1"} and len(events) == 34
    assert (events["kind"] == "conntrack_drop").sum() == 30
    assert events.loc[events["kind"] == "ratelimit_suppressed", "count"].tolist() == [512, 1734]


@needs_journalctl
def test_incident_from_a_journal_file_alone() -> None:
    (inc,) = cf.analyze(WEB).incidents
    assert (inc.host, inc.drops_logged, inc.drops_suppressed, inc.conntrack_max) == (
        "web-03", 50, 1234 + 2876 + 3310 + 2954, 262144)
    assert inc.trigger is not None and inc.trigger.command == "/usr/sbin/iptables -t nat -L"
    assert inc.cause == "module_autoload"
    assert inc.recovery is not None and inc.recovery.kind == "reboot"


# ----------------------------------------------------------------------- where the file is


@needs_journalctl
def test_plain_file_on_disk_is_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "system.journal"
    path.write_bytes(gzip.decompress(WEB.read_bytes()))

    def no_spool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a journal file on disk must be read in place")

    monkeypatch.setattr(jf.tempfile, "NamedTemporaryFile", no_spool)
    result = _load(path)
    assert len(result.events) == 70 and result.diagnostics.empty


@needs_journalctl
def test_standard_input_is_spooled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(WEB.read_bytes())))
    spools: list[str] = []
    real = tempfile.NamedTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        tmp = real(*args, **kwargs)
        spools.append(tmp.name)
        return tmp

    monkeypatch.setattr(jf.tempfile, "NamedTemporaryFile", spy)
    result = cf.load("-", full=True)
    assert len(result.events) == 70 and result.diagnostics.empty
    assert set(result.events["source"].astype(str)) == {"<stdin>"}
    assert len(spools) == 1 and not os.path.exists(spools[0])  # deleted afterwards


@needs_journalctl
def test_archive_member(tmp_path: Path) -> None:
    path = tmp_path / "logs.tar.gz"
    data = gzip.decompress(WEB.read_bytes())
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("var/log/journal/8a2f/system.journal")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = _load(path)
    assert result.diagnostics.empty and len(result.events) == 70


# ----------------------------------------------------------------------------- failures


@needs_journalctl
def test_truncated_journal_is_one_error() -> None:
    result = _load(TRUNCATED)
    (row,) = result.diagnostics.itertuples()
    assert (row.path, row.level) == (TRUNCATED.as_posix(), "error")
    assert row.message.startswith("journalctl could not read the whole journal file (exit status")
    # journalctl refuses a journal shorter than its header says: nothing could be read
    assert row.message.endswith("no entries could be read")
    (summary,) = result.inputs
    assert (summary.format, summary.records, len(result.events)) == ("journal_file", 0, 0)


def _fake_journalctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export: bytes,
                     status: int, stderr: str) -> None:
    """A journalctl on PATH that prints ``export``, then ``stderr`` (``$2`` is the file)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "out.export").write_bytes(export)
    script = bin_dir / "journalctl"
    script.write_text(f'#!/bin/sh\ncat "{tmp_path / "out.export"}"\necho "{stderr}" >&2\n'
                      f"exit {status}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


@posix_only
def test_failure_part_way_keeps_the_entries_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_journalctl(tmp_path, monkeypatch, TOOL.export_text(TOOL.web03().entries[:12]), 1,
                     "Journal file $2 is corrupted; Failed to iterate through journal: "
                     "Bad message")
    result = _load(WEB)
    assert len(result.events) == 12
    (row,) = result.diagnostics.itertuples()
    assert row.level == "error" and row.path == WEB.as_posix()
    # the spool's temporary path is shown as the source's name
    assert row.message == (
        f"journalctl could not read the whole journal file (exit status 1: Journal file "
        f"{WEB.as_posix()} is corrupted; Failed to iterate through journal: Bad message); "
        "the 12 entries before the failure were read")
    (summary,) = result.inputs
    assert (summary.records, summary.skipped) == (12, 0)


@posix_only
def test_stderr_of_a_successful_run_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = TOOL.export_text(TOOL.web03().entries[:3])
    _fake_journalctl(tmp_path, monkeypatch, export, 0, "Journal file $2 has unknown flags")
    result = _load(WEB)
    assert len(result.events) == 3
    (row,) = result.diagnostics.itertuples()
    assert (row.level, row.message) == (
        "warning", f"journalctl reported: Journal file {WEB.as_posix()} has unknown flags")


@posix_only
def test_abandoned_parse_ends_journalctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conntrack_forensics.parsers.journal_json import BATCH_ROWS

    entry = TOOL.export_text(TOOL.web03().entries[:1])
    _fake_journalctl(tmp_path, monkeypatch, entry * (BATCH_ROWS + 1), 0, "")
    script = tmp_path / "bin" / "journalctl"
    script.write_text(script.read_text().replace("exit 0", "exec sleep 60"))
    diag = cf.Diagnostics()
    (source,) = iter_sources([WEB], diag)
    batches = parsers()["journal_file"].parse(ParseContext(source, diag, Hints()))
    assert len(next(batches)) == BATCH_ROWS  # journalctl is still running (sleeping)
    started = time.monotonic()
    batches.close()
    assert time.monotonic() - started < 10 and not diag.rows


@pytest.mark.parametrize(("sample", "hint"), [
    (WEB, "`journalctl --file web-03.journal -o export > web-03.journal.export` (after "
          "decompressing web-03.journal.gz)"),
    (None, "`journalctl --file system.journal -o export > system.journal.export`"),
])
def test_without_journalctl_one_clear_error(
    sample: Path | None, hint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sample is None:
        sample = tmp_path / "system.journal"
        sample.write_bytes(gzip.decompress(WEB.read_bytes()))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("journalctl") is None
    result = _load(sample)
    assert result.events.empty
    (row,) = result.diagnostics.itertuples()
    assert (row.path, row.level) == (sample.as_posix(), "error")
    assert row.message == (f"binary journal file: journalctl is not installed here; on a Linux "
                           f"host run {hint} and pass the .export file")
    (summary,) = result.inputs
    assert (summary.format, summary.records) == ("journal_file", 0)


def test_without_journalctl_by_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    raw, ctx = run_parser("journal_file", WEB)
    assert raw.empty and ctx.records == 0
    (row,) = ctx.diag.rows
    assert row.message.startswith("binary journal file: journalctl is not installed here")


# ------------------------------------------------------------------------------- property

_BOOTS = st.sampled_from(["0f1e2d3c4b5a69788796a5b4c3d2e1f0", "00000000000000000000000000000001",
                          "a81d5e3c9b7f4e2d8c6a1b0f3e5d7c9a"])
_OPTIONAL = st.lists(st.one_of(
    st.tuples(st.just("_HOSTNAME"), st.sampled_from(["web-03", "natgw-1", "h"])),
    st.tuples(st.just("SYSLOG_IDENTIFIER"), st.sampled_from(["kernel", "sudo", "kube-proxy"])),
    st.tuples(st.just("_PID"), st.integers(1, 4_194_304).map(str)),
    st.tuples(st.just("_TRANSPORT"), st.sampled_from(["kernel", "syslog", "journal", "stdout"])),
    st.tuples(st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True),
              st.one_of(st.text(max_size=30), st.binary(max_size=30))),
), max_size=5)
_ENTRY = st.tuples(st.integers(1_000_000, 2**52), _BOOTS,
                   st.one_of(st.text(max_size=60), st.binary(max_size=60)), _OPTIONAL)


@needs_remote
@needs_journalctl
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_ENTRY, min_size=1, max_size=25))
def test_property_every_written_entry_is_read(
    entries: list[tuple[int, str, str | bytes, list[tuple[str, str | bytes]]]]
) -> None:
    fields = [[("__REALTIME_TIMESTAMP", str(us)), ("__MONOTONIC_TIMESTAMP", str(n + 1)),
               ("_BOOT_ID", boot), *extra, ("MESSAGE", message)]
              for n, (us, boot, message, extra) in enumerate(entries)]
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "fuzz.journal"
        assert TOOL.build_journal(export_bytes(fields), journal, REMOTE) == len(entries)
        raw, ctx = run_parser("journal_file", journal)
    assert not [r for r in ctx.diag.rows if r.level == "error"]
    assert ctx.records == len(entries) and ctx.skipped == 0
    events = raw.loc[~(raw["kind"].eq("boot") & raw["message"].str.startswith("-- Boot "))] \
        if len(raw) else raw
    assert len(events) == ctx.records - ctx.skipped
    assert events["line"].tolist() == list(range(1, len(entries) + 1))
    written = [m if isinstance(m, str) else m.decode("utf-8", "replace") for _, _, m, _ in entries]
    assert Counter(events["message"].tolist()) == Counter(written)


# ------------------------------------------------------------------- paths are not patterns


@needs_journalctl
@pytest.mark.parametrize("folder", ["case[1]", "case?", "case*", "case\\1"])
def test_a_path_with_glob_characters_reads_that_file_only(tmp_path: Path, folder: str) -> None:
    # journalctl --file takes a glob: "case[1]/..." would read case1/, another host's journal
    if os.name != "posix" and ("*" in folder or "?" in folder):  # pragma: no cover
        pytest.skip("not a valid file name here")
    ours, other = tmp_path / folder, tmp_path / "case1"
    ours.mkdir()
    other.mkdir()
    (ours / "system.journal").write_bytes(gzip.decompress(K8S.read_bytes()))
    (other / "system.journal").write_bytes(gzip.decompress(WEB.read_bytes()))
    r = cf.load(ours / "system.journal", full=True)
    expected = _load(K8S).events  # the same journal, read where its path is no pattern
    assert list(r.events["message"]) == list(expected["message"]) and len(r.events) >= 20
    assert set(r.events["host"].dropna()) == {"k8s-node-7"}
    assert not (r.diagnostics["level"].astype(str) == "error").any()


@needs_journalctl
def test_no_link_for_journalctl_is_one_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_args: Any) -> None:
        raise PermissionError(1, "Operation not permitted")

    path = tmp_path / "system.journal"
    path.write_bytes(gzip.decompress(K8S.read_bytes()))
    monkeypatch.setattr(jf.os, "symlink", no_links)
    r = cf.load(path, full=True)
    assert len(r.events) == 0
    (msg,) = r.diagnostics.loc[r.diagnostics["level"].astype(str) == "error", "message"]
    assert "symbolic link" in msg
