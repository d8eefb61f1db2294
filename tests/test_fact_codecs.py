"""Every fact type reachable from meslint.facts round-trips through both codecs that store facts.

The fact model is spread over several modules (meslint.facts re-exports them); the fact cache's pickle
form (meslint.fact_pickle) and the incremental record's codec (meslint.incremental_codec) each keep a
registry of the types they may build.  A type moved into a module neither registry knows would make every cached
parse fail to encode (parsed again each run) or every record holding it opaque: these tests build one
instance of each type, with every field filled, and decode it back.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import types
import typing
from enum import Enum

import pytest

from meslint import fact_pickle, facts, incremental_codec


def _reachable() -> dict[str, type]:
    """The dataclasses and enums the Repository's fields lead to, by name (Repository itself excluded)."""
    found: dict[str, type] = {}
    pending: list[object] = [facts.Repository]
    while pending:
        hint = pending.pop()
        if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or issubclass(hint, Enum)):
            if hint.__name__ in found:
                continue
            found[hint.__name__] = hint
            if dataclasses.is_dataclass(hint):
                # The model's modules name each other's types under TYPE_CHECKING only: resolve them
                # in meslint.facts, which re-exports every one.
                pending.extend(typing.get_type_hints(hint, globalns=vars(facts)).values())
        else:
            pending.extend(typing.get_args(hint))
    del found["Repository"]
    return found


REACHABLE = _reachable()


def _sample(hint: object, depth: int = 0) -> object:
    """A value of type ``hint`` with every optional part present (to a depth that ends the recursion)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return None if depth > 8 else _sample(options[0], depth)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:  # the payload values nest: stop somewhere
            return () if depth > 8 else (_sample(args[0], depth + 1),)
        return tuple(_sample(a, depth + 1) for a in args)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return next(iter(hint))
    if dataclasses.is_dataclass(hint):
        assert isinstance(hint, type)
        resolved = typing.get_type_hints(hint, globalns=vars(facts))
        return hint(**{f.name: _sample(resolved[f.name], depth + 1) for f in dataclasses.fields(hint)
                       if f.init})
    samples: dict[object, object] = {str: "a word", int: 3, float: 1.5, bool: True, object: {"k": [1, "v"]}}
    if hint in samples:
        return samples[hint]
    raise AssertionError(f"no sample for {hint!r}")  # a new field type: teach _sample about it


def test_the_model_spans_every_fact_module() -> None:
    # The walk reaches types of each module the model is defined in, and of no other: a fact type in a
    # module missing from FACT_MODULES is in no codec's registry.
    assert {cls.__module__ for cls in REACHABLE.values()} == set(facts.FACT_MODULES)
    for name, cls in REACHABLE.items():
        assert getattr(facts, name) is cls, f"{name} is not re-exported by meslint.facts"


@pytest.mark.parametrize("name", sorted(REACHABLE))
def test_fact_type_round_trips_through_the_fact_cache_codec(name: str) -> None:
    cls = REACHABLE[name]
    assert fact_pickle.TYPES.get((cls.__module__, cls.__qualname__)) is cls
    value = _sample(cls)
    assert fact_pickle.loads(fact_pickle.dumps(value)) == value


@pytest.mark.parametrize("name", sorted(REACHABLE))
def test_fact_type_round_trips_through_the_incremental_codec(name: str) -> None:
    value = _sample(REACHABLE[name])
    assert incremental_codec.decode(json.loads(incremental_codec.canonical(value))) == value


def test_every_fact_module_is_registered_whole() -> None:
    # Types a module defines but no field reaches yet (a fact about to be used) are registered too.
    for module_name in facts.FACT_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if isinstance(obj, type) and obj.__module__ == module_name and obj is not facts.Repository and (
                    dataclasses.is_dataclass(obj) or issubclass(obj, Enum)):
                assert fact_pickle.TYPES.get((module_name, obj.__qualname__)) is obj, name
