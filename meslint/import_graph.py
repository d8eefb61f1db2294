"""The static import graph of the repository's Python modules (a derived view, built once per run).

A module is known by its dotted name from the repository root and, for the ``src/`` layout,
from ``src`` (``src/pkg/mod.py`` is ``pkg.mod`` and ``src.pkg.mod``); a package by its
``__init__.py``.  An import of ``a.b.c`` loads ``a``, ``a.b`` and ``a.b.c`` (each one that is a
repository module); ``from .x import y`` is taken relative to the importing module's package.
Only import statements count (function-local ones too: they load the module when the
function runs); ``importlib``/``__import__`` with computed names are not followed, and nothing
outside the repository is.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from meslint.facts import PythonModule, Repository


def dotted_names(path: str) -> list[str]:
    """The dotted names a repository path is importable as (first: the canonical one)."""
    if not path.endswith(".py"):
        return []
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return []
    names = []
    if parts[0] == "src" and len(parts) > 1:
        names.append(".".join(parts[1:]))
    names.append(".".join(parts))
    return names


@dataclass
class ImportGraph:
    by_name: dict[str, str] = field(default_factory=dict)  # dotted name -> repository path
    name_of: dict[str, str] = field(default_factory=dict)  # repository path -> canonical dotted name
    edges: dict[str, tuple[str, ...]] = field(default_factory=dict)  # path -> imported paths
    _closures: dict[str, dict[str, str | None]] = field(default_factory=dict, repr=False)
    views: dict = field(default_factory=dict, repr=False)  # per-run views built on the graph (unit_code)

    def module_path(self, dotted: str) -> str | None:
        return self.by_name.get(dotted)

    def resolve_ref(self, ref: str, importer: str) -> str:
        """A relative reference (``..x.y``) made absolute from ``importer``'s package."""
        if not ref.startswith("."):
            return ref
        level = len(ref) - len(ref.lstrip("."))
        rest = ref[level:]
        name = self.name_of.get(importer, "")
        package = name.split(".") if name else []
        if not importer.endswith("__init__.py"):
            package = package[:-1]
        if level > 1:
            package = package[:len(package) - (level - 1)] if level - 1 <= len(package) else []
        return ".".join([*package, rest] if rest else package)

    def loaded_by(self, ref: str) -> list[str]:
        """Repository paths an import of ``ref`` (absolute) loads: each package on the way, then the module."""
        parts = ref.split(".")
        found = []
        for i in range(1, len(parts) + 1):
            path = self.by_name.get(".".join(parts[:i]))
            if path is not None and path not in found:
                found.append(path)
        return found

    def closure(self, start: str) -> dict[str, str | None]:
        """Every module ``start`` loads, directly or not: path -> the module that imports it (None: start)."""
        found = self._closures.get(start)
        if found is None:
            found = {start: None}
            pending = deque([start])
            while pending:
                current = pending.popleft()
                for target in self.edges.get(current, ()):
                    if target not in found:
                        found[target] = current
                        pending.append(target)
            self._closures[start] = found
        return found

    def chain(self, start: str, target: str) -> list[str]:
        """The import path from ``start`` to ``target`` (both included), as :meth:`closure` found it."""
        parents = self.closure(start)
        if target not in parents:
            return []
        path = [target]
        while parents[path[-1]] is not None:
            path.append(parents[path[-1]])  # type: ignore[arg-type]
        return path[::-1]


def import_graph(repo: Repository) -> ImportGraph:
    return repo.memo("import_graph.graph", lambda: _build(repo.python))


def _build(modules: tuple[PythonModule, ...]) -> ImportGraph:
    graph = ImportGraph()
    for module in sorted(modules, key=lambda m: m.path):
        if module.line_offset:
            continue  # Python embedded in a shell heredoc is no importable module
        names = dotted_names(module.path)
        if not names:
            continue
        graph.name_of[module.path] = names[0]
        for name in names:
            graph.by_name.setdefault(name, module.path)
    loaded: dict[str, list[str]] = {}
    for module in modules:
        if module.path not in graph.name_of:
            continue
        targets: dict[str, None] = {}
        for ref in module.import_refs:
            absolute = graph.resolve_ref(ref, module.path)
            paths = loaded.get(absolute)
            if paths is None:  # most names are imported by many modules: each looked up once
                paths = loaded[absolute] = graph.loaded_by(absolute)
            for path in paths:
                if path != module.path:
                    targets.setdefault(path, None)
        # Importing a module first runs its packages' __init__ modules.
        for path in graph.loaded_by(graph.name_of[module.path])[:-1]:
            targets.setdefault(path, None)
        graph.edges[module.path] = tuple(targets)
    return graph
