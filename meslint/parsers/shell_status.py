"""What happens to a simple command's exit status, read from its place in the syntax tree.

``""``: the command is a statement of its own (its status is ``$?``, and ``set -e`` applies);
``"tested"``: an ``if``/``while`` condition or a negation tests it; ``"pipe"``: it is not the
last command of a pipeline (its status is lost unless ``pipefail``); ``"|| <text>"``: the left
operand of ``||``, with the text of what runs on failure; ``"subshell"``: a later command of its
subshell decides the subshell's status; ``"&& LINE:COLUMN"``: a plain statement whose failure
skips the rest of a ``&&`` list, which ends there.  The last command of a pipeline, a ``&&`` list or a
subshell takes that statement's place.  MES605 follows the contract validation's failure with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_MAX_TEXT = 80
_TRANSPARENT = frozenset({"redirected_statement"})


def _field(node: Node) -> str | None:
    parent = node.parent
    if parent is None:
        return None
    for i, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.field_name_for_child(i)
    return None


def _named_after(node: Node) -> bool:
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling is not None


def command_status(node: Node, src: bytes) -> str:
    """The status context of the statement ``node`` (a ``command`` node)."""
    skipped = ""  # where the ``&&`` list a failure skips to ends: ``&& LINE:COLUMN`` (1-based)
    current = node
    for _ in range(64):  # statements nest shallowly; the bound keeps hostile input linear
        parent = current.parent
        if parent is None:
            return ""
        kind = parent.type
        if kind in _TRANSPARENT:
            current = parent
            continue
        if kind in ("if_statement", "elif_clause", "while_statement") and _field(current) == "condition":
            return "tested"
        if kind == "negated_command":
            return "tested"
        if kind == "pipeline":
            if _named_after(current):
                return "pipe"
            current = parent  # the pipeline's status is its last command's
            continue
        if kind == "list":
            operator = current.next_sibling
            if operator is not None and operator.type == "||":
                rest = src[operator.end_byte:parent.end_byte].decode("utf-8", "replace").strip()
                return "|| " + " ".join(rest.split())[:_MAX_TEXT]
            if operator is not None and operator.type == "&&":
                row, column = parent.end_point
                skipped = f"&& {row + 1}:{column + 1}"
            current = parent  # `a && b`: a failure of either is the list's status
            continue
        if kind == "subshell":
            if _named_after(current):
                return "subshell"  # a later command of the subshell decides its status
            current = parent  # the subshell's status is its last command's
            continue
        return skipped
    return skipped
