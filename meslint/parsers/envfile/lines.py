"""The line model the env-file readers share: what one reader reports and where.

Each reader (:mod:`.systemd`, :mod:`.bash`, :mod:`.python_dotenv`) turns the
text into :class:`Reading` -- a :class:`Hit` per assignment it performs, keyed
by the offset of the name, and problems keyed by offset.  :class:`Positions`
turns offsets into line/column locations and the raw text of the lines an
assignment covers.
"""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass, field

from meslint.facts import Location

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(slots=True)
class Hit:
    """One consumer's reading of one assignment."""

    name: str
    start: int  # offset of the first character of the name
    end: int  # offset one past the value's source text
    value: str | None
    exported: bool = False
    dynamic: bool = False


@dataclass
class Reading:
    hits: list[Hit] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


class Positions:
    """Offsets -> locations.  Line starts are kept in a machine-integer array
    (8 bytes a line) so a file of blank lines costs no more than a few times its size."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = array("q", [0])
        self.starts.extend(m.end() for m in re.finditer("\n", text))  # no per-character loop

    def line_col(self, offset: int) -> tuple[int, int]:
        idx = bisect.bisect_right(self.starts, offset) - 1
        return idx + 1, offset - self.starts[idx] + 1

    def location(self, path: str, start: int, end: int) -> Location:
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(max(end, start))
        return Location(path, line, col, end_line, end_col)

    def raw(self, start: int, end: int) -> str:
        first = self.starts[self.line_col(start)[0] - 1]
        last_line = self.line_col(max(end - 1, start))[0]
        stop = self.starts[last_line] - 1 if last_line < len(self.starts) else len(self.text)
        return self.text[first:stop]


class TextBuilder:
    """A string built from many small pieces at about one byte a character.

    A list of one-character strings costs ~60 bytes a character; pieces are
    joined every :attr:`GROUP` appends instead, which keeps time linear too.
    """

    GROUP = 256
    __slots__ = ("_chunks", "_pieces")

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._pieces: list[str] = []

    def append(self, piece: str) -> None:
        self._pieces.append(piece)
        if len(self._pieces) >= self.GROUP:
            self._chunks.append("".join(self._pieces))
            self._pieces.clear()

    def __bool__(self) -> bool:
        return bool(self._chunks or self._pieces)

    def build(self) -> str:
        return "".join(self._chunks) + "".join(self._pieces)
