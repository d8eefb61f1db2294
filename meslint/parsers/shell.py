"""Bash scripts -> :class:`meslint.facts.ShellScript` facts, via tree-sitter-bash.

What is extracted
-----------------
* assignments (``NAME=word``, ``export``/``local``/``declare``/``typeset``/``readonly``),
* simple commands (inside functions, conditions, loops, pipelines, ``&&``/``||``
  lists, subshells and heredoc pipelines; *not* inside command substitutions),
* function definitions, ``case`` arms, heredocs (with embedded Python parsed when
  the reading command is ``python -``).

Words become **templates** (see :mod:`meslint.template`), built by
:mod:`meslint.parsers.shell_words`; a command substitution whose result is
statically the script's own location or a directory below it becomes ``@ROOT``
or ``@ROOT/sub/dir`` (:mod:`meslint.parsers.shell_anchors`).

Conventions worth knowing
-------------------------
* A bare ``export NAME`` (or ``local NAME``/``declare NAME``) is recorded as an
  assignment with value ``""`` and ``declared_only=True``; for ``export`` it has
  ``exported=True``.  It does not change the value.
* ``VAR=x cmd`` is not a shell assignment: it lands in ``ShellCommand.env_prefix``.
* ``ShellScript.case_arms`` holds every ``case`` arm once (patterns, location, the
  ``case`` it belongs to); which arms enclose a command is :mod:`meslint.script_flow`'s
  question (``ScriptModel.arms_of``), not stored again on each command.
* Problems: tree-sitter ``ERROR`` nodes (the innermost ones) and ``MISSING`` nodes
  become :class:`ParseProblem`; facts are still taken from the rest of the tree.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from meslint.facts import (
    Heredoc,
    Location,
    ParseProblem,
    ShellAssignment,
    ShellCaseArm,
    ShellCommand,
    ShellFunction,
    ShellScript,
)
from meslint.parsers.shell_anchors import root_template, segments_of, unescape_unquoted
from meslint.parsers.shell_status import command_status
from meslint.parsers.shell_words import WordTemplates
from meslint.template import literal as _lit
from meslint.template import matching_brace

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

    from meslint.facts import PythonModule
    from meslint.parsers.columns import ByteColumns

_PARSER: Parser | None = None


# Every byte >= 0x80 becomes "_": a word character to bash, as a multibyte letter is.
_ASCII_SHADOW = bytes(range(128)) + b"_" * 128


def _parser() -> Parser:
    # Building the Language/Parser costs a few ms; do it once per process.
    global _PARSER
    if _PARSER is None:
        import tree_sitter
        import tree_sitter_bash

        _PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _PARSER


def parse(path: str, text: str) -> ShellScript:
    """Parse one bash script; never raises (failures become ParseProblems)."""
    try:
        return _Extractor(path, text).run()
    except Exception as exc:  # a linter must survive any input
        return ShellScript(
            path=path,
            shebang=_shebang(text),
            assignments=(),
            commands=(),
            functions=(),
            case_arms=(),
            heredocs=(),
            problems=(ParseProblem(Location(path), f"internal shell parser error: {exc!r}"),),
        )


def _shebang(text: str) -> str | None:
    if text.startswith("#!"):
        return text.split("\n", 1)[0].rstrip("\r")
    return None


# --------------------------------------------------------------------------- node types

# Nodes that only hold statements: walk into their named children.
_CONTAINERS = frozenset(
    {
        "program",
        "compound_statement",
        "subshell",
        "list",
        "pipeline",
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "for_statement",
        "c_style_for_statement",
        "do_group",
        "negated_command",
        "ERROR",
        "heredoc_redirect",
    }
)
_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)?)?")
# Commands that run their arguments as another command (python may follow them).
_WRAPPERS = frozenset(
    {"conda", "mamba", "micromamba", "env", "exec", "nohup", "command", "sudo", "timeout", "time", "uv"}
)
# Words tree-sitter-bash drops right before a redirect (`python - <<'PY'` loses "-").
_LOST_WORD = re.compile(r"[-\w./=:+,@%]+")
_NOT_ARGUMENTS = frozenset({"herestring_redirect", "heredoc_redirect", "comment", "subscript"})
_ASSIGN_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?)=(.*)\}", re.S)
_GLUED = re.compile(r"[;|&()<>]")
_FILE_OPERATORS = frozenset({">", ">>", ">|", "&>", "&>>", "<"})
_HEREDOC_PARTS = frozenset({"heredoc_start", "heredoc_body", "heredoc_end", "file_redirect"})


# --------------------------------------------------------------------------- extraction


@dataclass
class _Ctx:
    function: str | None = None
    background: bool = False


@dataclass
class _Arm:
    subject: str
    patterns: tuple[str, ...]
    location: Location
    function: str | None
    case_location: Location


@dataclass
class _Extractor(WordTemplates):
    path: str
    text: str
    src: bytes = b""
    assignments: list[ShellAssignment] = field(default_factory=list)
    commands: list[ShellCommand] = field(default_factory=list)
    functions: list[ShellFunction] = field(default_factory=list)
    arms: list[_Arm] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    # Variables whose value is a root anchor: name -> path segments below the root.
    anchored: dict[str, tuple[str, ...]] = field(default_factory=dict)
    script_segs: tuple[str, ...] = ()
    script_dir_segs: tuple[str, ...] = ()
    _wide_rows: dict[int, bytes] = field(default_factory=dict)  # row -> bytes of non-ASCII lines
    _wide_columns: dict[int, ByteColumns] = field(default_factory=dict)  # row -> its columns, once needed
    _text_lines: list[str] | None = None

    def run(self) -> ShellScript:
        self.src = self.text.encode("utf-8", "surrogatepass")
        if not self.text.isascii():
            self._wide_rows = {i: line for i, line in enumerate(self.src.split(b"\n")) if not line.isascii()}
        self.script_segs = tuple(s for s in self.path.strip("/").split("/") if s not in ("", "."))
        self.script_dir_segs = self.script_segs[:-1]
        # tree-sitter-bash 0.25's external scanner corrupts memory (SIGSEGV) on some
        # non-ASCII input; it parses a same-length ASCII shadow of the source instead.
        # Byte offsets are unchanged and all text is read back from ``self.src``.
        tree = _parser().parse(self.src.translate(_ASCII_SHADOW))
        root = tree.root_node
        if root.has_error:
            self._collect_problems(root)
        self._walk(root)
        return ShellScript(
            path=self.path,
            shebang=_shebang(self.text),
            assignments=tuple(self.assignments),
            commands=tuple(self.commands),
            functions=tuple(self.functions),
            case_arms=tuple(self._finish_arms()),
            heredocs=tuple(self.heredocs),
            problems=tuple(sorted(self.problems, key=lambda p: (p.location, p.message))),
        )

    # ----------------------------------------------------------------- positions

    def _col(self, row: int, byte_col: int) -> int:
        # Byte column -> 1-based character column; only lines with non-ASCII
        # text need decoding, and they are rare in scripts.
        line = self._wide_rows.get(row)
        if line is None:
            return byte_col + 1
        columns = self._wide_columns.get(row)
        if columns is None:
            from meslint.parsers.columns import ByteColumns  # once per non-ASCII line

            columns = self._wide_columns[row] = ByteColumns(line)
        return columns.column(byte_col)

    def _loc(self, node: Node, end: Node | None = None) -> Location:
        start = node.start_point
        stop = (end or node).end_point
        if not self._wide_rows:
            return Location(self.path, start[0] + 1, start[1] + 1, stop[0] + 1, stop[1] + 1)
        return Location(
            self.path,
            start[0] + 1,
            self._col(start[0], start[1]),
            stop[0] + 1,
            self._col(stop[0], stop[1]),
        )

    # ----------------------------------------------------------------- problems

    def _collect_problems(self, root: Node) -> None:
        # Only subtrees that contain errors are visited; an ERROR node is reported
        # when nothing below it is an error too (outer ERROR nodes often wrap a lot
        # of valid code and would point at the wrong line).
        stack = [root]
        while stack:
            node = stack.pop()
            if node.is_missing:
                self.problems.append(ParseProblem(self._loc(node), f"syntax error: missing {node.type!r}"))
                continue
            inner = [c for c in node.children if c.has_error or c.is_missing]
            if node.type == "ERROR" and not inner:
                snippet = self._text(node).strip().split("\n", 1)[0][:40]
                self.problems.append(ParseProblem(self._loc(node), f"syntax error near {snippet!r}"))
                continue
            stack.extend(reversed(inner))

    # ----------------------------------------------------------------- walking

    def _walk(self, root: Node) -> None:
        # Iterative pre-order walk: source order matters (anchored variables are
        # only known after their assignment) and deep scripts must not recurse.
        stack: list[tuple[Node, _Ctx]] = [(root, _Ctx())]
        while stack:
            node, ctx = stack.pop()
            kind = node.type
            pushed: list[tuple[Node, _Ctx]] = []
            if kind in _CONTAINERS:
                pushed = self._children_of(node, ctx)
            elif kind == "command":
                self._command(node, ctx)
            elif kind == "redirected_statement":
                pushed = self._redirected(node, ctx)
            elif kind in ("variable_assignment", "variable_assignments"):
                self._plain_assignments(node, ctx)
            elif kind == "declaration_command":
                self._declaration(node, ctx)
            elif kind == "unset_command":
                argv = tuple(self._tmpl(c) for c in node.children)
                self._add_command(node, argv, ctx, ())
            elif kind == "function_definition":
                pushed = self._function(node, ctx)
            elif kind == "case_statement":
                pushed = self._case(node, ctx)
            stack.extend(reversed(pushed))

    def _children_of(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        children = node.children
        out: list[tuple[Node, _Ctx]] = []
        for i, child in enumerate(children):
            if not child.is_named:
                continue
            nxt = children[i + 1] if i + 1 < len(children) else None
            if nxt is not None and nxt.type == "&" and not ctx.background:
                out.append((child, _Ctx(ctx.function, True)))
            else:
                out.append((child, ctx))
        return out

    def _function(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if name_node is None:
            return []
        name = self._text(name_node)
        self.functions.append(ShellFunction(name, self._loc(node, name_node)))
        if body is None:
            return []
        return [(body, _Ctx(name, ctx.background))]

    def _case(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        subject_node = node.child_by_field_name("value")
        subject = self._tmpl(subject_node) if subject_node is not None else ""
        out: list[tuple[Node, _Ctx]] = []
        for item in node.named_children:
            if item.type != "case_item":
                continue
            patterns: list[str] = []
            body: list[Node] = []
            for i, child in enumerate(item.children):
                if item.field_name_for_child(i) == "value":
                    patterns.append(self._tmpl(child))
                elif child.is_named and child.type != "comment":
                    body.append(child)
            self.arms.append(_Arm(subject, tuple(patterns), self._loc(item), ctx.function, self._loc(node)))
            out.extend(self._children_of_list(item, body, ctx))
        return out

    def _children_of_list(self, parent: Node, nodes: list[Node], ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        # Background marks inside a case arm body: reuse the container logic.
        wanted = {n.start_byte for n in nodes}
        return [(n, c) for n, c in self._children_of(parent, ctx) if n.start_byte in wanted]

    def _finish_arms(self) -> list[ShellCaseArm]:
        return [ShellCaseArm(arm.subject, arm.patterns, arm.location, arm.function, arm.case_location)
                for arm in self.arms]

    # ----------------------------------------------------------------- commands

    def _command(self, node: Node, ctx: _Ctx, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
        argv: list[str] = []
        env: list[tuple[str, str]] = []
        for child in node.named_children:
            kind = child.type
            if kind == "variable_assignment":
                name, value, _ = self._assignment_parts(child)
                env.append((name, value))
            elif kind == "command_name":
                if child.named_child_count and child.named_children[0].is_missing:
                    return ()  # an operator with nothing after it; already a ParseProblem
                argv.append(self._tmpl(child.named_children[0]) if child.named_child_count else self._text(child))
            elif kind == "file_redirect":
                # tree-sitter-bash files words after `>out` as more destinations.
                argv.extend(self._tmpl(d) for d in child.children_by_field_name("destination")[1:])
            elif kind not in _NOT_ARGUMENTS:
                argv.append(self._tmpl(child))
        argv.extend(extra)
        result = tuple(argv)
        self._add_command(node, result, ctx, tuple(env))
        if result and result[0] == ":":
            self._default_assignments(node, result, ctx)
        return result

    def _default_assignments(self, node: Node, argv: tuple[str, ...], ctx: _Ctx) -> None:
        # `: "${NAME:=default}"` assigns NAME when it is unset/empty: record it as
        # NAME=${NAME:-default}, which is what the variable holds afterwards.
        for word in argv[1:]:
            match = _ASSIGN_DEFAULT.fullmatch(word)
            if match and matching_brace(word, 1) == len(word) - 1:
                name, colon, default = match.groups()
                self._record(node, name, "${" + name + colon + "-" + default + "}", None, ctx)

    def _add_command(self, node: Node, argv: tuple[str, ...], ctx: _Ctx, env: tuple[tuple[str, str], ...]) -> None:
        self.commands.append(
            ShellCommand(
                argv=argv,
                location=self._loc(node),
                function=ctx.function,
                env_prefix=env,
                background=ctx.background,
                status=command_status(node, self.src) if node.type == "command" else "",
            )
        )

    def _redirected(self, node: Node, ctx: _Ctx) -> list[tuple[Node, _Ctx]]:
        body = node.child_by_field_name("body")
        redirects = node.children_by_field_name("redirect")
        out: list[tuple[Node, _Ctx]] = []
        argv: tuple[str, ...] = ()
        if body is not None and body.type == "command":
            argv = self._command(body, ctx, self._stray_words(body, redirects))
            files = self._file_redirects(redirects)
            if files and argv:  # the command just recorded writes (or reads) these files
                self.commands[-1] = replace(self.commands[-1], redirects=files)
        elif body is not None:
            # `while ...; done <<EOF`, `{ ...; } <<EOF`: name the compound by its keyword.
            argv = tuple(self._text(body).split(None, 1)[:1])
            out.append((body, ctx))
        for redirect in redirects:
            if redirect.type != "heredoc_redirect":
                continue
            self._heredoc(redirect, argv, ctx)
            # A heredoc's command can continue after the marker (`cat <<EOF | grep x`).
            out.extend((c, ctx) for c in redirect.named_children if c.type not in _HEREDOC_PARTS)
        return out

    def _file_redirects(self, redirects: list[Node]) -> tuple[tuple[str, str], ...]:
        """``>file``, ``>>file``, ``&>file``, ``<file`` (not ``>&2``: a descriptor, not a file)."""
        found = []
        for redirect in redirects:
            operator = next((c.type for c in redirect.children if not c.is_named), "")
            target = redirect.child_by_field_name("destination")
            if redirect.type == "file_redirect" and operator in _FILE_OPERATORS and target is not None \
                    and target.type != "number":
                found.append((operator, self._tmpl(target)))
        return tuple(found)

    def _stray_words(self, body: Node, redirects: list[Node]) -> tuple[str, ...]:
        """Arguments the grammar misplaces around redirects of a simple command.

        tree-sitter-bash drops a lone ``-`` right before a redirect
        (``python - <<'PY'``) and files words after ``>out`` as extra
        destinations (``cmd >out arg``); bash passes both as arguments.
        """
        words: list[str] = []
        pos = body.end_byte
        for redirect in redirects:
            gap = self._slice(pos, redirect.start_byte)
            words.extend(_lit(w) for w in gap.split() if _LOST_WORD.fullmatch(w))
            if redirect.type == "file_redirect":
                words.extend(self._tmpl(d) for d in redirect.children_by_field_name("destination")[1:])
            elif redirect.type == "heredoc_redirect":
                # `cat <<EOF more args`: words after the marker are arguments too.
                words.extend(self._tmpl(a) for a in redirect.children_by_field_name("argument"))
                break  # the heredoc body follows: no gap text to read after it
            pos = redirect.end_byte
        return tuple(words)

    # ----------------------------------------------------------------- heredocs

    def _heredoc(self, node: Node, argv: tuple[str, ...], ctx: _Ctx) -> None:
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

    # ----------------------------------------------------------------- assignments

    def _assignment_parts(self, node: Node) -> tuple[str, str, int | None]:
        """(name, value template, anchor levels) of a ``variable_assignment``."""
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        name = self._text(name_node) if name_node is not None else ""
        if name_node is not None and name_node.type == "subscript":
            base = name_node.child_by_field_name("name")
            name = self._text(base) if base is not None else name
        if value_node is None:
            return name, "", None
        levels = None
        segs = self._anchor_word(value_node)
        if segs is not None:
            value = root_template(segs)
            levels = self._levels(segs)
        else:
            value = self._tmpl(value_node)
        operator = next((c for c in node.children if c.type in ("=", "+=")), None)
        if operator is not None and operator.end_byte < value_node.start_byte:
            # tree-sitter-bash leaves leading escaped blanks (``X=\\ 0``) out of the value node.
            value = _lit(unescape_unquoted(self._slice(operator.end_byte, value_node.start_byte))) + value
            levels = None
        if any(c.type == "+=" for c in node.children):
            value = "${" + name + "}" + value
            levels = None
        return name, value, levels

    def _record(self, node: Node, name: str, value: str, levels: int | None, ctx: _Ctx, **flags: bool) -> None:
        self.assignments.append(
            ShellAssignment(name, value, self._loc(node), ctx.function, anchor_levels=levels, **flags)
        )
        if levels is not None:
            self.anchored[name] = segments_of(value)
        else:
            self.anchored.pop(name, None)

    def _plain_assignments(self, node: Node, ctx: _Ctx) -> None:
        nodes = [node] if node.type == "variable_assignment" else node.named_children
        for child in nodes:
            if child.type == "variable_assignment":
                name, value, levels = self._assignment_parts(child)
                self._record(child, name, value, levels, ctx)

    def _declaration(self, node: Node, ctx: _Ctx) -> None:
        keyword = node.children[0].type if node.child_count else ""
        words = [self._text(c) for c in node.named_children if c.type == "word"]
        flags = "".join(w for w in words if w.startswith("-"))
        if keyword == "export":
            exported = "n" not in flags  # export -n removes the export attribute
        else:
            exported = "x" in flags
        # declare/typeset inside a function make a local unless -g is given.
        in_function = ctx.function is not None
        local = keyword == "local" or (keyword in ("declare", "typeset") and in_function and "g" not in flags)
        for child in node.named_children:
            if child.type == "variable_assignment":
                name, value, levels = self._assignment_parts(child)
                self._record(child, name, value, levels, ctx, exported=exported, local=local)
            elif child.type == "variable_name":
                self._record(child, self._text(child), "", None, ctx, exported=exported, local=local,
                             declared_only=True)

# --------------------------------------------------------------------------- helpers


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
