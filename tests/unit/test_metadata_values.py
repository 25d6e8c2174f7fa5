"""Metadata values: what may be logged round-trips through its stored JSON, typed values keep
their type, and anything else is refused naming its key."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stepstone.exceptions import MetadataValueError
from stepstone.metadata.metadata_types import DType, Path, StorageSize, Uri
from stepstone.metadata.values import decode_value, encode_value, normalize_metadata

_SCALARS = st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_TYPED = (
    st.text().map(Uri)
    | st.text().map(Path)
    | st.text().map(DType)
    | st.integers(min_value=0).map(StorageSize)
)


def _through_json(value: object) -> object:
    return decode_value(json.loads(json.dumps(encode_value(value))))


@given(_VALUES)
def test_json_like_values_round_trip(value: object) -> None:
    normalized = normalize_metadata({"k": value}, "here")["k"]
    assert _through_json(normalized) == value


@given(_TYPED)
def test_typed_values_come_back_with_their_type(value: object) -> None:
    back = _through_json(normalize_metadata({"k": value}, "here")["k"])
    assert back == value and type(back) is type(value)


def test_tuples_and_sets_become_lists_and_numpy_scalars_numbers() -> None:
    np = pytest.importorskip("numpy")
    values = normalize_metadata({"t": (1, 2), "s": {3}, "n": np.int64(4)}, "here")
    assert values == {"t": [1, 2], "s": [3], "n": 4} and type(values["n"]) is int


def test_a_value_that_cannot_be_stored_is_refused_with_its_key() -> None:
    with pytest.raises(MetadataValueError, match=r"here: metadata 'nested\.deep' holds a bytes"):
        normalize_metadata({"nested": {"deep": b"raw"}}, "here")
    with pytest.raises(MetadataValueError, match="keys are non-empty strings"):
        normalize_metadata({1: "a"}, "here")  # type: ignore[dict-item]
    with pytest.raises(MetadataValueError, match="must be a dict"):
        normalize_metadata([("a", 1)], "here")  # type: ignore[arg-type]
