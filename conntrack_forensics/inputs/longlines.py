"""Lines longer than the line limit (:attr:`~.limits.Limits.max_line_bytes`), found and cut.

A block holds whole lines; :func:`long_lines` says cheaply whether any of them may be over the
limit (one probe per half limit of bytes), and :func:`cut_long_lines` cuts those that are to
their first ``cap`` bytes. A line with no end in sight is cut as it streams
(:class:`~.blocks.BlockReader`), so a 64 MB line never sits in memory whole.
"""

from __future__ import annotations

import numpy as np

#: Bytes looked at from the start of each window before the whole window is searched.
_PROBE = 4096
#: More windows than this in a block: the newlines are all found at once instead.
_MAX_WINDOWS = 64


def long_lines(buf: np.ndarray, end: int, cap: int) -> bool:
    r"""Whether a line of ``buf[:end]`` (whole lines, the first at 0) may be over ``cap`` bytes.

    Every window of ``cap // 2`` bytes holding a newline means no line reaches ``cap`` bytes.

    >>> long_lines(np.frombuffer(b"ab\ncd\nef\ngh\n", np.uint8), 12, 6)
    False
    >>> long_lines(np.frombuffer(b"abcdefgh\nab\n", np.uint8), 12, 6)
    True
    """
    if end <= cap:
        return False
    width = max(cap // 2, 1)
    if end // width > _MAX_WINDOWS:
        return True  # small limits: let the exact search decide
    for lo in range(0, end, width):
        hi = min(lo + width, end)
        if not (buf[lo:min(lo + _PROBE, hi)] == 10).any() and not (buf[lo:hi] == 10).any():
            return True
    return False


def cut_long_lines(buf: np.ndarray, end: int, cap: int) -> tuple[np.ndarray, int, int]:
    r"""``buf[:end]`` with each line over ``cap`` bytes cut to its first ``cap`` bytes.

    Returns the new bytes, the number of lines cut and the offset of the first cut line's start
    (-1 when none was).

    >>> data, n, first = cut_long_lines(np.frombuffer(b"ab\nabcdef\nx\n", np.uint8), 12, 4)
    >>> data.tobytes(), n, first
    (b'ab\nabcd\nx\n', 1, 3)
    >>> cut_long_lines(np.frombuffer(b"ab\nabcdef", np.uint8), 9, 4)[0].tobytes()
    b'ab\nabcd'
    """
    view = buf[:end]
    ends = np.flatnonzero(view == 10)
    if end and view[end - 1] != 10:  # the data's last line, with no line end
        ends = np.append(ends, end)
    starts = np.concatenate(([0], ends[:-1] + 1))
    long = np.flatnonzero(ends - starts > cap)
    if not len(long):
        return view, 0, -1
    keep = np.ones(end, dtype=bool)
    for i in long.tolist():
        keep[int(starts[i]) + cap:int(ends[i])] = False
    return view[keep], len(long), int(starts[long[0]])


def first_newline(buf: np.ndarray, size: int) -> int:
    """Offset of the first newline in ``buf[:size]``, or -1."""
    found = np.flatnonzero(buf[:size] == 10)
    return int(found[0]) if len(found) else -1


__all__ = ["cut_long_lines", "first_newline", "long_lines"]
