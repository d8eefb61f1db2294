"""The call graph's walk (worked out once per function and group) against a plain walk that resolves every call
each time it meets it: the same keys, reached from the same callers, in the same order, on generated code with
classes inheriting across modules (diamonds, cycles, overrides), module-level instances, ``self.`` calls and
nested functions."""

from __future__ import annotations

import random
from collections import deque
from pathlib import Path

from meslint.build import build_repository
from meslint.call_graph import CallGraph, Key, call_graph
from meslint.incremental_codec import decode, encode
from meslint.pack import load_pack
from meslint.unit_code import Reach

_MODULES = ("a", "b", "c", "d")


def _module(rng: random.Random, name: str) -> str:
    """A module of functions and classes calling each other, other modules' names and methods."""
    lines = [f"from pkg import {', '.join(m for m in _MODULES if m != name)}",
             f"from pkg.{rng.choice(_MODULES)} import f0, C0, inst"]

    def call() -> str:
        kind = rng.randrange(6)
        if kind == 0:
            return f"f{rng.randrange(4)}()"
        if kind == 1:
            return f"{rng.choice(_MODULES)}.f{rng.randrange(4)}()"
        if kind == 2:
            return f"{rng.choice(_MODULES)}.C{rng.randrange(3)}.m{rng.randrange(3)}()"
        if kind == 3:
            return f"{rng.choice(_MODULES)}.inst.m{rng.randrange(3)}()"
        if kind == 4:
            return f"C{rng.randrange(3)}()"
        return "inst.m0()"

    for i in range(4):
        lines.append(f"def f{i}():")
        lines += [f"    {call()}" for _ in range(rng.randrange(3))]
        if rng.random() < 0.3:
            lines += ["    def inner():", f"        {call()}"]
        lines.append("    open('/srv/x', 'w')")
    for i in range(3):
        bases = rng.sample([f"{m}.C{j}" for m in _MODULES for j in range(3)], rng.randrange(3))
        lines.append(f"class C{i}({', '.join(bases)}):" if bases else f"class C{i}:")
        for j in rng.sample(range(3), rng.randrange(1, 4)):
            lines.append(f"    def m{j}(self):")
            lines += [f"        self.m{rng.randrange(3)}()" for _ in range(rng.randrange(2))]
            lines += [f"        {call()}" for _ in range(rng.randrange(3))]
            lines.append("        open('/srv/y', 'w')")
    lines.append(f"inst = C{rng.randrange(3)}()")
    lines += [call() for _ in range(rng.randrange(3))]
    return "\n".join(lines) + "\n"


def _plain_reach(graph: CallGraph, starts: list[Key], parents: dict[Key, Key | None]) -> set[Key]:
    """Every call resolved again each time the walk meets it (the walk as first written)."""
    found: set[Key] = set()
    expanded: set[Key] = set()
    pending: deque[Key] = deque()
    via: Key | None = None

    def members(path: str, qualname: str) -> list[Key]:
        return [(path, name) for name in sorted(graph.groups.get((path, qualname.split(".", 1)[0]), ()))]

    def put(key: Key) -> None:
        found.add(key)
        pending.append(key)
        parents[key] = via

    def add(path: str, qualname: str) -> None:
        if not qualname:
            if (path, "") not in found:
                put((path, ""))
            return
        group = (path, qualname.split(".", 1)[0])
        if group in expanded:
            return
        expanded.add(group)
        for key in members(path, qualname):
            if key not in found:
                put(key)
        inherit(group, graph.methods.get(group, frozenset()), 0)

    def inherit(cls: Key, overridden: frozenset[str], depth: int) -> None:
        for base in graph.bases.get(cls, ()):
            target = graph._target_of(cls[0], base, 0)
            if target is None or "." in target[1] or depth > 8:
                continue
            for key in members(*target):
                method = key[1].split(".")[1] if "." in key[1] else None
                if method not in overridden and key not in found:
                    put(key)
            inherit(target, overridden | graph.methods.get(target, frozenset()), depth + 1)

    for path, qualname in starts:
        add(path, qualname)
    while pending:
        via = pending.popleft()
        path, caller = via
        for callee in graph.calls.get(via, ()):
            if callee.startswith(("self.", "cls.")):
                if "." in caller:
                    add(path, f"{caller.split('.', 1)[0]}.{callee.split('.')[1]}")
                continue
            target = graph._target_of(path, callee, 0)
            if target is not None:
                add(*target)
    return found


def test_the_walk_equals_the_plain_walk_on_generated_code(tmp_path: Path) -> None:
    rng = random.Random(19)
    pack = load_pack("mes-dashboard")
    compared = 0
    for sample in range(12):
        root = tmp_path / f"repo{sample}"
        (root / "src/pkg").mkdir(parents=True)
        (root / "src/pkg/__init__.py").write_text("", encoding="utf-8")
        for name in _MODULES:
            (root / f"src/pkg/{name}.py").write_text(_module(rng, name), encoding="utf-8")
        repo = build_repository(root, pack, max_file_size=1 << 20)
        graph = call_graph(repo)
        keys = sorted({key for key in graph.calls} | {(p, n) for (p, _), names in graph.groups.items()
                                                         for n in names})
        assert keys, "the generated code has calls"
        for _ in range(8):
            starts = rng.sample(keys, min(len(keys), rng.randrange(1, 4)))
            parents: dict[Key, Key | None] = {}
            expected: dict[Key, Key | None] = {}
            assert graph.reach(starts, parents) == _plain_reach(graph, starts, expected)
            assert list(parents.items()) == list(expected.items())  # the same callers, in the same order
            compared += len(parents)
    assert compared > 500


def test_a_cycle_and_a_diamond_of_bases_are_walked_once(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src/pkg").mkdir(parents=True)
    (root / "src/pkg/__init__.py").write_text("", encoding="utf-8")
    # Twelve classes, each inheriting from the next two (wrapping around): a walk bounded by depth alone
    # visits 2**9 paths from each class.
    text = "".join(f"class K{i}(K{(i + 1) % 12}, K{(i + 2) % 12}):\n    def m{i}(self):\n        open('/srv/k', 'w')\n"
                   for i in range(12))
    (root / "src/pkg/k.py").write_text(text + "def run():\n    K0()\n", encoding="utf-8")
    repo = build_repository(root, load_pack("mes-dashboard"), max_file_size=1 << 20)
    graph = call_graph(repo)
    parents: dict[Key, Key | None] = {}
    expected: dict[Key, Key | None] = {}
    start = [("src/pkg/k.py", "run")]
    assert graph.reach(start, parents) == _plain_reach(graph, start, expected)
    assert list(parents.items()) == list(expected.items())
    assert {("src/pkg/k.py", f"K{i}.m{i}") for i in range(12)} <= set(parents)


def test_a_reach_read_back_from_its_recorded_form_is_the_same() -> None:
    parents: dict[Key, Key | None] = {("src/a b.py", "job"): None, ("src/a b.py", ""): None,
                                      ("src/c.py", "K.run"): ("src/a b.py", "job"),
                                      ("src/c.py", "K.run.inner"): ("src/c.py", "K.run")}
    recorded = decode(encode(Reach.of(parents)))
    assert type(recorded) is Reach and recorded == Reach.of(parents)
    assert list(recorded.parents().items()) == list(parents.items())  # the same callers, in the same order
    assert Reach.of({}).parents() == {} and Reach(Reach.of({}).text).parents() == {}
