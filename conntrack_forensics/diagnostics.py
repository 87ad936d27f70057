"""Diagnostics: every problem met in the evidence, counted and named, never raised.

A :class:`Diagnostics` collector is handed to the input layer and to every parser. Repeated
problems of the same kind in the same file are folded into one row with a count and the first
line number, so a million bad lines make one row, not a million.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import pandas as pd


class Level(str, enum.Enum):
    """How much a diagnostic matters to the analysis."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


LEVELS: tuple[str, ...] = tuple(lv.value for lv in Level)


@dataclass
class Diagnostic:
    """One folded diagnostic row."""

    path: str
    line: int | None
    level: str
    message: str
    count: int = 1

    def to_dict(self) -> dict[str, object]:
        """The row as JSON-ready values."""
        return {
            "path": self.path,
            "line": self.line,
            "level": self.level,
            "message": self.message,
            "count": self.count,
        }


@dataclass
class Diagnostics:
    """Collects diagnostics; identical (path, level, message) rows are folded.

    Example:
        >>> d = Diagnostics()
        >>> d.add("messages", 3, Level.WARNING, "line is not syslog")
        >>> d.add("messages", 9, Level.WARNING, "line is not syslog")
        >>> d.rows[0].count, d.rows[0].line
        (2, 3)
    """

    _rows: dict[tuple[str, str, str], Diagnostic] = field(default_factory=dict)

    def add(
        self, path: str, line: int | None, level: Level | str, message: str, count: int = 1
    ) -> None:
        """Record ``count`` occurrences of a problem at ``path`` (first at ``line``)."""
        lv = Level(level).value
        key = (path, lv, message)
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = Diagnostic(path, line, lv, message, count)
        else:
            row.count += count
            if line is not None and (row.line is None or line < row.line):
                row.line = line

    def merge(self, other: Diagnostics) -> None:
        """Add every row of ``other`` (folded alike: the order of merging changes nothing)."""
        for row in other._rows.values():
            self.add(row.path, row.line, row.level, row.message, row.count)

    def info(self, path: str, message: str, line: int | None = None, count: int = 1) -> None:
        """Record an informational note (an inference the reader should know about)."""
        self.add(path, line, Level.INFO, message, count)

    def warning(self, path: str, message: str, line: int | None = None, count: int = 1) -> None:
        """Record evidence that could not be used as it is."""
        self.add(path, line, Level.WARNING, message, count)

    def error(self, path: str, message: str, line: int | None = None, count: int = 1) -> None:
        """Record evidence that could not be read at all."""
        self.add(path, line, Level.ERROR, message, count)

    @property
    def rows(self) -> list[Diagnostic]:
        """Rows sorted by path, line and message (deterministic)."""
        return sorted(
            self._rows.values(),
            key=lambda d: (d.path, d.line if d.line is not None else -1, d.level, d.message),
        )

    def to_frame(self) -> pd.DataFrame:
        """The diagnostics as a DataFrame: path, line, level, message, count."""
        rows = self.rows
        return pd.DataFrame(
            {
                "path": pd.Series([r.path for r in rows], dtype="string"),
                "line": pd.Series([r.line for r in rows], dtype="Int64"),
                "level": pd.Series(
                    [r.level for r in rows],
                    dtype=pd.CategoricalDtype(list(LEVELS), ordered=True),
                ),
                "message": pd.Series([r.message for r in rows], dtype="string"),
                "count": pd.Series([r.count for r in rows], dtype="Int64"),
            }
        )
