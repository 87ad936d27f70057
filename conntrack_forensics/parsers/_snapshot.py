"""What the snapshot parsers share: the state of a host read at one moment, as one event.

A snapshot (``sysctl -a``, ``lsmod``, ``conntrack -S``, ``iptables-save``, ``date``, ...) is
a small file describing the host when it was captured. Each snapshot parser reads every line
(counting each as a record, skipping what it cannot read) and emits one ``snapshot`` event
(format ``snapshot``, ``program`` naming the command) carrying the facts the correlator needs:
the table size, its fill, whether conntrack was loaded, the uptime.

Its time is the capture time: from its own content where it has one (``iptables-save``
writes it), else the ``date`` output read in the same tree (see :class:`~.base.RawBatch`),
else none, bounded by the file's modification time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Kind
from .base import ParseContext, RawBatch
from .classify import Classified

#: The format column's value of every snapshot parser.
SNAPSHOT = "snapshot"
#: At most this many lines of evidence are kept on the event.
EVIDENCE_LINES = 12


@dataclass
class Facts:
    """What a snapshot says about the host's connection tracking."""

    conntrack_max: int | None = None
    conntrack_buckets: int | None = None
    conntrack_count: int | None = None
    conntrack_loaded: bool | None = None
    module: str | None = None
    boot_age: float | None = None
    host: str | None = None


def lines(ctx: ParseContext) -> Iterator[tuple[int, str]]:
    """Every line of the source with its 1-based number, trailing blanks removed."""
    for chunk in ctx.chunks():
        for i, text in enumerate(chunk.lines):
            yield chunk.first + i, text.rstrip()


def snapshot_batch(
    program: str,
    line: int,
    message: str,
    facts: Facts,
    evidence: list[str],
    *,
    iso: str | None = None,
    clock: bool = False,
) -> RawBatch:
    """One batch holding the snapshot's event.

    Args:
        program: the command or file that produced the snapshot (``sysctl``, ``lsmod``...).
        line: the line the event points to (the most telling one).
        message: one sentence saying what was seen.
        facts: what it tells about conntrack.
        evidence: the telling lines, shortened to :data:`EVIDENCE_LINES`.
        iso: the capture time when the content gives it.
        clock: the event is a reading of the host's clock (``date``): other snapshots of the
            same tree take its time.
    """
    batch = RawBatch()
    shown = evidence[:EVIDENCE_LINES]
    if len(evidence) > EVIDENCE_LINES:
        shown.append(f"... ({len(evidence) - EVIDENCE_LINES} more lines)")
    batch.add(
        line,
        message,
        host=facts.host,
        program=program,
        cls=Classified(Kind.SNAPSHOT, module=facts.module, conntrack_max=facts.conntrack_max,
                       conntrack_buckets=facts.conntrack_buckets),
        evidence="\n".join(shown) or message,
        iso=iso,
        conntrack_count=facts.conntrack_count,
        conntrack_loaded=facts.conntrack_loaded,
        capture="clock" if clock else ("at" if iso is None else None),
        boot_age=facts.boot_age,
    )
    return batch


def add_once(labels: list[str], label: str) -> None:
    """Append ``label`` unless it is already there (labels keep their first-seen order)."""
    if label not in labels:
        labels.append(label)


def rules_needing(needs: list[list[str]]) -> str:
    """``3 rules need conntrack (-m state, MASQUERADE)`` from each rule's labels."""
    if not needs:
        return "no rules need conntrack"
    labels: list[str] = []
    for rule in needs:
        for label in rule:
            add_once(labels, label)
    n = len(needs)
    return f"{n} rule{'s' if n != 1 else ''} need{'s' if n == 1 else ''} conntrack " \
        f"({', '.join(labels)})"


def some_of(items: list[str], most: int) -> str:
    """The distinct items, at most ``most`` of them named: ``a, b and 3 more``."""
    seen: list[str] = []
    for item in items:
        add_once(seen, item)
    shown = ", ".join(seen[:most])
    return shown + (f" and {len(seen) - most} more" if len(seen) > most else "")


def describe(facts: Facts) -> str:
    """The facts in words, for the event's message (``nf_conntrack_max 65536, ...``)."""
    parts: list[str] = []
    if facts.conntrack_loaded is True:
        parts.append("conntrack loaded")
    elif facts.conntrack_loaded is False:
        parts.append("conntrack not loaded")
    if facts.conntrack_count is not None and facts.conntrack_max:
        pct = 100 * facts.conntrack_count / facts.conntrack_max
        parts.append(f"{facts.conntrack_count:,} of {facts.conntrack_max:,} entries in use "
                     f"({pct:.0f}%)")
    else:
        if facts.conntrack_count is not None:
            parts.append(f"{facts.conntrack_count:,} entries in use")
        if facts.conntrack_max is not None:
            parts.append(f"table size {facts.conntrack_max:,}")
    if facts.conntrack_buckets is not None:
        parts.append(f"{facts.conntrack_buckets:,} buckets")
    return ", ".join(parts)
