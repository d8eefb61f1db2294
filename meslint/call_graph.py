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
        self.instances: dict[Key, str] = {}  # (module path, instance name) -> class reference
        self.bases: dict[Key, tuple[str, ...]] = {}  # (module path, top-level class) -> base references
        self.methods: dict[Key, frozenset[str]] = {}  # (module path, top-level class) -> the methods it defines
        for module in repo.python:
            if module.path not in graph.name_of:
                continue
            for name, ref in module.instances:
                self.instances.setdefault((module.path, name), ref)
            self.bases.update(((module.path, c.name), c.bases) for c in module.classes if "." not in c.name)
            self.methods.update(((module.path, c.name), frozenset(c.methods)) for c in module.classes
                                if "." not in c.name)
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
        found = self.target_of(path, callee)
        if found is not None:
            yield found

    def target_of(self, path: str, ref: str, depth: int = 0) -> Key | None:
        """The repository function or class a reference in module ``path`` names (None: not the repository's).

        A module-level instance (``store = Store()``) stands for its class: ``store.save`` is ``Store.save``.
        """
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
            target = self.target_of(found[0], cls, depth + 1) if cls is not None else None
            if target is not None:
                return target[0], f"{target[1]}.{rest}" if rest else target[1]
        return found

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
            inherit(group, self.methods.get(group, frozenset()), 0)

        def inherit(cls: Key, overridden: frozenset[str], depth: int) -> None:
            """An object of ``cls`` runs the methods of its bases it does not override."""
            for base in self.bases.get(cls, ()):
                target = self.target_of(cls[0], base)
                if target is None or "." in target[1] or depth > 8:
                    continue
                for key in self._members(*target):
                    method = key[1].split(".")[1] if "." in key[1] else None
                    if method in overridden or key in found:
                        continue
                    found.add(key)
                    pending.append(key)
                    if parents is not None:
                        parents[key] = via
                inherit(target, overridden | self.methods.get(target, frozenset()), depth + 1)

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
