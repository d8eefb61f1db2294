"""Values of Python expressions as templates (see :mod:`meslint.facts`), for the Python collector.

A value is literal text with ``\\``, ``$`` and backticks escaped, another env read as
``${NAME:-default}``, or ``Path(__file__)`` with dirname steps (:class:`File`), shown as
``@ROOT`` or ``@ROOT/sub/dir`` from the module's repository path; None when unknown.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from meslint import root_derivation
from meslint.facts import ROOT_TOKEN
from meslint.parsers.python_ast import SourceVisitor
from meslint.records import record

_MAX_DEPTH = 12  # template recursion bound: symbol chains are short in practice
_NOT_DOTTED = object()

# Calls whose value is (as far as a template can tell) their single argument.
TRANSPARENT_CALLS = frozenset(
    {
        "str", "int", "float", "os.fspath", "os.path.abspath", "os.path.realpath", "os.path.normpath",
        "Path", "PurePath", "PosixPath", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
    }
)
_PATH_CTORS = frozenset({"Path", "PurePath", "PosixPath", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_TRANSPARENT_METHODS = frozenset({"resolve", "absolute", "strip"})


@record(slots=True)
class File:
    """``__file__`` with ``levels`` dirname steps applied (1 == the module's directory)."""

    levels: int


class Marker:
    """What a name is bound to when it is not a template (see the three markers below)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = Marker("unknown")  # bound, value not statically known
NONE_PARAM = Marker("none-param")  # a parameter whose default is None
ENVIRON = Marker("environ")  # bound to os.environ (or a copy / an injected mapping)

Value = str | File | None
Symbol = str | File | Marker


@dataclass(eq=False)
class Scope:
    """The names bound in the module, a class body or a function, in visiting order."""

    name: str | None  # qualified function name; None for the module
    parent: Scope | None
    symbols: dict[str, Symbol] = field(default_factory=dict)
    params: frozenset[str] = frozenset()
    is_module: bool = False
    is_class: bool = False  # class bodies are not visible from their methods
    define: ast.FunctionDef | ast.AsyncFunctionDef | None = None

    def lookup(self, name: str) -> Symbol | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.symbols.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None


@record(slots=True)
class Hit:
    """A recognised env read: ``default`` is the default expression (None: no default)."""

    name: str
    default: ast.expr | None
    via: str


# --------------------------------------------------------------------------- template helpers


def _lit(text: str) -> str:
    """Static text inside a template: escape what the template evaluator interprets."""
    if "\\" in text or "$" in text or "`" in text:
        return text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    return text


def _dirname(template: str) -> str | None:
    head, sep, tail = template.rpartition("/")
    if not sep or "$" in tail or "}" in tail:
        return None
    return head


def _join(left: str, right: str) -> str:
    """``Path(left) / right`` on templates, folding static ``.``/``..`` segments."""
    if right.startswith("/") or right.startswith(ROOT_TOKEN) or not left:
        return right
    parts = left.rstrip("/").split("/") if left != "/" else [""]
    for seg in right.split("/"):
        if seg in ("", "."):
            continue
        last = parts[-1] if parts else ""
        if seg == ".." and len(parts) > 1 and last not in ("..", ROOT_TOKEN) and "$" not in last and "}" not in last:
            parts.pop()
        else:
            parts.append(seg)
    return "/".join(parts) or "/"


def _dotdot_levels(template: str) -> int | None:
    """Number of ``..`` steps when ``template`` is nothing but ``..`` segments."""
    segs = [s for s in template.split("/") if s not in ("", ".")]
    if segs and all(s == ".." for s in segs):
        return len(segs)
    return None


def arg_defaults(args: ast.arguments) -> list[tuple[ast.arg, ast.expr]]:
    """(parameter, default expression) pairs, positional and keyword-only."""
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    return pairs


def is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


# --------------------------------------------------------------------------- the evaluator


class Evaluator(SourceVisitor):
    """Template evaluation, with names resolved through the scopes and the module's imports."""

    scope: Scope
    module: Scope
    imports: dict[str, str]
    dotted: dict[ast.expr, str | None]  # _canonical's memo of attribute chains, cleared on a new import

    # The environment recogniser (:class:`meslint.parsers.python_env.EnvReads`) answers these.
    def _env_hit(self, node: ast.AST) -> Hit | None:
        raise NotImplementedError

    def _resolver(self, node: ast.Call, func: str | None) -> tuple[Hit, str] | None:
        raise NotImplementedError

    def _is_environ(self, node: ast.expr, depth: int = 0) -> bool:
        raise NotImplementedError

    def _canonical(self, node: ast.expr) -> str | None:
        """Dotted name with import aliases applied (``environ.get`` -> ``os.environ.get``)."""
        if type(node) is ast.Name:
            return self.imports.get(node.id, node.id)
        if type(node) is not ast.Attribute:
            return None
        # An attribute chain is asked for several times (the call, its recognisers); the answer holds until
        # an import changes the aliases (the memo is cleared then).  Keyed by the node itself, which it
        # keeps alive, so that a node made and dropped meanwhile cannot reuse an id.
        found = self.dotted.get(node, _NOT_DOTTED)
        if found is _NOT_DOTTED:
            found = self.dotted[node] = self._dotted(node)
        return found  # type: ignore[return-value]

    def _dotted(self, node: ast.expr) -> str | None:
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return ".".join([self.imports.get(node.id, node.id), *reversed(attrs)])

    def _is_name(self, node: ast.expr, dotted: str) -> bool:
        """``self._canonical(node) == dotted``, without building the name of an attribute whose last part differs."""
        if isinstance(node, ast.Attribute) and node.attr != dotted.rpartition(".")[2]:
            return False
        return self._canonical(node) == dotted

    def _text(self, value: str | File) -> str:
        if isinstance(value, str):
            return value
        return root_derivation.render(root_derivation.parent(root_derivation.file_segments(self.path), value.levels))

    def _value(self, node: ast.expr, scope: Scope, depth: int = 0) -> Value:
        """The template of ``node`` (or a ``Path(__file__)`` anchor), None when unknown."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str):
                return _lit(value)
            if isinstance(value, (bool, int, float)):
                return str(value)
            return None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return File(0)
            symbol = scope.lookup(node.id)
            return symbol if isinstance(symbol, (str, File)) else None
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scope, depth)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, scope, depth)
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope, depth)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self._or(node.values, scope, depth)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope, depth)
        return None

    def _env_template(self, node: ast.expr, scope: Scope, depth: int) -> str | None:
        saved, self.scope = self.scope, scope  # _env_hit resolves names in the current scope
        try:
            hit = self._env_hit(node)
        finally:
            self.scope = saved
        if hit is None:
            return None
        if is_none(hit.default):
            return f"${{{hit.name}}}"
        default = self._value(hit.default, scope, depth + 1)  # type: ignore[arg-type]
        return None if default is None else f"${{{hit.name}:-{self._text(default)}}}"

    def _attribute(self, node: ast.Attribute, scope: Scope, depth: int) -> Value:
        if node.attr != "parent":
            return None
        base = self._value(node.value, scope, depth + 1)
        if isinstance(base, File):
            return File(base.levels + 1)
        return _dirname(base) if base is not None else None

    def _subscript(self, node: ast.Subscript, scope: Scope, depth: int) -> Value:
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "parents":
            index = node.slice
            if isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0:
                base = self._value(value.value, scope, depth + 1)
                if isinstance(base, File):
                    return File(base.levels + index.value + 1)
            return None
        return self._env_template(node, scope, depth)

    def _call(self, node: ast.Call, scope: Scope, depth: int) -> Value:
        func = node.func
        name = self._canonical(func)
        if isinstance(func, ast.Attribute) and func.attr in _TRANSPARENT_METHODS and not node.args:
            return self._value(func.value, scope, depth + 1)
        if name in TRANSPARENT_CALLS and len(node.args) == 1 and not node.keywords:
            return self._value(node.args[0], scope, depth + 1)
        if name == "os.path.dirname" and len(node.args) == 1:
            base = self._value(node.args[0], scope, depth + 1)
            if isinstance(base, File):
                return File(base.levels + 1)
            return _dirname(base) if base is not None else None
        if (name == "os.path.join" or name in _PATH_CTORS) and node.args:
            return self._join_all(node.args, scope, depth)
        args = node.args
        if not args:
            return None  # an env read and a resolver take arguments
        if (isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault")) or name == "os.getenv":
            env = self._env_template(node, scope, depth)  # (the only calls _env_hit recognises)
            if env is not None:
                return env
        if len(args) < 2 or not isinstance(args[0], (ast.Call, ast.Subscript)):
            return None  # a resolver's first argument is an env read
        saved, self.scope = self.scope, scope
        try:
            found = self._resolver(node, name)
        finally:
            self.scope = saved
        if found is not None:
            hit, fallback = found
            return f"${{{hit.name}:-{fallback}}}"
        return None

    def _join_all(self, args: list[ast.expr], scope: Scope, depth: int) -> Value:
        result = self._value(args[0], scope, depth + 1)
        for arg in args[1:]:
            if result is None:
                return None
            result = self._div(result, self._value(arg, scope, depth + 1))
        return result

    def _div(self, left: Value, right: Value) -> Value:
        if left is None or right is None:
            return None
        if isinstance(left, File) and isinstance(right, str):
            ups = _dotdot_levels(right)
            if ups is not None and left.levels >= 1:
                return File(left.levels + ups)
        return _join(self._text(left), self._text(right))

    def _binop(self, node: ast.BinOp, scope: Scope, depth: int) -> Value:
        if isinstance(node.op, ast.Div):
            return self._div(self._value(node.left, scope, depth + 1), self._value(node.right, scope, depth + 1))
        if isinstance(node.op, ast.Add):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and not isinstance(side.value, str):
                    return None  # arithmetic, not concatenation
            left = self._value(node.left, scope, depth + 1)
            right = self._value(node.right, scope, depth + 1)
            if left is None or right is None:
                return None
            return self._text(left) + self._text(right)
        return None

    def _or(self, values: list[ast.expr], scope: Scope, depth: int) -> Value:
        for i, value in enumerate(values):
            if i == len(values) - 1:
                return self._value(value, scope, depth + 1)
            if isinstance(value, ast.Name) and scope.lookup(value.id) is NONE_PARAM:
                continue  # `project_root or fallback`: a None default means the fallback
            if is_none(value) or str_const(value) == "":
                continue
            saved, self.scope = self.scope, scope
            try:
                hit = self._env_hit(value)
            finally:
                self.scope = saved
            if hit is not None and (is_none(hit.default) or str_const(hit.default) == ""):
                rest = self._or(values[i + 1:], scope, depth + 1)
                return None if rest is None else f"${{{hit.name}:-{self._text(rest)}}}"
            literal = str_const(value)
            if literal:
                return _lit(literal)
            return None
        return None

    def _fstring(self, node: ast.JoinedStr, scope: Scope, depth: int) -> Value:
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(_lit(part.value))
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion in (-1, 115):
                value = self._value(part.value, scope, depth + 1)
                if value is None:
                    return None
                parts.append(self._text(value))
            else:
                return None
        return "".join(parts)
