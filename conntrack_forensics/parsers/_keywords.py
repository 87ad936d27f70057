"""Lines of a block the fast path must leave: the classifier's words found in bulk.

One pass of Hyperscan over the whole block (of RE2 through pyarrow, line by line, when
Hyperscan is missing) marks the lines with any of the classifier's words
(:data:`~..classify.PREFILTER_WORDS`), a ``repeated``, or a byte outside printable ASCII.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .classify import PREFILTER_WORDS

#: Lines the fast path leaves to the line-by-line parser: the classifier's words, a repeat, a
#: byte outside printable ASCII (tab and line ends aside).
LOUD_PATTERNS = [*(re.escape(w) for w in PREFILTER_WORDS), "repeated",
                 r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]"]
LOUD = "|".join(LOUD_PATTERNS)


def loud(buf: np.ndarray, size: int, starts: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Lines with any of the :data:`LOUD` patterns.

    Hyperscan scans the whole block at once; without it, RE2 (pyarrow) reads each line from
    ``text`` (where its program starts) to the next line's: a host name with a word in it only
    sends lines the slow way.
    """
    found = np.zeros(len(starts), dtype=bool)
    databases = _hyperscan()
    if databases is not None:
        ends: list[int] = []
        for database in databases:
            database.scan(memoryview(buf)[:size],  # type: ignore[arg-type]
                          match_event_handler=lambda _i, _f, to, _fl, _c: ends.append(to),
                          scratch=_scratch(database))
        if ends:
            found[np.searchsorted(starts, np.array(ends) - 1, side="right") - 1] = True
        return found
    lines = pa.Array.from_buffers(pa.large_binary(), len(starts),
                                  [None, pa.py_buffer(np.append(text, size)), pa.py_buffer(buf)])
    return pc.match_substring_regex(lines, LOUD).to_numpy(zero_copy_only=False)


@functools.cache
def _hyperscan() -> tuple[Any, ...] | None:
    """The compiled :data:`LOUD` patterns, or None without a usable Hyperscan.

    Two databases, the words and the byte class: together they take 50 ms to compile, apart
    under 2 ms, and scanning twice costs a tenth more.
    """
    if os.environ.get("CONNTRACK_FORENSICS_ENGINE", "").lower() == "re2":
        return None
    try:
        import hyperscan
        databases = []
        for group in (LOUD_PATTERNS[:-1], LOUD_PATTERNS[-1:]):
            patterns = [p.encode("latin-1") for p in group]
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(expressions=patterns, ids=list(range(len(patterns))),
                             elements=len(patterns), flags=[0] * len(patterns))
            databases.append(database)
        return tuple(databases)
    except Exception:  # not installed, or a CPU it does not run on: RE2 does the same job
        return None


_THREAD = threading.local()


def _scratch(database: Any) -> Any:
    """Hyperscan's scratch space for ``database``, one per thread (a scan may not share it)."""
    if not hasattr(_THREAD, "scratch"):
        _THREAD.scratch = {}
    scratch = _THREAD.scratch.get(id(database))
    if scratch is None:
        import hyperscan
        scratch = _THREAD.scratch[id(database)] = hyperscan.Scratch(database)
    return scratch


def engine() -> str:
    """Which library finds the classifier's words in bulk: ``hyperscan`` or ``re2``."""
    return "re2" if _hyperscan() is None else "hyperscan"
