from __future__ import annotations

from pathlib import Path

import pandas as pd

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs import iter_sources
from conntrack_forensics.parsers import ParseContext, parsers
from conntrack_forensics.parsers.base import Hints


def run_parser(name: str, path: Path) -> tuple[pd.DataFrame, ParseContext]:
    """Raw frame of one parser over one file, and its context (records, skipped, diag)."""
    diag = Diagnostics()
    (source,) = list(iter_sources([path], diag))
    ctx = ParseContext(source, diag, Hints())
    frames = [b.to_frame() for b in parsers()[name].parse(ctx)]
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return raw, ctx
