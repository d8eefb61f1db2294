"""Physical lines -> logical lines, as ``config_parse()`` in ``src/shared/conf-parser.c`` joins them.

See :mod:`meslint.parsers.systemd` ("File syntax") for the rules.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from meslint.parsers.systemd_words import WHITESPACE

COMMENTS = "#;"


@dataclass(slots=True)
class Logical:
    """A logical line: physical pieces joined, with a map back to (line, column)."""

    text: str
    offsets: list[int]  # start offset of each piece in ``text``
    lines: list[int]  # 1-based physical line of each piece
    first_line: int

    def point(self, offset: int) -> tuple[int, int]:
        k = max(bisect.bisect_right(self.offsets, offset) - 1, 0)
        return self.lines[k], offset - self.offsets[k] + 1

    def end_point(self, offset: int) -> tuple[int, int]:
        """Position one past the character before ``offset`` (end of a span)."""
        if offset <= 0:
            return self.point(0)
        line, column = self.point(offset - 1)
        return line, column + 1


def logical_lines(text: str) -> Iterable[Logical]:
    """Physical lines -> logical lines, as conf-parser.c's config_parse() does."""
    pieces: list[str] = []
    offsets: list[int] = []
    lines: list[int] = []
    length = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.lstrip(WHITESPACE)
        if stripped and stripped[0] in COMMENTS:
            continue  # comments vanish even inside a continuation
        trailing = len(raw) - len(raw.rstrip("\\"))
        continued = trailing % 2 == 1
        piece = raw[:-1] + " " if continued else raw
        offsets.append(length)
        lines.append(number)
        pieces.append(piece)
        length += len(piece)
        if continued:
            continue
        yield Logical("".join(pieces), offsets, lines, lines[0])
        pieces, offsets, lines, length = [], [], [], 0
    if pieces:
        yield Logical("".join(pieces), offsets, lines, lines[0])
