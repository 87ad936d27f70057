"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer for Python); not run in CI.

Each fuzzed input goes three ways for the format chosen:

1. every parser sniffs it (:meth:`Parser.sniff` on :meth:`Head.from_bytes`), as the loader
   does for each file;
2. the format's parser reads it whatever the sniff said (:meth:`Parser.parse`, called directly,
   so an exception reaches the fuzzer instead of being folded into a diagnostic);
3. the whole pipeline, :func:`conntrack_forensics.events.load.load`, reads it from a file named
   like one of the format's samples (the name is a sniffing hint). A diagnostic saying a
   parser *failed* (the loader's net for parser bugs) counts as a crash too.

``GiveUp`` (too many bad lines in a row) is the parsers' documented way out and not a crash.
The corpus is seeded with the format's samples under ``tests/data/<format>/`` (copied to a
working corpus directory first: libFuzzer adds the inputs it finds to it). Crashing and hanging
inputs are written to ``--crashes`` as ``<format>-crash-<sha1>`` / ``<format>-timeout-<sha1>``.

Usage (``pip install -e '.[fuzz]'`` first)::

    python tools/fuzz.py --format syslog --seconds 600
    python tools/fuzz.py --format all --seconds 3600      # every format in turn, time shared
    python tools/fuzz.py --format syslog --seconds 60 --crashes /tmp/crashes --max-len 65536
    python tools/fuzz.py --format dmesg,syslog --seconds 600 --ignore 'zones.py.*known_times'
    python tools/fuzz.py --format syslog --replay /tmp/crashes/syslog-crash-1234  # rerun one

Each run ends with libFuzzer's summary (``Done N runs in S second(s)``); ``--format all`` runs
one child process per format, in sequence. See ``docs/fuzzing.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

_STATE: dict[str, object] = {}


def _formats() -> list[str]:
    """The registered parser names."""
    from conntrack_forensics.parsers import registry

    return list(registry.parsers())


def _seed_files(fmt: str) -> list[Path]:
    """The sample files of ``fmt`` (and the fuzz regressions of it), if any."""
    seeds = [p for p in sorted((DATA / fmt).glob("*")) if p.is_file() and p.suffix != ".md"]
    seeds += sorted((DATA / "fuzz").glob(f"{fmt}-*"))
    return seeds


def _file_name(fmt: str) -> str:
    """The name the fuzzed file gets on disk: the first sample's, else the format's."""
    seeds = [p for p in _seed_files(fmt) if p.parent.name == fmt]
    name = seeds[0].name if seeds else fmt
    return name[:-3] if name.endswith(".gz") else name


def check_one(fmt: str, data: bytes, workdir: Path) -> None:
    """Feed ``data`` to ``fmt``'s parser and to the whole loader; raise on any failure.

    Raises:
        AssertionError: the loader recorded a parser failure.
        Exception: whatever a parser or the loader raised.
    """
    from conntrack_forensics.diagnostics import Diagnostics
    from conntrack_forensics.events.load import load
    from conntrack_forensics.inputs.walk import iter_sources
    from conntrack_forensics.parsers import registry
    from conntrack_forensics.parsers.base import GiveUp, Head, Hints, ParseContext

    parser = registry.parsers()[fmt]
    head = Head.from_bytes(_file_name(fmt), data[:64 * 1024])
    for each in registry.parsers().values():  # the loader asks every parser
        score = each.sniff(head)
        assert 0.0 <= score <= 1.0, f"{each.NAME} sniff score {score} out of [0, 1]"
    path = workdir / _file_name(fmt)
    path.write_bytes(data)
    diag = Diagnostics()
    for source in iter_sources([path], diag):
        ctx = ParseContext(source, diag, Hints(), background=True)
        try:
            for _batch in parser.parse(ctx):
                pass
        except GiveUp:
            pass
        finally:
            source.close()
        assert ctx.skipped <= ctx.records, (ctx.skipped, ctx.records)
    result = load([path])
    failed = [d.message for d in result.diag.rows if " parser failed: " in d.message]
    assert not failed, failed


def _test_one_input(data: bytes) -> None:
    try:
        check_one(str(_STATE["format"]), data, Path(str(_STATE["workdir"])))
    except Exception:
        ignore = _STATE.get("ignore")
        if ignore and re.search(str(ignore), traceback.format_exc()):
            return  # a known crash, fixed elsewhere: look for others
        raise


def _fuzz_one(fmt: str, seconds: int, crashes: Path, max_len: int, timeout: int,
              corpus_root: Path, ignore: str | None = None) -> None:
    """Run libFuzzer on one format in this process (it exits when done)."""
    import atheris

    with atheris.instrument_imports(include=["conntrack_forensics"]):
        import conntrack_forensics.events.load  # noqa: F401
        import conntrack_forensics.parsers  # noqa: F401
    if fmt not in _formats():
        sys.exit(f"unknown format {fmt!r}; one of: all, {', '.join(_formats())}")
    corpus = corpus_root / fmt
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in _seed_files(fmt):
        shutil.copyfile(seed, corpus / seed.name)
    crashes.mkdir(parents=True, exist_ok=True)
    _STATE["format"] = fmt
    _STATE["ignore"] = ignore
    _STATE["workdir"] = tempfile.mkdtemp(prefix=f"fuzz-{fmt}-")
    argv = [sys.argv[0], str(corpus), f"-max_total_time={seconds}",
            f"-artifact_prefix={crashes}/{fmt}-", f"-max_len={max_len}",
            f"-timeout={timeout}", "-rss_limit_mb=3072", "-print_final_stats=1"]
    atheris.Setup(argv, _test_one_input)
    atheris.Fuzz()


def _supervise(fmt: str, seconds: int, args: argparse.Namespace) -> tuple[int, int]:
    """Fuzz ``fmt`` in child processes for ``seconds``, restarting after each finding.

    libFuzzer stops at the first crash; the corpus it grew stays, so a restart goes on from
    there. Returns (executions, findings) read from the children's final statistics.
    """
    deadline = time.monotonic() + seconds
    runs = findings = 0
    while (left := int(deadline - time.monotonic())) > 0:
        cmd = [sys.executable, __file__, "--child", "--format", fmt, "--seconds", str(left),
               "--crashes", str(args.crashes), "--corpus", str(args.corpus),
               "--max-len", str(args.max_len), "--timeout", str(args.timeout)]
        if args.ignore:
            cmd += ["--ignore", args.ignore]
        proc = subprocess.run(cmd, env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace")
        sys.stdout.write(proc.stdout[-4000:])
        stats = re.findall(r"stat::number_of_executed_units: (\d+)", proc.stdout)
        runs += int(stats[-1]) if stats else 0
        found = re.findall(r"Test unit written to (\S+)", proc.stdout)
        if proc.returncode != 0 and not found:
            # it failed before fuzzing (the package does not import: someone is editing it)
            print(f"== {fmt}: child failed before fuzzing; retrying shortly", flush=True)
            time.sleep(15)
        elif proc.returncode != 0:
            findings += 1
            print(f"== {fmt}: finding {found[-1]}", flush=True)
            if findings >= args.max_findings:
                break
    return runs, findings


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and fuzz (or replay one input)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--format", required=True,
                    help="a registered parser name, several joined by commas, or 'all'")
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time (shared by 'all')")
    ap.add_argument("--crashes", type=Path, default=ROOT / "fuzz-crashes",
                    help="where crashing inputs go (default: ./fuzz-crashes)")
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "cf-fuzz-corpus",
                    help="working corpus root (seeded from tests/data)")
    ap.add_argument("--max-len", type=int, default=32 * 1024, help="longest input tried")
    ap.add_argument("--timeout", type=int, default=30, help="seconds before an input is a hang")
    ap.add_argument("--max-findings", type=int, default=20,
                    help="stop a format after this many crashing inputs")
    ap.add_argument("--ignore", help="a regular expression: a crash whose traceback matches "
                    "it is a known one and not reported")
    ap.add_argument("--replay", type=Path, help="run one saved input and report what happens")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.child:
        # import nothing of the package before atheris instruments it
        _fuzz_one(args.format, args.seconds, args.crashes, args.max_len, args.timeout,
                  args.corpus, args.ignore)
        return 0
    names = _formats()
    chosen = names if args.format == "all" else args.format.split(",")
    if unknown := [name for name in chosen if name not in names]:
        ap.error(f"unknown format {unknown[0]!r}; one of: all, {', '.join(names)}")
    if args.replay is not None:
        check_one(args.format, args.replay.read_bytes(), Path(tempfile.mkdtemp()))
        print("no failure")
        return 0
    each = max(1, args.seconds // len(chosen))
    total = 0
    for name in chosen:
        started = time.monotonic()
        runs, findings = _supervise(name, each, args)
        total += findings
        print(f"== SUMMARY format={name} seconds={time.monotonic() - started:.0f} "
              f"executions={runs} findings={findings}", flush=True)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
