"""Hostile evidence through the whole loader: nothing crashes, every line is accounted for.

For every registered format, hypothesis mutates the format's real samples (``tests/data/<fmt>/``)
-- bit flips, truncation anywhere (mid-line, mid-UTF-8), splices with another format's sample,
giant (200 KB) lines, runs of empty lines, random bytes, NUL bytes, CR/LF mixes, numbers grown
past 64 bits -- writes the
result to a file (plain, gzip, or a cut gzip stream) and runs :func:`load` on it, with and
without ``full``. The regressions the coverage-guided harness found (``tools/fuzz.py``,
``tests/data/fuzz/``) run through the same checks.

The accounting invariant asserted, per input file (``records`` and ``skipped`` being the
file's :class:`~conntrack_forensics.events.load.InputSummary` counts):

1. ``load`` raises nothing, and no diagnostic says a parser *failed* (the loader's net for
   parser bugs).
2. A file no parser reads (empty, binary, no format sure enough) has a diagnostic row naming it.
3. ``0 <= skipped <= records``, and the file's warnings count at least ``skipped`` lines: every
   record a parser could not use is named in the diagnostics.
4. Folding plain lines into ``background`` rows loses nothing: the sum of ``count`` over the
   file's events is the same with ``full=True`` and without.
5. Every event's ``line`` (with ``full=True``) is a line of the file (text formats).
6. Line accounting. With ``L`` the file's non-blank lines (decoded as the readers decode:
   split at LF, NULs dropped, one trailing CR removed), every line is a record (read or
   skipped-and-counted) except the lines a format documents as not being records:

   * ``syslog``: journalctl's notes (``-- Logs begin at ...``) and continuation lines
     (starting with a blank) once a record has been read -- they are folded into the message
     above. So ``records == L - notes - continuations after the first event's line``.
   * ``dmesg``: ``/dev/kmsg`` dictionary lines (`` KEY=value``), folded into the line above.
   * ``audit``: ``ausearch``'s separators (``----``, ``time->...``) and ``<no matches>``.
   * ``timestamped_text``: the unstamped lines after the first stamped one (a message's
     continuation): ``records == unstamped lines before the first event + events``.
   * ``passwd``, ``host_config``: ``#`` comments; ``modprobe_conf``: comments, and lines
     continued with a backslash count once (a logical line).
   * the other snapshot formats (``iptables``, ``nft``, ``lsmod``, ``sysctl``, ``uname``,
     ``date``, ``uptime``, ``conntrack_stats``): ``records == L``.
   * multi-line records (shell histories, journal JSON/export): ``records <= L``.

   Formats whose every read record is one event (syslog, dmesg, timestamped text, the shell
   histories) also satisfy ``events == records - skipped`` with ``full=True``; the journal
   formats may add one ``boot`` event per boot, so ``events >= records - skipped``.

   Exceptions, each asserted to be named in the diagnostics: a parser that gives up after
   :data:`~conntrack_forensics.parsers.base.MAX_CONSECUTIVE_FAILURES` bad lines in a row (an
   error row; the rest of the file is not read) and a compressed stream cut short (an error
   row saying after which line).

A ``date`` reading of a year outside 1678-2261 made ``events/zones.py`` raise; it is now a
row without a time and a counted warning (``date-year-3017`` among the regressions).

CI cost: a dozen examples per format, derandomized (reproducible), no deadline.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.events.load import LoadResult, load
from conntrack_forensics.inputs.source import is_binary, read_head
from conntrack_forensics.inputs.walk import iter_sources
from conntrack_forensics.parsers import registry
from conntrack_forensics.parsers.base import MAX_CONSECUTIVE_FAILURES, Head

DATA = Path(__file__).resolve().parent.parent / "data"
FUZZ = DATA / "fuzz"
FORMATS = sorted(registry.parsers())
#: Formats with no sample directory get an inline one.
INLINE: dict[str, dict[str, bytes]] = {
    "passwd": {"passwd": b"# accounts\nroot:x:0:0:root:/root:/bin/bash\n"
               b"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
               b"alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n"},
}
#: Every read record is exactly one event (``full=True``).
ONE_EVENT_EACH = {"syslog", "dmesg", "timestamped_text", "bash_history", "zsh_history",
                  "fish_history", "tcsh_history"}
#: Records may span several lines.
MULTI_LINE = {"bash_history", "zsh_history", "fish_history", "tcsh_history", "journal_json",
              "journal_export"}
EVERY_LINE = {"iptables", "nft", "lsmod", "sysctl", "uname", "date", "uptime",
              "conntrack_stats"}

#: Crashes whose fix belongs outside the parsers (see docs/fuzzing.md), each kept as a strict

_JOURNAL_NOTE = re.compile(r"-- (?:Logs begin at|Journal begins at|No entries|Journal started).*")
_KMSG_DICT = re.compile(r" [A-Z_]+=.*")


def _samples(fmt: str) -> dict[str, bytes]:
    """The format's samples by file name, decompressed."""
    if fmt in INLINE:
        return INLINE[fmt]
    out = {}
    for path in sorted((DATA / fmt).glob("*")):
        if path.is_file() and path.suffix != ".md":
            data = path.read_bytes()
            name = path.name
            if name.endswith(".gz"):
                data, name = gzip.decompress(data), name[:-3]
            out[name] = data
    return out


ALL_SAMPLES = [data for fmt in FORMATS for data in _samples(fmt).values()]


# ----------------------------------------------------------------------------- mutations


@st.composite
def _mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` after a few hostile edits."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "splice", "giant", "blank", "random", "nul",
                                   "crlf", "digits"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            i = min(at, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            data = data[:at]
        elif op == "splice":
            other = draw(st.sampled_from(ALL_SAMPLES))
            data = data[:at] + other[draw(st.integers(0, len(other))):]
        elif op == "giant":
            fill = draw(st.sampled_from([b"x", b"\xc3\xa9", b" ", b"A\x00"]))
            data[at:at] = fill * (200_000 // len(fill)) + draw(st.sampled_from([b"\n", b""]))
        elif op == "blank":
            data[at:at] = draw(st.sampled_from([b"\n", b"\r\n", b" \t"])) * draw(
                st.integers(1, 50))
        elif op == "random":
            data[at:at] = draw(st.binary(max_size=64))
        elif op == "digits":  # a number grown past what its column holds
            places = [i for i, b in enumerate(data) if 48 <= b <= 57]
            if places:
                i = places[draw(st.integers(0, len(places) - 1))]
                data[i:i] = b"9" * draw(st.integers(1, 30))
        elif op == "nul":
            data[at:at] = b"\x00" * draw(st.integers(1, 300))
        else:
            ending = draw(st.sampled_from([b"\r\n", b"\r", b"\n\r", b"\r\r\n"]))
            data = data[:at] + data[at:].replace(b"\n", ending, draw(st.integers(1, 5)))
    return bytes(data)


@st.composite
def _evidence(draw: st.DrawFn, fmt: str) -> tuple[str, bytes, str]:
    """(file name, mutated text, how it is stored: plain, gzip or cut gzip)."""
    samples = _samples(fmt)
    name = draw(st.sampled_from(sorted(samples)))
    data = draw(_mutated(samples[name]))
    return name, data, draw(st.sampled_from(["plain", "plain", "gzip", "cut-gzip"]))


# ----------------------------------------------------------------------------- checks


def _lines(data: bytes) -> list[str]:
    """The lines as the block reader decodes them."""
    raw = data.split(b"\n")
    if data.endswith(b"\n"):
        raw.pop()
    return [r.replace(b"\x00", b"").decode("utf-8", "replace").removesuffix("\r") for r in raw]


def _picked(path: Path) -> str | None:
    """The name of the parser the loader gives ``path`` to (as :mod:`...events.read` picks)."""
    diag = Diagnostics()
    source = next(iter(iter_sources([path], diag)))
    try:
        head = read_head(source, diag)
    finally:
        source.close()
    if head is None or not head.strip(b"\x00 \t\r\n"):
        return None
    parser = registry.pick_binary(head)
    if parser is None:
        if is_binary(head):
            return None
        parser, _ = registry.pick(Head.from_bytes(source.basename, head))
    return None if parser is None else parser.NAME


def _modprobe_records(lines: list[str]) -> int:
    """Logical modprobe.d lines that are neither blank nor comments."""
    n, held = 0, ""
    for text in [ln.rstrip() for ln in lines] + [""]:
        text = held + " " + text.lstrip() if held else text
        held = ""
        if text.endswith("\\"):
            held = text[:-1].rstrip() or " "
            continue
        n += bool(text.strip()) and not text.strip().startswith("#")
    return n


def _expected_records(fmt: str, lines: list[str], event_lines: list[int]) -> tuple[int, int]:
    """Bounds (low, high) of the records ``fmt`` must count for ``lines`` (see the docstring)."""
    text = [ln for ln in lines if ln.strip()]
    n = len(text)
    if fmt in EVERY_LINE:
        return n, n
    if fmt in MULTI_LINE:
        return 0, n
    if fmt in ("passwd", "host_config"):
        col0 = fmt == "passwd"
        n = sum(1 for ln in text if not (ln if col0 else ln.strip()).startswith("#"))
        return n, n
    if fmt == "modprobe_conf":
        n = _modprobe_records(lines)
        return n, n
    if fmt == "dmesg":
        n = sum(1 for ln in text if not _KMSG_DICT.fullmatch(ln))
        return n, n
    if fmt == "audit":
        n = sum(1 for ln in text if not ln.strip().startswith(("----", "time->"))
                and ln.strip() != "<no matches>")
        return n, n
    first = min(event_lines, default=len(lines) + 1)
    if fmt == "timestamped_text":
        n = sum(1 for ln in lines[:first - 1] if ln.strip()) + len(event_lines)
        return n, n
    if fmt == "syslog":
        n = sum(1 for i, ln in enumerate(lines, 1) if ln.strip()
                and not (ln.startswith("-- ") and _JOURNAL_NOTE.fullmatch(ln))
                and not (i > first and ln[:1] in (" ", "\t")))
        return n, n
    return 0, n  # journal_file: binary, lines mean nothing


def _source_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame[frame["source"] == name] if len(frame) else frame


def _check(tmp: Path, name: str, data: bytes, storage: str) -> None:
    """Run the loader on ``data`` stored as ``storage`` and assert the accounting invariant.
    """
    path = tmp / (name + (".gz" if storage != "plain" else ""))
    stored = data if storage == "plain" else gzip.compress(data, mtime=0)
    if storage == "cut-gzip":
        stored = stored[:max(10, len(stored) * 2 // 3)]
    path.write_bytes(stored)
    full: LoadResult = load([path], full=True)
    folded: LoadResult = load([path])
    for result in (full, folded):
        failed = [d.message for d in result.diag.rows if " parser failed" in d.message]
        assert not failed, failed
    rows = full.diag.rows
    (summary,) = full.inputs
    src = summary.path
    named = [d for d in rows if d.path == src]
    if (summary.format is None or summary.records == 0 and not len(full.events)) \
            and summary.format != "journal_file":  # (binary: journalctl's to judge)
        assert named or not any(ln.strip() for ln in _lines(data)), "file dropped silently"
    assert 0 <= summary.skipped <= summary.records
    warned = sum(d.count for d in named if d.level == "warning")
    assert warned >= summary.skipped
    events = _source_rows(full.events, src)
    counted = int(events["count"].sum()) if len(events) else 0
    folded_events = _source_rows(folded.events, src)
    assert counted == (int(folded_events["count"].sum()) if len(folded_events) else 0)
    fmt = _picked(path)
    if fmt is None or fmt == "journal_file":
        return
    lines = _lines(data)
    event_lines = [int(x) for x in events["line"].dropna()]
    assert all(1 <= x <= max(len(lines), 1) for x in event_lines), (event_lines, len(lines))
    gave_up = [d for d in named if d.level == "error" and "parser gave up" in d.message]
    cut = [d for d in named if d.level == "error" and "truncated or corrupt" in d.message]
    if storage == "cut-gzip" and cut:
        return  # the lines after the damage are not read: the error row says so
    if gave_up:
        assert summary.skipped >= MAX_CONSECUTIVE_FAILURES
        return
    assert not cut
    low, high = _expected_records(fmt, lines, event_lines)
    assert low <= summary.records <= high, (fmt, summary.records, low, high)
    if fmt in ONE_EVENT_EACH:
        assert len(events) == summary.records - summary.skipped, (fmt, len(events))
    elif fmt in ("journal_json", "journal_export"):
        assert len(events) >= summary.records - summary.skipped


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_has_samples(fmt: str) -> None:
    assert _samples(fmt), f"no samples for {fmt}: add tests/data/{fmt}/ (or INLINE)"


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_samples_are_accounted_for(fmt: str, tmp_path: Path, data: st.DataObject) -> None:
    name, text, storage = data.draw(_evidence(fmt))
    case = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    case.mkdir()
    _check(case, name, text, storage)


@pytest.mark.parametrize("fmt", FORMATS)
def test_samples_as_they_are(fmt: str, tmp_path: Path) -> None:
    """The unmutated samples meet the invariant too (and read with no skipped line)."""
    for name, text in _samples(fmt).items():
        case = tmp_path / name.replace(".", "_")
        case.mkdir()
        _check(case, name, text, "plain")


REGRESSIONS = [pytest.param(p, id=p.name) for p in sorted(FUZZ.glob("*")) if p.suffix != ".md"]


@pytest.mark.parametrize("path", REGRESSIONS)
def test_fuzz_regressions(path: Path, tmp_path: Path) -> None:
    """Inputs that crashed the loader once (``<format>-<what>``), read as that format's file."""
    fmt = path.name.split("-", 1)[0]
    name = sorted(_samples(fmt))[0]
    _check(tmp_path, name, path.read_bytes(), "plain")


def test_continuations_across_chunks_stay_with_their_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk (a block of the file) that starts with continuation lines: none of them is lost."""
    from conntrack_forensics.inputs.blocks import iter_line_chunks
    from conntrack_forensics.parsers.base import ParseContext

    monkeypatch.setattr(ParseContext, "chunks",
                        lambda self: iter_line_chunks(self.source, self.diag, block_bytes=64))
    text = "".join(f"2024-01-02 10:00:{i:02d} record {i}\n  detail {i}a\n  detail {i}b\n"
                   for i in range(40))
    path = tmp_path / "nova-compute.log"
    path.write_text(text)
    result = load([path], full=True)
    messages = "\n".join(result.events["message"])
    assert len(result.events) == 40
    assert all(f"detail {i}{x}" in messages for i in range(40) for x in "ab")
