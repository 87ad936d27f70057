"""Parsers, one module per log source, registered in :mod:`.registry`.

In: a :class:`~conntrack_forensics.inputs.Source`, its parser picked by content (``sniff``).
Out: raw batches of rows (:class:`.RawBatch`): text columns, the time in its parts, each
message classified (:mod:`.classify`); plain lines may come as per-minute counts
(:mod:`.background`).

Every module here whose name does not start with ``_`` is imported and registers itself, so
adding a source means adding one file.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import Head, ParseContext, Parser, RawBatch
from .registry import closest, formats, parsers, pick, pick_binary, register

_INFRASTRUCTURE = {"background", "base", "classify", "registry"}

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _INFRASTRUCTURE and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "Head", "ParseContext", "Parser", "RawBatch", "closest", "formats", "parsers", "pick",
    "pick_binary", "register",
]
