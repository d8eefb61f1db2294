"""Module-level tables of settings in Python sources: ``[("ENV_NAME", "default"), ...]``.

A pool manager that spawns RQ workers often keeps its queues as such a table and reads each
name from the environment with the default beside it.  Every row whose first two items are
string literals, the first an environment-variable name (upper case, digits, underscores), is a
fact; the table may be a list or tuple literal, assigned with or without an annotation.  Rows may
carry more items (per-queue limits); they are ignored.
"""

from __future__ import annotations

import ast
import re

from meslint.facts import EnvTableRow, Location

_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def env_tables(tree: ast.Module, path: str, line_offset: int = 0) -> tuple[EnvTableRow, ...]:
    rows: list[EnvTableRow] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or not isinstance(value, (ast.List, ast.Tuple)) or not value.elts:
            continue
        found = [_row(target.id, element, path, line_offset) for element in value.elts]
        if all(row is not None for row in found):
            rows.extend(row for row in found if row is not None)
    return tuple(rows)


def _row(table: str, element: ast.expr, path: str, line_offset: int) -> EnvTableRow | None:
    if not isinstance(element, (ast.Tuple, ast.List)) or len(element.elts) < 2:
        return None
    name, default = element.elts[0], element.elts[1]
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and _ENV_NAME.fullmatch(name.value)
            and isinstance(default, ast.Constant) and isinstance(default.value, str)):
        return None
    return EnvTableRow(table, name.value, default.value,
                       Location(path, element.lineno + line_offset, element.col_offset + 1))
