"""The ``builtins.json`` encoding: exact round trips, canonical bytes, no tag ambiguity."""

from __future__ import annotations

import collections
import enum
import json
import math
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepstone.artifacts import ArtifactStore, materializer_for_value
from stepstone.artifacts.materializers.builtin_json import (
    BuiltinsJsonMaterializer,
    decode,
    encode,
    is_encodable,
)

TAG_LIKE = st.sampled_from(["$tuple", "$dict", "$set", "$bytes", "$float", "$int", "$", "$$", "$x"])
TEXT = st.text(max_size=8) | TAG_LIKE
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**2040, max_value=2**2100)
    | st.floats(allow_nan=False)
    | TEXT
    | st.binary(max_size=8)
)
# Hashable values without NaN (NaN is not equal to itself, so it cannot be found in a set).
HASHABLES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3).map(tuple) | st.frozensets(children, max_size=3)
    ),
    max_leaves=8,
)
VALUES = st.recursive(
    SCALARS | st.floats(allow_nan=True, allow_infinity=True),
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(TEXT, children, max_size=4)
        | st.dictionaries(HASHABLES, children, max_size=4)
        | st.sets(HASHABLES, max_size=4)
        | st.frozensets(HASHABLES, max_size=4)
    ),
    max_leaves=20,
)

SLOW = settings(deadline=None, max_examples=300)


def same(a: Any, b: Any) -> bool:
    """Equality that also requires equal types throughout (and -0.0 != 0.0, nan == nan)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        keys_of_b = {key: key for key in b}
        return len(a) == len(b) and all(
            key in keys_of_b and same(key, keys_of_b[key]) and same(value, b[keys_of_b[key]])
            for key, value in a.items()
        )
    if type(a) in (set, frozenset):
        items_of_b = {item: item for item in b}
        return len(a) == len(b) and all(
            item in items_of_b and same(item, items_of_b[item]) for item in a
        )
    return bool(a == b)


def rebuilt(value: Any) -> Any:
    """An equal value built differently: dicts and sets filled in reverse order."""
    if type(value) is list:
        return [rebuilt(item) for item in value]
    if type(value) is tuple:
        return tuple(rebuilt(item) for item in value)
    if type(value) is dict:
        return {rebuilt(k): rebuilt(v) for k, v in reversed(list(value.items()))}
    if type(value) in (set, frozenset):
        return type(value)(rebuilt(item) for item in reversed(list(value)))
    return value


@SLOW
@given(VALUES)
def test_round_trip_keeps_values_and_types(value: Any) -> None:
    assert is_encodable(value)
    assert same(decode(encode(value)), value)


@SLOW
@given(VALUES)
def test_equal_values_give_equal_bytes(value: Any) -> None:
    data = encode(value)
    assert encode(rebuilt(value)) == data
    assert encode(decode(data)) == data


@SLOW
@given(VALUES, VALUES)
def test_bytes_are_equal_exactly_when_values_are(a: Any, b: Any) -> None:
    assert (encode(a) == encode(b)) == same(a, b)


@SLOW
@given(VALUES)
def test_output_is_strict_ascii_json(value: Any) -> None:
    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    data = encode(value)
    data.decode("ascii")
    json.loads(data, parse_constant=no_constants)


@pytest.mark.parametrize(
    "values",
    [
        (1, 1.0, True, "1", b"1", [1], (1,), {1}, frozenset({1}), {"1": 1}, {1: 1}),
        (0.0, -0.0, 0, False, None, "", b"", [], (), set(), frozenset(), {}),
        ({"$tuple": [1, 2]}, (1, 2), {"$dict": []}, {"$set": [1]}, {1}, {"$": None}),
    ],
)
def test_values_that_python_calls_equal_encode_differently(values: tuple[Any, ...]) -> None:
    encoded = [encode(value) for value in values]
    assert len(set(encoded)) == len(values)
    for value in values:
        assert same(decode(encode(value)), value)


@pytest.mark.parametrize(
    "value",
    [
        {"$tuple": [1, 2]},
        {"$dict": [[1, 2]]},
        {"$bytes": "AA=="},
        {"$float": "nan"},
        {"$unknown": 1},
        {"a": {"$set": []}},
        [{"$": {"$": "$"}}],
    ],
)
def test_user_dicts_shaped_like_tags_round_trip(value: Any) -> None:
    assert same(decode(encode(value)), value)


def test_format_is_canonical_and_readable() -> None:
    assert encode({"b": (1, 2.0), "a": {3}}) == b'{"a":{"$set":[3]},"b":{"$tuple":[1,2.0]}}'
    assert encode({2: "x", 1: "y"}) == b'{"$dict":[[1,"y"],[2,"x"]]}'
    assert encode([math.inf, -math.inf, math.nan]) == (
        b'[{"$float":"inf"},{"$float":"-inf"},{"$float":"nan"}]'
    )
    assert encode(b"\x00\xff") == b'{"$bytes":"AP8="}'


def test_huge_ints_do_not_depend_on_the_int_digit_limit() -> None:
    huge = -(7**5000)
    data = encode(huge)
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert encode(huge) == data
        assert decode(data) == huge
        assert decode(encode(2**2048 - 1)) == 2**2048 - 1
    finally:
        sys.set_int_max_str_digits(previous)


def test_strings_with_lone_surrogates_round_trip() -> None:
    value = {"\ud800": "x\udfff", "é": "日本"}
    assert decode(encode(value)) == value


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"unknown tag '\$nope'"):
        decode(b'{"$nope":1}')


@pytest.mark.parametrize(
    "value",
    [
        object(),
        [1, object()],
        {"a": {"b": [slice(1)]}},
        enum.IntEnum("Local", "RED").RED,  # defined in a function: not importable by name
        collections.OrderedDict(a=1),
        collections.namedtuple("Pair", "a b")(1, 2),
        {frozenset({1}): type("Blob", (bytearray,), {})(b"x")},
    ],
    ids=["object", "nested", "slice", "local-intenum", "ordereddict", "namedtuple", "subclass"],
)
def test_only_exact_builtin_types_are_encodable(value: Any) -> None:
    assert not is_encodable(value)
    with pytest.raises(TypeError, match=r"builtins\.json cannot encode"):
        encode(value)


def test_cyclic_values_are_not_encodable() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    assert not is_encodable(cycle)


def test_annotation_resolution_rejects_subclasses() -> None:
    assert BuiltinsJsonMaterializer.handles_type(tuple)
    assert not BuiltinsJsonMaterializer.handles_type(collections.namedtuple("P", "a"))


@settings(deadline=None, max_examples=50)
@given(VALUES)
def test_store_round_trip(tmp_path_factory: pytest.TempPathFactory, value: Any) -> None:
    store = ArtifactStore(tmp_path_factory.mktemp("json"))
    assert materializer_for_value(value) is BuiltinsJsonMaterializer
    stored = store.save(value)
    assert stored.materializer == "builtins.json"
    assert stored.data_type == f"builtins.{type(value).__qualname__}"
    assert same(store.load(stored.uri, stored.materializer, stored.data_type), value)


@pytest.mark.parametrize(
    ("value", "summary"),
    [
        ({"a": 1, "b": 2, "c": 3}, {"type": "dict", "length": 3}),
        ([1, 2], {"type": "list", "length": 2}),
        (b"abc", {"type": "bytes", "length": 3}),
        ("hi", {"type": "str", "length": 2, "repr": "'hi'"}),
        (1.5, {"type": "float", "repr": "1.5"}),
        (None, {"type": "NoneType", "repr": "None"}),
        (2**300, {"type": "int", "bits": 301}),
    ],
)
def test_summary_is_small(value: Any, summary: dict[str, Any]) -> None:
    assert BuiltinsJsonMaterializer().summary(value) == summary
