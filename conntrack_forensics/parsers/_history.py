"""What every shell-history parser shares: command rows in file order, with time bounds.

An entry without a timestamp keeps its place in the file: it waits until the next timestamped
entry (or the end of the file) gives it an upper bound, and the timestamped entry before it
gives the lower one.
"""

from __future__ import annotations

import datetime as dt

from ..model import Kind
from .base import RawBatch

BATCH_ROWS = 65536


class HistoryRows:
    """Builds ``command`` rows of one history file.

    Example:
        >>> rows = HistoryRows("bash", "root")
        >>> rows.untimed(1, "ls", "ls")
        >>> rows.timed(3, "uptime", "uptime", 1493222601.0)
        >>> rows.batch.cols["not_after"][0].isoformat()
        '2017-04-26T16:03:21+00:00'
    """

    def __init__(self, program: str, user: str | None) -> None:
        self.program = program
        self.user = user
        self.batch = RawBatch()
        self._pending: list[tuple[int, str, str]] = []
        self._prev: dt.datetime | None = None

    def timed(self, line: int, command: str, evidence: str, epoch: float) -> None:
        """Add an entry with its timestamp; it bounds the untimed entries before it."""
        when = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
        self.flush(when)
        self.batch.add(line, command, program=self.program, user=self.user,
                       kind=Kind.COMMAND, evidence=evidence, epoch=epoch)
        self._prev = when

    def untimed(self, line: int, command: str, evidence: str) -> None:
        """Hold an entry without a timestamp until its upper bound is known."""
        self._pending.append((line, command, evidence))

    def flush(self, upper: dt.datetime | None) -> None:
        """Add the waiting untimed entries, bounded by the last stamp and ``upper``."""
        for line, command, evidence in self._pending:
            self.batch.add(line, command, program=self.program, user=self.user,
                           kind=Kind.COMMAND, evidence=evidence, not_before=self._prev,
                           not_after=upper)
        self._pending.clear()

    def take(self, at_least: int = BATCH_ROWS) -> RawBatch | None:
        """The rows built so far if there are ``at_least`` of them (they are handed over)."""
        if len(self.batch) < max(at_least, 1):
            return None
        batch, self.batch = self.batch, RawBatch()
        return batch
