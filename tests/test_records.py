"""``@record`` makes of a class what ``@dataclass(frozen=True, ...)`` makes of it: each shape meslint uses,
built both ways from the same class body and compared."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from dataclasses import FrozenInstanceError, InitVar, dataclass, field
from typing import Any, ClassVar

import pytest

from meslint.records import record


def _plain(deco: Any) -> Any:
    class Plain:
        path: str
        line: int = 1
        tags: tuple = ()
    return deco(Plain)


def _factory(deco: Any) -> Any:
    class Factory:
        name: str
        items: list = field(default_factory=list)
        index: dict = field(default_factory=dict, repr=False, compare=False)
    return deco(Factory)


def _uncompared(deco: Any) -> Any:
    class Uncompared:
        code: str
        message: str
        suppressed: bool = field(default=False, compare=False)
        anchor: str = field(default="", compare=False)
        weight: int = field(default=0, hash=False)
    return deco(Uncompared)


def _post_init(deco: Any) -> Any:
    class Point:
        path: str
        line: int = 1
        end_line: int = 0

        def __post_init__(self) -> None:
            if self.end_line == 0:
                object.__setattr__(self, "end_line", self.line)
    return deco(Point)


def _own_methods(deco: Any) -> Any:
    class Own:
        key: str
        value: int = 0

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Own) and other.key == self.key

        def __hash__(self) -> int:
            return hash(self.key)

        def __repr__(self) -> str:
            return f"<{self.key}>"
    return deco(Own)


def _keyword(deco: Any) -> Any:
    class Keyword:
        name: str
        required: bool
        default: str = "x"
    return deco(Keyword)


def _empty(deco: Any) -> Any:
    class Empty:
        pass
    return deco(Empty)


SHAPES = [
    (_plain, {"slots": True}, [("a",), ("a", 2), ("a", 2, ("x",)), ("b", 1)]),
    (_plain, {}, [("a",), ("a", 2, ("x",))]),
    (_plain, {"slots": True, "order": True}, [("a",), ("a", 2), ("b", 0), ("a", 2, ("y",))]),
    (_factory, {"slots": True}, [("n",), ("n", [1]), ("n", [1], {"k": 1})]),
    (_uncompared, {}, [("C", "m"), ("C", "m", True, "z", 3), ("C", "n")]),
    (_post_init, {"slots": True, "order": True}, [("p",), ("p", 3), ("p", 3, 5)]),
    (_own_methods, {}, [("k",), ("k", 2), ("j", 2)]),
    (_keyword, {"kw_only": True}, [()]),
    (_empty, {"slots": True}, [()]),
]


def _outcome(function: Any, *args: Any) -> tuple:
    try:
        return ("value", function(*args))
    except Exception as exc:  # the same error either way
        return ("error", type(exc), str(exc))


def _dataclass_options(options: dict) -> dict:
    return {"frozen": True, **options}


@pytest.mark.parametrize(("shape", "options", "arguments"), SHAPES,
                         ids=[f"{shape.__name__}-{'-'.join(options) or 'plain'}" for shape, options, _ in SHAPES])
def test_a_record_behaves_as_the_frozen_dataclass_of_the_same_class(shape, options, arguments) -> None:
    made = shape(dataclass(**_dataclass_options(options)))
    built = shape(record(**options))
    assert str(inspect.signature(built)) == str(inspect.signature(made))
    assert [(f.name, f.default, f.compare, f.repr, f.kw_only) for f in dataclasses.fields(built)] == \
        [(f.name, f.default, f.compare, f.repr, f.kw_only) for f in dataclasses.fields(made)]
    assert built.__match_args__ == made.__match_args__
    assert hasattr(built, "__slots__") == hasattr(made, "__slots__")
    for name in ("frozen", "eq", "init", "repr", "order"):
        assert getattr(built.__dataclass_params__, name) == getattr(made.__dataclass_params__, name)
    if shape is _keyword:
        arguments = [()]
        pairs = [(made(name="n", required=True), built(name="n", required=True))]
    else:
        pairs = [(made(*args), built(*args)) for args in arguments]
    for one, other in pairs:
        assert repr(other) == repr(one)
        assert dataclasses.astuple(other) == dataclasses.astuple(one)
        assert _outcome(hash, other) == _outcome(hash, one)
        with pytest.raises(FrozenInstanceError):
            other.path = "changed"
        with pytest.raises(FrozenInstanceError):
            del other.path
        assert dataclasses.replace(other) == other
        assert copy.copy(other) == other and copy.deepcopy(other) == other
    for (one, other), (one_b, other_b) in ((a, b) for a in pairs for b in pairs):
        assert (other == other_b) == (one == one_b)
        assert (other != other_b) == (one != one_b)
        if options.get("order"):
            assert (other < other_b, other <= other_b, other > other_b, other >= other_b) == \
                (one < one_b, one <= one_b, one > one_b, one >= one_b)
    assert (pairs[0][1] == object()) is False


def test_a_record_pickles_like_a_dataclass_at_module_level() -> None:
    value = Pickled("a", (1, 2))
    assert pickle.loads(pickle.dumps(value)) == value
    assert pickle.loads(pickle.dumps(PickledPlain("b"))) == PickledPlain("b")


@record(slots=True)
class Pickled:
    name: str
    values: tuple = ()


@record
class PickledPlain:
    name: str


def test_a_factory_default_is_called_for_each_instance() -> None:
    Factory = _factory(record(slots=True))
    first, second = Factory("a"), Factory("b")
    assert first.items == [] and first.items is not second.items


def test_a_subclass_of_a_record_is_a_frozen_dataclass_and_a_mutable_one_is_refused() -> None:
    Base = _plain(record(slots=True))

    @record
    class Child(Base):
        extra: int = 0

    assert Child("a", 1, (), 5).extra == 5 and Child.__dataclass_params__.frozen
    with pytest.raises(TypeError):
        dataclass(type("Mutable", (Base,), {"__annotations__": {"x": "int"}, "x": 0}))


def test_a_non_default_field_after_a_default_one_is_refused_as_dataclass_refuses_it() -> None:
    class Wrong:
        first: int = 0
        second: str
    with pytest.raises(TypeError, match="non-default argument 'second' follows default argument"):
        record(Wrong)


@pytest.mark.parametrize("body", [
    {"__annotations__": {"x": "InitVar[int]"}},
    {"__annotations__": {"x": "ClassVar[int]"}, "x": 1},
    {"__annotations__": {"x": "int"}, "x": field(default=0, init=False)},
    {"__annotations__": {"x": "int"}, "__setattr__": lambda self, name, value: None},
])
def test_what_the_builder_does_not_cover_is_refused_at_import(body) -> None:
    namespace = {"InitVar": InitVar, "ClassVar": ClassVar}
    body = dict(body)
    cls = type("Unusual", (), body)
    cls.__module__ = __name__
    globals().update(namespace)
    with pytest.raises(TypeError, match="use @dataclass"):
        record(cls)


def test_every_fact_class_is_a_frozen_dataclass() -> None:
    from meslint import fact_pickle

    for cls in fact_pickle.TYPES.values():
        if dataclasses.is_dataclass(cls):
            assert cls.__dataclass_params__.frozen, cls


def test_params_that_cannot_be_set_in_place_come_from_a_dataclass_of_the_same_options() -> None:
    from meslint import records

    class ReadOnly:
        __slots__ = ()

    class Built:
        pass

    Built.__dataclass_params__ = ReadOnly()  # type: ignore[attr-defined]
    records._say_frozen(Built, True, True, False)
    params = Built.__dataclass_params__  # type: ignore[attr-defined]
    assert (params.frozen, params.order, params.eq, params.init) == (True, True, True, True)
