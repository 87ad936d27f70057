"""Byte tests and digit reading on eight bytes at once, the syslog fast path's arithmetic.

A block's bytes are read as little-endian 64-bit words (:meth:`..inputs.blocks.Block.words`):
the word at offset ``i`` holds bytes ``i`` to ``i + 7``, byte ``i + k`` in bits ``8k`` to
``8k + 7``. The functions here
work on arrays of such words, one per line, with a few integer operations each (SIMD within a
register), so a field's bytes are never looped over one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: 0x01 in every byte, and each byte's high bit.
ONES = np.uint64(0x0101010101010101)
HIGH = np.uint64(0x8080808080808080)


def bytes_mask(positions: Iterable[int], value: int = 0xFF) -> np.uint64:
    """A word with ``value`` in the bytes at ``positions`` and zeros elsewhere."""
    return np.uint64(sum(value << (8 * p) for p in positions))


def is_digits(w: np.ndarray, positions: Iterable[int]) -> np.ndarray:
    """Whether the bytes of ``w`` at ``positions`` are all decimal digits.

    A byte is a digit when its high nibble is 3 and adding 6 keeps it so (0x30-0x39).
    """
    nibble, threes = bytes_mask(positions, 0xF0), bytes_mask(positions, 0x30)
    sixes = bytes_mask(positions, 0x06)
    return ((w & nibble) == threes) & (((w + sixes) & nibble) == threes)


def nib(w: np.ndarray, k: int) -> np.ndarray:
    """The low nibble of byte ``k`` of each word: a digit's value."""
    return ((w >> np.uint64(8 * k)) & np.uint64(0xF)).astype(np.int64)


def pair(w: np.ndarray, k: int) -> np.ndarray:
    """The two-digit number in bytes ``k`` and ``k + 1`` of each word."""
    return nib(w, k) * 10 + nib(w, k + 1)


def whitespace(w: np.ndarray) -> np.ndarray:
    """High bit of each byte of ``w`` that is a space or a control byte (exact for the lowest)."""
    return (w - ONES * np.uint64(33)) & ~w & HIGH


_NIBBLES, _THREES, _SIXES = bytes_mask(range(8), 0xF0), bytes_mask(range(8), 0x30), \
    bytes_mask(range(8), 0x06)
_LOW7 = bytes_mask(range(8), 0x7F)


def digits(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leading decimal digits of each word: how many (8: all), and their value (under 8).

    The digits are shifted to the top of the word and combined in three multiplications,
    pairs, then fours, then eights (the digits come first in memory: the low bytes).
    """
    nondigit = ((w & _NIBBLES) ^ _THREES) | (((w + _SIXES) & _NIBBLES) ^ _THREES)
    flags = (nondigit | ((nondigit & _LOW7) + _LOW7)) & HIGH  # high bit of each non-digit
    low = flags & (~flags + np.uint64(1))
    count = np.where(flags == 0, 8,
                     (np.log2(np.maximum(low, np.uint64(1)).astype(np.float64)).astype(np.int64)
                      - 7) // 8)
    shift = ((8 - count) % 8 * 8).astype(np.uint64)
    x = np.where(count > 0, (w & bytes_mask(range(8), 0x0F)) << shift, np.uint64(0))
    x = ((x * np.uint64(10 * 256 + 1)) >> np.uint64(8)) & bytes_mask((0, 2, 4, 6))
    x = ((x * np.uint64(100 * 65536 + 1)) >> np.uint64(16)) & bytes_mask((0, 1, 4, 5))
    x = ((x * np.uint64(10000 * 2**32 + 1)) >> np.uint64(32)) & np.uint64(0xFFFFFFFF)
    return count, x.astype(np.int64)
