"""One parser per file kind: bytes already decoded to text -> frozen facts.

Every parser exposes ``parse(path, text) -> <facts>`` and never raises on bad
input: what it cannot understand becomes a :class:`meslint.facts.ParseProblem`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_BREAKS = {"\r": re.compile(r"\r\n|\r|\n"), "\r\x85\u2028\u2029": re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")}
YAML_BREAKS = "\r\x85\u2028\u2029"  # PyYAML's line breaks besides \n


def lf_position_mapper(text: str, breaks: str = "\r") -> Callable[[int, int], tuple[int, int]] | None:
    """Map (line, column) counted with other line breaks to LF-only lines.

    ``ast`` and markdown-it also break lines at a lone ``\r``, PyYAML at
    ``\x85``, ``\u2028`` and ``\u2029`` too; every other parser, the reporters
    and the user's tools count ``\n`` only.  None when the text holds none of
    ``breaks`` (the two numberings agree).
    """
    if not any(ch in text for ch in breaks):
        return None
    starts = [0] + [m.end() for m in _BREAKS[breaks].finditer(text)]
    mapped: list[tuple[int, int]] = []
    lf_line, lf_start = 1, 0
    previous = 0
    for start in starts:
        newlines = text.count("\n", previous, start)
        if newlines:
            lf_line += newlines
            lf_start = text.rfind("\n", previous, start) + 1
        mapped.append((lf_line, start - lf_start))
        previous = start

    def remap(line: int, column: int) -> tuple[int, int]:
        if not 1 <= line <= len(mapped):
            return line, column
        lf, shift = mapped[line - 1]
        return lf, column + shift

    return remap
