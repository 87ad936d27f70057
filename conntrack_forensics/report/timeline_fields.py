"""The timeline's vocabulary: columns of each format, formula triggers, Timesketch's fields.

Every timeline module reads these; :mod:`.timeline_export` re-exports them as public API.

Example:
    >>> TIMESKETCH_FIELDS[:3], TIMESTAMP_DESC["command"], FORMATS[-1]
    (('message', 'datetime', 'timestamp'), 'Command Run', 'parquet')
"""

from __future__ import annotations

from typing import Any

#: Output formats of a timeline.
FORMATS = ("csv", "jsonl", "timesketch", "parquet")
#: Event columns that hold a time (written as RFC 3339 UTC).
TIME_COLUMNS = ("time", "not_before", "not_after")
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0",
                    "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Timesketch's CSV import: ``message``, ``datetime`` (ISO 8601 with offset) and
#: ``timestamp_desc`` are mandatory; ``timestamp`` (microseconds since 1970) is read when
#: present; any other column becomes an attribute of the event.
TIMESKETCH_FIELDS = ("message", "datetime", "timestamp", "timestamp_desc", "host", "kind",
                     "source", "line", "format", "program", "pid", "user", "count",
                     "time_quality", "command", "module", "evidence")
#: What each kind's time is, in Timesketch's ``timestamp_desc`` sense.
TIMESTAMP_DESC = {
    "command": "Command Run",
    "snapshot": "State Captured",
    "boot": "Boot",
    "shutdown": "Shutdown",
    "module_load": "Module Loaded",
    "login": "Login",
}
#: ``timestamp_desc`` of every other kind, and of an event without one.
DEFAULT_TIMESTAMP_DESC = "Event Logged"


def neutralise(value: Any) -> Any:
    """``value`` with a ``'`` in front when it is text a spreadsheet would run as a formula.

    >>> neutralise("@SUM(A1)"), neutralise("-2+3"), neutralise("ok"), neutralise(-2)
    ("'@SUM(A1)", "'-2+3", 'ok', -2)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
