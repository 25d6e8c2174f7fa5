"""The row codec's shortcuts give what the plain code gives: JSON text, checked text columns."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.records import ArtifactRecord
from stepstone.metadata.sql import codec


class _Color(enum.Enum):
    RED = "red"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
)


@given(st.dictionaries(st.text(), _JSON_VALUES))
def test_json_columns_are_what_the_json_encoder_writes(value: dict[str, Any]) -> None:
    plain = json.JSONEncoder(default=codec._json_default, ensure_ascii=False)
    assert codec._encode(value) == plain.encode(value)


def test_json_columns_keep_the_defaults_and_the_circular_check() -> None:
    value = {"color": _Color.RED, "tags": {"b"}, "when": datetime(2024, 1, 2, tzinfo=UTC)}
    assert json.loads(codec.encode_json(value)) == {
        "color": "red",
        "tags": ["b"],
        "when": "2024-01-02T00:00:00+00:00",
    }
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(ValueError, match="Circular reference"):
        codec.encode_json(looped)
    assert codec.encode_json({"after": "a failed encoding"}) == '{"after": "a failed encoding"}'


def _artifact(**fields: Any) -> ArtifactRecord:
    values: dict[str, Any] = {
        "id": "a" * 32,
        "content_hash": "b" * 64,
        "uri": "/store/bb/" + "b" * 64,
        "data_type": "builtins.int",
        "materializer": "builtins.json",
        "materializer_version": "1",
        "size": 1,
        "producer_step_run_id": None,
        "created_at": datetime(2024, 1, 2, tzinfo=UTC),
        "summary": {},
    }
    return ArtifactRecord(**{**values, **fields})


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({}, "builtins.int"),
        ({"data_type": "a\x00b"}, "a\\x00b"),
        ({"data_type": "caf\udce9"}, "caf\\xe9"),
        ({"data_type": "café"}, "café"),
    ],
    ids=["plain", "nul", "surrogate", "non-ascii"],
)
def test_text_columns_are_stored_as_storable_text(fields: dict[str, Any], stored: str) -> None:
    row = codec.ARTIFACT_CODEC.row(_artifact(**fields), codec.sqlite_datetime_in)
    assert row[codec.ARTIFACT_CODEC.fields.index("data_type")] == stored


@pytest.mark.parametrize("field", ["data_type", "id"])
def test_a_text_too_long_for_its_column_is_refused(field: str) -> None:
    with pytest.raises(MetadataStoreError, match=f"artifacts.{field} holds at most"):
        codec.ARTIFACT_CODEC.row(_artifact(**{field: "x" * 300}), codec.sqlite_datetime_in)


def test_a_long_text_fits_an_unbounded_column() -> None:
    row = codec.ARTIFACT_CODEC.row(_artifact(uri="u" * 10_000), codec.sqlite_datetime_in)
    assert row[codec.ARTIFACT_CODEC.fields.index("uri")] == "u" * 10_000


def test_a_value_that_is_no_text_is_left_as_it_is() -> None:
    row = codec.ARTIFACT_CODEC.row(_artifact(materializer_version=3), codec.sqlite_datetime_in)
    assert row[codec.ARTIFACT_CODEC.fields.index("materializer_version")] == 3
