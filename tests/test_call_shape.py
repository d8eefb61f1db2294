"""The call graph's shape digest (:func:`meslint.call_graph.shape`) stands for the graphs the reach walks: a
unit's recorded reach is restored while the digest is unchanged (meslint.incremental.RECOMPUTE).  So every
fact the import graph and the call graph read must move it, and an edit that moves none of them (a comment,
moved lines, a string) must leave it."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from meslint.build import build_repository
from meslint.call_graph import CallGraph, shape
from meslint.facts import PythonModule
from meslint.import_graph import _build
from meslint.pack import load_pack
from tests.test_call_graph_reach import _MODULES, _module


def _tree(root: Path, sources: dict[str, str]):
    (root / "src/pkg").mkdir(parents=True)
    (root / "src/pkg/__init__.py").write_text("", encoding="utf-8")
    for name, text in sources.items():
        (root / f"src/pkg/{name}.py").write_text(text, encoding="utf-8")
    return build_repository(root, load_pack("mes-dashboard"), max_file_size=1 << 20)


def _graphs(modules: tuple[PythonModule, ...]) -> tuple:
    """What the walks read, as plain data."""
    imports = _build(modules)

    class _Repo:
        python = modules

    calls = CallGraph(_Repo(), imports)  # type: ignore[arg-type]
    starts = sorted(set(calls.calls) | {(p, n) for (p, _), names in calls.groups.items() for n in names})
    parents: dict = {}
    calls.reach(starts, parents)
    return (imports.by_name, imports.name_of, imports.edges, calls.calls, calls.groups, calls.instances,
            calls.bases, calls.methods, list(parents.items()))


def _sources(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    sources = {name: _module(rng, name) for name in _MODULES}
    sources["a"] += "from rq import Queue\n\ndef job():\n    pass\n\ndef put():\n    Queue('q').enqueue(job)\n"
    return sources


def test_clearing_any_fact_either_leaves_the_graphs_or_moves_the_digest(tmp_path: Path) -> None:
    """Each field of every module set to its default in turn: a field the graphs read moves the digest;
    one they do not read leaves both (so no field is read by the graphs and missed by the digest)."""
    repo = _tree(tmp_path / "r", _sources(7))
    modules = repo.python
    before_graphs, before_shape = _graphs(modules), shape(modules)
    moved: set[str] = set()
    for field in dataclasses.fields(PythonModule):
        if field.name == "path":
            continue
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
        for index, module in enumerate(modules):
            if getattr(module, field.name) == default:
                continue
            changed = (*modules[:index], dataclasses.replace(module, **{field.name: default}), *modules[index + 1:])
            if _graphs(changed) != before_graphs:
                assert shape(changed) != before_shape, f"{field.name} changes the graphs, not the digest"
                moved.add(field.name)
    # The generated code exercises what the graphs read (a write or an enqueue is in a function that
    # also calls: the digest holds them all the same).
    assert {"import_refs", "calls", "classes", "instances"} <= moved


def test_an_edit_that_changes_no_call_keeps_the_digest_and_one_that_does_moves_it(tmp_path: Path) -> None:
    sources = _sources(11)
    digest = shape(_tree(tmp_path / "a", sources).python)
    quiet = {name: f"# a comment\n\n{text}\nNOTE = 'a string'\n" for name, text in sources.items()}
    repo = _tree(tmp_path / "b", quiet)
    assert shape(repo.python) == digest
    assert any(m.calls for m in repo.python)
    called = dict(sources, b=sources["b"] + "\ndef added():\n    f0()\n")
    assert shape(_tree(tmp_path / "c", called).python) != digest
    imported = dict(sources, c=sources["c"].split("\n", 1)[1])  # its first import left out
    assert shape(_tree(tmp_path / "d", imported).python) != digest
    based = dict(sources, d=sources["d"] + "\nclass Extra(C0):\n    pass\n")
    assert shape(_tree(tmp_path / "e", based).python) != digest
