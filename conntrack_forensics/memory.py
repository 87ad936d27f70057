"""Handing freed memory back to the system while a long file streams through.

Blocks of a big log are allocated and freed by several threads; glibc's allocator keeps much of
the freed memory in its per-thread arenas, so a run's memory creeps up with the size of the
input (about 60 MB more at 1 GiB than at 100 MB). ``malloc_trim`` returns the free pages; it is
called every so many blocks, not for each (pages handed back cost a fault when used again).
Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return the allocator's free memory to the system; whether that could be done.

    >>> isinstance(release_free_memory(), bool)
    True
    """
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
