"""What kinds of rows a source holds, found once: the steps after reading ask for every source.

Each step of the loader (zones, years, capture times, clock skew, boot anchoring) needs only
the sources holding some kind of row: yearless lines, RFC 3339 text, snapshot captures,
seconds since boot, kernel lines. Asking each source's frame costs a pandas call or two per
step and source, which for a tree of 10,000 small files was most of those steps' time. The
columns these come from are never changed after reading, so the answers are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .parsed import ParsedSource


@dataclass(frozen=True)
class Facts:
    """Whether a source holds any row of each kind."""

    yearless: bool  # a month and day but no year (``mon`` > 0)
    iso: bool  # an RFC 3339 text
    uptime: bool  # seconds since boot
    clock: bool  # a reading of the host's clock (``capture`` == "clock")
    at: bool  # a snapshot timed by that reading (``capture`` == "at")
    kernel: bool  # program ``kernel``
    boot: bool  # kind ``boot``
    boot_age: bool  # an uptime reading (``boot_age``)


def facts(p: ParsedSource) -> Facts:
    """``p``'s facts, found on the first call."""
    if p.facts is None:
        assert p.raw is not None
        p.facts = facts_of_rows(p.raw, np.array([len(p.raw)]))[0]
    return p.facts


def facts_of_rows(raw: pd.DataFrame, sizes: np.ndarray) -> list[Facts]:
    """The facts of consecutive sources whose rows are ``raw``, ``sizes[k]`` rows each."""
    capture = raw["capture"]
    columns = [
        (raw["mon"] > 0).to_numpy(dtype=bool),
        raw["iso"].notna().to_numpy(dtype=bool),
        raw["uptime"].notna().to_numpy(dtype=bool),
        capture.eq("clock").fillna(False).to_numpy(dtype=bool),
        capture.eq("at").fillna(False).to_numpy(dtype=bool),
        raw["program"].eq("kernel").fillna(False).to_numpy(dtype=bool),
        raw["kind"].eq("boot").fillna(False).to_numpy(dtype=bool),
        raw["boot_age"].notna().to_numpy(dtype=bool),
    ]
    owner = np.repeat(np.arange(len(sizes)), sizes)
    found = [np.bincount(owner[c], minlength=len(sizes)) > 0 for c in columns]
    return [Facts(*(bool(f[k]) for f in found)) for k in range(len(sizes))]
