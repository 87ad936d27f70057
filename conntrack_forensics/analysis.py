"""The public entry point: :func:`analyze` a pile of logs into an :class:`Analysis`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._display import ReprHtmlMixin
from ._version import __version__
from .correlate import DEFAULT_GAP, Incident, correlate
from .correlate.fleet import ConntrackWarning, FleetWindow, conntrack_warnings, fleet_windows
from .errors import UsageError
from .events.load import InputSummary, LoadResult, PathsArg, Settings, load
from .inputs.limits import DEFAULT_LIMITS, Limits
from .report.redact import Redactor
from .times import rfc3339

SCHEMA = "conntrack-forensics/postmortem/v1"


@dataclass
class Analysis(ReprHtmlMixin):
    """Everything found in the evidence: events, incidents, diagnostics.

    Example:
        >>> import conntrack_forensics as cf
        >>> analysis = cf.analyze("sample_logs/bogon-nat-listing")
        >>> analysis.incidents[0].trigger.command
        'iptables -t nat -L'
    """

    _html_template = "summary.html.j2"

    events: pd.DataFrame
    incidents: list[Incident]
    diagnostics: pd.DataFrame
    inputs: list[InputSummary]
    settings: Settings
    #: Windows in which several hosts dropped together (extension of the JSON: ``fleet``).
    fleet: list[FleetWindow] = field(default_factory=list)
    #: Conntrack complaints that are not incidents (``conntrack_warnings``).
    warnings: list[ConntrackWarning] = field(default_factory=list)
    #: The pseudonyms of a redacted analysis (``analyze(..., redact=True)``), else None.
    redaction: Redactor | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        hosts = len(self.hosts)
        return (f"<Analysis {len(self.inputs)} inputs, {len(self.events):,} events, "
                f"{hosts} host{'s' * (hosts != 1)}, {len(self.incidents)} "
                f"incident{'s' * (len(self.incidents) != 1)}>")

    @property
    def hosts(self) -> list[str]:
        """Host names seen in the evidence, sorted."""
        return sorted(str(h) for h in self.events["host"].dropna().unique())

    def to_dict(self) -> dict[str, Any]:
        """The postmortem JSON (CONTRACT section 4) as Python objects."""
        s = self.settings
        return {
            "schema": SCHEMA,
            "generator": f"conntrack-forensics {__version__}",
            "inputs": [_input_dict(i) for i in self.inputs],
            "settings": {
                "tz": s.tz,
                "tz_source": s.tz_source,
                "year": s.year,
                "year_source": s.year_source,
                "gap_seconds": s.gap_seconds,
                "host": s.host,
                "locale": s.locale,
                "clock_skew": [k.to_dict() for k in s.clock_skew],
            },
            "hosts": self.hosts,
            "incidents": [i.to_dict() for i in self.incidents],
            "fleet": [w.to_dict() for w in self.fleet],
            "conntrack_warnings": [w.to_dict() for w in self.warnings],
            "diagnostics": [
                {"path": path, "line": None if pd.isna(line) else int(line),
                 "level": str(level), "message": message, "count": int(n)}
                for path, line, level, message, n in self.diagnostics[
                    ["path", "line", "level", "message", "count"]
                ].itertuples(index=False, name=None)
            ],
        }

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The postmortem JSON text (deterministic), written to ``path`` when given."""
        from .report.json_report import render_json

        return _maybe_write(render_json(self), path)

    def to_markdown(self, path: str | os.PathLike[str] | None = None) -> str:
        """The Markdown postmortem, written to ``path`` when given."""
        from .report.markdown import render_markdown

        return _maybe_write(render_markdown(self), path)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The self-contained HTML postmortem, written to ``path`` when given."""
        from .report.html import render_html

        return _maybe_write(render_html(self), path)

    def _html_context(self) -> dict[str, Any]:
        return {"a": self, "data": self.to_dict()}

    def redaction_map(self) -> dict[str, Any]:
        """Real value to pseudonym of a redacted analysis: for the evidence's owner only.

        Example:
            >>> a = analyze("sample_logs/sosreport-web1", redact_key="case-7")
            >>> a.redaction_map()["pseudonyms"]["host"]
            {'web1': 'host-...'}
        """
        from .report.redacted import map_document

        return map_document(self._redactor())

    def write_redaction_map(self, path: str | os.PathLike[str]) -> str:
        """Write :meth:`redaction_map` as JSON to ``path`` (keep it apart from the reports)."""
        from .report.redacted import map_text

        return _maybe_write(map_text(self._redactor()), path)

    def _redactor(self) -> Redactor:
        if self.redaction is None:
            raise UsageError("this analysis is not redacted: analyze(..., redact=True)")
        return self.redaction

    def plot(self, ax: Any = None) -> Any:
        """Drops per second of every incident on a matplotlib axis (created if not given)."""
        from .report.chart import plot_drops

        return plot_drops(self.incidents, ax=ax)

    def plot_heatmap(
        self,
        freq: str = "1min",
        ax: Any = None,
        *,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        log: bool = False,
        colorbar: bool = True,
    ) -> Any:
        """Hosts × time bins coloured by the drops logged in each (:func:`.plot_host_heatmap`).

        Example:
            >>> import conntrack_forensics as cf
            >>> cf.analyze("sample_logs/bogon-nat-listing").plot_heatmap().get_ylabel()
            'host'
        """
        from .plots import plot_host_heatmap

        return plot_host_heatmap(self, freq, ax, start=start, end=end, log=log,
                                 colorbar=colorbar)

    def plot_events(
        self,
        host: str | None = None,
        kinds: Sequence[str] | None = None,
        ax: Any = None,
        *,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> Any:
        """One row per event kind, a tick per event (:func:`.plot_event_strip`).

        Example:
            >>> import conntrack_forensics as cf
            >>> cf.analyze("sample_logs/bogon-nat-listing").plot_events().get_title()
            'events on bogon'
        """
        from .plots import plot_event_strip

        return plot_event_strip(self, host, kinds, ax, start=start, end=end)


def _maybe_write(text: str, path: str | os.PathLike[str] | None) -> str:
    if path is not None:
        from .report.output import write_atomic  # whole or not at all

        write_atomic(Path(path), text)
    return text


def _input_dict(i: InputSummary) -> dict[str, Any]:
    return {
        "path": i.path,
        "format": i.format,
        "host": i.host,
        "records": i.records,
        "events": i.events,
        "skipped": i.skipped,
        "first": rfc3339(i.first),
        "last": rfc3339(i.last),
        "tz": i.tz,
        "tz_source": i.tz_source,
        "year": i.year,
        "year_source": i.year_source,
    }


def analyze(
    paths: PathsArg,
    tz: str | None = None,
    year: int | None = None,
    host: str | None = None,
    gap: float = DEFAULT_GAP,
    *,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    locale: str | None = None,
    redact: bool = False,
    redact_key: bytes | str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    processes: int = 1,
) -> Analysis:
    """Parse and correlate: the whole analysis in one call.

    Args:
        paths: files, directories or ``-`` (one or a list).
        tz: zone for times that carry none; default from the evidence, else UTC.
        year: year of the newest yearless syslog line; default inferred.
        full: keep every plain message as an event (see :func:`load`); the incidents are
            the same either way.
        host: name for evidence without a host; with several hosts, report only this one.
        gap: longest quiet spell inside one incident, in seconds.
        locale: a language whose month names syslog lines may use besides English
            (``fr``, ``de_DE``).
        progress: called with each input's size in bytes once read.
        redact: replace host and user names, addresses and e-mail addresses everywhere by
            pseudonyms (docs/redaction.md); the answers are those of the real evidence.
        redact_key: key of the pseudonyms (same key, same pseudonyms); implies ``redact``;
            default: a random key per call.
        limits: bounds on hostile input (line length, decompression, archives;
            docs/security.md); each default is beyond any real log.
        processes: worker processes reading many small files (see :func:`load`); 0 for one
            per core.

    Example:
        >>> a = analyze(["sample_logs/bogon-nat-listing"], tz="Asia/Shanghai")
        >>> a.incidents[0].cause, a.incidents[0].recovery.kind
        ('module_autoload', 'reboot')
    """
    if gap <= 0:
        raise UsageError(f"--gap must be a positive number of seconds, not {gap}")
    result: LoadResult = load(paths, tz=tz, year=year, host=host, full=full, progress=progress,
                              locale=locale, limits=limits, processes=processes)
    result.settings.gap_seconds = int(gap) if float(gap).is_integer() else gap
    incidents = correlate(result.events, gap=gap, host=host if _several_hosts(result) else None)
    analysis = Analysis(result.events, incidents, result.diagnostics, result.inputs,
                        result.settings, fleet_windows(incidents, gap),
                        conntrack_warnings(result.events))
    if not (redact or redact_key is not None):
        return analysis
    from .report.redacted import redact as redacted_copy

    redactor = Redactor(redact_key)
    clean = redacted_copy(analysis, redactor)
    clean.redaction = redactor
    return clean


def _several_hosts(result: LoadResult) -> bool:
    return result.events["host"].dropna().nunique() > 1
