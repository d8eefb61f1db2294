"""The payloads a module's functions return, and the item fields its loops read (facts of meslint.facts_payloads).

Flow-insensitive on purpose: every assignment of a local name is an alternative of its value, and
``name["key"] = value`` anywhere in the function adds the key to every dict the name may hold.  A
payload is what the source *can* return; the checks decide on the dicts they see and never guess
about values they cannot (an unknown value hides nothing and asserts nothing).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from meslint.facts_payloads import (
    CodedCall,
    ExportRow,
    FlaskApp,
    ItemRead,
    PayloadFunction,
    PayloadImport,
    PayloadKey,
    PayloadValue,
)
from meslint.location import Location
from meslint.parsers.python_ast import child_nodes, names_in, walk

UNKNOWN = PayloadValue("unknown")
_OWN_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})
_BINDERS = frozenset({ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.ExceptHandler})
_MAX_DEPTH = 12  # nesting of values followed through names inside one function
# Values are trees (the fact cache stores them so), and a name used twice is a subtree twice: the
# values of one module may hold this many nodes, plus one per 8 bytes of source, and then are unknown.
_BASE_BUDGET = 20_000

Locate = Callable[[ast.AST], Location]


def extract(tree: ast.Module, locate: Locate, module_name: str, source_size: int) -> tuple[
        tuple[PayloadFunction, ...], tuple[PayloadImport, ...], tuple[ItemRead, ...], tuple[FlaskApp, ...]]:
    """The functions (every def), the ``from`` imports, the loop item reads, the Flask apps."""
    functions: list[PayloadFunction] = []
    budget = [_BASE_BUDGET + source_size // 8]
    nodes = walk(tree)  # once, in ast.walk's order: the budget is spent and the imports listed in it
    # Every def, nested ones included: Flask apps register error handlers and routes inside create_app().
    for statement in nodes:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(_function(statement, locate, budget))
    functions.sort(key=lambda function: (function.location.line, function.location.column))
    imports: list[PayloadImport] = []
    reads: list[ItemRead] = []
    apps: list[FlaskApp] = []
    loop_names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call) and _dotted(node.func).rpartition(".")[2] == "Flask":
            # static_folder=None turns static files off (nothing to compare); static_url_path=None is the default.
            apps.append(FlaskApp(_keyword(node, "static_folder", "static", None),
                                 _keyword(node, "static_url_path", "", ""), locate(node)))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module_name, node.module or "", node.level)
            imports.extend(PayloadImport(alias.asname or alias.name, base, alias.name) for alias in node.names
                           if alias.name != "*")
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            loop_names.update(names_in(node.target))
    for node in nodes:
        key = _item_read(node, loop_names)
        if key is not None:
            reads.append(ItemRead(key, locate(node)))
    reads.sort(key=lambda read: (read.location.line, read.location.column))
    apps.sort(key=lambda app: (app.location.line, app.location.column))
    return tuple(functions), tuple(imports), tuple(reads), tuple(apps)


def _keyword(call: ast.Call, name: str, default: str, given_none: str | None) -> str | None:
    """A keyword argument's string value; ``default`` when absent, ``given_none`` when it is ``None``,
    ``None`` when it is not a literal."""
    for keyword in call.keywords:
        if keyword.arg == name:
            if isinstance(keyword.value, ast.Constant) and keyword.value.value is None:
                return given_none
            if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                return keyword.value.value
            return None
    return None if any(keyword.arg is None for keyword in call.keywords) else default


def _absolute(module_name: str, name: str, level: int) -> str:
    if not level:
        return name
    package = module_name.split(".")[:-level] if module_name else []
    return ".".join([*package, name] if name else package)


def _item_read(node: ast.AST, loop_names: set[str]) -> str | None:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name) and node.func.value.id in loop_names and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return node.args[0].value
    if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)
            and node.value.id in loop_names and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)):
        return node.slice.value
    return None


def _routes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """``@bp.route("/x")``, ``@app.get("/x")``: the first argument of a decorator call named route/get/post/..."""
    found = []
    for decorator in node.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in {"route", "get", "post", "put", "delete", "patch"} and decorator.args
                and isinstance(decorator.args[0], ast.Constant) and isinstance(decorator.args[0].value, str)):
            found.append(decorator.args[0].value)
    return tuple(found)


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, locate: Locate, budget: list[int]) -> PayloadFunction:
    scope = _Scope(locate, budget)
    arguments = node.args
    params = tuple(arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs)
    scope.params = set(params)
    scope.collect(node.body)
    returns = tuple(value for ret in scope.returns for value in scope.value(ret, 0, frozenset()))
    at = locate(node)  # the def line, not the whole body: "async def name" / "def name"
    head = len(node.name) + (10 if isinstance(node, ast.AsyncFunctionDef) else 4)
    at = Location(at.path, at.line, at.column, at.line, at.column + head)
    return PayloadFunction(node.name, at, returns, _routes(node), _handles(node), scope.defaults(node.args),
                           tuple(scope.coded_calls()), params, tuple(scope.export_rows()))


_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # DB_POOL_EXHAUSTED: two or more upper-case words


def _handles(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """``@app.errorhandler(Exc)`` / ``@bp.app_errorhandler(503)``: the exception's last name, or the status."""
    found = []
    for decorator in node.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in {"errorhandler", "app_errorhandler"} and decorator.args):
            target = decorator.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, int):
                found.append(str(target.value))
            elif _dotted(target):
                found.append(_dotted(target).rpartition(".")[2])
    return tuple(found)


def _code_of(node: ast.Call) -> str:
    candidates = [node.args[0]] if node.args else []
    candidates += [kw.value for kw in node.keywords if kw.arg == "code"]
    for candidate in candidates:
        text = candidate.value if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str) \
            else _dotted(candidate).rpartition(".")[2]
        if text and _CODE.fullmatch(text):
            return text
    return ""


class _Scope:
    """One function body: its assignments, subscript stores and return expressions (nested defs excluded)."""

    def __init__(self, locate: Locate, budget: list[int]) -> None:
        self.locate = locate
        self.budget = budget  # nodes left for the module (shared by its functions)
        self.assigned: dict[str, list[ast.expr | None]] = {}  # None: bound to something unknown
        # name -> (key path, value, key node): ``name["a"]["b"] = value`` stores ("a", "b").
        self.stored: dict[str, list[tuple[tuple[str, ...], ast.expr, ast.AST]]] = {}
        self.returns: list[ast.expr] = []
        self.calls: list[ast.Call] = []
        self.params: set[str] = set()

    def collect(self, body: list[ast.stmt]) -> None:
        stack: list[ast.AST] = list(body)
        while stack:  # depth first, last child first: the order of the returns and bindings found
            node = stack.pop()
            kind = type(node)
            if kind in _OWN_SCOPES:
                continue
            if isinstance(node, ast.Call):
                self.calls.append(node)
            elif isinstance(node, ast.Return):
                if node.value is not None:
                    self.returns.append(node.value)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                if node.value is not None:
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        self._bind(target, node.value)
            elif kind in _BINDERS:
                for target in _bound_targets(node):
                    self._bind(target, None)
            stack.extend(child_nodes(node))

    def defaults(self, args: ast.arguments) -> tuple[PayloadKey, ...]:
        """Parameters with a literal default (a builder's ``status_code=500``)."""
        positional = args.posonlyargs + args.args
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
        pairs += [(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                  if default is not None]
        return tuple(PayloadKey(arg.arg, self.value(default, 0, frozenset()), self.locate(arg))
                     for arg, default in pairs if isinstance(default, ast.Constant))

    def export_rows(self) -> list[ExportRow]:
        found = []
        for call in sorted(self.calls, key=lambda c: (c.lineno, c.col_offset)):
            callee = _dotted(call.func)
            last = callee.rpartition(".")[2]
            row: ast.expr | None = None
            if last == "writerow" and call.args:
                row = call.args[0]
            else:
                wanted = {"DictWriter": "fieldnames", "to_csv": "header", "to_excel": "header"}.get(last)
                row = next((kw.value for kw in call.keywords if wanted and kw.arg == wanted), None)
            if row is not None:
                found.append(ExportRow(callee, self.value(row, 0, frozenset()), self.locate(call)))
        return found

    def coded_calls(self) -> list[CodedCall]:
        found = []
        for call in sorted(self.calls, key=lambda c: (c.lineno, c.col_offset)):
            code = _code_of(call)
            callee = _dotted(call.func)
            if code and callee:
                keywords = tuple(PayloadKey(kw.arg, self.value(kw.value, 0, frozenset()), self.locate(kw))
                                 for kw in call.keywords if kw.arg is not None)
                found.append(CodedCall(callee, code, keywords, self.locate(call)))
        return found

    def _bind(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.assigned.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Subscript) and value is not None:
            path: list[str] = []
            node: ast.expr = target
            while (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                   and isinstance(node.slice.value, str)):
                path.insert(0, node.slice.value)
                node = node.value
            if isinstance(node, ast.Name) and path:
                self.stored.setdefault(node.id, []).append((tuple(path), value, target.slice))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind(element.value if isinstance(element, ast.Starred) else element, None)

    def value(self, node: ast.expr, depth: int, names: frozenset[str]) -> tuple[PayloadValue, ...]:
        if depth > _MAX_DEPTH or self.budget[0] <= 0:
            return (UNKNOWN,)
        self.budget[0] -= 1
        if isinstance(node, ast.Dict):
            return (self._dict(node, depth, names),)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
            return (PayloadValue("literal", literal=str(node.value)),)
        if isinstance(node, ast.List):
            return (PayloadValue("list", args=tuple(self.value(element, depth + 1, names) for element in node.elts)),)
        if isinstance(node, ast.Name):
            return self._name(node.id, depth, names)
        if isinstance(node, ast.Tuple) and node.elts:  # Flask's (body, status[, headers])
            return self.value(node.elts[0], depth + 1, names)
        if isinstance(node, ast.IfExp):
            return self.value(node.body, depth + 1, names) + self.value(node.orelse, depth + 1, names)
        if isinstance(node, ast.BoolOp):
            return tuple(v for operand in node.values for v in self.value(operand, depth + 1, names))
        if isinstance(node, ast.Call):
            callee = _dotted(node.func)
            if callee == "dict" and not node.args:
                keys = tuple(PayloadKey(kw.arg, self.value(kw.value, depth + 1, names), self.locate(kw))
                             for kw in node.keywords if kw.arg is not None)
                return (PayloadValue("dict", keys, open=any(kw.arg is None for kw in node.keywords)),)
            if callee:
                args = tuple(self.value(arg, depth + 1, names) for arg in node.args
                             if not isinstance(arg, ast.Starred))
                keywords = tuple(PayloadKey(kw.arg, self.value(kw.value, depth + 1, names), self.locate(kw))
                                 for kw in node.keywords if kw.arg is not None)
                return (PayloadValue("call", keywords, callee=callee, args=args),)
        return (UNKNOWN,)

    def _dict(self, node: ast.Dict, depth: int, names: frozenset[str]) -> PayloadValue:
        keys: list[PayloadKey] = []
        spreads: list[tuple[PayloadValue, ...]] = []
        is_open = False
        for key, item in zip(node.keys, node.values, strict=True):
            if key is None:  # {**other}: its keys, when known (a call's: resolved by the checks)
                alternatives = self.value(item, depth + 1, names)
                if len(alternatives) == 1 and alternatives[0].kind == "dict":
                    keys.extend(alternatives[0].keys)
                    spreads.extend(alternatives[0].spreads)
                    is_open = is_open or alternatives[0].open
                elif all(alternative.kind != "unknown" for alternative in alternatives):
                    spreads.append(alternatives)
                else:
                    is_open = True
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.append(PayloadKey(key.value, self.value(item, depth + 1, names), self.locate(key)))
            else:
                is_open = True
        return PayloadValue("dict", tuple(keys), open=is_open, spreads=tuple(spreads))

    def _name(self, name: str, depth: int, names: frozenset[str]) -> tuple[PayloadValue, ...]:
        if name in names:  # x = f(x): the value refers to itself
            return (UNKNOWN,)
        inner = names | {name}
        bases: list[PayloadValue] = []
        for assigned in self.assigned.get(name, ()):
            bases.extend(self.value(assigned, depth + 1, inner) if assigned is not None else (UNKNOWN,))
        if not bases:  # a parameter (bound by the caller, when the checks follow a call), or a global
            bases.append(PayloadValue("param", literal=name) if name in self.params else UNKNOWN)
        stored = tuple(_nested(path, self.value(value, depth + 1, inner), self.locate(at))
                       for path, value, at in self.stored.get(name, ()))
        if not stored:
            return tuple(bases)
        # Keys stored on the name hold for every value it may have; on a value of unknown shape
        # they are the only keys known, and more may exist.
        return tuple(PayloadValue("dict", base.keys + stored, open=base.open, spreads=base.spreads)
                     if base.kind == "dict"
                     else PayloadValue("dict", stored, open=True) for base in bases)


def _nested(path: tuple[str, ...], values: tuple[PayloadValue, ...], at: Location) -> PayloadKey:
    """``x["a"]["b"] = v`` as the key ``a`` holding a dict (that may hold more) with the key ``b``."""
    if len(path) == 1:
        return PayloadKey(path[0], values, at)
    return PayloadKey(path[0], (PayloadValue("dict", (_nested(path[1:], values, at),), open=True),), at)


def _bound_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [ast.Name(node.name)]
    return []


def _dotted(node: ast.expr) -> str:
    """``f`` or ``a.b.f`` for a called name; "" for anything else (a call on a call's result, ...)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))
