"""Command line: a thin shell over :func:`conntrack_forensics.analyze` and ``load``.

python -m conntrack_forensics report PATH... [-o OUTDIR] [--format html,md,json]
python -m conntrack_forensics timeline PATH... [--format csv|jsonl|timesketch] [-o FILE]
python -m conntrack_forensics --version | --list-formats
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
    ]
    for deco in reversed(decorators):
        func = deco(func)
    return func


def _handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and the contract's exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConntrackForensicsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(1)
        except Exception as exc:  # one sentence, no traceback
            if os.environ.get("CONNTRACK_FORENSICS_DEBUG"):
                raise
            click.echo(f"error: unexpected failure ({type(exc).__name__}: {exc}); set "
                       "CONNTRACK_FORENSICS_DEBUG=1 for a traceback", err=True)
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
        click.echo(f"{name:<16} {description}")
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
@_handle_errors
def report(paths: tuple[str, ...], tz: str | None, year: int | None, host: str | None,
           gap: float, locale: str | None, outdir: str, fmt: str) -> None:
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
    with _progress(paths) as progress:
        analysis = analyze(list(paths), tz=tz, year=year, host=host, gap=gap,
                           progress=progress, locale=locale)
    out = Path(outdir)
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
    except OSError as exc:
        raise ReportError(f"cannot write the report to {outdir}: {exc.strerror or exc}") from exc
    for line in summary_lines(analysis):
        click.echo(line)
    for target in written:
        click.echo(f"wrote {target}")


def summary_lines(analysis: Any) -> list[str]:
    """The short summary ``report`` prints: one line per incident, then diagnostics."""
    lines = []
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
    return lines


@main.command()
@evidence_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "timesketch"]),
              default="csv", show_default=True, help="Output format.")
@click.option("-o", "--output", "output", default="-", metavar="FILE",
              help="File to write (default: standard output).")
@_handle_errors
def timeline(paths: tuple[str, ...], tz: str | None, year: int | None, host: str | None,
             gap: float, locale: str | None, fmt: str, output: str) -> None:
    """Write every event of PATH... as a timeline for other tools (CSV, JSON Lines, Timesketch).

    Times are RFC 3339 UTC. The timesketch format is the CSV Timesketch imports (message,
    datetime, timestamp_desc); events without a time are left out of it and counted on stderr.
    """
    from .events.load import load
    from .report.timeline_export import write_timeline

    with _progress(paths) as progress:
        # a timeline for other tools holds every line, not background counts
        result = load(list(paths), tz=tz, year=year, host=host, full=True, progress=progress,
                      locale=locale)
    events = result.events
    if host is not None and events["host"].dropna().nunique() > 1:
        events = events.loc[events["host"] == host]
    try:
        if output == "-":
            left_out = write_timeline(events, fmt, sys.stdout)
        else:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                left_out = write_timeline(events, fmt, fh)
    except OSError as exc:
        raise ReportError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if left_out:
        click.echo(f"{left_out:,} event(s) without a time left out of the {fmt} timeline",
                   err=True)
