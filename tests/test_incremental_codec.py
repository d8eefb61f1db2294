"""The hash a derived view's value is recorded with (meslint.incremental_codec.value_hash)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from meslint.facts import Location
from meslint.incremental_codec import encode, value_hash

_leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_values = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=4).map(tuple)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=4)
                       | st.frozensets(st.text(max_size=5), max_size=4), max_leaves=20)


@given(_values)
def test_equal_values_hash_alike_however_their_objects_are_shared(value) -> None:
    shared = (value, value, Location("a", 1, 1))
    copied = (value, _copy(value), Location("a", 1, 1))
    assert value_hash(encode(shared)) == value_hash(encode(copied))


def test_different_values_hash_apart() -> None:
    assert value_hash(encode((1, "a"))) != value_hash(encode((1, "b")))
    assert value_hash(encode((1,))) != value_hash(encode([1]))  # a tuple is not a list
    assert value_hash(encode(frozenset({"x", "y"}))) == value_hash(encode(frozenset({"y", "x"})))


def _copy(value):
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
