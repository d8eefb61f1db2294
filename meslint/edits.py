"""The fix model: what a finding proposes to change, as exact text edits.

A :class:`Fix` is a set of :class:`Edit` s that together repair one finding, with an
applicability (ruff's): ``safe`` keeps every consumer's resolved value (only the form
changes), ``unsafe`` changes a value some consumer sees, ``display-only`` is a suggestion
that is shown and never applied.  Checks build fixes from facts (they never open files);
:mod:`meslint.fixer` applies them.

Positions are those of :class:`meslint.location.Location`: 1-based lines and columns counted
in characters of the file's text as meslint reads it (BOM dropped, CRLF read as LF).  An edit
replaces the text from ``(line, column)`` up to, not including, ``(end_line, end_column)``; an
empty range inserts.  A ``"\\n"`` in ``content`` is written with the line ending of the line the
edit starts on, so a CRLF file stays CRLF.  An edit on a path that does not exist, at 1:1 with
an empty range, creates the file.
"""

from __future__ import annotations

from meslint.records import record

SAFE, UNSAFE, DISPLAY_ONLY = "safe", "unsafe", "display-only"
APPLICABILITIES = (SAFE, UNSAFE, DISPLAY_ONLY)


@record(slots=True, order=True)
class Edit:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    @property
    def start(self) -> tuple[int, int]:
        return (self.line, self.column)

    @property
    def end(self) -> tuple[int, int]:
        return (self.end_line, self.end_column)


@record(slots=True)
class Fix:
    applicability: str  # one of APPLICABILITIES
    message: str  # what applying it does, imperative ("move the comment above GUNICORN_WORKERS")
    edits: tuple[Edit, ...]

    def __post_init__(self) -> None:
        if self.applicability not in APPLICABILITIES:
            raise ValueError(f"unknown fix applicability {self.applicability!r}")


def replace_lines(path: str, first: int, last: int, old_last: str, content: str) -> Edit:
    """Replace lines ``first``..``last`` (their text, not the final line's newline) by ``content``;
    ``old_last`` is the text of line ``last`` (it fixes the end column)."""
    return Edit(path, first, 1, last, len(old_last) + 1, content)


def insert_line(path: str, line: int, text: str) -> Edit:
    """Insert ``text`` as a new line before line ``line``."""
    return Edit(path, line, 1, line, 1, text + "\n")


def delete_line(path: str, line: int) -> Edit:
    """Delete line ``line`` with its newline (the fixer keeps a final line's missing newline missing)."""
    return Edit(path, line, 1, line + 1, 1, "")


def fix_dict(fix: Fix) -> dict:
    """The fix as the JSON report carries it."""
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [{"path": e.path, "line": e.line, "column": e.column, "end_line": e.end_line,
                   "end_column": e.end_column, "content": e.content} for e in fix.edits],
    }
