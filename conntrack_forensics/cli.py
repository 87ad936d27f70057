r"""Command line: a thin shell over :func:`conntrack_forensics.analyze` and ``load``.

python -m conntrack_forensics report PATH... [-o OUTDIR] [--format html,md,json]
python -m conntrack_forensics timeline PATH... [--format csv|jsonl|timesketch] [-o FILE]
python -m conntrack_forensics --version | --list-formats

Everything printed that may hold evidence text (the summary, error messages) goes through
:func:`~conntrack_forensics._display.terminal_safe`: a control sequence in a shell history is
shown escaped (``\x1b[2J``), not obeyed by the terminal. Report files are written whole or
not at all (:mod:`.report.output`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from ._display import terminal_safe
from ._version import __version__
from .correlate import DEFAULT_GAP
from .errors import ConntrackForensicsError, ReportError, UsageError
from .times import rfc3339

F = TypeVar("F", bound=Callable[..., Any])
REPORT_FORMATS = ("html", "md", "json")
PROGRESS_MIN_BYTES = 32 * 1024 * 1024


def evidence_options(func: F) -> F:
    """The options every command that reads evidence shares."""
    decorators = [
        click.argument("paths", nargs=-1, required=True, metavar="PATH..."),
        click.option("--tz", metavar="ZONE", help="Zone for times that carry none: an IANA "
                      "name (Asia/Shanghai) or an offset (+08:00). Default: from the evidence, "
                      "else UTC."),
        click.option("--year", type=int, metavar="YYYY", help="Year of the newest syslog line "
                     "that has none. Default: inferred and reported."),
        click.option("--host", metavar="NAME", help="Host name for evidence that names none; "
                     "with several hosts, report only this one."),
        click.option("--gap", type=float, default=DEFAULT_GAP, show_default=True,
                     metavar="SECONDS", help="Longest quiet spell inside one incident."),
        click.option("--locale", metavar="LANG", help="Also read month names of this language "
                     "in syslog lines (fr, de_DE): a program logging with a localised %b. "
                     "Needs the locale extra (babel)."),
        click.option("--processes", type=click.IntRange(min=0), default=0, show_default=True,
                     metavar="N", help="Worker processes reading many small files (500 or "
                     "more): 0 for one per core, 1 to read everything in this process."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


#: Bounds on hostile input (docs/security.md), each an option of every command that reads.
LIMIT_OPTIONS = (
    ("--max-line-bytes", "max_line_bytes", int, "BYTES",
     "Cut longer lines to this many bytes (the rest is skipped). Default 1 MiB."),
    ("--max-decompressed-bytes", "max_decompressed_bytes", int, "BYTES",
     "Stop reading a compressed file or archive member after this many decompressed bytes. "
     "Default 64 GiB."),
    ("--max-compression-ratio", "max_ratio", float, "N",
     "Stop a compressed stream that expands more than N times (after its first 8 MiB): a "
     "decompression bomb. Default 1000."),
    ("--max-archive-members", "max_members", int, "N",
     "Read at most N members of an archive. Default 100000."),
    ("--max-archive-depth", "max_archive_depth", int, "N",
     "Open archives this many levels deep (1: an archive inside an archive is not opened; "
     "0: no archive is opened). Default 1."),
)


def limit_options(func: F) -> F:
    """The ``--max-*`` options; the command takes them as ``**limits`` (see :func:`_limits`)."""
    for flag, name, kind, metavar, text in reversed(LIMIT_OPTIONS):
        func = click.option(flag, name, type=kind, metavar=metavar, help=text)(func)
    return func


def _limits(given: dict[str, Any]) -> Any:
    """The :class:`~conntrack_forensics.inputs.limits.Limits` the ``--max-*`` options give."""
    from .inputs.limits import Limits

    return Limits(**{k: v for k, v in given.items() if v is not None})


def redact_options(func: F) -> F:
    """``--redact`` and its key and mapping file (docs/redaction.md)."""
    decorators = [
        click.option("--redact", is_flag=True, help="Replace host and user names, IP, MAC "
                     "and e-mail addresses by pseudonyms in every output (docs/redaction.md)."),
        click.option("--redact-key", metavar="KEY", envvar="CONNTRACK_FORENSICS_REDACT_KEY",
                     help="Key of the pseudonyms (implies --redact): the same key gives the "
                     "same pseudonyms. Default: a random key per run. Also read from "
                     "$CONNTRACK_FORENSICS_REDACT_KEY."),
        click.option("--redact-key-file", metavar="FILE", help="Read the key from FILE "
                     "(implies --redact); keeps it out of the shell history."),
        click.option("--redaction-map", metavar="FILE", help="With --redact: write each real "
                     "value and its pseudonym to FILE (JSON). Keep it private."),
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


def _redaction(redact: bool, key: str | None, key_file: str | None,
               map_file: str | None) -> tuple[bool, str | bytes | None]:
    """Whether to redact, and the key (``None``: random).

    Raises:
        UsageError: both keys given, an unreadable or empty key file, a map without --redact.
    """
    if key is not None and key_file is not None:
        raise UsageError("give --redact-key or --redact-key-file, not both")
    secret: str | bytes | None = key
    if key_file is not None:
        try:
            secret = Path(key_file).read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise UsageError(f"cannot read --redact-key-file {key_file}: "
                             f"{exc.strerror or exc}") from exc
    if secret is not None and not secret:
        raise UsageError("the redaction key is empty")
    on = redact or secret is not None
    if map_file is not None and not on:
        raise UsageError("--redaction-map needs --redact (there is nothing to map)")
    return on, secret


def _handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and the contract's exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConntrackForensicsError as exc:
            click.echo(f"error: {terminal_safe(exc)}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # the reader of our output went away (`| head`): stop quietly, as cat does
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:  # one sentence, no traceback
            if os.environ.get("CONNTRACK_FORENSICS_DEBUG"):
                raise
            click.echo(f"error: unexpected failure ({type(exc).__name__}: "
                       f"{terminal_safe(exc)}); set CONNTRACK_FORENSICS_DEBUG=1 for a "
                       "traceback", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _total_size(paths: tuple[str, ...]) -> int:
    total = 0
    for p in paths:
        if p == "-" or not os.path.exists(p):
            continue
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in files:
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(root, f)).st_size
        else:
            total += os.path.getsize(p)
    return total


@contextlib.contextmanager
def _progress(paths: tuple[str, ...]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for long inputs, only on a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    total = _total_size(paths)
    if total < PROGRESS_MIN_BYTES:
        yield None
        return
    with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
        yield bar.update


def _list_formats(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from .parsers import formats

    for name, description in formats():
        click.echo(terminal_safe(f"{name:<16} {description}"))
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conntrack-forensics")
@click.option("--list-formats", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_formats, help="List the input formats and exit.")
def main() -> None:
    """Evidence-backed postmortems of conntrack "table full" outages from Linux logs."""


@main.command()
@evidence_options
@click.option("-o", "--output", "outdir", default="postmortem", show_default=True,
              metavar="OUTDIR", help="Directory the postmortem files are written to.")
@click.option("--format", "fmt", default="html,md,json", show_default=True,
              metavar="html,md,json", help="Comma-separated report formats to write.")
@redact_options
@limit_options
@_handle_errors
def report(paths: tuple[str, ...], tz: str | None, year: int | None, host: str | None,
           gap: float, locale: str | None, processes: int, outdir: str, fmt: str, redact: bool,
           redact_key: str | None, redact_key_file: str | None,
           redaction_map: str | None, **limits: Any) -> None:
    """Analyse PATH... and write postmortem.html, .md and .json to OUTDIR.

    PATH may be files, directories (walked recursively), compressed logs, or - for standard
    input. Prints one line per incident and the files written.
    """
    from .analysis import analyze

    wanted = [f.strip().lower() for f in fmt.split(",") if f.strip()]
    bad = [f for f in wanted if f not in REPORT_FORMATS]
    if bad or not wanted:
        raise UsageError(f"unknown report format {', '.join(bad) or fmt!r}: choose from "
                         "html, md, json")
    redacting, key = _redaction(redact, redact_key, redact_key_file, redaction_map)
    bounds = _limits(limits)
    out = Path(outdir)
    _check_outdir(out)
    if redaction_map is not None:
        _check_output_file(Path(redaction_map))
    with _progress(paths) as progress:
        analysis = analyze(list(paths), tz=tz, year=year, host=host, gap=gap,
                           progress=progress, locale=locale, redact=redacting, redact_key=key,
                           limits=bounds, processes=processes)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        writers = {"html": analysis.to_html, "md": analysis.to_markdown,
                   "json": analysis.to_json}
        for f in REPORT_FORMATS:
            if f in wanted:
                target = out / f"postmortem.{f}"
                writers[f](target)
                written.append(target)
        if redaction_map is not None:
            analysis.write_redaction_map(redaction_map)
            written.append(Path(redaction_map))
    except OSError as exc:
        raise ReportError(f"cannot write the report to {outdir}: {exc.strerror or exc}") from exc
    for line in summary_lines(analysis):
        click.echo(line)
    for target in written:
        click.echo(terminal_safe(f"wrote {target}"))


def _writable_dir(path: Path) -> str | None:
    """Why files cannot be created under ``path`` (made if missing), or None if they can."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"permission denied on {probe}"
    return None


def _check_outdir(out: Path) -> None:
    """Refuse, before reading any evidence, an OUTDIR no report can be written to.

    Raises:
        UsageError: OUTDIR is an existing file (it names a directory).
        ReportError: OUTDIR cannot be created or written.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out} is an existing file: -o names the directory the "
                         "postmortem files are written to")
    why = _writable_dir(out)
    if why is not None:
        raise ReportError(f"cannot write the report to {out}: {why}")


def summary_lines(analysis: Any) -> list[str]:
    """The short summary ``report`` prints: one line per incident, then diagnostics."""
    lines: list[str] = []
    if not analysis.incidents:
        lines.append(f"no conntrack table-full incident in {len(analysis.inputs)} input(s)")
    for inc in analysis.incidents:
        trig = (f"trigger `{inc.trigger.command}` ({inc.trigger.user or '?'}, "
                f"{inc.trigger.confidence:.2f})" if inc.trigger else "no credible trigger")
        rec = inc.recovery.kind if inc.recovery else "still dropping"
        lines.append(
            f"{inc.id}: {rfc3339(inc.start)} to {rfc3339(inc.end)}, {inc.drops_logged:,} drops "
            f"logged, {inc.drops_suppressed:,} suppressed; cause {inc.cause}; {trig}; "
            f"recovery {rec}"
        )
    diag = analysis.diagnostics
    problems = diag.loc[diag["level"].astype(str) != "info"]
    if len(problems):
        lines.append(f"{int(problems['count'].sum()):,} problem(s) in the evidence, "
                     f"in {problems['path'].nunique()} file(s): see Diagnostics in the report")
    # commands, users and host names are the evidence's: no control sequence reaches a terminal
    return [terminal_safe(line) for line in lines]


@main.command()
@evidence_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "timesketch", "parquet"]),
              default="csv", show_default=True, help="Output format (docs/timeline.md).")
@click.option("-o", "--output", "output", default="-", metavar="FILE",
              help="File to write (default: standard output).")
@redact_options
@limit_options
@_handle_errors
def timeline(paths: tuple[str, ...], tz: str | None, year: int | None, host: str | None,
             gap: float, locale: str | None, processes: int, fmt: str, output: str, redact: bool,
             redact_key: str | None, redact_key_file: str | None,
             redaction_map: str | None, **limits: Any) -> None:
    """Write every event of PATH... as a timeline: CSV, JSON Lines, Timesketch or Parquet.

    Times are RFC 3339 UTC. The timesketch format is the CSV Timesketch imports (message,
    datetime, timestamp_desc); events without a time are left out of it and counted on stderr.
    Parquet is columnar and typed (pandas, DuckDB, Spark); cf.read_timeline reads it back.
    """
    from .events.load import load
    from .report.output import open_atomic
    from .report.timeline_export import write_timeline

    redacting, key = _redaction(redact, redact_key, redact_key_file, redaction_map)
    bounds = _limits(limits)
    if output != "-":
        _check_output_file(Path(output))
    elif fmt == "parquet" and sys.stdout.isatty():
        raise UsageError("parquet is binary: name the file to write with -o FILE (or pipe it)")
    if redaction_map is not None:
        _check_output_file(Path(redaction_map))
    with _progress(paths) as progress:
        # a timeline for other tools holds every line, not background counts
        result = load(list(paths), tz=tz, year=year, host=host, full=True, progress=progress,
                      locale=locale, limits=bounds, processes=processes)
    events = result.events
    if host is not None and events["host"].dropna().nunique() > 1:
        events = events.loc[events["host"] == host]
    redactor = None
    if redacting:
        from .report.redact import Redactor
        from .report.redacted import redact_events

        redactor = Redactor(key)
        # names stated anywhere in the evidence, not only in the rows written
        events = redact_events(events, redactor, context=result)
    try:
        if output == "-":
            left_out = write_timeline(events, fmt, sys.stdout)
        else:
            # streamed to a temporary file beside FILE, renamed over it once complete
            with open_atomic(output) as fh:
                left_out = write_timeline(events, fmt, fh)
        if redactor is not None and redaction_map is not None:
            from .report.redacted import write_map

            write_map(redactor, redaction_map)
    except BrokenPipeError:
        raise  # the reader went away: _handle_errors stops quietly
    except OSError as exc:
        raise ReportError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if left_out:
        click.echo(f"{left_out:,} event(s) without a time left out of the {fmt} timeline",
                   err=True)


def _check_output_file(path: Path) -> None:
    """Refuse, before reading any evidence, a timeline FILE that cannot be written.

    Raises:
        UsageError: FILE is an existing directory.
        ReportError: its directory does not exist or cannot be written.
    """
    if path.is_dir():
        raise UsageError(f"-o {path} is a directory: -o names the file the timeline is "
                         "written to")
    parent = path.parent
    if not parent.is_dir():
        raise ReportError(f"cannot write {path}: {parent} is not an existing directory")
    why = _writable_dir(parent)
    if why is not None:
        raise ReportError(f"cannot write {path}: {why}")
