"""How the Python collector walks a syntax tree and places its facts.

The traversal tables (which node types and fields can hold facts at all) and the
positions of nodes as 1-based character columns in the repository's lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any, TypeVar

from meslint.facts import Location
from meslint.parsers.columns import ByteColumns

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Nodes with nothing below them that any fact needs.
LEAVES = frozenset(
    {ast.Name, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, (ast.operator, ast.boolop,
                                                                                     ast.cmpop, ast.unaryop))}
)
# Fields that hold no node with facts below it in any node type of any supported Python's ASDL:
# expression contexts, operators, identifiers, ints and type comments.  (``name``, ``names`` and
# ``value`` are not among them: TypeAlias.name, Import.names and most ``value`` fields are nodes.)
_NO_FACT_FIELDS = frozenset({"ctx", "op", "ops", "attr", "arg", "conversion", "type_comment"})
_T = TypeVar("_T")


class ByNodeType(dict[type, _T]):
    """A table filled on first use of each node type (or of each type of a field's value)."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, cls: type) -> _T:
        self[cls] = value = self.compute(cls)
        return value


def _fields_for(cls: type[ast.AST]) -> tuple[str, ...]:
    return tuple(name for name in cls._fields if name not in _NO_FACT_FIELDS)


CHILD_FIELDS = ByNodeType(_fields_for)
_BLOCKS = frozenset({"body", "orelse", "handlers", "finalbody", "cases"})


def _blocks_for(cls: type[ast.AST]) -> tuple[str, ...]:
    if issubclass(cls, ast.expr):  # Lambda.body, IfExp.body/orelse: expressions
        return ()
    return tuple(name for name in cls._fields if name in _BLOCKS)


# The fields of a node type that hold statement lists (try handlers and match cases hold those
# in turn): the only places a definition or a ``global`` statement can be.
BLOCK_FIELDS = ByNodeType(_blocks_for)


def names_in(node: ast.AST) -> list[str]:
    """Every ``Name`` in ``node`` (``a[i], b.c`` -> a, i and b), as ast.walk finds them, only faster."""
    names: list[str] = []
    stack = [node]
    while stack:
        node = stack.pop()
        if type(node) is ast.Name:
            names.append(node.id)
            continue
        for field_name in CHILD_FIELDS[type(node)]:
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return names


def _walked(cls: type) -> bool:
    return issubclass(cls, ast.AST) and cls not in LEAVES and cls is not ast.Constant


# Whether walk() and child_nodes() keep a node of this type: no leaf, no constant, no value that is no node.
_WALKED = ByNodeType(_walked)


def walk(tree: ast.AST) -> list[ast.AST]:
    """The nodes of ``tree`` in :func:`ast.walk`'s order, without the childless ones no user of it looks
    for (names, constants, contexts, operators): dropping a node without children leaves the others'
    order as it was."""
    nodes = [tree]
    walked = _WALKED
    # child_nodes inlined: the walk runs over every node of every module a cold run parses, and a call
    # per node made it a fifth slower (measured on the largest module of the real tree).
    for node in nodes:  # the list grows while it is read: breadth first, as ast.walk's queue
        for name in CHILD_FIELDS[type(node)]:
            value: Any = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if walked[type(item)]:
                        nodes.append(item)
            elif walked[type(value)]:
                nodes.append(value)
    return nodes


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The children of ``node`` in :func:`ast.iter_child_nodes`' order, without the childless ones
    :func:`walk` leaves out."""
    found: list[ast.AST] = []
    walked = _WALKED
    for name in CHILD_FIELDS[type(node)]:
        value: Any = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if walked[type(item)]:
                    found.append(item)
        elif walked[type(value)]:
            found.append(value)
    return found


def by_location(fact: object) -> tuple[int, int]:
    location: Location = fact.location  # type: ignore[attr-defined]
    return location.line, location.column


class SourceVisitor(ast.NodeVisitor):
    """A visitor of one module's tree that locates nodes in its text.

    ast gives UTF-8 byte offsets; facts carry 1-based character columns, and a lone ``\\r``
    (a line break to ast, not to editors) is remapped.
    """

    path: str
    text: str
    offset: int
    _ascii: bool
    _lines: list[str] | None
    _columns: dict[int, ByteColumns | None]
    _remap: Callable[[int, int], tuple[int, int]] | None

    def _col(self, line: int, byte_offset: int) -> int:
        if self._ascii:
            return byte_offset + 1
        if self._lines is None:
            # ast's lines; without a \r that is a plain split on \n, several times faster.
            text = self.text
            self._lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
        if not 0 < line <= len(self._lines):
            return byte_offset + 1
        if line not in self._columns:
            src = self._lines[line - 1]
            self._columns[line] = None if src.isascii() else ByteColumns(src.encode("utf-8", "surrogatepass"))
        columns = self._columns[line]
        return byte_offset + 1 if columns is None else columns.column(byte_offset)

    def _loc(self, node: ast.AST) -> Location:
        line = node.lineno  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None)
        column = self._col(line, node.col_offset)  # type: ignore[attr-defined]
        end_column = self._col(end_line, end_col) if end_col is not None else column
        if self._remap is not None:  # a lone \r is a line break to ast, not to anyone else
            line, column = self._remap(line, column)
            end_line, end_column = self._remap(end_line, end_column)
        return Location(self.path, line + self.offset, column, end_line + self.offset, end_column)
