"""Inline suppressions, gathered once per file while the repository is parsed.

Each file kind uses its own comment syntax:

* units, env files: a whole comment line (``# meslint: ignore[MES602]``; ``;`` too in
  units) covers the next line that is not blank or a comment.  An inline ``#`` after
  a value is part of the value for systemd, so it is never read as a suppression.
* shell, Python, TOML, YAML: ``# meslint: ignore[MES602]`` at the end of a line
  covers that line; alone on a comment line it covers the next line.
* Markdown: ``<!-- meslint: ignore[MES801] -->``, same scoping.

``ignore-file[...]`` covers the whole file.  Codes may be prefixes (``MES6``);
without brackets every code is covered.
"""

from __future__ import annotations

import re

from meslint.facts import FileKind, Location
from meslint.records import record

FILE = 0  # target_line of a file-wide suppression


@record(slots=True)
class Suppression:
    location: Location  # the comment itself
    codes: tuple[str, ...]  # code prefixes; empty = all codes
    target_line: int  # the line covered, or FILE (0) for the whole file
    text: str  # the directive as written, for messages
    # For MES100's fix: the comment is alone on its line; the column where the whitespace before an
    # inline one starts; the columns of the codes between the brackets (0, 0: none).
    alone: bool = False
    lead: int = 0
    codes_at: tuple[int, int] = (0, 0)

    def covers(self, code: str, location: Location) -> bool:
        if location.path != self.location.path:
            return False
        if self.codes and not any(code.startswith(prefix) for prefix in self.codes):
            return False
        if self.target_line == FILE:
            return True
        return location.line <= self.target_line <= max(location.line, location.end_line)


_HASH = re.compile(r"#\s*meslint:\s*(ignore(?:-file)?)\b(?:\[([^\]]*)\])?\s*$")
_WHOLE_LINE = re.compile(r"^\s*[#;]\s*meslint:\s*(ignore(?:-file)?)\b(?:\[([^\]]*)\])?\s*$")
_HTML = re.compile(r"<!--\s*meslint:\s*(ignore(?:-file)?)\b(?:\[([^\]]*)\])?\s*-->\s*$")
_COMMENT_LINE = {
    FileKind.UNIT: re.compile(r"^\s*[#;]"),
    FileKind.ENV: re.compile(r"^\s*#"),
    FileKind.SUPERVISORD: re.compile(r"^\s*[#;]"),
    FileKind.MARKDOWN: re.compile(r"^\s*<!--.*-->\s*$"),
}
_HASH_COMMENT_LINE = re.compile(r"^\s*#")


def scan(path: str, kind: FileKind, text: str) -> tuple[Suppression, ...]:
    """Every suppression comment in one file's decoded text."""
    if "meslint:" not in text:
        return ()
    lines = text.split("\n")
    comment_line = _COMMENT_LINE.get(kind, _HASH_COMMENT_LINE)
    found: list[Suppression] = []
    for index, line in enumerate(lines):
        if "meslint:" not in line:
            continue
        if kind in (FileKind.UNIT, FileKind.ENV, FileKind.SUPERVISORD):
            match = _WHOLE_LINE.match(line)
            alone = True
        else:
            match = (_HTML if kind is FileKind.MARKDOWN else _HASH).search(line)
            alone = match is not None and not line[:match.start()].strip()
        if match is None:
            continue
        directive, codes_text = match.group(1), match.group(2)
        codes = tuple(c.strip().upper() for c in (codes_text or "").split(",") if c.strip())
        if directive == "ignore-file":
            target = FILE
        elif alone:
            # Nothing follows: the suppression covers nothing and is reported as unused (MES100).
            target = _next_code_line(lines, index, comment_line) or index + 2
        else:
            target = index + 1
        column = match.start() + 1
        location = Location(path, index + 1, column, index + 1, match.end() + 1)
        lead = len(line[:match.start()].rstrip()) + 1
        codes_at = (match.start(2) + 1, match.end(2) + 1) if codes_text is not None else (0, 0)
        found.append(Suppression(location, codes, target, match.group(0).strip(), alone, lead, codes_at))
    return tuple(found)


def _next_code_line(lines: list[str], index: int, comment_line: re.Pattern) -> int | None:
    for j in range(index + 1, len(lines)):
        if lines[j].strip() and not comment_line.match(lines[j]):
            return j + 1
    return None
