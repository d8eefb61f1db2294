"""Which functions a process reaches from where it starts (a static over-approximation).

Built from the parser's (caller, callee) pairs (:attr:`meslint.facts.PythonModule.calls`).  A
callee resolves to a repository function through the import graph: a local name, ``.rel.name``,
``pkg.mod.func`` / ``pkg.mod.Class.method``, ``self.x``/``cls.x`` (a method of the caller's
class).  Reaching a class or a method reaches every method of that class (an object of it is in
use: its other methods run through calls meslint does not follow, such as ``obj.method()``), and
reaching a function reaches the functions nested in it; reaching a class reaches its bases' methods (in
any module).  A module-level instance (``store = Store()``) stands for its class.  Module-level code of every module a
process imports runs at import time.  Calls through variables, ``getattr``, or code outside the
repository are not followed: what they reach is missed, never invented.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from meslint.facts import PythonModule, Repository
from meslint.import_graph import ImportGraph, import_graph

Key = tuple[str, str]  # (module path, function qualname; "" for module-level code)
_UNKNOWN: Any = object()  # not looked up yet (None is an answer: not the repository's)


class CallGraph:
    def __init__(self, repo: Repository, graph: ImportGraph) -> None:
        self.graph = graph
        self.calls: dict[Key, list[str]] = {}
        # (module path, first part of a qualified name) -> the functions under it: reaching any of them
        # reaches all (nested functions, the other methods of a class).
        self.groups: dict[Key, set[str]] = {}
        self.instances: dict[Key, str] = {}  # (module path, instance name) -> class reference
        self.bases: dict[Key, tuple[str, ...]] = {}  # (module path, top-level class) -> base references
        self.methods: dict[Key, frozenset[str]] = {}  # (module path, top-level class) -> the methods it defines
        # Worked out on first use, once per graph (the graph is built once per repository).
        self._resolved: dict[tuple[str, str], Key | None] = {}  # target_of's answers
        self._edges: dict[Key, tuple[str | Key, ...]] = {}  # a key -> the units its calls add
        self._unit_keys: dict[str | Key, tuple[Key, ...]] = {}  # a unit -> the keys it adds
        self._groups_by_path: dict[str, list[str]] | None = None
        for module in repo.python:
            if module.path not in graph.name_of:
                continue
            for name, ref in module.instances:
                self.instances.setdefault((module.path, name), ref)
            self.bases.update(((module.path, c.name), c.bases) for c in module.classes if "." not in c.name)
            self.methods.update(((module.path, c.name), frozenset(c.methods)) for c in module.classes
                                if "." not in c.name)
            by_caller: dict[str, list[str]] = {}  # keyed by the caller alone first: thousands of pairs per module
            for caller, callee in module.calls:
                callees = by_caller.get(caller)
                if callees is None:
                    callees = by_caller[caller] = []
                callees.append(callee)
            for caller, callees in by_caller.items():
                self.calls.setdefault((module.path, caller), []).extend(callees)
            names = set(by_caller)
            names.discard("")
            names.update(site.function for site in module.writes if site.function)
            names.update(call.function for call in module.enqueues if call.function)
            for name in names:
                self.groups.setdefault((module.path, name.split(".", 1)[0]), set()).add(name)

    def groups_of(self, path: str) -> list[str]:
        """The top-level functions and classes of a module that hold calls or sites."""
        by_path = self._groups_by_path
        if by_path is None:
            by_path = self._groups_by_path = {}
            for module, first in self.groups:
                by_path.setdefault(module, []).append(first)
            for firsts in by_path.values():
                firsts.sort()
        return list(by_path.get(path, ()))

    def _members(self, path: str, qualname: str) -> Iterable[Key]:
        """``qualname`` and what reaching it reaches: nested functions, the other methods of its class."""
        return ((path, name) for name in sorted(self.groups.get((path, qualname.split(".", 1)[0]), ())))

    def target_of(self, path: str, ref: str, depth: int = 0) -> Key | None:
        """The repository function or class a reference in module ``path`` names (None: not the repository's).

        A module-level instance (``store = Store()``) stands for its class: ``store.save`` is ``Store.save``.
        """
        if depth == 0:  # the same names are looked up from many callers: each once per graph
            found = self._resolved.get((path, ref), _UNKNOWN)
            if found is _UNKNOWN:
                found = self._resolved[(path, ref)] = self._target_of(path, ref, 0)
            return found
        return self._target_of(path, ref, depth)

    def _target_of(self, path: str, ref: str, depth: int) -> Key | None:
        if ref.startswith("."):
            ref = self.graph.resolve_ref(ref, path)
        if "." not in ref:
            found: Key | None = (path, ref)
        else:
            parts = ref.split(".")
            found = None
            for cut in range(len(parts) - 1, 0, -1):
                owner = self.graph.module_path(".".join(parts[:cut]))
                if owner is not None:
                    found = owner, ".".join(parts[cut:])
                    break
            if found is None and ((path, parts[0]) in self.bases or (path, parts[0]) in self.instances):
                found = path, ref  # ``Store.create()``, ``store.save()`` in the module that defines them
        if found is not None and depth < 4:
            first, _, rest = found[1].partition(".")
            cls = self.instances.get((found[0], first))
            target = self._target_of(found[0], cls, depth + 1) if cls is not None else None
            if target is not None:
                return target[0], f"{target[1]}.{rest}" if rest else target[1]
        return found

    # A walk adds *units*: a module's top-level code (its path, a str) or a group (module path, first
    # part of a qualified name), which adds its members and, for a class, the methods it inherits.  What a
    # function calls and what a unit adds are functions of the graph alone: each is worked out once per
    # graph, in the order the walk meets them, so every walk adds the same keys in the same order.

    def _unit(self, path: str, qualname: str) -> str | Key:
        return (path, qualname.split(".", 1)[0]) if qualname else path

    def _callees(self, key: Key) -> tuple[str | Key, ...]:
        """The units ``key``'s calls add, in call order (each once)."""
        units = self._edges.get(key)
        if units is None:
            path, caller = key
            cls = caller.split(".", 1)[0] if "." in caller else ""
            ordered: dict[str | Key, None] = {}
            for callee in self.calls.get(key, ()):
                if callee.startswith(("self.", "cls.")):  # a method of the caller's class
                    if cls:
                        ordered.setdefault((path, cls))
                    continue
                target = self.target_of(path, callee)
                if target is not None:
                    ordered.setdefault((target[0], target[1].split(".", 1)[0]) if target[1] else target[0])
            # A unit that adds nothing (a builtin, a function without calls or sites) changes no walk: left out.
            units = self._edges[key] = tuple(unit for unit in ordered if self._adds(unit))
        return units

    def _adds(self, unit: str | Key) -> tuple[Key, ...]:
        """The keys reaching ``unit`` reaches, in the order they are added (each once)."""
        keys = self._unit_keys.get(unit)
        if keys is None:
            if isinstance(unit, str):
                keys = ((unit, ""),)
            else:
                ordered: dict[Key, None] = dict.fromkeys(self._members(*unit))
                self._inherit(unit, self.methods.get(unit, frozenset()), 0, ordered, set())
                keys = tuple(ordered)
            self._unit_keys[unit] = keys
        return keys

    def _inherit(self, cls: Key, overridden: frozenset[str], depth: int, ordered: dict[Key, None],
                 done: set[tuple[Key, frozenset[str], int]]) -> None:
        """An object of ``cls`` runs the methods of its bases it does not override.

        ``done``: the (class, overridden) walks finished at a depth: one met again as deep or deeper adds
        nothing new (the depth bound only cuts more), so a diamond or a cycle of bases is walked once.
        """
        for base in self.bases.get(cls, ()):
            target = self.target_of(cls[0], base)
            if target is None or "." in target[1] or depth > 8:
                continue
            for key in self._members(*target):
                method = key[1].split(".")[1] if "." in key[1] else None
                if method not in overridden:
                    ordered.setdefault(key)
            below = overridden | self.methods.get(target, frozenset())
            if any((target, below, d) in done for d in range(depth + 2)):
                continue
            self._inherit(target, below, depth + 1, ordered, done)
            done.add((target, below, depth + 1))

    def reach(self, starts: Iterable[Key], parents: dict[Key, Key | None] | None = None) -> set[Key]:
        """Everything reached from ``starts``; ``parents`` (if given) gets the caller each was reached from."""
        found: set[Key] = set()
        expanded: set[str | Key] = set()  # units already added: each is walked once, however often it is called
        pending: list[Key] = []  # first in, first out (``index`` is the next to walk)
        unit_keys, edges = self._unit_keys, self._edges
        via: Key | None = None
        units: Iterable[str | Key] = [self._unit(path, qualname) for path, qualname in starts]
        index = 0
        while True:
            for unit in units:
                if unit in expanded:
                    continue
                expanded.add(unit)
                keys = unit_keys.get(unit)
                for key in keys if keys is not None else self._adds(unit):
                    if key not in found:
                        found.add(key)
                        pending.append(key)
                        if parents is not None:
                            parents[key] = via
            if index == len(pending):
                return found
            via = pending[index]
            index += 1
            units = edges.get(via) or self._callees(via)


def call_graph(repo: Repository) -> CallGraph:
    return repo.memo("call_graph.graph", lambda: CallGraph(repo, import_graph(repo)))


def shape_view(repo: Repository) -> str:
    """:func:`shape` of the repository's modules: the derived view ``call_graph.shape``, which the
    incremental tracker compares by value (:data:`meslint.incremental.RECOMPUTE`)."""
    return repo.memo("call_graph.shape", lambda: shape_of(repo))


def shape_of(repo: Repository, pack: object = None) -> str:
    return shape(repo.python)


def shape(modules: Iterable[PythonModule]) -> str:
    """A digest of every fact the import graph and the call graph are built from, in order: equal
    digests, equal graphs, so equal walks.  A comment, a string or a moved line changes none of them.

    Kept beside :class:`CallGraph` and :func:`meslint.import_graph._build` on purpose: a fact either
    comes to read must be added here (tests/test_call_shape.py changes each one and sees the digest move).
    """
    parts: list[str] = []
    add = parts.append
    for module in modules:
        # \0 ends a module, \1 a field, \2 to \4 split within one: no name or reference holds them.
        add(module.path)
        add("1" if module.line_offset else "0")
        add("\2".join(module.import_refs))
        add("\2".join(map("\3".join, module.instances)))
        add("\2".join("\3".join((c.name, "\4".join(c.bases), "\4".join(c.methods))) for c in module.classes))
        add("\2".join(map("\3".join, module.calls)))
        add("\2".join(site.function or "" for site in module.writes))
        add("\2".join(call.function or "" for call in module.enqueues) + "\0")
    return hashlib.sha256("\1".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
