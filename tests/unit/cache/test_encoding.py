"""Canonical parameter encoding: equal values give equal bytes, different values different bytes."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
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
    """Equality that also compares types, with every NaN equal and -0.0 equal to 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b  # type: ignore[arg-type]
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=False))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    return a == b


@given(values, values)
def test_bytes_are_equal_exactly_when_values_are(a: object, b: object) -> None:
    assert (encode_value(a) == encode_value(b)) == same(a, b)


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
    payload = json.dumps(batch)
    code = (
        "import json, sys; from stepstone.cache import encode_value; "
        "print(json.dumps([encode_value(v).hex() for v in json.loads(sys.stdin.read())]))"
    )
    # A fresh interpreter has a different string-hash seed: set iteration order differs there.
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "random", "PATH": ""},
    )
    here = [encode_value(v).hex() for v in json.loads(payload)]
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
