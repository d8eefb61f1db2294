"""The Python collector's other recognisers: imports, module constants and root anchors,
``sys.path`` edits, path-like string literals and dictionary keys (diagnostics payloads).
"""

from __future__ import annotations

import ast

from meslint.facts import DictKey, ModuleConstant, RootAnchor, StringLiteral, SysPathEdit
from meslint.parsers.python_values import Evaluator, File, Symbol, str_const

_MAX_STRING = 300
_PATH_SUFFIXES = (".py", ".sh", ".pid", ".flag", ".json", ".service", ".env", ".log", ".conf")


def _looks_like_path(value: str) -> bool:
    if len(value) > _MAX_STRING or "\n" in value:
        return False
    return "/" in value or value.endswith(_PATH_SUFFIXES) or "DashBoard" in value


class Sites(Evaluator):
    """Recognisers of everything but env reads; the collector calls them from its visitors."""

    collect_dict_keys: bool
    imported_modules: set[str]
    docstrings: set[int]
    constants: list[ModuleConstant]
    anchors: list[RootAnchor]
    sys_path: list[SysPathEdit]
    strings: list[StringLiteral]
    dict_keys: list[DictKey]

    def visit_Import(self, node: ast.Import) -> None:
        self.dotted.clear()  # the aliases change
        for alias in node.names:
            self.imported_modules.add(alias.name)
            if alias.asname:
                self.imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.imports[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        self.dotted.clear()  # the aliases change
        self.imported_modules.add(node.module)
        for alias in node.names:
            self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _bound(self, names: list[str], symbol: Symbol, value: ast.expr, stmt: ast.stmt | None) -> None:
        """Facts of an assignment: a ``Path(__file__)`` root anchor, a module constant."""
        if stmt is None or not isinstance(symbol, (str, File)):
            return
        text = self._text(symbol)
        if isinstance(symbol, File) and symbol.levels >= 1:
            for name in names:
                self.anchors.append(RootAnchor(name, symbol.levels, text, self._loc(stmt)))
        if self.scope.is_module:
            literal = value.value if isinstance(value, ast.Constant) else text
            if isinstance(literal, (str, int, float, bool)):
                for name in names:
                    self.constants.append(ModuleConstant(name, literal, self._loc(stmt)))

    def _call_sites(self, node: ast.Call, func: str | None) -> None:
        """``sys.path.insert(...)`` edits; ``dict(key=...)`` keys."""
        if func is not None and func.startswith("sys.path."):
            self._sys_path_edit(node, func[len("sys.path."):])
        if func == "dict" and self.collect_dict_keys:
            for kw in node.keywords:
                if kw.arg is not None:
                    self.dict_keys.append(DictKey(kw.arg, self._loc(kw), self.scope.name))

    def _stored_key(self, node: ast.Subscript) -> None:
        """``payload["key"] = ...``: a dictionary key (not an environment write)."""
        key = str_const(node.slice) if self.collect_dict_keys else None
        if key is not None and not self._is_environ(node.value):
            self.dict_keys.append(DictKey(key, self._loc(node.slice), self.scope.name))

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys if self.collect_dict_keys else ():
            text = str_const(key)
            if text is not None:
                self.dict_keys.append(DictKey(text, self._loc(key), self.scope.name))  # type: ignore[arg-type]
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if (type(value) is str and ("/" in value or value.endswith(_PATH_SUFFIXES) or "DashBoard" in value)
                and _looks_like_path(value) and id(node) not in self.docstrings):
            self.strings.append(StringLiteral(value, self._loc(node), self.scope.name))

    def _sys_path_edit(self, node: ast.Call, op: str) -> None:
        if op == "insert" and len(node.args) >= 2:
            values = [node.args[1]]
        elif op == "append" and node.args:
            values = [node.args[0]]
        elif op == "extend" and node.args:
            arg = node.args[0]
            values = list(arg.elts) if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        else:
            return
        for value in values:
            evaluated = self._value(value, self.scope)
            # An unknown entry is still an edit: keep its source text as an (unknown) `$(...)` template.
            text = self._text(evaluated) if evaluated is not None else f"$({ast.unparse(value)})"
            self.sys_path.append(SysPathEdit(op, text, self._loc(node)))
