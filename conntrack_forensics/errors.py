"""Exceptions raised by conntrack-forensics.

Every exception the library raises on purpose derives from one root::

    ConntrackForensicsError
    ├── UsageError            a setting the caller can fix (bad --tz, bad --year, no such path)
    │   └── InputNotFoundError  a path given on the command line does not exist
    └── ReportError           an output could not be written

Problems inside the evidence (unreadable files, bad lines, corrupt archives) are never
raised: they are recorded as diagnostics and the run goes on.
"""

from __future__ import annotations


class ConntrackForensicsError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = 1


class UsageError(ConntrackForensicsError):
    """A setting the caller gave is invalid; the message says which and why."""

    exit_code = 2


class InputNotFoundError(UsageError):
    """A path given as input does not exist."""


class ReportError(ConntrackForensicsError):
    """A report file could not be written."""
