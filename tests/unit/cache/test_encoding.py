"""Canonical parameter encoding: equal values give equal bytes, different values different bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepstone.cache import encode_value
from stepstone.exceptions import UnhashableParameterError

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.binary(max_size=20)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


def same(a: object, b: object) -> bool:
    """Equality that also compares types and signs of zero, with every NaN equal."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):  # type: ignore[arg-type]
            return math.isnan(a) and math.isnan(b)  # type: ignore[arg-type]
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)  # type: ignore[arg-type]
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=False))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    return a == b


@given(values, values)
def test_bytes_are_equal_exactly_when_values_are(a: object, b: object) -> None:
    assert (encode_value(a) == encode_value(b)) == same(a, b)


ZEROS = (0.0, -0.0, 0, False, decimal.Decimal("0"), decimal.Decimal("-0"), decimal.Decimal("0.00"))
ONES = (1, 1.0, True, decimal.Decimal("1"), decimal.Decimal("1.0"), decimal.Decimal("1.00"))
leaves = (
    st.sampled_from(ZEROS + ONES)
    | st.decimals(min_value=-1000, max_value=1000, places=2)
    | st.floats(allow_nan=False, allow_infinity=False)
)
look_alikes = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.sampled_from("abc"), children, max_size=3)
    ),
    max_leaves=8,
)


def twin(value: object, data: st.DataObject) -> object:
    """A value ``==`` to ``value`` whose leaves may be swapped for equal look-alikes."""
    if isinstance(value, list | tuple):
        return type(value)(twin(item, data) for item in value)
    if isinstance(value, dict):
        return {key: twin(item, data) for key, item in reversed(value.items())}
    for family in (ZEROS, ONES):
        if any(value == member and type(value) is type(member) for member in family):
            return data.draw(st.sampled_from(family))
    if isinstance(value, decimal.Decimal):
        return data.draw(st.sampled_from([value, value.quantize(decimal.Decimal("0.0001"))]))
    return value


def behaves_alike(a: object, b: object) -> bool:
    """Same type, same ``repr`` and same sign for every leaf (dicts compared by key)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(behaves_alike, a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(behaves_alike(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    if isinstance(a, float) and math.copysign(1.0, a) != math.copysign(1.0, b):  # type: ignore[arg-type]
        return False
    return repr(a) == repr(b)


@given(look_alikes, st.data())
def test_equal_values_that_behave_differently_get_different_bytes(
    value: object, data: st.DataObject
) -> None:
    """``-0.0 == 0.0``, ``Decimal("1.0") == Decimal("1.00") == 1 == 1.0 == True``: not one key."""
    other = twin(value, data)
    assert value == other
    assert (encode_value(value) == encode_value(other)) == behaves_alike(value, other)


def test_the_reported_collisions_are_gone() -> None:
    assert encode_value(-0.0) != encode_value(0.0)
    assert encode_value(complex(0.0, -0.0)) != encode_value(complex(0.0, 0.0))
    assert encode_value(decimal.Decimal("1.0")) != encode_value(decimal.Decimal("1.00"))
    assert encode_value({-0.0}) != encode_value({0.0})
    assert encode_value(float("nan")) == encode_value(-float("nan"))  # NaN payload aside
    assert encode_value([1]) != encode_value((1,))
    assert encode_value("a") != encode_value(b"a")


def test_equal_instants_in_different_zones_differ() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    paris = dt.datetime(2024, 1, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    lagos = paris.astimezone(zoneinfo.ZoneInfo("Africa/Lagos"))  # also +01:00 in January
    utc = paris.astimezone(dt.UTC)
    assert paris == lagos == utc
    assert len({encode_value(paris), encode_value(lagos), encode_value(utc)}) == 3
    folded = dt.datetime(2024, 10, 27, 2, 30, fold=1)
    assert folded == folded.replace(fold=0)
    assert encode_value(folded) != encode_value(folded.replace(fold=0))


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6))
def test_dict_order_does_not_matter(mapping: dict[str, int]) -> None:
    reordered = dict(reversed(list(mapping.items())))
    assert encode_value(mapping) == encode_value(reordered)


@given(st.sets(st.text(max_size=5), max_size=6))
def test_set_order_does_not_matter(items: set[str]) -> None:
    assert encode_value(items) == encode_value(set(sorted(items, reverse=True)))


def test_types_are_tagged() -> None:
    encodings = {encode_value(v) for v in (1, 1.0, True, "1", b"1", [1], (1,), {1})}
    assert len(encodings) == 8


class Color(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass
class Config:
    lr: float
    layers: list[int]


def test_enums_dataclasses_and_pydantic_models_encode_by_value() -> None:
    import pydantic

    class Settings(pydantic.BaseModel):
        epochs: int
        name: str = "x"

    assert encode_value(Color.RED) != encode_value(Color.BLUE)
    assert encode_value(Color.RED) != encode_value(1)
    assert encode_value(Config(0.1, [1, 2])) == encode_value(Config(0.1, [1, 2]))
    assert encode_value(Config(0.1, [1, 2])) != encode_value(Config(0.1, [1, 3]))
    assert encode_value(Settings(epochs=1)) == encode_value(Settings(epochs=1, name="x"))
    assert encode_value(Settings(epochs=1)) != encode_value(Settings(epochs=2))


def test_unencodable_values_are_refused() -> None:
    with pytest.raises(UnhashableParameterError, match="object has no canonical encoding"):
        encode_value(object())
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(UnhashableParameterError, match="nested more than"):
        encode_value(looped)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text(max_size=10),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_encoding_is_the_same_in_another_process(batch: list[object]) -> None:
    batch = [*batch, -0.0, decimal.Decimal("1.00"), {"b": -0.0, "a": decimal.Decimal("-0")}]
    payload = pickle.dumps(batch).hex()
    code = (
        "import json, pickle, sys; from stepstone.cache import encode_value; "
        "values = pickle.loads(bytes.fromhex(sys.stdin.read())); "
        "print(json.dumps([encode_value(v).hex() for v in values]))"
    )
    # A fresh interpreter has a different string-hash seed: set iteration order differs there.
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        env={
            "PYTHONHASHSEED": "random",
            "PATH": "",
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        },
    )
    here = [encode_value(v).hex() for v in batch]
    assert json.loads(other.stdout) == here


def _components(**changes):
    from stepstone.cache import CodeFingerprint, KeyComponents, OutputSpecEntry

    base = dict(
        code=CodeFingerprint("c" * 64, {}),
        parameters={"lr": "a" * 64},
        inputs={"X": "b" * 64},
        output_spec=(OutputSpecEntry("output", "builtins.dict", "builtins.json@1"),),
        cache_version=None,
        extras={},
    )
    base.update(changes)
    return KeyComponents(**base)


@given(
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
)
def test_keys_differ_whenever_a_component_differs(first: dict, second: dict) -> None:
    a, b = _components(parameters=first), _components(parameters=second)
    assert (a.key() == b.key()) == (first == second)
    moved = _components(parameters={}, inputs=first)
    assert first == {} or moved.key() != a.key()


def test_keys_are_fixed_length_hex_and_see_every_component() -> None:
    base = _components()
    assert len(base.key()) == 64 and int(base.key(), 16) >= 0
    variants = [
        _components(cache_version="1"),
        _components(cache_version=""),
        _components(extras={"file:a": "x"}),
        _components(inputs={"X": "c" * 64}),
        _components(output_spec=()),
    ]
    keys = {base.key()} | {variant.key() for variant in variants}
    assert len(keys) == 1 + len(variants)


def test_the_key_of_given_components_never_changes() -> None:
    # Stored cache entries are found by this exact value: a change must bump the schema.
    components = _components(
        parameters={"lr": "a" * 64, "é": "1"}, cache_version="2", extras={"file:a": "x"}
    )
    assert components.key() == "0697a98860ecee8e6ae766ba097c49c61feb0b3a60308927f9ea3a7a83345eba"


def test_an_object_answering_every_attribute_is_not_asked_for_one() -> None:
    # pytest's ``mark`` and proxies answer any name, some with side effects: the encoder asks
    # the type what the value is, so describing such a value never calls its __getattr__.
    asked: list[str] = []

    class AnswersEverything:
        def __getattr__(self, name: str) -> object:
            asked.append(name)
            return lambda *args, **kwargs: {}

    with pytest.raises(UnhashableParameterError):
        encode_value(AnswersEverything())
    assert asked == []
