"""Bounds on the cost of reading hostile evidence: :class:`Limits`.

Evidence comes off broken machines: a line of 64 MB with no line end, a 10 KB ``.gz`` that
expands to terabytes, a tarball of a million members, archives in archives. Each limit has a
default no real log reaches; when one bites, the input says what was cut, where, by which
limit and how to raise it (:meth:`Limits.hint`), and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

MiB = 2**20
GiB = 2**30


@dataclass(frozen=True)
class Limits:
    """The most the input stage reads of any one thing.

    Attributes:
        max_line_bytes: a line longer than this is cut to its first ``max_line_bytes`` bytes
            (the rest is skipped, not held in memory).
        max_decompressed_bytes: a compressed file or archive member stops after this many
            decompressed bytes.
        max_ratio: a compressed stream stops once it has expanded more than this many times
            (decompressed bytes over compressed bytes read) ...
        ratio_grace_bytes: ... counted only after its first ``ratio_grace_bytes`` decompressed
            bytes (a short run of NUL bytes compresses far better than any log).
        max_members: an archive's members after this many are not read.
        max_archive_depth: archives are opened this many levels deep (1: an archive's members
            are read, an archive inside it is not opened).

    Example:
        >>> Limits().max_line_bytes == 2**20
        True
        >>> Limits(max_line_bytes=4096).hint("max_line_bytes")
        'limit max_line_bytes=4,096 bytes; raise it with --max-line-bytes'
    """

    max_line_bytes: int = 1 * MiB
    max_decompressed_bytes: int = 64 * GiB
    max_ratio: float = 1000.0
    ratio_grace_bytes: int = 8 * MiB
    max_members: int = 100_000
    max_archive_depth: int = 1

    def __post_init__(self) -> None:
        """Raises :class:`~conntrack_forensics.errors.UsageError` for a limit out of range."""
        for name in ("max_line_bytes", "max_decompressed_bytes", "max_ratio",
                     "ratio_grace_bytes", "max_members"):
            if not getattr(self, name) > 0:
                raise UsageError(f"{name} ({OPTIONS[name]}) must be positive, not "
                                 f"{getattr(self, name)}")
        if self.max_archive_depth < 0:
            raise UsageError(f"max_archive_depth (--max-archive-depth) must be 0 or more, not "
                             f"{self.max_archive_depth}")

    def hint(self, name: str) -> str:
        """The limit ``name`` with its value, and the command-line option that raises it."""
        value = getattr(self, name)
        unit = {"max_line_bytes": " bytes", "max_decompressed_bytes": " bytes",
                "ratio_grace_bytes": " bytes"}.get(name, "")
        shown = f"{value:,g}" if isinstance(value, float) else f"{value:,}"
        return f"limit {name}={shown}{unit}; raise it with {OPTIONS[name]}"


#: The command-line option that sets each limit.
OPTIONS = {
    "max_line_bytes": "--max-line-bytes",
    "max_decompressed_bytes": "--max-decompressed-bytes",
    "max_ratio": "--max-compression-ratio",
    "ratio_grace_bytes": "--max-compression-ratio",
    "max_members": "--max-archive-members",
    "max_archive_depth": "--max-archive-depth",
}

DEFAULT_LIMITS = Limits()

__all__ = ["DEFAULT_LIMITS", "OPTIONS", "Limits"]
