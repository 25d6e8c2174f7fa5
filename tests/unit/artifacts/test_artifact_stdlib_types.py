"""Dates, Decimals, UUIDs, Enums and friends are stored as tagged JSON, never pickled."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import http
import json
import uuid
import warnings
import zoneinfo
from collections.abc import Callable
from pathlib import Path
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
from stepstone.exceptions import ArtifactIntegrityError


class Mode(enum.Enum):
    """Importable by name (this test module), so its members are stored as JSON."""

    FAST = "fast"
    SAFE = ("safe", 2)


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


UTC_OFFSETS = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
STDLIB = (
    st.datetimes(timezones=st.none() | UTC_OFFSETS).map(lambda value: value.replace(fold=0))
    | st.dates()
    | st.times(timezones=st.none() | UTC_OFFSETS).map(lambda value: value.replace(fold=0))
    | st.timedeltas()
    | st.decimals(allow_nan=False)
    | st.uuids()
    | st.complex_numbers(allow_nan=False)
    | st.binary(max_size=8).map(bytearray)
    | st.sampled_from([Mode.FAST, Mode.SAFE, Perm.R | Perm.W, http.HTTPStatus.OK])
)
HASHABLE = STDLIB.filter(lambda value: type(value) is not bytearray)
NESTED = st.recursive(
    STDLIB,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4), children, max_size=3)
        | st.dictionaries(HASHABLE, children, max_size=3)
        | st.sets(HASHABLE, max_size=3)
        | st.frozensets(HASHABLE, max_size=3)
    ),
    max_leaves=8,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types throughout: the tagged encoding names every type (and
    tells ``Decimal("1.0")`` from ``Decimal("1.00")``), so equal encodings say the rest."""
    return type(a) is type(b) and a == b and encode(a) == encode(b)


@settings(deadline=None, max_examples=200)
@given(NESTED)
def test_round_trip_exact(value: Any) -> None:
    assert is_encodable(value)
    data = encode(value)
    assert same(decode(data), value)
    assert encode(decode(data)) == data


@settings(deadline=None, max_examples=25)
@given(NESTED)
def test_store_round_trip_without_pickle(
    tmp_path_factory: pytest.TempPathFactory, value: Any
) -> None:
    store = ArtifactStore(tmp_path_factory.mktemp("stdlib"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no PickleFallbackWarning
        stored = store.save(value)
    assert stored.materializer == BuiltinsJsonMaterializer.name
    assert same(store.load(stored.uri, stored.materializer, stored.data_type), value)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 2, 29, 12, 30, 0, 1, tzinfo=dt.UTC),
        dt.date(1, 1, 1),
        dt.time(23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.timedelta(days=-3, microseconds=7),
        decimal.Decimal("1.00"),
        decimal.Decimal("-0"),
        decimal.Decimal("-Infinity"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        complex(float("inf"), -0.0),
        bytearray(b"\x00\xff"),
        Mode.SAFE,
        Perm.R | Perm.X,
        http.HTTPStatus.NOT_FOUND,
        {Mode.FAST: {dt.date(2020, 1, 1), uuid.UUID(int=1)}, "d": [decimal.Decimal("2.50")]},
    ],
    ids=repr,
)
def test_each_type_is_chosen_and_round_trips(store: ArtifactStore, value: Any) -> None:
    assert materializer_for_value(value) is BuiltinsJsonMaterializer
    stored = store.save(value)
    assert same(store.load(stored.uri, stored.materializer, stored.data_type), value)


def test_nan_decimals_and_complex_round_trip() -> None:
    # NaN is not equal to itself, so compare the text forms.
    for value in (decimal.Decimal("NaN"), decimal.Decimal("-sNaN2"), complex(float("nan"), 1)):
        assert repr(decode(encode(value))) == repr(value)


def test_equal_values_give_equal_bytes_in_every_process(run_python: Callable[..., str]) -> None:
    code = (
        "import datetime, decimal, uuid, http\n"
        "from stepstone.artifacts.materializers.builtin_json import encode\n"
        "value = {frozenset({uuid.UUID(int=i) for i in range(9)}),"
        " frozenset({decimal.Decimal(i) / 4 for i in range(9)}),"
        " frozenset({http.HTTPStatus(code) for code in (200, 201, 404, 500)}),"
        " frozenset({datetime.date(2020, 1, d) for d in range(1, 9)})}\n"
        "print(encode(value).decode())"
    )
    outputs = {run_python(code, hash_seed=seed) for seed in ("0", "1", "2", "12345")}
    assert len(outputs) == 1


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),  # zone rules
        dt.datetime(2024, 1, 1, fold=1),
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1), "CET")),  # a name
        enum.Enum("Local", "A B").A,  # not importable by its name
        type("Stamp", (dt.date,), {})(2020, 1, 1),  # a subclass would come back a date
    ],
    ids=["zoneinfo", "fold", "named-offset", "local-enum", "date-subclass"],
)
def test_values_that_would_not_come_back_exactly_are_declined(value: Any) -> None:
    assert not is_encodable(value)
    assert materializer_for_value(value) is not BuiltinsJsonMaterializer


def test_enum_annotations_resolve_to_json() -> None:
    assert BuiltinsJsonMaterializer.handles_type(Mode)
    assert BuiltinsJsonMaterializer.handles_type(dt.datetime)
    assert not BuiltinsJsonMaterializer.handles_type(enum.Enum("Local", "A"))


@pytest.mark.parametrize(
    ("tag", "error"),
    [
        (["os:system", "echo hi"], "is <built-in function system>"),
        (["os.path:sep", "x"], "is '/'"),
        (["not a name", 1], "not an importable"),
    ],
)
def test_a_tag_naming_anything_but_an_enum_class_is_refused(tag: list[Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        decode(json.dumps({"$enum": tag}).encode())


def test_a_damaged_enum_tag_imports_nothing(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON is verified before it is parsed: a tag smuggled in never imports its module."""
    module = tmp_path / "mods" / "planted_module.py"
    module.parent.mkdir()
    marker = tmp_path / "IMPORTED"
    module.write_text(f"open({str(marker)!r}, 'w').close()\nimport enum\nE = enum.Enum('E', 'A')\n")
    monkeypatch.syspath_prepend(str(module.parent))
    stored = store.save([Mode.FAST, "padding" * 10])
    data = Path(stored.uri) / "data.json"
    planted = json.dumps([{"$enum": ["planted_module:E", 1]}]).encode()
    data.write_bytes(planted.ljust(data.stat().st_size))
    with pytest.raises(ArtifactIntegrityError, match=r"data\.json"):
        store.load(stored.uri, stored.materializer, stored.data_type)
    assert not marker.exists()


def test_an_enum_member_that_no_longer_exists_fails_to_load() -> None:
    data = encode(Mode.FAST).replace(b'"fast"', b'"gone"')
    with pytest.raises(ValueError, match="'gone' is not a valid Mode"):
        decode(data)
