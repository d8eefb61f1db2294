"""Byte offsets into a line -> 1-based character columns, in time independent of the line's length.

tree-sitter and ``ast`` give columns as UTF-8 byte offsets; findings count characters.
Decoding the line's prefix for every node costs the line's length each time, which
made one long non-ASCII line with N nodes cost N^2.  A line's character starts are
found once, then each column is a binary search.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left

_CHAR_START = re.compile(rb"[^\x80-\xbf]")  # any byte but a UTF-8 continuation byte


class ByteColumns:
    """The character columns of one line, given its UTF-8 bytes."""

    __slots__ = ("_starts",)

    def __init__(self, line: bytes) -> None:
        # 4 bytes per character: a list of ints would cost about ten times the line.
        self._starts = array("I", (m.start() for m in _CHAR_START.finditer(line)))

    def column(self, byte_offset: int) -> int:
        """1-based column of the character at ``byte_offset`` (one past the last: the line's end)."""
        return bisect_left(self._starts, byte_offset) + 1
