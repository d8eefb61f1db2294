"""Replace a string literal in Python source, found with libcst, keeping everything around it.

The module's text is the one meslint read for this run (the facts' positions refer to it).  The
literal is the default argument of the ``os.getenv``/``os.environ.get``/``.get`` call that starts
at the given position, or the value of the assignment there; it must be a plain string literal
(not an f-string, not concatenated) whose value is the old value.  The new literal keeps its quotes.
"""

from __future__ import annotations

from meslint.autofix import offered, text_of
from meslint.edits import Edit
from meslint.facts import Location, Repository


@offered
def replace_literal(repo: Repository, where: Location, old: str, new: str) -> Edit | None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    text = text_of(repo, where.path)
    if text is None:
        return None
    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except Exception:  # libcst cannot read it (a newer syntax): no fix
        return None
    positions = wrapper.resolve(PositionProvider)
    here = [node for node, position in positions.items()
            if (position.start.line, position.start.column + 1) == (where.line, where.column)]
    target = None
    for kind in (cst.Call, cst.Assign, cst.AnnAssign, cst.SimpleString):  # the call, else the constant
        node = next((n for n in here if isinstance(n, kind)), None)
        if isinstance(node, cst.Call) and len(node.args) >= 2:
            target = node.args[1].value
        elif isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            target = node.value
        elif isinstance(node, cst.SimpleString):
            target = node
        if target is not None:
            break
    if not isinstance(target, cst.SimpleString) or target.evaluated_value != old:
        return None
    quote = target.quote
    if len(quote) != 1 or any(ch in new for ch in (quote, "\\", "\n")):
        return None
    span = positions[target]
    return Edit(where.path, span.start.line, span.start.column + 1, span.end.line, span.end.column + 1,
                f"{quote}{new}{quote}")
