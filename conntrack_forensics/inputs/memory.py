"""Handing freed memory back to the system while a long file streams through.

Blocks of a big log are allocated and freed by several threads; glibc's allocator keeps much of
the freed memory in its per-thread arenas, so a run's memory creeps up with the size of the
input (about 60 MB more at 1 GiB than at 100 MB). ``malloc_trim`` returns the free pages, and
Arrow's pool is asked to let go of what it keeps; this is done every so many blocks, not for
each (pages handed back cost a fault when used again). ``malloc_trim`` is glibc's: elsewhere
only Arrow's pool is released.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

import pyarrow as pa


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return free memory to the system; whether glibc's allocator was trimmed too.

    >>> isinstance(release_free_memory(), bool)
    True
    """
    pa.default_memory_pool().release_unused()  # Arrow's own pool (mimalloc or jemalloc)
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
