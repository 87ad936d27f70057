"""Linux audit logs: ``/var/log/audit/audit.log`` (raw) and ``ausearch`` output (``-i`` or not).

A raw record is one line::

    type=EXECVE msg=audit(1493222601.123:4567): argc=4 a0="iptables" a1="-t" a2="nat" a3="-L"

optionally prefixed by ``node=NAME`` (auditd's ``name_format``) and followed, in auditd 3's
``ENRICHED`` format, by a group separator (``0x1d``) and the interpreted names
(``AUID="root"``). One audit event is every record sharing the stamp
``msg=audit(TIME:SERIAL)``; the kernel ends multi-record events with ``type=EOE``.
``ausearch -i`` prints the same records with interpreted values (``auid=root
syscall=execve``), a local date (``msg=audit(04/27/2017 00:03:21.123:4567)``) and ``----``
between events.

Records are grouped into events while streaming: a group ends at its ``EOE``, at a ``----``,
or once :data:`WINDOW` further records have passed without one of its own (user-space
records have no ``EOE``; records of concurrent events may interleave a little). Each group
gives one event, read by :mod:`._audit_events` (a command, a module load, a boot or shutdown,
else a message); a command whose parent is a recent ``sudo`` (``USER_CMD``) process gets
``sudo`` in its ``command`` column. Record stamps and fields are read by
:mod:`._audit_records`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..model import Kind
from ._audit_events import describe
from ._audit_records import record_fields, stamp_iso
from .base import Head, ParseContext, Parser, RawBatch
from .classify import Classified
from .registry import register

#: A group ends once this many records of other events have followed its last record.
WINDOW = 16
#: At most this many groups are open at once (the oldest is ended first).
MAX_OPEN = 64
#: Records kept per group (an event has a handful; the rest still count as read).
MAX_RECORDS = 256
#: Characters of a group's lines kept as evidence.
EVIDENCE_CAP = 2000

_HEADER = re.compile(
    r"(?:node=(?P<node>\S+) )?type=(?P<type>[A-Za-z0-9_]+(?:\[\d+\])?) "
    r"msg=audit\((?P<stamp>[^()]*?):(?P<serial>\d+)\)\s*:?\s?(?P<body>.*)"
)
_SNIFF = re.compile(
    r"(?:node=\S+ )?type=[A-Z][A-Z0-9_]*(?:\[\d+\])? msg=audit\("
    r"(?:\d+\.\d+|\d\d/\d\d/\d{2,4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
)
_NOTES = ("----", "time->")
_BAD_STAMP = "audit record without a valid msg=audit(time:serial) stamp"
_NOT_AUDIT = "line is not an audit record"


_Key = tuple[str | None, str, str]  # node, stamp, serial


@dataclass
class _Group:
    line: int
    host: str | None
    iso: str
    last: int
    records: list[tuple[str, str]] = field(default_factory=list)  # type, body
    lines: list[str] = field(default_factory=list)
    chars: int = 0

    @property
    def interpreted(self) -> bool:
        """``ausearch -i`` output (local times) rather than raw records (UTC epochs)."""
        return not self.iso.endswith("Z")

    def add(self, rtype: str, body: str, text: str) -> None:
        if len(self.records) < MAX_RECORDS:
            self.records.append((rtype, body))
        if self.chars < EVIDENCE_CAP:
            self.lines.append(text)
            self.chars += len(text) + 1


@register
class AuditParser(Parser):
    """auditd logs and ``ausearch`` output."""

    NAME = "audit"
    DESCRIPTION = "Linux audit log (/var/log/audit/audit.log) and ausearch output (raw or -i)"

    def sniff(self, head: Head) -> float:
        """Share of the first lines (ausearch separators aside) that are audit records."""
        lines = [ln for ln in head.lines if not ln.startswith(_NOTES) and ln != "<no matches>"]
        if not lines:
            return 0.0
        good = sum(1 for ln in lines if _SNIFF.match(ln))
        if good and good >= 0.6 * len(lines):
            return 0.95
        return 0.6 if good and good >= 0.3 * len(lines) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Group records into events, one event per audit event."""
        groups: dict[_Key, _Group] = {}
        sudo: dict[tuple[str | None, str], None] = {}  # (node, pid) of recent sudo commands
        batch = RawBatch()
        seq = 0

        def close(key: _Key) -> None:
            _emit(groups.pop(key), batch, sudo)

        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                lineno = chunk.first + i
                line = text.strip()
                if not line:
                    continue
                if line.startswith(_NOTES) or line == "<no matches>":
                    if line.startswith("----"):
                        for open_key in list(groups):
                            close(open_key)
                    continue
                m = _HEADER.match(line)
                if m is None:
                    ctx.skip(lineno, _BAD_STAMP if "type=" in line[:80] else _NOT_AUDIT)
                    continue
                key = (m.group("node"), m.group("stamp"), m.group("serial"))
                group = groups.get(key)
                iso = stamp_iso(key[1]) if group is None else group.iso
                if iso is None:
                    ctx.skip(lineno, _BAD_STAMP)
                    continue
                ctx.ok()
                seq += 1
                rtype = m.group("type").upper()
                if rtype == "EOE":
                    if group is not None:
                        close(key)
                    continue
                if group is None:
                    group = groups[key] = _Group(lineno, key[0], iso, seq)
                group.add(rtype, m.group("body"), line)
                group.last = seq
                if rtype == "USER_CMD":  # before its event ends: sudo's child may end first
                    pid = record_fields(rtype, m.group("body"), group.interpreted).get("pid", "")
                    sudo[(key[0], pid.strip())] = None
                    if len(sudo) > MAX_OPEN:
                        del sudo[next(iter(sudo))]
                for stale in [k for k, g in groups.items() if seq - g.last > WINDOW]:
                    close(stale)
                while len(groups) > MAX_OPEN:
                    close(next(iter(groups)))
            if len(batch):
                yield batch
                batch = RawBatch()
        for key in list(groups):
            close(key)
        if len(batch):
            yield batch


def _emit(group: _Group, batch: RawBatch, sudo: dict[tuple[str | None, str], None]) -> None:
    if not group.records:
        return
    ev = describe(group.records, group.interpreted)
    if ev.kind is Kind.COMMAND and ev.program != "sudo" and (group.host, ev.ppid) in sudo:
        # run by sudo (its USER_CMD's process is the parent): say so for trigger ranking
        ev = dataclasses.replace(ev, command=f"sudo {ev.message}")
    cls = Classified(ev.kind, rule=ev.rule, module=ev.module)
    batch.add(
        group.line, ev.message, host=group.host, program=ev.program, pid=ev.pid, user=ev.user,
        cls=cls, evidence="\n".join(group.lines)[:EVIDENCE_CAP], command=ev.command,
        iso=group.iso,
    )
