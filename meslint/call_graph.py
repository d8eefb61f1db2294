"""Which functions a process reaches from where it starts (a static over-approximation).

Built from the parser's (caller, callee) pairs (:attr:`meslint.facts.PythonModule.calls`).  A
callee resolves to a repository function through the import graph: a local name, ``.rel.name``,
``pkg.mod.func`` / ``pkg.mod.Class.method``, ``self.x``/``cls.x`` (a method of the caller's
class).  Reaching a class or a method reaches every method of that class (an object of it is in
use: its other methods run through calls meslint does not follow, such as ``obj.method()``), and
reaching a function reaches the functions nested in it.  Module-level code of every module a
process imports runs at import time.  Calls through variables, ``getattr``, or code outside the
repository are not followed: what they reach is missed, never invented.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from meslint.facts import Repository
from meslint.import_graph import ImportGraph, import_graph

Key = tuple[str, str]  # (module path, function qualname; "" for module-level code)


class CallGraph:
    def __init__(self, repo: Repository, graph: ImportGraph) -> None:
        self.graph = graph
        self.calls: dict[Key, list[str]] = {}
        # (module path, first part of a qualified name) -> the functions under it: reaching any of them
        # reaches all (nested functions, the other methods of a class).
        self.groups: dict[Key, set[str]] = {}
        for module in repo.python:
            if module.path not in graph.name_of:
                continue
            names: set[str] = set()
            for caller, callee in module.calls:
                self.calls.setdefault((module.path, caller), []).append(callee)
                if caller:
                    names.add(caller)
            names.update(site.function for site in module.writes if site.function)
            names.update(call.function for call in module.enqueues if call.function)
            for name in names:
                self.groups.setdefault((module.path, name.split(".", 1)[0]), set()).add(name)

    def groups_of(self, path: str) -> list[str]:
        """The top-level functions and classes of a module that hold calls or sites."""
        return sorted(first for module, first in self.groups if module == path)

    def _members(self, path: str, qualname: str) -> Iterable[Key]:
        """``qualname`` and what reaching it reaches: nested functions, the other methods of its class."""
        return ((path, name) for name in sorted(self.groups.get((path, qualname.split(".", 1)[0]), ())))

    def _targets(self, path: str, caller: str, callee: str) -> Iterable[Key]:
        if callee.startswith(("self.", "cls.")):
            cls = caller.split(".", 1)[0] if "." in caller else ""
            if cls:
                yield path, f"{cls}.{callee.split('.')[1]}"
            return
        if callee.startswith("."):
            callee = self.graph.resolve_ref(callee, path)
        if "." not in callee:
            yield path, callee
            return
        parts = callee.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            owner = self.graph.module_path(".".join(parts[:cut]))
            if owner is not None:
                yield owner, ".".join(parts[cut:])
                return

    def reach(self, starts: Iterable[Key], parents: dict[Key, Key | None] | None = None) -> set[Key]:
        """Everything reached from ``starts``; ``parents`` (if given) gets the caller each was reached from."""
        found: set[Key] = set()
        via: Key | None = None
        expanded: set[Key] = set()  # groups already added: each is walked once, however often it is called
        pending: deque[Key] = deque()

        def add(path: str, qualname: str) -> None:
            if not qualname:
                if (path, "") not in found:
                    found.add((path, ""))
                    pending.append((path, ""))
                    if parents is not None:
                        parents[(path, "")] = via
                return
            group = (path, qualname.split(".", 1)[0])
            if group in expanded:
                return
            expanded.add(group)
            for key in self._members(path, qualname):
                if key not in found:
                    found.add(key)
                    pending.append(key)
                    if parents is not None:
                        parents[key] = via

        for path, qualname in starts:
            add(path, qualname)
        while pending:
            path, caller = pending.popleft()
            via = (path, caller)
            for callee in self.calls.get((path, caller), ()):
                for target_path, target in self._targets(path, caller, callee):
                    add(target_path, target)
        return found


def call_graph(repo: Repository) -> CallGraph:
    return repo.memo("call_graph.graph", lambda: CallGraph(repo, import_graph(repo)))
