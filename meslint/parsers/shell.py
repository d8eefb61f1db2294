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
or ``@ROOT/sub/dir`` (:mod:`meslint.parsers.shell_anchors`).  Assignments are read by
:mod:`meslint.parsers.shell_assignments`, heredocs (and the Python they feed) by
:mod:`meslint.parsers.shell_heredocs`; this module walks the tree and reads commands,
redirects, functions and ``case`` arms.

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
from meslint.parsers.shell_assignments import AssignmentReader
from meslint.parsers.shell_heredocs import HeredocReader
from meslint.parsers.shell_nodes import Ctx
from meslint.parsers.shell_status import command_status
from meslint.template import literal as _lit

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

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
# Words tree-sitter-bash drops right before a redirect (`python - <<'PY'` loses "-").
_LOST_WORD = re.compile(r"[-\w./=:+,@%]+")
_NOT_ARGUMENTS = frozenset({"herestring_redirect", "heredoc_redirect", "comment", "subscript"})
_FILE_OPERATORS = frozenset({">", ">>", ">|", "&>", "&>>", "<"})
_HEREDOC_PARTS = frozenset({"heredoc_start", "heredoc_body", "heredoc_end", "file_redirect"})


# --------------------------------------------------------------------------- extraction


@dataclass
class _Arm:
    subject: str
    patterns: tuple[str, ...]
    location: Location
    function: str | None
    case_location: Location


@dataclass
class _Extractor(HeredocReader, AssignmentReader):
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
        stack: list[tuple[Node, Ctx]] = [(root, Ctx())]
        while stack:
            node, ctx = stack.pop()
            kind = node.type
            pushed: list[tuple[Node, Ctx]] = []
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

    def _children_of(self, node: Node, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        children = node.children
        out: list[tuple[Node, Ctx]] = []
        for i, child in enumerate(children):
            if not child.is_named:
                continue
            nxt = children[i + 1] if i + 1 < len(children) else None
            if nxt is not None and nxt.type == "&" and not ctx.background:
                out.append((child, Ctx(ctx.function, True)))
            else:
                out.append((child, ctx))
        return out

    def _function(self, node: Node, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        name_node = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        if name_node is None:
            return []
        name = self._text(name_node)
        self.functions.append(ShellFunction(name, self._loc(node, name_node)))
        if body is None:
            return []
        return [(body, Ctx(name, ctx.background))]

    def _case(self, node: Node, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        subject_node = node.child_by_field_name("value")
        subject = self._tmpl(subject_node) if subject_node is not None else ""
        out: list[tuple[Node, Ctx]] = []
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

    def _children_of_list(self, parent: Node, nodes: list[Node], ctx: Ctx) -> list[tuple[Node, Ctx]]:
        # Background marks inside a case arm body: reuse the container logic.
        wanted = {n.start_byte for n in nodes}
        return [(n, c) for n, c in self._children_of(parent, ctx) if n.start_byte in wanted]

    def _finish_arms(self) -> list[ShellCaseArm]:
        return [ShellCaseArm(arm.subject, arm.patterns, arm.location, arm.function, arm.case_location)
                for arm in self.arms]

    # ----------------------------------------------------------------- commands

    def _command(self, node: Node, ctx: Ctx, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
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

    def _add_command(self, node: Node, argv: tuple[str, ...], ctx: Ctx, env: tuple[tuple[str, str], ...]) -> None:
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

    def _redirected(self, node: Node, ctx: Ctx) -> list[tuple[Node, Ctx]]:
        body = node.child_by_field_name("body")
        redirects = node.children_by_field_name("redirect")
        out: list[tuple[Node, Ctx]] = []
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
