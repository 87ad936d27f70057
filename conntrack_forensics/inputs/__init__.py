"""Reading: the paths a user names, as readable sources.

In: paths (files, directories, ``.tar``/``.zip`` archives, ``-`` for standard input).
Out: :class:`Source` objects, rotated sets oldest first, each opened decompressed and read-only.

Directories are walked (:mod:`.walk`), archives opened into members (:mod:`.archives`),
compressed files decompressed (:mod:`.source`), and each source read in blocks of whole lines
(:mod:`.blocks`) by the parsers. Nothing here writes to an input or raises on bad evidence:
links, FIFOs, devices and unreadable files are diagnostics, and :class:`Limits` bounds what
hostile input (endless lines, decompression bombs, huge archives) can cost.
"""

from __future__ import annotations

from .limits import Limits
from .source import Source, read_head
from .walk import iter_sources

__all__ = ["Limits", "Source", "iter_sources", "read_head"]
