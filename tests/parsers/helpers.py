from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd

from conntrack_forensics.diagnostics import Diagnostics
from conntrack_forensics.inputs.walk import iter_sources
from conntrack_forensics.parsers import ParseContext, parsers
from conntrack_forensics.parsers.base import Hints, as_frame


def run_parser(name: str, path: Path) -> tuple[pd.DataFrame, ParseContext]:
    """Raw frame of one parser over one file in line order, and its context (records, skipped,
    diag); a parser may hand its rows on in another order (``line`` tells)."""
    diag = Diagnostics()
    (source,) = list(iter_sources([path], diag))
    ctx = ParseContext(source, diag, Hints())
    frames = [as_frame(b) for b in parsers()[name].parse(ctx)]
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(raw):
        raw = raw.sort_values("line", kind="stable", na_position="last").reset_index(drop=True)
    return raw, ctx


def tool(name: str) -> ModuleType:
    """A generator script from tools/ (they write the samples), imported once."""
    from tests.conftest import ROOT

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
