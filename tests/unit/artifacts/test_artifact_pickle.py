"""The cloudpickle fallback: warns once per type, round trips, fails cleanly."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest

from stepstone.artifacts import ArtifactStore, materializer_for_value
from stepstone.artifacts.materializers import CloudpickleMaterializer
from stepstone.exceptions import MaterializerError, PickleFallbackWarning


def test_warns_once_per_type(store: ArtifactStore) -> None:
    class Model:
        def __init__(self, weights: list[float]) -> None:
            self.weights = weights

    class Other:
        pass

    with pytest.warns(PickleFallbackWarning) as record:
        first = store.save(Model([0.5]))
    assert len(record) == 1
    message = str(record[0].message)
    assert "test_warns_once_per_type.<locals>.Model" in message
    assert "@register_materializer(Model)" in message
    assert "stepstone.artifacts.Materializer" in message
    assert record[0].filename == __file__  # points at the caller, not at stepstone
    assert first.materializer == "cloudpickle"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store.save(Model([1.5]))  # same type: silent
        assert materializer_for_value(Model([2.0]), fallback=True) is CloudpickleMaterializer

    with pytest.warns(PickleFallbackWarning, match="Other"):
        store.save(Other())


def test_where_warnings_are_errors_every_attempt_fails_alike(store: ArtifactStore) -> None:
    class Strict:
        pass

    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(PickleFallbackWarning):
                store.save(Strict())
    assert list(store.iter_hashes()) == []


def test_explicit_choice_does_not_warn(store: ArtifactStore) -> None:
    class Chosen:
        pass

    stored = store.save(Chosen(), materializer=CloudpickleMaterializer)
    assert stored.materializer == "cloudpickle"
    assert stored.summary["type"].endswith("Chosen")
    assert isinstance(store.load(stored.uri, "cloudpickle", stored.data_type), Chosen)


def test_functions_and_local_classes_round_trip(store: ArtifactStore) -> None:
    offset = 10

    class Scaler:
        def __init__(self, factor: float) -> None:
            self.factor = factor

        def __call__(self, x: float) -> float:
            return x * self.factor + offset

    with pytest.warns(PickleFallbackWarning):
        stored = store.save(Scaler(2.0))
    assert store.load(stored.uri, stored.materializer, stored.data_type)(1.0) == 12.0
    with pytest.warns(PickleFallbackWarning, match="function"):
        stored = store.save(lambda x: x + offset)
    assert store.load(stored.uri, stored.materializer)(1) == 11


def test_unpicklable_values_raise_a_materializer_error(store: ArtifactStore) -> None:
    with (
        pytest.warns(
            PickleFallbackWarning, match=r"'builtins\.dict' was declined by builtins\.json"
        ),
        pytest.raises(MaterializerError) as info,
    ):
        store.save({"lock": threading.Lock()})
    message = str(info.value)
    assert "type 'builtins.dict' with materializer 'cloudpickle'" in message
    assert "cannot pickle" in message
    assert "@register_materializer(dict)" in message
    assert isinstance(info.value.__cause__, TypeError)
    assert list(store.iter_hashes()) == []
    staging = Path(store.staging_dir)
    assert not staging.exists() or not any(staging.iterdir())


def test_summary_is_short(store: ArtifactStore) -> None:
    summary = CloudpickleMaterializer().summary(complex(1, 2))
    assert summary["type"] == "builtins.complex"
    assert summary["repr"] == "(1+2j)"
    assert summary["python"].count(".") == 1
    long = CloudpickleMaterializer().summary(range(10**6))
    assert len(long["repr"]) <= 80
