"""Plain-data forms of recorded values for :mod:`meslint.incremental`: canonical, hashable, restorable.

A recorded derived view (the resolution, the provisioning fills) is stored as plain lists, strings
and numbers, the same for equal values (sets sorted), so its hash tells whether it changed and a
later run can restore it.  Only the dataclasses and enums of :data:`_VALUE_MODULES` come back from
a record (which is signed, and still decoded through this registry: nothing is called by name).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import marshal
import math
from enum import Enum
from typing import Any

from meslint.facts import FACT_MODULES, Repository


class Opaque(Exception):
    """A value without a canonical form."""


# --------------------------------------------------------------------------- canonical forms

# Where the values of recorded views (and the objects in memo keys) are defined: only their
# dataclasses and enums come back from a record (which is signed, and still decoded through this
# registry: nothing is called by name).  unit_code and counterfactual: their Entry and
# Counterfactual objects are parts of memo keys (the call graph reach of a unit's entries, the
# what-if resolutions); a key without a canonical form made every check reading it opaque.  doclines:
# a document's claims (MES801's view of one document) come back from the record.
_VALUE_MODULES = (*FACT_MODULES, "meslint.suppressions", "meslint.resolve_model",
                  "meslint.provisioning", "meslint.argv", "meslint.template", "meslint.unit_code",
                  "meslint.counterfactual", "meslint.doclines",
                  "meslint.pack", "meslint.pack_gates")  # the pack: meslint.pack_cache
_REGISTRY: dict[str, type] = {}
_LOADED: set[str] = set()


def _lookup(name: str) -> type | None:
    """The registered class named ``module.qualname``; its module is imported only when first named
    (a run that canonicalizes facts alone never imports the unit code analysis)."""
    module_name = name.rpartition(".")[0]
    while module_name and module_name not in _VALUE_MODULES:
        module_name = module_name.rpartition(".")[0]  # a nested class: module.Outer.Inner
    if not module_name:
        return None
    if module_name not in _LOADED:
        _LOADED.add(module_name)
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == module_name and obj is not Repository and (
                    dataclasses.is_dataclass(obj) or issubclass(obj, Enum)):
                _REGISTRY[f"{module_name}.{obj.__qualname__}"] = obj
    return _REGISTRY.get(name)


def encode(value: Any) -> Any:
    """JSON-ready data for ``value``, the same for equal values (sets sorted); :class:`Opaque` for
    anything but plain data and the registered dataclasses and enums.

    An object met twice (a resolution shares its locations and command lines) is encoded once and
    the same list stands for it each time: marshal then stores it once, and :func:`decode` gives
    back one object again."""
    return _encode(value, {})


def _encode(value: Any, seen: dict[int, tuple[Any, Any]]) -> Any:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is float or kind is str:
        return value
    known = seen.get(id(value))
    if known is not None:
        return known[1]
    if kind is tuple or kind is list:
        data: Any = ["T" if kind is tuple else "L", *[_encode(item, seen) for item in value]]
    elif kind is dict:
        data = ["M", *[[_encode(k, seen), _encode(v, seen)] for k, v in value.items()]]
    elif kind is set or kind is frozenset:
        items = [_encode(item, seen) for item in value]
        items.sort(key=_json)
        data = ["S" if kind is set else "F", *items]
    else:
        shape = _shape(kind)
        if isinstance(value, Enum):
            return ["E", shape[0], value.value]
        data = ["D", shape[0], *[_encode(getattr(value, f), seen) for f in shape[1]]]
    seen[id(value)] = (value, data)  # the value is held, so its id is not reused meanwhile
    return data


def _shape(kind: type[Any]) -> tuple[str, tuple[str, ...]]:
    """The registered name of a dataclass or enum and its fields (none for an enum); :class:`Opaque`
    for any other class."""
    shape = _SHAPES.get(kind)
    if shape is None:
        name = f"{kind.__module__}.{kind.__qualname__}"
        if _lookup(name) is not kind:
            raise Opaque(name)
        shape = _SHAPES[kind] = (name, () if issubclass(kind, Enum) else tuple(
            f.name for f in dataclasses.fields(kind)))
    return shape


_SHAPES: dict[type, tuple[str, tuple[str, ...]]] = {}


class _Differs(Exception):
    pass


class _NoDifferenceYet(Exception):
    pass


# Compared part by part, a value that turns out equal costs more than encoding it and hashing the encoding
# (measured on the MES Dashboard's resolution: 25 ms against 18); so after this many objects without a
# difference it is decided that way (about 1 ms spent first).  A change near the start still costs little.
_MATCH_BUDGET = 250


def encode_matching(value: Any, data: Any, recorded_hash: str | None = None) -> Any | None:
    """:func:`encode` of ``value`` when it equals ``data`` (an earlier encoding, read back from a record,
    whose :func:`value_hash` is ``recorded_hash``), else None: deciding that a recomputed resolution
    changed costs the encoding of the part before the change, not all of it.  :class:`Opaque` as
    :func:`encode`."""
    try:
        return _match(value, data, {}, {})
    except _Differs:
        return None
    except _NoDifferenceYet:
        pass
    encoded = encode(value)
    same = value_hash(encoded) == (recorded_hash if recorded_hash is not None else value_hash(data))
    return encoded if same else None


def _match(value: Any, data: Any, seen: dict[int, tuple[Any, Any]], matched: dict[int, Any]) -> Any:
    """:func:`_encode`, comparing each part with ``data`` as it goes (scalars by type and value).
    ``matched``: the data each object met so far matched (a record read back keeps the sharing
    :func:`encode` made, so an object met again usually meets the very same data)."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        if type(data) is not kind or data != value:  # (inlined: most of a resolution's nodes are these)
            raise _Differs
        return value
    if kind is float:
        if not _same(value, data):
            raise _Differs
        return value
    known = seen.get(id(value))
    if known is not None:
        if matched.get(id(value)) is not data and not _same(known[1], data):
            raise _Differs
        return known[1]
    if type(data) is not list or not data:
        raise _Differs
    out: Any
    if kind is tuple or kind is list:
        tag = "T" if kind is tuple else "L"
        if data[0] != tag or len(data) != len(value) + 1:
            raise _Differs
        out = [tag, *[_match(item, part, seen, matched) for item, part in zip(value, data[1:], strict=True)]]
    elif kind is dict:
        if data[0] != "M" or len(data) != len(value) + 1:
            raise _Differs
        out = ["M"]
        for (key, item), pair in zip(value.items(), data[1:], strict=True):
            if type(pair) is not list or len(pair) != 2:
                raise _Differs
            out.append([_match(key, pair[0], seen, matched), _match(item, pair[1], seen, matched)])
    elif kind is set or kind is frozenset or isinstance(value, Enum):
        out = _encode(value, seen)  # a set's order is known only once every item is encoded
        if not _same(out, data):
            raise _Differs
        matched[id(value)] = data
        return out
    else:
        shape = _shape(kind)
        if data[0] != "D" or len(data) != len(shape[1]) + 2 or data[1] != shape[0]:
            raise _Differs
        out = ["D", shape[0], *[_match(getattr(value, f), part, seen, matched)
                                for f, part in zip(shape[1], data[2:], strict=True)]]
    seen[id(value)] = (value, out)
    matched[id(value)] = data
    if len(matched) > _MATCH_BUDGET:
        raise _NoDifferenceYet
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal encoded data, scalars compared by type too (``True`` is not ``1``: marshal tells them apart)."""
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is float:  # -0.0 == 0.0, but not for marshal (and a NaN is never "the same": safe)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


def decode(data: Any) -> Any:
    return _decode(data, {})


def _decode(data: Any, seen: dict[int, tuple[Any, Any]]) -> Any:
    if type(data) is not list:
        return data
    known = seen.get(id(data))
    if known is not None:
        return known[1]
    tag, rest = data[0], data[1:]
    if tag == "T":
        value: Any = tuple(_decode(item, seen) for item in rest)
    elif tag == "L":
        value = [_decode(item, seen) for item in rest]
    elif tag == "M":
        value = {_decode(k, seen): _decode(v, seen) for k, v in rest}
    elif tag in ("S", "F"):
        value = (set if tag == "S" else frozenset)(_decode(item, seen) for item in rest)
    else:
        cls = _lookup(rest[0]) if rest and type(rest[0]) is str else None
        if cls is None:
            raise Opaque(str(rest[:1])[:60])
        if tag == "E" and issubclass(cls, Enum):
            value = cls(rest[1])
        elif tag == "D" and dataclasses.is_dataclass(cls):
            names = _keywords(cls)
            if names is None:
                value = cls(*[_decode(item, seen) for item in rest[1:]])
            else:
                value = cls(**{name: _decode(item, seen) for name, item in zip(names, rest[1:], strict=True)})
        else:
            raise Opaque(str(tag)[:20])
    seen[id(data)] = (data, value)
    return value


_KEYWORDS: dict[type, tuple[str, ...] | None] = {}


def _keywords(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass with keyword-only fields (built by name), else None (by position)."""
    if cls not in _KEYWORDS:
        fields = dataclasses.fields(cls)
        _KEYWORDS[cls] = tuple(f.name for f in fields) if any(f.kw_only for f in fields) else None
    return _KEYWORDS[cls]


_LAZY: dict[type, type] = {}


def restore(data: Any) -> Any:
    """:func:`decode`, with the fields of a top-level (mutable) dataclass decoded when first read.

    A recorded resolution is large (every command line with its environment) and most readers
    want one part of it: the gate 8 checks ask only for its site values."""
    cls = _lookup(data[1]) if type(data) is list and len(data) > 1 and type(data[1]) is str and data[0] == "D" else None
    params = getattr(cls, "__dataclass_params__", None)
    if cls is None or params is None or params.frozen or hasattr(cls, "__slots__"):
        return decode(data)
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) != len(data) - 2:
        raise Opaque(data[1])
    lazy = _LAZY.get(cls)
    if lazy is None:
        def __getattr__(self, name: str) -> Any:
            pending = self.__dict__.get("_pending_fields")
            if pending is None or name not in pending:
                raise AttributeError(name)
            value = decode(pending.pop(name))
            setattr(self, name, value)
            return value

        lazy = _LAZY[cls] = type(cls.__name__, (cls,), {"__getattr__": __getattr__, "__module__": cls.__module__})
    instance: Any = object.__new__(lazy)
    instance.__dict__["_pending_fields"] = dict(zip(names, data[2:], strict=True))
    return instance


def value_hash(data: Any) -> str:
    """SHA-256 of encoded data (:func:`encode`), the same for equal values: marshal's version 2 writes
    every list in full (no references, so object sharing plays no part), in the order :func:`encode`
    made canonical.  A seventh of the time JSON takes for a resolution (about 1 MB of data)."""
    return hashlib.sha256(marshal.dumps(data, 2)).hexdigest()


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def canonical(value: Any) -> str:
    """A deterministic text for ``value``; :class:`Opaque` when it has none."""
    return _json(encode(value))


def digest(value: Any) -> str | None:
    try:
        text = canonical(value)
    except (Opaque, RecursionError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
