"""Keras 3 models: the .keras format, rewritten so equal models give equal bytes."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stepstone.artifacts import ArtifactStore

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

# Keras 3.15 calls np.array(variable) with NumPy 2 semantics it does not implement yet.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

MODEL = """
import numpy as np, keras
keras.backend.clear_session()  # layer names count per process: start from 0
keras.utils.set_random_seed(0)
model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)]
)
model.compile(optimizer="adam", loss="mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
"""


def _model() -> Any:
    namespace: dict[str, Any] = {}
    exec(MODEL, namespace)
    return namespace["model"]


def test_models_round_trip(store: ArtifactStore) -> None:
    model = _model()
    stored = store.save(model)
    assert stored.materializer == "keras.model"
    assert stored.summary == {
        "class": "keras.src.models.sequential.Sequential",
        "layers": 2,
        "parameters": 19,
    }
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    assert isinstance(back, keras.Sequential)
    for original, loaded in zip(model.get_weights(), back.get_weights(), strict=True):
        np.testing.assert_array_equal(original, loaded)
    x = np.linspace(0, 1, 8, dtype="float32").reshape(2, 4)
    np.testing.assert_array_equal(model.predict(x, verbose=0), back.predict(x, verbose=0))


def test_compiled_models_that_never_trained_round_trip(store: ArtifactStore) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    stored = store.save(model)
    back = store.load(stored.uri, stored.materializer, stored.data_type)
    back.fit(np.ones((4, 4), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)


def test_the_zip_has_no_time_and_no_addresses(store: ArtifactStore) -> None:
    stored = store.save(_model())
    with zipfile.ZipFile(Path(stored.uri) / "model.keras") as archive:
        names = [info.filename for info in archive.infolist()]
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        metadata = json.loads(archive.read("metadata.json"))
        config = archive.read("config.json").decode()
    assert metadata["date_saved"] == "1980-01-01@00:00:00"
    ids = {
        int(part.split(",")[0].split("}")[0]) for part in config.split('"shared_object_id":')[1:]
    }
    assert ids <= set(range(1, 10))


@pytest.mark.slow
def test_same_bytes_in_every_process(
    same_hash_in_fresh_processes: Callable[[str, str, str], str], store: ArtifactStore
) -> None:
    content_hash = same_hash_in_fresh_processes("keras.model", MODEL, "model")
    assert store.save(_model()).content_hash == content_hash
