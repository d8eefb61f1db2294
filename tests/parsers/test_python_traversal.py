"""The Python collector's own traversals visit what ast's do, in the same order (its facts depend on it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from meslint.parsers.python_ast import BLOCK_FIELDS, LEAVES, child_nodes, walk
from meslint.parsers.python_src import _Collector

# Every construct whose children live in unusual fields: handlers, match cases, lambdas, comprehensions,
# decorators, defaults, nested classes and functions, and ``global`` at several depths.
_SNIPPET = '''
import os
from . import sibling as sib
COUNT = 0

@decorate(os.getenv("A", "x"))
class Outer(Base, metaclass=Meta):
    """Doc."""
    class Inner:  # the first Outer.Inner is kept
        pass
    path = os.environ.get("P") or "/tmp"

    class Inner:
        def method(self, value=lambda: 1):
            global COUNT
            def nested():
                global OTHER, COUNT
                return [x for x in value() if x]
            return nested

    async def run(self, *args, key=None, **kw):
        try:
            async with ctx() as handle:
                pass
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"{exc!r}") from exc
        else:
            while True:
                break
        finally:
            match args:
                case [1, *rest] if rest:
                    def in_case():
                        global IN_CASE
                case {"k": v}:
                    pass
                case Point(x=0):
                    pass


def top(a, /, b: int = 2, *, c: "str" = "c"):
    global COUNT
    COUNT += 1
    if a:
        class InIf:
            def m(self):
                return {k: v for k, v in b.items()}
    for i in range(3):
        def in_loop():
            return i
    else:
        def in_else():
            pass
    del a
    assert b, "b"
    return (yield from other())
'''


def _sources() -> list[tuple[str, str]]:
    root = Path(__file__).resolve().parents[2] / "meslint" / "parsers"
    return [("snippet.py", _SNIPPET)] + [(p.name, p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.py"))]


def _full_walk_prescan(tree: ast.Module) -> tuple[dict[str, ast.ClassDef], dict[int, tuple[str, str, bool]]]:
    """Classes and methods as the collector found them before it followed statement lists only."""
    classes: dict[str, ast.ClassDef] = {}
    methods: dict[int, tuple[str, str, bool]] = {}
    stack: list[tuple[ast.AST, str, str | None, tuple[str, str, bool] | None]] = [(tree, "", None, None)]
    while stack:
        node, prefix, cls, method = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                classes.setdefault(prefix + child.name, child)
                stack.append((child, prefix + child.name + ".", prefix + child.name, None))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own = method
                positional = [*child.args.posonlyargs, *child.args.args]
                static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in child.decorator_list)
                if cls is not None and positional and not static:
                    own = (cls, positional[0].arg, child.name == "__init__")
                elif own is not None:
                    own = (own[0], own[1], False)
                if own is not None:
                    methods[id(child)] = own
                stack.append((child, prefix + child.name + ".", None, own))
            elif not isinstance(child, ast.expr):
                stack.append((child, prefix, cls, method))
    return classes, methods


def _kept(node: ast.AST) -> bool:
    return type(node) not in LEAVES and type(node) is not ast.Constant


@pytest.mark.parametrize(("name", "text"), _sources(), ids=lambda value: value if len(value) < 40 else "")
def test_walk_and_child_nodes_follow_ast_order(name: str, text: str) -> None:
    tree = ast.parse(text)
    assert walk(tree) == [node for node in ast.walk(tree) if _kept(node)]
    for node in ast.walk(tree):
        assert child_nodes(node) == [child for child in ast.iter_child_nodes(node) if _kept(child)]


@pytest.mark.parametrize(("name", "text"), _sources(), ids=lambda value: value if len(value) < 40 else "")
def test_statement_lists_hold_every_definition(name: str, text: str) -> None:
    tree = ast.parse(text)
    wanted = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Global)
    found = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for field in BLOCK_FIELDS[type(node)]:
            for child in getattr(node, field):
                found.append(child)
                stack.append(child)
    assert {id(n) for n in found if isinstance(n, wanted)} == {id(n) for n in ast.walk(tree) if isinstance(n, wanted)}


@pytest.mark.parametrize(("name", "text"), _sources(), ids=lambda value: value if len(value) < 40 else "")
def test_prescan_finds_classes_methods_and_globals_as_a_full_walk_does(name: str, text: str) -> None:
    tree = ast.parse(text)
    collector = _Collector(name, text, 0)
    collector._prescan_writes(tree)
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert set(collector._globals) == {id(f) for f in functions}
    for function in functions:  # a function's globals: every global statement anywhere inside it
        expected = {name for n in ast.walk(function) if isinstance(n, ast.Global) for name in n.names}
        assert collector._globals[id(function)] == expected
    classes, methods = _full_walk_prescan(tree)
    assert list(collector._class_nodes.items()) == list(classes.items())  # order and the first of a name
    assert collector._method_of == methods
    if name == "snippet.py":
        assert list(collector._class_nodes) == ["Outer", "top.InIf", "Outer.Inner"]
        top = next(f for f in functions if f.name == "top")
        nested = next(f for f in functions if f.name == "nested")
        assert collector._globals[id(top)] == {"COUNT"}
        assert collector._globals[id(nested)] == {"OTHER", "COUNT"}
        method = next(f for f in functions if f.name == "method")
        assert collector._globals[id(method)] == {"OTHER", "COUNT"}
        in_case = next(f for f in functions if f.name == "in_case")
        run = next(f for f in functions if f.name == "run")
        assert collector._globals[id(run)] == collector._globals[id(in_case)] == {"IN_CASE"}
