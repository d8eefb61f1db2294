"""Python sources -> :class:`meslint.facts.PythonModule` facts, via the stdlib :mod:`ast`.

The code is parsed, never imported or run.  One visitor pass collects:

* **env reads** -- ``os.getenv``, ``os.environ.get``/``[...]``/``setdefault``, the
  same through ``from os import ...`` names, ``.get``/``[...]`` on names bound to
  ``os.environ`` (``env = environ or os.environ``, ``os.environ if e is None else e``,
  parameters ``env``/``environ``/``environment`` typed ``Mapping``), resolver calls
  ``f(env.get(NAME), fallback, ...)``, ``helper("NAME", ..., environ=env)`` calls
  and calls of module functions that wrap ``os.getenv(name, default)``;
* module constants, ``Path(__file__)`` root anchors, ``sys.path`` edits, path-like
  string literals and dict keys.

Values are **templates** (see :mod:`meslint.facts`): literal text with ``\\``, ``$``
and backticks escaped, another env read as ``${NAME:-default}``, ``Path(__file__)``
chains as ``@ROOT`` or ``@ROOT/sub/dir`` computed from the module's repository
path.  Names resolve to what was assigned earlier in the same function, then to
module-level values (functions are visited after the module body, so they see
the module's final constants, as they do at run time).  Anything else is unknown
(``None``): values are never invented.

Where the code lives
--------------------
This module holds :func:`parse` and the collector's pass (scopes, bindings, statement order);
the recognisers are mixins in sibling modules: :mod:`~meslint.parsers.python_env` (env reads,
their wrappers, defaults and conversions), :mod:`~meslint.parsers.python_sites` (imports,
constants and root anchors, ``sys.path`` edits, path-like strings, dict keys),
:mod:`~meslint.parsers.python_values` (templates) and :mod:`~meslint.parsers.python_ast`
(traversal tables, positions).

Conventions worth knowing
-------------------------
* ``EnvRead.via`` is one of ``os.getenv``, ``os.environ.get``, ``os.environ[]``,
  ``os.environ.setdefault``, ``mapping.get``, ``mapping[]``, ``mapping.setdefault``,
  ``resolver`` and ``helper`` (a ``"NAME"``-first call that receives an environ or
  wraps ``os.getenv``).  There is exactly one read per read site.
* ``x or y`` where ``x`` reads the environment without a (non-empty) default
  gives the read the default ``y``; ``x or y`` where ``x`` is a parameter
  defaulting to ``None`` is ``y``.
* ``int()``/``float()``/``str()``/``Path()``/``os.fspath()``/``.resolve()``/
  ``.strip()`` are transparent for templates.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from typing import Any

from meslint.facts import (
    DictKey,
    EnqueueCall,
    EnvRead,
    Location,
    ModuleConstant,
    ParseProblem,
    PythonModule,
    RootAnchor,
    StringLiteral,
    SysPathEdit,
    WriteSite,
)
from meslint.parsers import lf_position_mapper
from meslint.parsers.columns import ByteColumns
from meslint.parsers.python_ast import CHILD_FIELDS, LEAVES, ByNodeType, by_location, names_in
from meslint.parsers.python_env import EnvReads, Wrapper
from meslint.parsers.python_sites import Sites
from meslint.parsers.python_tables import env_tables
from meslint.parsers.python_values import (
    ENVIRON,
    NONE_PARAM,
    UNKNOWN,
    Scope,
    Symbol,
    Value,
    arg_defaults,
    is_none,
    str_const,
)
from meslint.parsers.python_writes import Writes

_GET_ATTRS = frozenset({"get", "setdefault"})


def parse(path: str, text: str, line_offset: int = 0, *, dict_keys: bool = True) -> PythonModule:
    """Parse Python source ``text`` (at repository path ``path``) into facts; never raises.

    ``dict_keys=False`` leaves out the dictionary keys: only diagnostics payload modules need
    them (MES804), and in a large module they are most of the facts.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        line, column = exc.lineno or 1, max(exc.offset or 1, 1)
        remap = lf_position_mapper(text)
        if remap is not None:
            line, column = remap(line, column)
        message = f"Python syntax error: {exc.msg}"
        problem = ParseProblem(Location(path, line + line_offset, column), message)
        return PythonModule(path, problems=(problem,),
                            line_offset=line_offset)
    except Exception as exc:  # null bytes, recursion limits: report, don't crash the run
        problem = ParseProblem(Location(path, 1 + line_offset, 1), f"Python source not parsable: {exc}")
        return PythonModule(path, problems=(problem,), line_offset=line_offset)
    try:
        return _Collector(path, text, line_offset, dict_keys).run(tree)
    except Exception as exc:  # a bug or pathological input here must not stop the other parsers
        problem = ParseProblem(Location(path, 1 + line_offset, 1),
                               f"Python facts not extracted ({type(exc).__name__}: {exc})")
        return PythonModule(path, problems=(problem,), line_offset=line_offset)


def _docstring_ids(body: list[ast.stmt], into: set[int]) -> None:
    if body and isinstance(body[0], ast.Expr) and str_const(body[0].value) is not None:
        into.add(id(body[0].value))


# --------------------------------------------------------------------------- the collector


class _Collector(Writes, EnvReads, Sites):
    """One pass over a module: scopes and bindings here, the facts from the recognisers' mixins."""

    def __init__(self, path: str, text: str, line_offset: int, dict_keys: bool = True) -> None:
        self.path = path.removeprefix("./")
        self.collect_dict_keys = dict_keys
        self.text = text
        self.offset = line_offset
        self._ascii = text.isascii()
        self._lines: list[str] | None = None
        self._columns: dict[int, ByteColumns | None] = {}  # line -> its columns (None: ASCII), once needed
        self._remap = lf_position_mapper(text)
        self.imports: dict[str, str] = {}
        self.dotted: dict[ast.expr, str | None] = {}
        self.imported_modules: set[str] = set()  # every module named by an import statement
        # id(expr) -> "int" | "float" | "bool" for expressions passed straight to a converter
        # (``int(os.getenv(...))``).  Filled by visit_Call, which sees a call before its arguments,
        # so a read always finds its converter already recorded.
        self.conversions: dict[int, str] = {}
        self.module = Scope(None, None, is_module=True)
        self.scope = self.module
        self.docstrings: set[int] = set()
        self.consumed: set[int] = set()  # read sites already reported (resolver / `or` forms)
        self.wrappers: dict[str, Wrapper] = {}
        self._deferred_stack: list[list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]] = []
        self._param_values: dict[int, dict[str, Value]] = {}
        self.helper_calls: list[tuple[ast.Call, str | None, list[Value], dict[str, Value]]] = []
        self.env_reads: list[EnvRead] = []
        self.constants: list[ModuleConstant] = []
        self.anchors: list[RootAnchor] = []
        self.sys_path: list[SysPathEdit] = []
        self.strings: list[StringLiteral] = []
        self.dict_keys: list[DictKey] = []
        self.writes: list[WriteSite] = []
        self.enqueues: list[EnqueueCall] = []
        self.import_refs: set[str] = set()
        self.calls: dict[tuple[str, str], None] = {}

    def run(self, tree: ast.Module) -> PythonModule:
        _docstring_ids(tree.body, self.docstrings)
        self._prescan_writes(tree)
        self._body(tree.body, self.module)
        self._emit_wrapper_calls()
        key = by_location
        payloads: tuple = ((), (), (), ())
        if self.collect_dict_keys:  # the payload modules (gates 1, 3, 4, 8) and no others
            from meslint.parsers.python_payloads import extract

            payloads = extract(tree, self._loc, self.path.removesuffix(".py").replace("/", "."), len(self.text))
        return PythonModule(
            self.path,
            env_reads=tuple(sorted(self.env_reads, key=key)),
            constants=tuple(sorted(self.constants, key=key)),
            root_anchors=tuple(sorted(self.anchors, key=key)),
            sys_path_edits=tuple(sorted(self.sys_path, key=key)),
            strings=tuple(sorted(self.strings, key=key)),
            dict_keys=tuple(sorted(self.dict_keys, key=key)),
            line_offset=self.offset,
            imports=tuple(sorted(self.imported_modules)),
            env_tables=env_tables(tree, self.path, self.offset),
            import_refs=tuple(sorted(self.import_refs)),
            writes=tuple(sorted(self.writes, key=key)),
            enqueues=tuple(sorted(self.enqueues, key=key)),
            calls=tuple(self.calls),
            payload_functions=payloads[0],
            payload_imports=payloads[1],
            item_reads=payloads[2],
            flask_apps=payloads[3],
            classes=self._class_facts(),
            instances=tuple(self._instances),
            constructions=tuple(self._constructions),
            foreign_attributes=tuple(sorted(self._foreign)),
        )

    # ----------------------------------------------------------------- traversal

    def visit(self, node: ast.AST) -> None:
        method = _DISPATCH[type(node)]
        if method is not None:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        # Most children are leaves (names, contexts, operators) or no nodes at all (identifiers,
        # constants' values): their entry in the table is None, which costs no call.  Only fields
        # that can hold nodes at all are looked at.
        for name in CHILD_FIELDS[type(node)]:
            value: Any = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    method = _DISPATCH[type(item)]
                    if method is not None:
                        method(self, item)
            else:
                method = _DISPATCH[type(value)]
                if method is not None:
                    method(self, value)

    # ----------------------------------------------------------------- scopes and statements

    def _body(self, body: list[ast.stmt], scope: Scope) -> None:
        """Visit a scope's statements, then its functions (which see the scope's final state)."""
        saved, self.scope = self.scope, scope
        deferred: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
        self._deferred_stack.append(deferred)
        for stmt in body:
            self.visit(stmt)
        self._deferred_stack.pop()
        for func, qualname in deferred:
            self._function_body(func, qualname, scope)
        self.scope = saved

    def _qualify(self, name: str) -> str:
        return f"{self.scope.name}.{name}" if self.scope.name else name

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Decorators and defaults run in the enclosing scope, now; the body runs later.
        for decorator in node.decorator_list:
            self.visit(decorator)
        for expr in [*node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)
        self._param_values[id(node)] = self._param_defaults(node.args)
        self.scope.symbols[node.name] = UNKNOWN
        self._deferred_stack[-1].append((node, self._qualify(node.name)))

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _param_defaults(self, args: ast.arguments) -> dict[str, Value]:
        return {arg.arg: self._value(default, self.scope) for arg, default in arg_defaults(args)}

    def _function_body(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, enclosing: Scope) -> None:
        parent = enclosing
        while parent.is_class and parent.parent is not None:
            parent = parent.parent
        args = node.args
        all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        all_args += [a for a in (args.vararg, args.kwarg) if a is not None]
        scope = Scope(qualname, parent, params=frozenset(a.arg for a in all_args), define=node)
        none_defaults = {arg.arg for arg, default in arg_defaults(args) if is_none(default)}
        for arg in all_args:
            if self._is_env_param(arg):
                scope.symbols[arg.arg] = ENVIRON
            else:
                scope.symbols[arg.arg] = NONE_PARAM if arg.arg in none_defaults else UNKNOWN
        _docstring_ids(node.body, self.docstrings)
        self._body(node.body, scope)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.scope.symbols[node.name] = UNKNOWN
        scope = Scope(self._qualify(node.name), self.scope, is_class=True)
        _docstring_ids(node.body, self.docstrings)
        self._body(node.body, scope)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if names:
            self._bind(names, node.value, node)
        for target in node.targets:
            if not isinstance(target, ast.Name):
                self._unbind(target)
                self._attribute_assigned(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)
        if node.value is not None and isinstance(node.target, ast.Name):
            self._bind([node.target.id], node.value, node)
        elif node.value is not None:
            self._attribute_assigned(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        self._unbind(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind([node.target.id], node.value, None)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._unbind(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_AsyncFor = visit_For  # type: ignore[assignment]

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._unbind(node.optional_vars)

    def _unbind(self, target: ast.expr) -> None:
        for name in names_in(target):
            self.scope.symbols[name] = UNKNOWN

    def _bind(self, names: list[str], value: ast.expr, stmt: ast.stmt | None) -> None:
        symbol: Symbol
        if self._is_environ(value):
            symbol = ENVIRON
        else:
            evaluated = self._value(value, self.scope)
            symbol = UNKNOWN if evaluated is None else evaluated
        for name in names:
            self.scope.symbols[name] = symbol
        self._bound(names, symbol, value, stmt)

    # ----------------------------------------------------------------- expressions

    def visit_Call(self, node: ast.Call) -> None:
        # The guards here are the recognisers' own first tests, made before paying for their calls.
        args = node.args
        callee = node.func
        callee_type = type(callee)
        if len(args) == 1 and callee_type is ast.Name:
            self._note_conversion(node)
        func = self._canonical(callee)
        if func is not None and (func == "dict" or func.startswith("sys.")):
            self._call_sites(node, func)
        if args:
            first = args[0]
            first_type = type(first)
            if len(args) > 1 and (first_type is ast.Call or first_type is ast.Subscript):
                self._resolver_read(node, func)  # (a resolver's first argument is an env read)
            # An env read is ``<mapping>.get/setdefault(...)`` or ``os.getenv(...)``; a wrapper candidate
            # passes a parameter on, or calls a plain name with a literal first.
            if ((isinstance(callee, ast.Attribute) and callee.attr in _GET_ATTRS) or func == "os.getenv"
                    or (isinstance(first, ast.Name) and first.id in self.scope.params)
                    or (callee_type is ast.Name and first_type is ast.Constant)):
                self._read_site(node)
            if first_type is ast.Constant:
                self._helper_call(node, func)  # (a helper's first argument is a literal name)
        self._writes_call(node, func)
        # The children, as generic_visit would visit them (func, args, keywords' values), without its loops.
        for child in (node.func, *args):
            method = _DISPATCH[type(child)]
            if method is not None:
                method(self, child)
        for keyword in node.keywords:
            method = _DISPATCH[type(keyword.value)]
            if method is not None:
                method(self, keyword.value)

    def visit_keyword(self, node: ast.keyword) -> None:
        method = _DISPATCH[type(node.value)]
        if method is not None:
            method(self, node.value)

    visit_Expr = visit_keyword  # type: ignore[assignment]

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            method = _DISPATCH[type(node.value)]
            if method is not None:
                method(self, node.value)

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        for stmt in node.body:
            method = _DISPATCH[type(stmt)]
            if method is not None:
                method(self, stmt)
        for stmt in node.orelse:
            method = _DISPATCH[type(stmt)]
            if method is not None:
                method(self, stmt)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key_type = type(node.slice)
        if type(node.ctx) is ast.Load:
            if key_type is ast.Constant or key_type is ast.Name:  # (an env read's key is a name or a literal)
                self._read_site(node)
        else:
            self._stored_key(node)
        for child in (node.value, node.slice):  # generic_visit's order
            method = _DISPATCH[type(child)]
            if method is not None:
                method(self, child)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self._or_defaults(node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # Only the innermost value of a.b.c can hold facts (a call, a subscript...); a name cannot.
        value = node.value
        while isinstance(value, ast.Attribute):
            value = value.value
        if type(value) not in LEAVES:
            self.visit(value)


def _method_for(cls: type) -> Callable[[_Collector, ast.AST], None] | None:
    """The visitor of a node type; None for a leaf or a value that is no node (nothing to visit)."""
    if cls in LEAVES or not issubclass(cls, ast.AST):
        return None
    return getattr(_Collector, "visit_" + cls.__name__, _Collector.generic_visit)  # type: ignore[no-any-return]


# NodeVisitor's getattr per node is most of the traversal cost on big modules: look up once per
# node type (and per type of a field's value), for all collectors.
_DISPATCH: ByNodeType[Callable[[_Collector, ast.AST], None] | None] = ByNodeType(_method_for)
