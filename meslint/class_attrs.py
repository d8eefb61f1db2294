"""What a ``self.NAME`` path may be: the values a class (its bases, its subclasses) assigns to it.

A derived view over the parser's class facts (:class:`meslint.facts.PythonClass`).  For a write
through ``self.NAME`` in a method of class ``C`` the candidates are ``C``'s own assignments of
``NAME`` (any method, the class body), else those of the first base (depth first, in base order)
that has one, plus the assignments of ``NAME`` in subclasses of ``C`` among the modules the
process imports (``self`` may be one of them).  A value taken from an ``__init__`` parameter's
default holds only while no caller passes that parameter: it is unknown when a construction of
the class passes it (or ``*args``/``**kwargs``), or when the class has a subclass (which may call
``super().__init__`` with a value); an annotated class-body default (a dataclass field) likewise.
An attribute some code assigns on another object (``store.db_path = x``, anywhere) may also
hold an unknown value.  Nothing is guessed: no candidate means unknown.  Not seen: ``setattr``,
constructions through a variable holding the class; a property has no candidate (unknown).
"""

from __future__ import annotations

from collections.abc import Container

from meslint.call_graph import CallGraph, call_graph
from meslint.facts import ClassAttribute, PythonClass, Repository
from meslint.records import record

Key = tuple[str, str]  # (module path, class qualname)


@record
class Candidate:
    attribute: ClassAttribute
    owner: Key  # the class that assigns it
    overridden: bool  # an __init__ default a caller (or a subclass) may replace: the value is unknown


class ClassIndex:
    def __init__(self, repo: Repository, calls: CallGraph) -> None:
        self.classes: dict[Key, PythonClass] = {}
        self.bases: dict[Key, list[Key]] = {}
        self.subclasses: dict[Key, list[Key]] = {}
        self.passed: dict[Key, set[str]] = {}  # class -> the __init__ arguments some construction passes
        # Attribute names some code assigns on another object (``store.db_path = x``): their value may change.
        self.foreign = {name for module in repo.python for name in module.foreign_attributes}
        for module in repo.python:
            for cls in module.classes:
                self.classes[(module.path, cls.name)] = cls
        for (path, name), cls in self.classes.items():
            for ref in cls.bases:
                target = calls.target_of(path, ref)
                if target in self.classes:
                    self.bases.setdefault((path, name), []).append(target)
                    self.subclasses.setdefault(target, []).append((path, name))
        for module in repo.python:
            for ref, keys in module.constructions:
                target = calls.target_of(module.path, ref)
                if target in self.classes:
                    params = self.classes[target].init_params
                    self.passed.setdefault(target, set()).update(
                        params[int(k)] if k.isdigit() and int(k) < len(params) else k for k in keys)

    def candidates(self, owner: Key, name: str, modules: Container[str]) -> list[Candidate]:
        found = self._inherited(owner, name, 0)
        pending, seen = list(self.subclasses.get(owner, ())), {owner}
        while pending:
            sub = pending.pop()
            if sub in seen:
                continue
            seen.add(sub)
            pending.extend(self.subclasses.get(sub, ()))
            if sub[0] in modules:
                found += [self._candidate(sub, a) for a in self.classes[sub].attributes if a.name == name]
        cls = self.classes.get(owner)
        if name in self.foreign and cls is not None:
            found.append(Candidate(ClassAttribute(name, None, f"<set from outside {cls.name}>", cls.location), owner,
                                   False))
        return found

    def _inherited(self, owner: Key, name: str, depth: int) -> list[Candidate]:
        cls = self.classes.get(owner)
        if cls is None or depth > 8:
            return []
        own = [self._candidate(owner, a) for a in cls.attributes if a.name == name]
        if own:
            return own
        for base in self.bases.get(owner, ()):
            found = self._inherited(base, name, depth + 1)
            if found:
                return found
        return []

    def _candidate(self, owner: Key, attribute: ClassAttribute) -> Candidate:
        passed = self.passed.get(owner, set())
        overridden = bool(attribute.params) and (
            bool(self.subclasses.get(owner)) or bool(passed & {*attribute.params, "*", "**"}))
        return Candidate(attribute, owner, overridden)


def class_index(repo: Repository) -> ClassIndex:
    return repo.memo("class_attrs.index", lambda: ClassIndex(repo, call_graph(repo)))
