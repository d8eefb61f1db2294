"""Shell assignments -> :class:`meslint.facts.ShellAssignment` facts for the bash script parser.

``NAME=word``, ``NAME+=word``, ``export``/``local``/``declare``/``typeset``/``readonly``
(a bare ``export NAME`` is recorded with value ``""`` and ``declared_only=True``), and
``: "${NAME:=default}"``.  A value that is a root anchor (:mod:`meslint.parsers.shell_anchors`)
makes its variable anchored for the words after it.  Used by :mod:`meslint.parsers.shell`
through :class:`AssignmentReader`, a base of its extractor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from meslint.facts import ShellAssignment
from meslint.parsers.shell_anchors import root_template, segments_of, unescape_unquoted
from meslint.parsers.shell_nodes import Ctx, NodePositions
from meslint.parsers.shell_words import WordTemplates
from meslint.template import literal as _lit
from meslint.template import matching_brace

if TYPE_CHECKING:
    from tree_sitter import Node

_ASSIGN_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?)=(.*)\}", re.S)


class AssignmentReader(WordTemplates, NodePositions):
    """Records assignments in ``assignments`` and keeps ``anchored`` up to date."""

    assignments: list[ShellAssignment]

    def _default_assignments(self, node: Node, argv: tuple[str, ...], ctx: Ctx) -> None:
        # `: "${NAME:=default}"` assigns NAME when it is unset/empty: record it as
        # NAME=${NAME:-default}, which is what the variable holds afterwards.
        for word in argv[1:]:
            match = _ASSIGN_DEFAULT.fullmatch(word)
            if match and matching_brace(word, 1) == len(word) - 1:
                name, colon, default = match.groups()
                self._record(node, name, "${" + name + colon + "-" + default + "}", None, ctx)

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

    def _record(self, node: Node, name: str, value: str, levels: int | None, ctx: Ctx, **flags: bool) -> None:
        self.assignments.append(
            ShellAssignment(name, value, self._loc(node), ctx.function, anchor_levels=levels, **flags)
        )
        if levels is not None:
            self.anchored[name] = segments_of(value)
        else:
            self.anchored.pop(name, None)

    def _plain_assignments(self, node: Node, ctx: Ctx) -> None:
        nodes = [node] if node.type == "variable_assignment" else node.named_children
        for child in nodes:
            if child.type == "variable_assignment":
                name, value, levels = self._assignment_parts(child)
                self._record(child, name, value, levels, ctx)

    def _declaration(self, node: Node, ctx: Ctx) -> None:
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
