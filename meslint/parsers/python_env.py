"""Environment reads in Python sources: the recogniser behind :attr:`PythonModule.env_reads`.

``os.getenv``/``os.environ`` reads and their aliases, mappings bound to the environment,
``x or fallback`` defaults, ``int()``/``float()``/``bool()`` conversions, resolver calls
``f(env.get(NAME), fallback)``, helpers called with an environ, and module functions that wrap
``os.getenv(name, default)``.  See :mod:`meslint.parsers.python_src` for the conventions.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from meslint.facts import ROOT_TOKEN, EnvRead
from meslint.parsers.python_values import (
    ENVIRON,
    TRANSPARENT_CALLS,
    UNKNOWN,
    Evaluator,
    File,
    Hit,
    Scope,
    Value,
    is_none,
    str_const,
)

_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
# Never resolvers: ``int(env.get("X"), 16)`` is not a path fallback.
_NOT_RESOLVERS = TRANSPARENT_CALLS | frozenset(
    {"bool", "print", "getattr", "setattr", "isinstance", "max", "min", "round", "open", "os.path.join",
     "dict", "list", "tuple", "set", "len", "format", "logging.getLogger"}
)
_MAPPING_TYPES = frozenset({"Mapping", "MutableMapping", "dict", "Dict", "_Environ"})
_ENV_PARAM_NAMES = frozenset({"env", "environ", "environment"})
_CONVERTERS = frozenset({"int", "float", "bool"})  # recorded as EnvRead.conversion


@dataclass(slots=True)
class Wrapper:
    """A module function ``def f(name, default): return os.getenv(name, str(default))``."""

    params: tuple[str, ...]
    name_param: str
    default: ast.expr | None
    param_defaults: dict[str, Value]


class EnvReads(Evaluator):
    """The env-read recognisers of the collector; it calls them from its visitors."""

    conversions: dict[int, str]
    consumed: set[int]
    wrappers: dict[str, Wrapper]
    _param_values: dict[int, dict[str, Value]]
    helper_calls: list[tuple[ast.Call, str | None, list[Value], dict[str, Value]]]
    env_reads: list[EnvRead]

    def _note_conversion(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _CONVERTERS and len(node.args) == 1:
            self.conversions[id(node.args[0])] = node.func.id

    def _or_defaults(self, node: ast.BoolOp) -> None:
        """``os.getenv("X") or fallback``: the fallback is the read's real default."""
        if isinstance(node.op, ast.Or):
            for i, value in enumerate(node.values[:-1]):
                hit = self._env_hit(value)
                if hit is None or id(value) in self.consumed:
                    continue
                if hit.default is not None and str_const(hit.default) != "":
                    continue
                rest = node.values[i + 1:]
                rest_value = rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.Or(), values=rest)
                default = self._value(rest_value, self.scope)
                if default is not None:
                    self._emit(hit.name, self._text(default), hit.via, value)
                    self.consumed.add(id(value))

    def _is_env_param(self, arg: ast.arg) -> bool:
        if arg.arg not in _ENV_PARAM_NAMES or arg.annotation is None:
            return False
        for sub in ast.walk(arg.annotation):
            if isinstance(sub, ast.Name) and sub.id in _MAPPING_TYPES:
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in _MAPPING_TYPES:
                return True
        return False

    def _is_environ(self, node: ast.expr, depth: int = 0) -> bool:
        if depth > 4:
            return False
        if isinstance(node, ast.Name):
            symbol = self.scope.lookup(node.id)
            if symbol is ENVIRON:
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

    def _env_hit(self, node: ast.AST) -> Hit | None:
        """Recognise ``node`` as an environment read with a static name."""
        if isinstance(node, ast.Subscript):
            if not isinstance(node.ctx, ast.Load):
                return None
            name = self._env_name(node.slice)
            if name is None or not self._is_environ(node.value):
                return None
            direct = self._is_name(node.value, "os.environ")
            return Hit(name, None, "os.environ[]" if direct else "mapping[]")
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
            return Hit(name, node.args[1] if len(node.args) > 1 else None, via)
        if self._is_name(func, "os.getenv"):
            name = self._env_name(node.args[0])
            if name is None:
                return None
            default = node.args[1] if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "default":
                    default = kw.value
            return Hit(name, default, "os.getenv")
        return None

    def _env_name(self, node: ast.expr) -> str | None:
        text = str_const(node)
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
        if not is_none(hit.default):
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

    def _resolver(self, node: ast.Call, func: str | None) -> tuple[Hit, str] | None:
        if len(node.args) < 2 or func in _NOT_RESOLVERS:
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "setdefault", "pop"):
            return None
        hit = self._env_hit(node.args[0])
        if hit is None or not (is_none(hit.default) or str_const(hit.default) == ""):
            return None
        second = self._value(node.args[1], self.scope)
        if second is None:
            return None
        text = self._text(second)
        if not (isinstance(second, File) or "/" in text or text.startswith(ROOT_TOKEN)):
            return None  # resolvers take a path fallback; anything else is some other API
        return hit, text

    def _helper_call(self, node: ast.Call, func: str | None) -> None:
        """``resolve_bool_flag("NAME", default=False, environ=env)``: a read through a helper."""
        if not node.args or func in _NOT_RESOLVERS or id(node) in self.consumed:
            return
        name = str_const(node.args[0])
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

    def _wrapper_candidate(self, node: ast.Call | ast.Subscript) -> None:
        """Remember ``os.getenv(param, ...)`` inside a function, and calls that might hit it."""
        if not isinstance(node, ast.Call) or not node.args:
            return
        if self.scope.params and isinstance(node.args[0], ast.Name) and node.args[0].id in self.scope.params:
            self._record_wrapper(node)
        if isinstance(node.func, ast.Name) and _ENV_NAME.match(str_const(node.args[0]) or "-"):
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
        self.wrappers[define.name] = Wrapper(params, first.id, default,  # type: ignore[attr-defined]
                                              self._param_values.get(id(define), {}))

    def _emit_wrapper_calls(self) -> None:
        for node, function, args, kwargs in self.helper_calls:
            if id(node) in self.consumed:
                continue
            wrapper = self.wrappers.get(node.func.id)  # type: ignore[attr-defined]
            if wrapper is None or not wrapper.params:
                continue
            bound: dict[str, Value] = dict(wrapper.param_defaults)
            bound.update(zip(wrapper.params, args, strict=False))
            bound.update(kwargs)
            name = bound.get(wrapper.name_param)
            if not isinstance(name, str) or not _ENV_NAME.match(name):
                continue
            default = None
            if not is_none(wrapper.default):
                scope = Scope(None, self.module)
                scope.symbols = {k: (UNKNOWN if v is None else v) for k, v in bound.items()}
                value = self._value(wrapper.default, scope)  # type: ignore[arg-type]
                default = None if value is None else self._text(value)
            self.env_reads.append(EnvRead(name, default, "helper", self._loc(node), function))
