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
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from meslint.facts import (
    ROOT_TOKEN,
    DictKey,
    EnvRead,
    Location,
    ModuleConstant,
    ParseProblem,
    PythonModule,
    RootAnchor,
    StringLiteral,
    SysPathEdit,
)
from meslint.parsers import lf_position_mapper
from meslint.parsers.columns import ByteColumns

_MAX_DEPTH = 12  # template recursion bound: symbol chains are short in practice
_MAX_STRING = 300
_PATH_SUFFIXES = (".py", ".sh", ".pid", ".flag", ".json", ".service", ".env", ".log", ".conf")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

# Calls whose value is (as far as a template can tell) their single argument.
_TRANSPARENT_CALLS = frozenset(
    {
        "str", "int", "float", "os.fspath", "os.path.abspath", "os.path.realpath", "os.path.normpath",
        "Path", "PurePath", "PosixPath", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath",
    }
)
_PATH_CTORS = frozenset({"Path", "PurePath", "PosixPath", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_TRANSPARENT_METHODS = frozenset({"resolve", "absolute", "strip"})
# Never resolvers: ``int(env.get("X"), 16)`` is not a path fallback.
_NOT_RESOLVERS = _TRANSPARENT_CALLS | frozenset(
    {"bool", "print", "getattr", "setattr", "isinstance", "max", "min", "round", "open", "os.path.join",
     "dict", "list", "tuple", "set", "len", "format", "logging.getLogger"}
)
_MAPPING_TYPES = frozenset({"Mapping", "MutableMapping", "dict", "Dict", "_Environ"})
_ENV_PARAM_NAMES = frozenset({"env", "environ", "environment"})
_CONVERTERS = frozenset({"int", "float", "bool"})  # recorded as EnvRead.conversion


@dataclass(frozen=True, slots=True)
class _File:
    """``__file__`` with ``levels`` dirname steps applied (1 == the module's directory)."""

    levels: int


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_UNKNOWN = _Marker("unknown")  # bound, value not statically known
_NONE_PARAM = _Marker("none-param")  # a parameter whose default is None
_ENVIRON = _Marker("environ")  # bound to os.environ (or a copy / an injected mapping)

_Value = str | _File | None
_Symbol = str | _File | _Marker


@dataclass(eq=False)
class _Scope:
    name: str | None  # qualified function name; None for the module
    parent: _Scope | None
    symbols: dict[str, _Symbol] = field(default_factory=dict)
    params: frozenset[str] = frozenset()
    is_module: bool = False
    is_class: bool = False  # class bodies are not visible from their methods
    define: ast.FunctionDef | ast.AsyncFunctionDef | None = None

    def lookup(self, name: str) -> _Symbol | None:
        scope: _Scope | None = self
        while scope is not None:
            found = scope.symbols.get(name)
            if found is not None:
                return found
            scope = scope.parent
        return None


@dataclass(frozen=True, slots=True)
class _Hit:
    """A recognised env read: ``default`` is the default expression (None: no default)."""

    name: str
    default: ast.expr | None
    via: str


@dataclass(slots=True)
class _Wrapper:
    """A module function ``def f(name, default): return os.getenv(name, str(default))``."""

    params: tuple[str, ...]
    name_param: str
    default: ast.expr | None
    param_defaults: dict[str, _Value]


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


def _defaults(args: ast.arguments) -> list[tuple[ast.arg, ast.expr]]:
    """(parameter, default expression) pairs, positional and keyword-only."""
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    return pairs


def _is_none(node: ast.expr | None) -> bool:
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


def _str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _docstring_ids(body: list[ast.stmt], into: set[int]) -> None:
    if body and isinstance(body[0], ast.Expr) and _str_const(body[0].value) is not None:
        into.add(id(body[0].value))


def _looks_like_path(value: str) -> bool:
    if len(value) > _MAX_STRING or "\n" in value:
        return False
    return "/" in value or value.endswith(_PATH_SUFFIXES) or "DashBoard" in value


# --------------------------------------------------------------------------- the collector


class _Collector(ast.NodeVisitor):
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
        self.imported_modules: set[str] = set()  # every module named by an import statement
        # id(expr) -> "int" | "float" | "bool" for expressions passed straight to a converter
        # (``int(os.getenv(...))``).  Filled by visit_Call, which sees a call before its arguments,
        # so a read always finds its converter already recorded.
        self.conversions: dict[int, str] = {}
        self.module = _Scope(None, None, is_module=True)
        self.scope = self.module
        self.docstrings: set[int] = set()
        self.consumed: set[int] = set()  # read sites already reported (resolver / `or` forms)
        self.wrappers: dict[str, _Wrapper] = {}
        self._deferred_stack: list[list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]] = []
        self._param_values: dict[int, dict[str, _Value]] = {}
        self.helper_calls: list[tuple[ast.Call, str | None, list[_Value], dict[str, _Value]]] = []
        self.env_reads: list[EnvRead] = []
        self.constants: list[ModuleConstant] = []
        self.anchors: list[RootAnchor] = []
        self.sys_path: list[SysPathEdit] = []
        self.strings: list[StringLiteral] = []
        self.dict_keys: list[DictKey] = []

    def run(self, tree: ast.Module) -> PythonModule:
        _docstring_ids(tree.body, self.docstrings)
        self._body(tree.body, self.module)
        self._emit_wrapper_calls()
        key = _by_location
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
        )

    # ----------------------------------------------------------------- traversal

    def visit(self, node: ast.AST) -> None:
        _DISPATCH[type(node)](self, node)

    def generic_visit(self, node: ast.AST) -> None:
        # Most children are leaves (names, contexts, operators): test for them here rather than
        # pay a call each, and only look at fields that can hold nodes at all.
        for name in _CHILD_FIELDS[type(node)]:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if type(item) not in _LEAVES and isinstance(item, ast.AST):
                        _DISPATCH[type(item)](self, item)
            elif type(value) not in _LEAVES and isinstance(value, ast.AST):
                _DISPATCH[type(value)](self, value)

    # ----------------------------------------------------------------- positions

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

    # ----------------------------------------------------------------- scopes and statements

    def _body(self, body: list[ast.stmt], scope: _Scope) -> None:
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
        for expr in node.decorator_list:
            self.visit(expr)
        for expr in [*node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)
        self._param_values[id(node)] = self._param_defaults(node.args)
        self.scope.symbols[node.name] = _UNKNOWN
        self._deferred_stack[-1].append((node, self._qualify(node.name)))

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _param_defaults(self, args: ast.arguments) -> dict[str, _Value]:
        return {arg.arg: self._value(default, self.scope) for arg, default in _defaults(args)}

    def _function_body(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, enclosing: _Scope) -> None:
        parent = enclosing
        while parent.is_class and parent.parent is not None:
            parent = parent.parent
        args = node.args
        all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        all_args += [a for a in (args.vararg, args.kwarg) if a is not None]
        scope = _Scope(qualname, parent, params=frozenset(a.arg for a in all_args), define=node)
        none_defaults = {arg.arg for arg, default in _defaults(args) if _is_none(default)}
        for arg in all_args:
            if self._is_env_param(arg):
                scope.symbols[arg.arg] = _ENVIRON
            else:
                scope.symbols[arg.arg] = _NONE_PARAM if arg.arg in none_defaults else _UNKNOWN
        _docstring_ids(node.body, self.docstrings)
        self._body(node.body, scope)

    def _is_env_param(self, arg: ast.arg) -> bool:
        if arg.arg not in _ENV_PARAM_NAMES or arg.annotation is None:
            return False
        for sub in ast.walk(arg.annotation):
            if isinstance(sub, ast.Name) and sub.id in _MAPPING_TYPES:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in _MAPPING_TYPES:
                return True
        return False

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.scope.symbols[node.name] = _UNKNOWN
        scope = _Scope(self._qualify(node.name), self.scope, is_class=True)
        _docstring_ids(node.body, self.docstrings)
        self._body(node.body, scope)

    def visit_Import(self, node: ast.Import) -> None:
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
        self.imported_modules.add(node.module)
        for alias in node.names:
            self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

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

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)
        if node.value is not None and isinstance(node.target, ast.Name):
            self._bind([node.target.id], node.value, node)

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
        for name in _names_in(target):
            self.scope.symbols[name] = _UNKNOWN

    def _bind(self, names: list[str], value: ast.expr, stmt: ast.stmt | None) -> None:
        symbol: _Symbol
        if self._is_environ(value):
            symbol = _ENVIRON
        else:
            evaluated = self._value(value, self.scope)
            symbol = _UNKNOWN if evaluated is None else evaluated
        for name in names:
            self.scope.symbols[name] = symbol
        if stmt is None or not isinstance(symbol, (str, _File)):
            return
        text = self._text(symbol)
        if isinstance(symbol, _File) and symbol.levels >= 1:
            for name in names:
                self.anchors.append(RootAnchor(name, symbol.levels, text, self._loc(stmt)))
        if self.scope.is_module:
            literal = value.value if isinstance(value, ast.Constant) else text
            if isinstance(literal, (str, int, float, bool)):
                for name in names:
                    self.constants.append(ModuleConstant(name, literal, self._loc(stmt)))

    # ----------------------------------------------------------------- expressions

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _CONVERTERS and len(node.args) == 1:
            self.conversions[id(node.args[0])] = node.func.id
        func = self._canonical(node.func)
        if func is not None and func.startswith("sys.path."):
            self._sys_path_edit(node, func[len("sys.path."):])
        if func == "dict" and self.collect_dict_keys:
            for kw in node.keywords:
                if kw.arg is not None:
                    self.dict_keys.append(DictKey(kw.arg, self._loc(kw), self.scope.name))
        self._resolver_read(node, func)
        self._read_site(node)
        self._helper_call(node, func)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read_site(node)
        else:
            key = _str_const(node.slice) if self.collect_dict_keys else None
            if key is not None and not self._is_environ(node.value):
                self.dict_keys.append(DictKey(key, self._loc(node.slice), self.scope.name))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        # ``os.getenv("X") or fallback``: the fallback is the read's real default.
        if isinstance(node.op, ast.Or):
            for i, value in enumerate(node.values[:-1]):
                hit = self._env_hit(value)
                if hit is None or id(value) in self.consumed:
                    continue
                if hit.default is not None and _str_const(hit.default) != "":
                    continue
                rest = node.values[i + 1:]
                rest_value = rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.Or(), values=rest)
                default = self._value(rest_value, self.scope)
                if default is not None:
                    self._emit(hit.name, self._text(default), hit.via, value)
                    self.consumed.add(id(value))
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys if self.collect_dict_keys else ():
            text = _str_const(key)
            if text is not None:
                self.dict_keys.append(DictKey(text, self._loc(key), self.scope.name))  # type: ignore[arg-type]
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # Only the innermost value of a.b.c can hold facts (a call, a subscript...); a name cannot.
        value = node.value
        while isinstance(value, ast.Attribute):
            value = value.value
        if type(value) not in _LEAVES:
            self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and _looks_like_path(value) and id(node) not in self.docstrings:
            self.strings.append(StringLiteral(value, self._loc(node), self.scope.name))

    # ----------------------------------------------------------------- env reads

    def _canonical(self, node: ast.expr) -> str | None:
        """Dotted name with import aliases applied (``environ.get`` -> ``os.environ.get``)."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
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

    def _is_environ(self, node: ast.expr, depth: int = 0) -> bool:
        if depth > 4:
            return False
        if isinstance(node, ast.Name):
            symbol = self.scope.lookup(node.id)
            if symbol is _ENVIRON:
                return True
            if symbol is not None:
                return False
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self._is_name(node, "os.environ")
        if isinstance(node, ast.BoolOp):
            return any(self._is_environ(v, depth + 1) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self._is_environ(node.body, depth + 1) or self._is_environ(node.orelse, depth + 1)
        if isinstance(node, ast.Call):
            # dict(os.environ), os.environ.copy(): reads from the copy read the environment.
            if isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and not node.args:
                return self._is_environ(node.func.value, depth + 1)
            if self._is_name(node.func, "dict") and len(node.args) == 1:
                return self._is_environ(node.args[0], depth + 1)
        return False

    def _env_hit(self, node: ast.AST) -> _Hit | None:
        """Recognise ``node`` as an environment read with a static name."""
        if isinstance(node, ast.Subscript):
            if not isinstance(node.ctx, ast.Load):
                return None
            name = self._env_name(node.slice)
            if name is None or not self._is_environ(node.value):
                return None
            direct = self._is_name(node.value, "os.environ")
            return _Hit(name, None, "os.environ[]" if direct else "mapping[]")
        if not isinstance(node, ast.Call) or not node.args:
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault"):
            if not self._is_environ(func.value):
                return None
            name = self._env_name(node.args[0])
            if name is None:
                return None
            direct = self._is_name(func.value, "os.environ")
            via = ("os.environ." if direct else "mapping.") + func.attr
            return _Hit(name, node.args[1] if len(node.args) > 1 else None, via)
        if self._is_name(func, "os.getenv"):
            name = self._env_name(node.args[0])
            if name is None:
                return None
            default = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "default":
                    default = kw.value
            return _Hit(name, default, "os.getenv")
        return None

    def _env_name(self, node: ast.expr) -> str | None:
        text = _str_const(node)
        if text is None and isinstance(node, ast.Name):
            symbol = self.scope.lookup(node.id)
            # NAME_VAR = "APP_MODE"; os.getenv(NAME_VAR): only a plain literal qualifies.
            if isinstance(symbol, str) and _ENV_NAME.match(symbol):
                text = symbol
        return text or None

    def _read_site(self, node: ast.Call | ast.Subscript) -> None:
        if id(node) in self.consumed:
            return
        hit = self._env_hit(node)
        if hit is None:
            self._wrapper_candidate(node)
            return
        default = None
        if not _is_none(hit.default):
            value = self._value(hit.default, self.scope)  # type: ignore[arg-type]
            default = None if value is None else self._text(value)
        self._emit(hit.name, default, hit.via, node)

    def _emit(self, name: str, default: str | None, via: str, node: ast.AST) -> None:
        conversion = self.conversions.get(id(node))
        self.env_reads.append(EnvRead(name, default, via, self._loc(node), self.scope.name, conversion))

    def _resolver_read(self, node: ast.Call, func: str | None) -> None:
        """``_resolve(env.get("X"), root / "tmp", ...)``: the fallback is X's default."""
        found = None if node.args and id(node.args[0]) in self.consumed else self._resolver(node, func)
        if found is not None:
            hit, fallback = found
            self._emit(hit.name, fallback, "resolver", node.args[0])
            self.consumed.add(id(node.args[0]))

    def _resolver(self, node: ast.Call, func: str | None) -> tuple[_Hit, str] | None:
        if len(node.args) < 2 or func in _NOT_RESOLVERS:
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "setdefault", "pop"):
            return None
        hit = self._env_hit(node.args[0])
        if hit is None or not (_is_none(hit.default) or _str_const(hit.default) == ""):
            return None
        second = self._value(node.args[1], self.scope)
        if second is None:
            return None
        text = self._text(second)
        if not (isinstance(second, _File) or "/" in text or text.startswith(ROOT_TOKEN)):
            return None  # resolvers take a path fallback; anything else is some other API
        return hit, text

    def _helper_call(self, node: ast.Call, func: str | None) -> None:
        """``resolve_bool_flag("NAME", default=False, environ=env)``: a read through a helper."""
        if not node.args or func in _NOT_RESOLVERS or id(node) in self.consumed:
            return
        name = _str_const(node.args[0])
        if name is None or not _ENV_NAME.match(name):
            return
        passes_env = any(self._is_environ(kw.value) for kw in node.keywords) or any(
            self._is_environ(a) for a in node.args[1:]
        )
        if not passes_env:
            return
        default = None
        for kw in node.keywords:
            if kw.arg == "default":
                value = self._value(kw.value, self.scope)
                default = None if value is None else self._text(value)
        self._emit(name, default, "helper", node)
        self.consumed.add(id(node))

    # ----------------------------------------------------------------- env wrapper functions

    def _wrapper_candidate(self, node: ast.Call | ast.Subscript) -> None:
        """Remember ``os.getenv(param, ...)`` inside a function, and calls that might hit it."""
        if not isinstance(node, ast.Call) or not node.args:
            return
        if self.scope.params and isinstance(node.args[0], ast.Name) and node.args[0].id in self.scope.params:
            self._record_wrapper(node)
        if isinstance(node.func, ast.Name) and _ENV_NAME.match(_str_const(node.args[0]) or "-"):
            args = [self._value(a, self.scope) for a in node.args]
            kwargs = {kw.arg: self._value(kw.value, self.scope) for kw in node.keywords if kw.arg}
            self.helper_calls.append((node, self.scope.name, args, kwargs))

    def _record_wrapper(self, node: ast.Call) -> None:
        first = node.args[0]
        func = node.func
        via_getenv = self._is_name(func, "os.getenv")
        via_get = isinstance(func, ast.Attribute) and func.attr == "get" and self._is_environ(func.value)
        define = self.scope.define
        if not (via_getenv or via_get) or define is None or self.scope.parent is not self.module:
            return
        args = define.args
        params = tuple(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
        default = node.args[1] if len(node.args) > 1 else None
        self.wrappers[define.name] = _Wrapper(params, first.id, default,  # type: ignore[attr-defined]
                                              self._param_values.get(id(define), {}))

    def _emit_wrapper_calls(self) -> None:
        for node, function, args, kwargs in self.helper_calls:
            if id(node) in self.consumed:
                continue
            wrapper = self.wrappers.get(node.func.id)  # type: ignore[attr-defined]
            if wrapper is None or not wrapper.params:
                continue
            bound: dict[str, _Value] = dict(wrapper.param_defaults)
            bound.update(zip(wrapper.params, args, strict=False))
            bound.update(kwargs)
            name = bound.get(wrapper.name_param)
            if not isinstance(name, str) or not _ENV_NAME.match(name):
                continue
            default = None
            if not _is_none(wrapper.default):
                scope = _Scope(None, self.module)
                scope.symbols = {k: (_UNKNOWN if v is None else v) for k, v in bound.items()}
                value = self._value(wrapper.default, scope)  # type: ignore[arg-type]
                default = None if value is None else self._text(value)
            self.env_reads.append(EnvRead(name, default, "helper", self._loc(node), function))

    # ----------------------------------------------------------------- sys.path

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

    # ----------------------------------------------------------------- template evaluation

    def _text(self, value: str | _File) -> str:
        if isinstance(value, str):
            return value
        parts = self.path.split("/")
        keep = len(parts) - value.levels
        if keep > 0:
            return f"{ROOT_TOKEN}/" + "/".join(parts[:keep])
        return ROOT_TOKEN + "/.." * (-keep)

    def _value(self, node: ast.expr, scope: _Scope, depth: int = 0) -> _Value:
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
                return _File(0)
            symbol = scope.lookup(node.id)
            return symbol if isinstance(symbol, (str, _File)) else None
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

    def _env_template(self, node: ast.expr, scope: _Scope, depth: int) -> str | None:
        saved, self.scope = self.scope, scope  # _env_hit resolves names in the current scope
        try:
            hit = self._env_hit(node)
        finally:
            self.scope = saved
        if hit is None:
            return None
        if _is_none(hit.default):
            return f"${{{hit.name}}}"
        default = self._value(hit.default, scope, depth + 1)  # type: ignore[arg-type]
        return None if default is None else f"${{{hit.name}:-{self._text(default)}}}"

    def _attribute(self, node: ast.Attribute, scope: _Scope, depth: int) -> _Value:
        if node.attr != "parent":
            return None
        base = self._value(node.value, scope, depth + 1)
        if isinstance(base, _File):
            return _File(base.levels + 1)
        return _dirname(base) if base is not None else None

    def _subscript(self, node: ast.Subscript, scope: _Scope, depth: int) -> _Value:
        value = node.value
        if isinstance(value, ast.Attribute) and value.attr == "parents":
            index = node.slice
            if isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0:
                base = self._value(value.value, scope, depth + 1)
                if isinstance(base, _File):
                    return _File(base.levels + index.value + 1)
            return None
        return self._env_template(node, scope, depth)

    def _call(self, node: ast.Call, scope: _Scope, depth: int) -> _Value:
        func = node.func
        name = self._canonical(func)
        if isinstance(func, ast.Attribute) and func.attr in _TRANSPARENT_METHODS and not node.args:
            return self._value(func.value, scope, depth + 1)
        if name in _TRANSPARENT_CALLS and len(node.args) == 1 and not node.keywords:
            return self._value(node.args[0], scope, depth + 1)
        if name == "os.path.dirname" and len(node.args) == 1:
            base = self._value(node.args[0], scope, depth + 1)
            if isinstance(base, _File):
                return _File(base.levels + 1)
            return _dirname(base) if base is not None else None
        if (name == "os.path.join" or name in _PATH_CTORS) and node.args:
            return self._join_all(node.args, scope, depth)
        env = self._env_template(node, scope, depth)
        if env is not None:
            return env
        saved, self.scope = self.scope, scope
        try:
            found = self._resolver(node, name)
        finally:
            self.scope = saved
        if found is not None:
            hit, fallback = found
            return f"${{{hit.name}:-{fallback}}}"
        return None

    def _join_all(self, args: list[ast.expr], scope: _Scope, depth: int) -> _Value:
        result = self._value(args[0], scope, depth + 1)
        for arg in args[1:]:
            if result is None:
                return None
            result = self._div(result, self._value(arg, scope, depth + 1))
        return result

    def _div(self, left: _Value, right: _Value) -> _Value:
        if left is None or right is None:
            return None
        if isinstance(left, _File) and isinstance(right, str):
            ups = _dotdot_levels(right)
            if ups is not None and left.levels >= 1:
                return _File(left.levels + ups)
        return _join(self._text(left), self._text(right))

    def _binop(self, node: ast.BinOp, scope: _Scope, depth: int) -> _Value:
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

    def _or(self, values: list[ast.expr], scope: _Scope, depth: int) -> _Value:
        for i, value in enumerate(values):
            if i == len(values) - 1:
                return self._value(value, scope, depth + 1)
            if isinstance(value, ast.Name) and scope.lookup(value.id) is _NONE_PARAM:
                continue  # `project_root or fallback`: a None default means the fallback
            if _is_none(value) or _str_const(value) == "":
                continue
            saved, self.scope = self.scope, scope
            try:
                hit = self._env_hit(value)
            finally:
                self.scope = saved
            if hit is not None and (_is_none(hit.default) or _str_const(hit.default) == ""):
                rest = self._or(values[i + 1:], scope, depth + 1)
                return None if rest is None else f"${{{hit.name}:-{self._text(rest)}}}"
            literal = _str_const(value)
            if literal:
                return _lit(literal)
            return None
        return None

    def _fstring(self, node: ast.JoinedStr, scope: _Scope, depth: int) -> _Value:
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


def _skip(collector: _Collector, node: ast.AST) -> None:
    return None


# Nodes with nothing below them that any fact needs.
_LEAVES = frozenset(
    {ast.Name, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, (ast.operator, ast.boolop,
                                                                                     ast.cmpop, ast.unaryop))}
)
# Fields that hold no node with facts below it in any node type of any supported Python's ASDL:
# expression contexts, operators, identifiers, ints and type comments.  (``name``, ``names`` and
# ``value`` are not among them: TypeAlias.name, Import.names and most ``value`` fields are nodes.)
_NO_FACT_FIELDS = frozenset({"ctx", "op", "ops", "attr", "arg", "conversion", "type_comment"})
_T = TypeVar("_T")


class _ByNodeType(dict[type[ast.AST], _T]):
    """A table filled on first use of each node type."""

    def __init__(self, compute: Callable[[type[ast.AST]], _T]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, cls: type[ast.AST]) -> _T:
        self[cls] = value = self.compute(cls)
        return value


def _method_for(cls: type[ast.AST]) -> Callable[[_Collector, ast.AST], None]:
    if cls in _LEAVES:
        return _skip
    return getattr(_Collector, "visit_" + cls.__name__, _Collector.generic_visit)


def _fields_for(cls: type[ast.AST]) -> tuple[str, ...]:
    return tuple(name for name in cls._fields if name not in _NO_FACT_FIELDS)


# NodeVisitor's getattr per node is most of the traversal cost on big modules: look up once per
# node type, for all collectors.
_DISPATCH = _ByNodeType(_method_for)
_CHILD_FIELDS = _ByNodeType(_fields_for)


def _names_in(node: ast.AST) -> list[str]:
    """Every ``Name`` in ``node`` (``a[i], b.c`` -> a, i and b), as ast.walk finds them, only faster."""
    names: list[str] = []
    stack = [node]
    while stack:
        node = stack.pop()
        if type(node) is ast.Name:
            names.append(node.id)
            continue
        for field_name in _CHILD_FIELDS[type(node)]:
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return names


def _by_location(fact: object) -> tuple[int, int]:
    location: Location = fact.location  # type: ignore[attr-defined]
    return location.line, location.column
