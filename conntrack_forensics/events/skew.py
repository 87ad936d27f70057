"""Clock skew between sources of one host, found by the kernel lines they share.

The same kernel line reaches ``/var/log/messages``, ``kern.log``, the journal and, when logs
are forwarded, a central syslog server's files. Each source stamps it with the clock of
whoever wrote it. When one source's copies sit consistently some seconds (or, with a wrong
zone, hours) away from another's, that source's clock, or the zone assumed for it, is off.

:func:`align_clocks` takes, per host, the source to trust (times that carried their own zone
first, then the one with most kernel lines) and estimates every other source's shift onto it
with the same line-matching as ``dmesg`` anchoring (:func:`.anchor.estimate_shift`). A shift
of :data:`MIN_SKEW` seconds or more, agreed by at least :data:`MIN_AGREEING` lines and by
most of the lines both sources hold, is reported (a warning naming both files and the
seconds) and applied to the whole source, so its drops count once with their twins and its
commands sit where they happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..diagnostics import Diagnostics
from ..model import Kind
from .anchor import MIN_AGREEING, estimate_shift, kernel_lines
from .facts import facts
from .parsed import ParsedSource

#: A shift below this many seconds is rounding (syslog keeps whole seconds), not skew.
MIN_SKEW = 2.0
#: The widest skew looked for: a wrong zone is up to 14 hours off.
MAX_SKEW = 15 * 3600.0
#: Kinds whose lines repeat identically (a burst every few seconds): they cannot pair.
_REPEATED = (Kind.CONNTRACK_DROP.value, Kind.RATELIMIT_SUPPRESSED.value)
#: Around a boot, kernel lines are stamped by when syslog started, not by the clock's skew.
_BOOT_BURST = pd.Timedelta(minutes=5)
#: Of the lines both sources hold, at least this share must agree on the shift.
MIN_SHARE = 0.5


@dataclass(frozen=True)
class ClockSkew:
    """One source's clock, measured against another source of the same host."""

    host: str | None
    source: str
    reference: str
    seconds: float
    lines: int

    def to_dict(self) -> dict[str, object]:
        """JSON shape (``seconds``: add them to the source's times to get the reference's)."""
        return {"host": self.host, "source": self.source, "reference": self.reference,
                "seconds": round(self.seconds, 3), "lines": self.lines}


def align_clocks(rows: Sequence[ParsedSource], diag: Diagnostics) -> list[ClockSkew]:
    """Measure and correct skewed sources, host by host; the skews found."""
    timed: dict[str | None, list[ParsedSource]] = {}
    for p in rows:
        if p.relative is None and p.timed and p.size:
            timed.setdefault(p.host, []).append(p)
    by_host: dict[str | None, list[tuple[ParsedSource, pd.DataFrame]]] = {}
    for host, candidates in timed.items():
        if len(candidates) < 2:  # one source: nothing to compare its clock with
            continue
        for p in candidates:
            if not facts(p).kernel:
                continue  # no kernel line to compare (most of a fleet's small files)
            lines = _distinctive(p, kernel_lines(p))
            if len(lines):
                by_host.setdefault(host, []).append((p, lines))
    found: list[ClockSkew] = []
    for host, sources in by_host.items():
        if len(sources) < 2:
            continue
        sources.sort(key=lambda s: (-_zoned_share(s[0]), -len(s[1]), s[0].index))
        ref, ref_lines = sources[0]
        for p, lines in sources[1:]:
            if p.source.group == ref.source.group and p.source.scope == ref.source.scope:
                continue  # one rotated stream: its files follow each other, they do not overlap
            skew = _measure(p, lines, ref, ref_lines)
            if skew is None:
                continue
            shift, agreeing = skew
            assert p.times is not None
            p.times = p.times + pd.Timedelta(seconds=shift)
            found.append(ClockSkew(host, p.source.name, ref.source.name, shift, agreeing))
            diag.warning(p.source.name, f"clock differs from {ref.source.name} by "
                         f"{_span(shift)} ({agreeing} identical kernel lines agree); its times "
                         "were shifted to match")
    return found


def _distinctive(p: ParsedSource, lines: pd.DataFrame) -> pd.DataFrame:
    """Kernel lines that can pair: neither drops, rate-limit summaries, nor a boot's first lines.

    Drops and rate-limit summaries repeat identically; syslog stamps a boot's first lines when
    its daemon starts, seconds after the kernel printed them, so they differ from the journal's
    without any skew.
    """
    assert p.raw is not None and p.times is not None
    kind = p.raw.loc[lines.index, "kind"]
    keep = ~kind.isin(_REPEATED).fillna(False).to_numpy(dtype=bool)
    boots = p.times.loc[(p.raw["kind"] == Kind.BOOT.value).fillna(False).to_numpy(dtype=bool)]
    for boot in boots.dropna().unique():
        keep &= ~((lines["t"] >= boot - _BOOT_BURST) & (lines["t"] <= boot + _BOOT_BURST)
                  ).to_numpy(dtype=bool)
    return lines.loc[keep]


def _overlap(lines: pd.DataFrame, ref_lines: pd.DataFrame) -> pd.DataFrame:
    """The lines of ``lines`` within the period both sources cover (up to :data:`MAX_SKEW`)."""
    margin = pd.Timedelta(seconds=MAX_SKEW)
    lo = max(lines["t"].min(), ref_lines["t"].min() - margin)
    hi = min(lines["t"].max(), ref_lines["t"].max() + margin)
    return lines.loc[(lines["t"] >= lo) & (lines["t"] <= hi)]


def _measure(
    p: ParsedSource, lines: pd.DataFrame, ref: ParsedSource, ref_lines: pd.DataFrame
) -> tuple[float, int] | None:
    lines = _overlap(lines, ref_lines)
    shared = lines.loc[lines["text"].isin(set(ref_lines["text"]))]
    if len(shared) < MIN_AGREEING:
        return None
    found = estimate_shift(shared[["text", "t"]], ref_lines, MAX_SKEW, middle=True)
    if found is None:
        return None
    shift, agreeing = found
    if abs(shift) < MIN_SKEW or agreeing < max(MIN_AGREEING, MIN_SHARE * len(shared)):
        return None
    return shift, agreeing


def _zoned_share(p: ParsedSource) -> float:
    return float(p.zoned.mean()) if p.zoned is not None and len(p.zoned) else 0.0


def _span(seconds: float) -> str:
    sign = "+" if seconds >= 0 else "-"
    s = abs(seconds)
    if s >= 3600:
        return f"{sign}{s / 3600:.2f} h"
    return f"{sign}{s:.1f} s"


__all__ = ["ClockSkew", "align_clocks"]
