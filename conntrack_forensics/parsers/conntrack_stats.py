r"""The kernel's own conntrack counters: ``conntrack -S``, ``/proc/net/stat/nf_conntrack``, ``-C``.

* ``conntrack -S`` prints one line per CPU, ``cpu=0   \tfound=175 invalid=2032 ignore=125803
  insert=0 insert_failed=7 drop=7 early_drop=0 error=0 search_restart=0`` (from netlink;
  newer kernels add ``clash_resolve`` and ``chaintoolong``). Without netlink support it reads
  the /proc file below and prints its columns, ``entries=`` first.
* ``/proc/net/stat/nf_conntrack`` (``ip_conntrack`` on 2.6.18, or its compatibility copy) has a
  header of column names, ``entries  searched found new ...`` (``entries  clashres found ...``
  since 5.x kernels), then one row of 8-digit hex numbers per CPU. Columns are read by name.
* ``conntrack -C`` prints the table's entry count alone, which only the file name
  (``conntrack_-C`` in a sosreport) tells apart from any number.

``entries`` is the global count, the same on every row (taken once). ``drop`` (packets dropped
because the table was full), ``early_drop`` (entries evicted to make room) and
``insert_failed`` are per-CPU counters since boot, summed over the CPUs: the kernel's own count
of what the ``table full, dropping packet`` lines report (those are rate limited). The files
exist only with conntrack loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._bounds import INT64_MAX, TOO_LARGE, int64
from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_KV = r"[a-z][a-z_0-9]*=\d+"
_CPU_LINE = re.compile(rf"cpu=(?P<cpu>\d+)\s+(?P<pairs>{_KV}(?:\s+{_KV})*)")
_PAIR = re.compile(r"([a-z][a-z_0-9]*)=(\d+)")
#: Every column name the kernel has used in /proc/net/stat/nf_conntrack.
_COLUMNS = frozenset(
    "entries searched clashres found new invalid ignore delete delete_list chainlength insert "
    "insert_failed drop early_drop icmp_error expect_new expect_create expect_delete "
    "search_restart".split()
)
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")
_NUMBER = re.compile(r"\d+")
_COUNT_NAME = re.compile(r"conntrack[_ ]+(?:-C|--count)\b")
#: The counters the message reports, in its order.
_REPORTED = ("drop", "early_drop", "insert_failed")


def _is_header(line: str) -> bool:
    words = line.split()
    return len(words) >= 10 and words[0] == "entries" and set(words) <= _COLUMNS


def _count_file(name: str) -> bool:
    return _COUNT_NAME.search(name) is not None


@register
class ConntrackStatsParser(Parser):
    """``conntrack -S`` output, ``/proc/net/stat/nf_conntrack`` or ``conntrack -C``."""

    NAME = "conntrack_stats"
    FORMAT = SNAPSHOT
    DESCRIPTION = ("conntrack -S, /proc/net/stat/nf_conntrack, conntrack -C by name: "
                   "the kernel's drop counters")

    def sniff(self, head: Head) -> float:
        """``cpu=N key=value`` lines, the /proc header, or one number in ``conntrack_-C``."""
        if not head.lines:
            return 0.0
        if _is_header(head.lines[0]):
            return 0.95
        if len(head.lines) == 1 and _count_file(head.name) and _NUMBER.fullmatch(
                head.lines[0].strip()):
            return 0.9
        hits = sum(1 for ln in head.lines if _CPU_LINE.fullmatch(ln.strip()))
        if hits and hits >= 0.9 * len(head.lines):
            return 0.9
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event with the summed counters."""
        name = ctx.source.basename
        count_file = _count_file(name)
        columns: list[str] | None = None
        program = "conntrack -S"
        totals: dict[str, int] = {}
        entries: int | None = None
        cpus = 0
        first = telling = 0
        evidence: list[str] = []
        for number, text in lines(ctx):
            stripped = text.strip()
            if not stripped:
                continue
            values: dict[str, int] | None = None
            if _is_header(stripped):
                ctx.ok()
                columns = stripped.split()
                program = f"/proc/net/stat/{name if name == 'ip_conntrack' else 'nf_conntrack'}"
                evidence.append(stripped)
                continue
            if count_file and _NUMBER.fullmatch(stripped):
                if int64(stripped) is None:
                    ctx.skip(number, TOO_LARGE)
                    continue
                ctx.ok()
                entries = int(stripped) if entries is None else entries
                program = "conntrack -C"
                evidence.append(stripped)
                first = first or number
                continue
            if (m := _CPU_LINE.fullmatch(stripped)) is not None:
                values = {k: int(v) for k, v in _PAIR.findall(m.group("pairs"))}
            elif columns is not None and _HEX.fullmatch((cells := stripped.split())[0]):
                if not all(_HEX.fullmatch(c) for c in cells):
                    ctx.skip(number, "a cell that is not a hexadecimal number")
                    continue
                if len(cells) != len(columns):
                    ctx.skip(number, "not as many cells as the header has columns")
                    continue
                values = dict(zip(columns, (int(c, 16) for c in cells), strict=True))
            if values is None:
                ctx.skip(number, "not a conntrack statistics line")
                continue
            if max(values.values(), default=0) > INT64_MAX:
                ctx.skip(number, TOO_LARGE)
                continue
            ctx.ok()
            cpus += 1
            first = first or number
            evidence.append(stripped)
            if entries is None and "entries" in values:
                entries = values["entries"]
            for key, value in values.items():
                if key not in ("entries", "cpu"):
                    totals[key] = totals.get(key, 0) + value
            if not telling and (values.get("drop") or values.get("insert_failed")):
                telling = number
        if not cpus and entries is None:
            return
        facts = Facts(conntrack_count=entries, conntrack_loaded=True)
        if not cpus:
            said = f"{program}: {entries:,} entries in use"
        else:
            counts = ", ".join(f"{key} {totals[key]:,}" for key in _REPORTED if key in totals)
            plural = "CPU" if cpus == 1 else "CPUs"
            said = f"{program}: {counts or 'no drop counters'} over {cpus} {plural}"
            if entries is not None:
                said += f", {entries:,} entries"
        yield snapshot_batch(program, telling or first, said, facts, evidence)
