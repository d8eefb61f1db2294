"""``@record``: ``@dataclass(frozen=True)`` built at import for a third of the cost.

A frozen dataclass compiles six methods of generated source when its class is created (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``): about 0.6 ms a class.  meslint
defines some 140 of them (every fact, the pack, the findings) and a run without a server creates them
all before it reads a file: 85 ms of a run after an edit (500 ms), 9 of a replay (90), measured on the
MES Dashboard.  Here the methods called often (``__init__``, which the fact cache calls some 30,000
times a run, ``__eq__`` and ``__hash__``) are compiled from one source, as dataclass writes them; the
others (``__repr__``, the frozen ``__setattr__``/``__delattr__``, ordering) are the same small
functions for every record, closed over the class and its field names.

What a record is, is what ``@dataclass(frozen=True[, slots=True][, order=True][, kw_only=True])`` makes
of the class: the same fields (:func:`dataclasses.fields`, :func:`dataclasses.replace`,
``__match_args__``, ``__dataclass_params__``), ``__init__`` with the same parameters, defaults and
factories (then ``__post_init__``), equality and hashing over the fields that compare (as a tuple, like
Python 3.11 and 3.12), ordering likewise, the same ``repr`` and :class:`dataclasses.FrozenInstanceError`
on assignment.  ``tests/test_records.py`` builds each shape both ways and compares them.  A class this
does not cover (``InitVar`` or ``ClassVar`` pseudo-fields, a field left out of ``__init__``, its own
``__setattr__``) is refused at import: keep ``@dataclass`` there.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # what tells a type checker that a record is a dataclass; nothing at run time
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator

_T = TypeVar("_T", bound=type)

# Names the generated __init__ uses besides the fields' (no record field may take one of them).
_SET = "__record_set"
_FACTORY = "__record_factory"
_DEFAULT = "__record_default"
_NO_ARGUMENT = "__record_no_argument"


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: _T | None = None, /, *, slots: bool = False, order: bool = False,
           kw_only: bool = False) -> Any:
    """``@record`` or ``@record(slots=True, order=True, kw_only=True)``: see the module's docstring."""
    def build(cls: _T) -> _T:
        return _build(cls, slots, order, kw_only)
    return build if cls is None else build(cls)


def _build(cls: _T, slots: bool, order: bool, kw_only: bool) -> _T:
    bases = [getattr(base, "__dataclass_params__", None) for base in cls.__mro__[1:]]
    if any(params is not None and params.frozen for params in bases):
        # dataclass would refuse the mutable class this builds first: a subclass of a record is a dataclass
        return dataclasses.dataclass(cls, frozen=True, slots=slots, order=order, kw_only=kw_only)  # type: ignore[return-value]
    if any(params is not None for params in bases):
        raise TypeError("cannot inherit frozen dataclass from a non-frozen one")
    own = cls.__dict__
    for name in ("__setattr__", "__delattr__", *(_ORDER if order else ())):
        if name in own:
            raise TypeError(f"record {cls.__name__} defines {name}: use @dataclass")
    # As dataclass decides: a class body's own __eq__ sets __hash__ to None, which is not a hash of its own.
    keeps_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    keeps = {name for name in ("__repr__", "__eq__") if name in own}
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots, kw_only=kw_only)  # type: ignore[assignment]
    fields = dataclasses.fields(cls)
    if len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"record {cls.__name__} has InitVar or ClassVar fields: use @dataclass")
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    methods = _compiled(cls, fields, compared if "__eq__" not in keeps else None,
                        hashed if not keeps_hash else None)
    for name, method in methods.items():
        setattr(cls, name, method)
    if "__repr__" not in keeps:
        cls.__repr__ = _repr(tuple(f.name for f in fields if f.repr))  # type: ignore[assignment]
    if order:
        for name, compare in _ORDER.items():
            setattr(cls, name, _ordering(name, compare, field_values(compared)))
    names = frozenset(f.name for f in fields)
    cls.__setattr__, cls.__delattr__ = _frozen(cls, names)  # type: ignore[assignment,method-assign]
    if slots:  # as dataclass does for a frozen class with slots: pickle and copy set them past __setattr__
        cls.__getstate__ = _getstate  # type: ignore[attr-defined]
        cls.__setstate__ = _setstate  # type: ignore[attr-defined]
    _say_frozen(cls, slots, order, kw_only)
    return cls


def _compiled(cls: type, fields: tuple[dataclasses.Field, ...], compared: tuple[str, ...] | None,
              hashed: tuple[str, ...] | None) -> dict[str, Callable[..., Any]]:
    """``__init__`` (and ``__eq__``/``__hash__`` unless the class has its own) compiled from one source,
    as dataclass writes them for a frozen class: these are called often enough for their speed to
    count (the fact cache builds some 30,000 facts a run; the checks hash and compare them)."""
    scope: dict[str, Any] = {_SET: object.__setattr__, _NO_ARGUMENT: _NoArgument()}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    seen_default = False
    for field in fields:
        name = field.name
        if not field.init or name in ("self", "other") or name.startswith("__record_"):
            raise TypeError(f"record {cls.__name__}: field {name!r} is not one this builder takes; use @dataclass")
        value = name
        if field.default_factory is not MISSING:
            scope[f"{_FACTORY}_{name}"] = field.default_factory
            parameter = f"{name}={_NO_ARGUMENT}"
            value = f"{_FACTORY}_{name}() if {name} is {_NO_ARGUMENT} else {name}"
        elif field.default is not MISSING:
            scope[f"{_DEFAULT}_{name}"] = field.default
            parameter = f"{name}={_DEFAULT}_{name}"
        else:
            parameter = name
        if field.kw_only:
            keyword.append(parameter)
        else:
            if parameter == name and seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            seen_default = seen_default or parameter != name
            positional.append(parameter)
        body.append(f" {_SET}(self, {name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append(" self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = [f"def __init__({parameters}):", *(body or [" pass"])]
    if compared is not None:
        source += ["def __eq__(self, other):", " if other.__class__ is self.__class__:",
                   f"  return {_tuple('self', compared)} == {_tuple('other', compared)}", " return NotImplemented"]
    if hashed is not None:
        source += ["def __hash__(self):", f" return hash({_tuple('self', hashed)})"]
    namespace: dict[str, Any] = {}
    exec("\n".join(source), scope, namespace)
    for name, function in namespace.items():
        function.__qualname__ = f"{cls.__qualname__}.{name}"
    namespace["__init__"].__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    return namespace


class _NoArgument:
    """The default of a field with a factory (shown as dataclass shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


def _tuple(owner: str, names: tuple[str, ...]) -> str:
    return "(" + "".join(f"{owner}.{name}," for name in names) + ")"


def field_values(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function giving an object's values of ``names`` as a tuple (what ordering compares, what
    :mod:`meslint.fact_pickle` calls a fact's class with), read in C for two names or more."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge}


def _ordering(name: str, compare: Callable[[Any, Any], Any],
              values: Callable[[Any], tuple]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(values(self), values(other))
        return NotImplemented
    method.__name__ = name
    return method


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()  # a record that holds itself is shown as "..." the second time

    def __repr__(self: Any) -> str:
        import threading

        key = (id(self), threading.get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"
        finally:
            running.discard(key)
    return __repr__


def _frozen(cls: Any, names: frozenset[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__


def _getstate(self: Any) -> list:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list) -> None:
    for field, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, field.name, value)


def _say_frozen(cls: Any, slots: bool, order: bool, kw_only: bool) -> None:
    """Make ``__dataclass_params__`` say what the class is: frozen, with init, repr, eq (dataclass refuses
    a mutable subclass of a record by it, and meslint.incremental_codec reads it).  The object the
    dataclass call made is this class's own: its flags are set in place (a dataclass made with these
    options gives one, 0.5 ms, where an interpreter keeps them read-only)."""
    params = cls.__dataclass_params__
    try:
        for name, value in (("init", True), ("repr", True), ("eq", True), ("order", order), ("frozen", True)):
            setattr(params, name, value)
    except AttributeError:
        cls.__dataclass_params__ = _params(slots, order, kw_only)


@functools.cache
def _params(slots: bool, order: bool, kw_only: bool) -> Any:
    shape: Any = dataclasses.dataclass(frozen=True, slots=slots, order=order, kw_only=kw_only)(type("Shape", (), {}))
    return shape.__dataclass_params__
