"""Heredocs -> :class:`meslint.facts.Heredoc` facts for the bash script parser.

A heredoc keeps the command that reads it, its delimiter, whether it is quoted (no
expansion) and its body as the script holds it (leading tabs removed for ``<<-``).
When the reading command is a Python interpreter reading its program from stdin
(``python - <<'PY'``, also behind ``conda run``, ``env``, ``sudo``, ...), the body is
parsed by :mod:`meslint.parsers.python_src`.  Used by :mod:`meslint.parsers.shell`
through :class:`HeredocReader`, a base of its extractor.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from meslint.facts import Heredoc, Location, ParseProblem
from meslint.parsers.shell_nodes import Ctx, NodePositions

if TYPE_CHECKING:
    from tree_sitter import Node

    from meslint.facts import PythonModule

_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?")
# Commands that run their arguments as another command (python may follow them).
_WRAPPERS = frozenset(
    {"conda", "mamba", "micromamba", "env", "exec", "nohup", "command", "sudo", "timeout", "time", "uv"}
)
_GLUED = re.compile(r"[;|&()<>]")


class HeredocReader(NodePositions):
    """Records heredocs in ``heredocs``; ``text`` is the script, ``_text_lines`` its lines once split."""

    text: str
    heredocs: list[Heredoc]
    problems: list[ParseProblem]
    _text_lines: list[str] | None

    def _heredoc(self, node: Node, argv: tuple[str, ...], ctx: Ctx) -> None:
        start = body = end = None
        dash = False
        for child in node.children:
            kind = child.type
            if kind == "heredoc_start":
                start = child
            elif kind == "heredoc_body":
                body = child
            elif kind == "heredoc_end":
                end = child
            elif kind == "<<-":
                dash = True
        if start is None:
            return
        raw = self._text(start)
        quoted = any(q in raw for q in "'\"\\")
        if not quoted and _GLUED.search(raw):
            # tree-sitter-bash reads `<<EOF;`/`<<EOF|` as the delimiter "EOF;" and
            # swallows the rest of the file as the body: say so instead of guessing.
            self.problems.append(
                ParseProblem(
                    self._loc(start), f"heredoc marker {raw!r} is glued to an operator; facts after it are unreliable"
                )
            )
        delimiter = raw.replace("'", "").replace('"', "").replace("\\", "")
        first_row, stop_row = self._heredoc_rows(start, body, end)
        if self._text_lines is None:
            self._text_lines = self.text.split("\n")
        lines = self._text_lines[first_row:stop_row] if stop_row > first_row else []
        if dash:
            lines = [line.lstrip("\t") for line in lines]
        text = "".join(line + "\n" for line in lines)
        last = lines[-1] if lines else ""
        body_loc = Location(self.path, first_row + 1, 1, first_row + max(len(lines), 1), len(last) + 1)
        python = self._embedded_python(argv, text, first_row) if _runs_python_stdin(argv) else None
        self.heredocs.append(Heredoc(argv, delimiter, quoted, text, body_loc, ctx.function, python))

    def _heredoc_rows(self, start: Node, body: Node | None, end: Node | None) -> tuple[int, int]:
        if body is not None:
            first = body.start_point.row
        elif end is not None:
            first = end.start_point.row
        else:
            first = start.end_point.row + 1
        if end is not None:
            stop = end.start_point.row
        elif body is not None:
            stop = body.end_point.row + (1 if body.end_point.column else 0)
        else:
            stop = first
        return first, stop

    def _embedded_python(self, argv: tuple[str, ...], body: str, offset: int) -> PythonModule | None:
        try:
            from meslint.parsers import python_src
        except ImportError:
            return None
        try:
            return python_src.parse(self.path, body, line_offset=offset)
        except Exception as exc:  # another parser's bug must not stop this one
            self.problems.append(
                ParseProblem(Location(self.path, offset + 1), f"embedded Python could not be parsed: {exc!r}")
            )
            return None


def _runs_python_stdin(argv: tuple[str, ...]) -> bool:
    """True when ``argv`` runs a Python interpreter reading its program from stdin."""
    for i, word in enumerate(argv):
        if _PYTHON_NAME.fullmatch(posixpath.basename(word)):
            if i > 0 and posixpath.basename(argv[0]) not in _WRAPPERS:
                return False
            return _python_reads_stdin(argv[i + 1 :])
    return False


def _python_reads_stdin(args: tuple[str, ...]) -> bool:
    for arg in args:
        if arg == "-":
            return True
        if arg in ("-c", "-m") or arg.startswith(("-c", "-m")) and not arg.startswith("--"):
            return False
        if not arg.startswith("-"):
            return False  # a script path
    return True
