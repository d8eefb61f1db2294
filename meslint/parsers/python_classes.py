"""The Python collector's view of classes: paths held on ``self``, bases, instances, constructions.

* **Attributes** (:class:`meslint.facts.ClassAttribute`): ``self.NAME = value`` in any method of a
  class (or a function nested in one), ``NAME = value`` in the class body.  In ``__init__`` a
  parameter with a default takes that default (the attribute records which parameters it took,
  since a caller may pass another value); in any other method a parameter makes the value
  unknown.  ``self.NAME = None`` holds no path and is left out.  A write through
  ``self.NAME`` keeps ``self:Class.NAME`` as its base, which :mod:`meslint.unit_writes` resolves
  (the class's own attribute, else its bases', plus what subclasses assign).
* **Classes** (:class:`meslint.facts.PythonClass`): qualified name, base references (for
  inheritance in the call graph), ``__init__`` parameters.
* **Instances**: a module-level (or ``global``) name bound to ``Class(...)``, so that
  ``store.save()`` calls ``Class.save``.
* **Constructions**: calls of a class-like name (CapWords, not the standard library) with
  arguments, and which arguments they pass: whether a caller overrides an ``__init__`` default.
"""

from __future__ import annotations

import ast
import builtins
import sys

from meslint.facts import ClassAttribute, PythonClass
from meslint.parsers.python_ast import BLOCK_FIELDS, names_in
from meslint.parsers.python_values import Evaluator, File, Scope, arg_defaults, is_none

_MAX_EXPR = 80
_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(dir(builtins))
Define = ast.FunctionDef | ast.AsyncFunctionDef


def _short(text: str) -> str:
    return text if len(text) <= _MAX_EXPR else text[:_MAX_EXPR - 3] + "..."


def _class_like(ref: str | None) -> str | None:
    if ref is None or not ref.rpartition(".")[2][:1].isupper() or ref.lstrip(".").split(".")[0] in _STDLIB:
        return None
    return ref


def _is_static(define: Define) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in define.decorator_list)


class Classes(Evaluator):
    """Recognisers of class facts (see the module docstring); the path logic is :class:`Writes`'."""

    _based: dict[tuple[int, str], tuple[str, str | None]]

    def _path_of(self, node: ast.expr, depth: int = 0) -> tuple[str | None, str | None]:
        raise NotImplementedError

    def _ref(self, node: ast.expr) -> str | None:
        raise NotImplementedError

    def _prescan_classes(self, tree: ast.Module) -> None:
        self._class_nodes: dict[str, ast.ClassDef] = {}
        # id(function) -> (class qualname, name of its ``self``, is that class's __init__)
        self._method_of: dict[int, tuple[str, str, bool]] = {}
        self._globals: dict[int, set[str]] = {}
        self._attributes: dict[str, list[ClassAttribute]] = {}
        self._instances: dict[tuple[str, str], None] = {}
        self._constructions: dict[tuple[str, tuple[str, ...]], None] = {}
        self._foreign: dict[str, None] = {}
        self._defaults: dict[int, dict[str, ast.expr]] = {}
        # Definitions and ``global`` statements only live in statement lists, so the walk follows those
        # alone (an expression never holds a statement).  The order of the stack is the one a walk of
        # every child node would have: the first of two classes of one qualified name is kept.
        scan_globals = "global" in self.text  # no such keyword, no Global node: every set stays empty
        stack: list[tuple[ast.AST, str, str | None, tuple[str, str, bool] | None, tuple[set[str], ...]]] = [
            (tree, "", None, None, ())]
        while stack:
            node, prefix, cls, method, enclosing = stack.pop()
            for field in BLOCK_FIELDS[type(node)]:
                for child in getattr(node, field):
                    kind = type(child)
                    if kind is ast.ClassDef:
                        qual = prefix + child.name
                        self._class_nodes.setdefault(qual, child)
                        stack.append((child, qual + ".", qual, None, enclosing))
                    elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                        own = method
                        positional = [*child.args.posonlyargs, *child.args.args]
                        if cls is not None and positional and not _is_static(child):
                            own = (cls, positional[0].arg, child.name == "__init__")
                        elif own is not None:
                            own = (own[0], own[1], False)  # a nested function sees the method's self
                        if own is not None:
                            self._method_of[id(child)] = own
                        names = self._globals[id(child)] = set()
                        stack.append((child, prefix + child.name + ".", None, own, (*enclosing, names)))
                    elif kind is ast.Global:
                        if scan_globals:  # a function's globals include those of the functions nested in it
                            for names in enclosing:
                                names.update(child.names)
                    elif BLOCK_FIELDS[kind]:
                        stack.append((child, prefix, cls, method, enclosing))

    # ----------------------------------------------------------------- hooks

    def _self_class(self, name: str) -> str | None:
        """The class whose instance ``name`` is in the current function (its ``self``), if any."""
        define = self.scope.define
        owner = self._method_of.get(id(define)) if define is not None else None
        return owner[0] if owner is not None and owner[1] == name else None

    def _attribute_assigned(self, target: ast.expr, value: ast.expr | None) -> None:
        """``self.NAME = value`` in a method: a value the attribute may hold."""
        if value is None or not isinstance(target, ast.Attribute):
            return
        define = self.scope.define
        owner = self._method_of.get(id(define)) if define is not None else None
        if owner is None or define is None or not isinstance(target.value, ast.Name) or owner[1] != target.value.id:
            self._foreign[target.attr] = None  # ``store.db_path = ...``: some object's attribute changes
            return
        if is_none(value):
            return
        names = set(names_in(value))
        params: tuple[str, ...] = ()
        if owner[2]:
            template, base, params = self._init_value(value, define, names)
        elif names & (self.scope.params - {owner[1]}):
            template, base = None, None  # what a caller passes to this method is not known
        else:
            template, base = self._path_of(value)
        self._attributes.setdefault(owner[0], []).append(
            ClassAttribute(target.attr, template, _short(ast.unparse(value)), self._loc(target), base, params))

    def _init_value(self, value: ast.expr, define: Define,
                    names: set[str]) -> tuple[str | None, str | None, tuple[str, ...]]:
        """The value in ``__init__``, its parameters taken at their defaults."""
        scope = Scope(self.scope.name, self.scope, params=self.scope.params, define=define)
        used: list[str] = []
        saved = self.scope
        defaults = self._defaults.get(id(define))
        if defaults is None:  # once per __init__, however many attributes it sets
            defaults = self._defaults[id(define)] = {arg.arg: default for arg, default in arg_defaults(define.args)}
        for name in sorted(names & defaults.keys()):
            default = defaults[name]
            used.append(name)
            known = self._value(default, self.module)
            if isinstance(known, (str, File)):
                scope.symbols[name] = known
                continue
            self.scope = self.module  # a default is evaluated where the class is defined
            try:
                based = self._path_of(default)
            finally:
                self.scope = saved
            if based[0] is not None:
                self._based[(id(scope), name)] = (based[0], based[1])
        self.scope = scope
        try:
            template, base = self._path_of(value)
        finally:
            self.scope = saved
        return template, base, tuple(used)

    def _class_level(self, names: list[str], value: ast.expr, stmt: ast.stmt | None) -> None:
        """``NAME = value`` in a class body, and ``name = Class(...)`` at module level (or ``global``).

        An annotated ``NAME: T = value`` is a field default of a dataclass-like class: a caller may pass it.
        """
        if self.scope.is_class and self.scope.name is not None and not is_none(value):
            template, base = self._path_of(value)
            field = isinstance(stmt, ast.AnnAssign)
            for name in names:
                self._attributes.setdefault(self.scope.name, []).append(
                    ClassAttribute(name, template, _short(ast.unparse(value)), self._loc(value), base,
                                   (name,) if field else ()))
            return
        if not isinstance(value, ast.Call):
            return
        define = self.scope.define
        if not (self.scope.is_module or (define is not None and set(names) & self._globals.get(id(define), set()))):
            return
        ref = self._class_ref(value.func)
        if ref is not None:
            for name in names:
                self._instances[(name, ref)] = None

    def _class_ref(self, func: ast.expr) -> str | None:
        """The reference of a called class-like name (CapWords, not the standard library's)."""
        return _class_like(self._ref(func))

    def _construction(self, node: ast.Call, func_ref: str | None) -> None:
        """A call with arguments of a class-like name; ``func_ref`` is ``self._ref(node.func)``."""
        if not node.args and not node.keywords:
            return
        func = node.func
        # ``cls(...)``, ``type(self)(...)``, ``self.__class__(...)`` construct the method's own class.
        if type(func) is ast.Call:
            if self._canonical(func.func) == "type" and len(func.args) == 1:
                func = func.args[0]
        elif type(func) is ast.Attribute and func.attr == "__class__":
            func = func.value
        own = self._self_class(func.id) if type(func) is ast.Name and self._method_of else None
        ref = own if own is not None else _class_like(func_ref)
        if ref is None:
            return
        keys = [("*" if isinstance(arg, ast.Starred) else str(i)) for i, arg in enumerate(node.args)]
        keys += [kw.arg or "**" for kw in node.keywords]
        self._constructions[(ref, tuple(keys))] = None

    def _class_facts(self) -> tuple[PythonClass, ...]:
        found = []
        for qual, node in self._class_nodes.items():
            bases = tuple(ref for ref in (self._ref(b) for b in node.bases) if ref is not None)
            init = next((s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and s.name == "__init__"), None)
            if init is not None:
                args = init.args
                params = tuple(a.arg for a in [*args.posonlyargs, *args.args][1:] + args.kwonlyargs)
            else:  # a dataclass-like class: its generated __init__ takes the annotated fields in order
                params = tuple(s.target.id for s in node.body
                               if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name))
            methods = tuple(s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)))
            found.append(PythonClass(qual, bases, self._loc(node), tuple(self._attributes.get(qual, ())), params,
                                     methods))
        return tuple(found)
