"""The hash a derived view's value is recorded with (meslint.incremental_codec.value_hash), and the
comparison with a recorded encoding that stops at the first difference (encode_matching)."""

from __future__ import annotations

import marshal

from hypothesis import given
from hypothesis import strategies as st

from meslint.facts import Location
from meslint.incremental_codec import encode, encode_matching, value_hash

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


@given(_values, _values)
def test_matching_a_recorded_encoding_agrees_with_the_hash(recorded, value) -> None:
    """Against data read back as a record is (marshal), with the objects shared or not."""
    data = marshal.loads(marshal.dumps(encode((recorded, Location("a", 1, 1), recorded))))
    for candidate in ((recorded, Location("a", 1, 1), _copy(recorded)), (value, Location("a", 1, 1), value)):
        matched = encode_matching(candidate, data)
        same = value_hash(encode(candidate)) == value_hash(data)
        assert (matched is not None) == same
        if same:
            assert value_hash(matched) == value_hash(data)


def test_matching_tells_types_apart_and_stops_at_a_difference() -> None:
    assert encode_matching((1, True), encode((1, 1))) is None  # marshal tells True from 1
    assert encode_matching((1.0,), encode((1,))) is None
    assert encode_matching((-0.0,), encode((0.0,))) is None
    assert encode_matching(((1, "a"), "b"), encode(((1, "a"), "c"))) is None
    assert encode_matching(frozenset({"x", "y"}), encode(frozenset({"y", "x"}))) == encode(frozenset({"x", "y"}))


def test_a_large_value_is_decided_as_its_hash_decides_past_the_first_objects() -> None:
    """Past the first objects without a difference, the rest is decided by encoding and hashing."""
    large = tuple((i, f"s{i}", Location("a", i, 1)) for i in range(600))
    data = marshal.loads(marshal.dumps(encode(large)))
    assert encode_matching(large, data) == encode(large)
    late = (*large[:-1], (599, "changed", Location("a", 599, 1)))
    assert encode_matching(late, data) is None
    one = (*large[:-1], (1, "s599", Location("a", 599, 1)))
    typed = (*large[:-1], (True, "s599", Location("a", 599, 1)))  # 1 == True, but marshal tells them apart
    assert encode_matching(typed, marshal.loads(marshal.dumps(encode(one)))) is None
