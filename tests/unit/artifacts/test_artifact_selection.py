"""Choosing a materializer: explicit choices, lazily imported integrations, the listing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from stepstone.artifacts import (
    ArtifactReader,
    ArtifactStore,
    ArtifactWriter,
    Materializer,
    get_materializer,
    materializer_for,
    materializer_for_type,
    register_materializer,
    registered_materializers,
    resolve_materializer,
)
from stepstone.artifacts.catalog import LAZY_MATERIALIZERS, import_target
from stepstone.artifacts.materializers import BuiltinsJsonMaterializer, NumpyMaterializer
from stepstone.exceptions import MaterializerError


class TextArray(Materializer):
    """A user's format for arrays, chosen per output rather than registered."""

    name = "test.text-array"
    version = "2"

    def can_save(self, value: Any) -> bool:
        return isinstance(value, np.ndarray) and value.ndim == 1

    def save(self, value: np.ndarray, writer: ArtifactWriter) -> None:
        with writer.open("values.txt", "w") as file:
            file.write(" ".join(repr(float(v)) for v in value))

    def load(self, reader: ArtifactReader, data_type: str | None) -> np.ndarray:
        with reader.open("values.txt", "r") as file:
            return np.array([float(v) for v in file.read().split()])


def test_preferred_materializer_wins_over_the_registry(store: ArtifactStore) -> None:
    value = np.array([1.5, 2.5])
    assert materializer_for(value) is NumpyMaterializer
    assert materializer_for(value, preferred=TextArray) is TextArray
    stored = store.save(value, materializer=TextArray)
    assert (stored.materializer, stored.materializer_version) == ("test.text-array", "2")
    assert np.array_equal(store.load(stored.uri, stored.materializer), value)


def test_preferred_materializer_is_checked(store: ArtifactStore) -> None:
    with pytest.raises(MaterializerError, match=r"'test\.text-array' cannot save"):
        materializer_for(np.zeros((2, 2)), preferred=TextArray)
    with pytest.raises(MaterializerError, match=r"Did you mean 'numpy\.npy'"):
        materializer_for(np.zeros(2), preferred="numpy.npyy")
    with pytest.raises(TypeError, match="Materializer subclass"):
        resolve_materializer(int)  # type: ignore[arg-type]


def test_resolving_makes_a_materializer_loadable_by_name() -> None:
    class Unregistered(TextArray):
        name = "test.unregistered"

    assert resolve_materializer(Unregistered) is Unregistered
    assert get_materializer("test.unregistered") is Unregistered
    assert resolve_materializer("builtins.json") is BuiltinsJsonMaterializer


def test_output_spec_identity_honours_the_preferred_materializer() -> None:
    assert materializer_for_type(np.ndarray) is NumpyMaterializer
    assert materializer_for_type(np.ndarray, preferred=TextArray) is TextArray


def test_type_hint_narrows_the_choice(store: ArtifactStore) -> None:
    @register_materializer("test.Nothing")
    class Hinted(TextArray):
        name = "test.hinted"

    stored = store.save(np.array([1.0]), type_hint="test.Nothing")
    assert stored.materializer == "test.hinted"


# -- integrations: known by name, imported on first use -------------------------------------------


@pytest.mark.parametrize("lazy", LAZY_MATERIALIZERS, ids=[lazy.name for lazy in LAZY_MATERIALIZERS])
def test_catalog_matches_the_integration_classes(lazy: Any) -> None:
    cls = import_target(lazy.target)
    assert issubclass(cls, Materializer)
    assert cls.name == lazy.name
    assert set(cls.handled_types) == set(lazy.handled_types)
    assert cls.version
    assert cls.__module__.startswith("stepstone.integrations.")


def test_listing_shows_every_materializer() -> None:
    rows = {row.name: row for row in registered_materializers()}
    expected = {
        "builtins.json",
        "cloudpickle",
        "dataclass.json",
        "keras.model",
        "numpy.npy",
        "numpy.npz",
        "pandas.parquet",
        "pathlib.path",
        "polars.parquet",
        "pyarrow.parquet",
        "pydantic.json",
        "sklearn.state",
        "torch.module",
        "torch.safetensors",
    }
    assert expected <= set(rows)
    assert rows["torch.module"].handled_types == ("torch.nn.modules.module.Module",)
    assert rows["torch.module"].module == "stepstone.integrations.torch_safetensors"
    assert [name for name, row in rows.items() if row.uses_pickle] == ["cloudpickle"]


def test_a_user_registration_beats_a_built_in_integration() -> None:
    """Even when the user registered first and the integration is imported later."""
    pd = pytest.importorskip("pandas")

    @register_materializer(pd.DataFrame)
    class MyFrames(Materializer):
        name = "test.my-frames"

        def save(self, value: Any, writer: Any) -> None:
            with writer.open("frame.json") as file:
                file.write(value.to_json().encode())

        def load(self, reader: Any, data_type: str | None) -> Any:
            with reader.open("frame.json") as file:
                return pd.read_json(file)

    assert materializer_for(pd.DataFrame({"x": [1]})) is MyFrames
    assert get_materializer("pandas.parquet").name == "pandas.parquet"  # still loadable


@pytest.mark.slow
def test_importing_stepstone_imports_no_integration(run_python: Callable[..., str]) -> None:
    loaded = run_python(
        "import sys, stepstone, stepstone.artifacts\n"
        "heavy = ('numpy', 'pandas', 'pyarrow', 'polars', 'sklearn', 'torch', 'keras',"
        " 'safetensors', 'stepstone.integrations')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert loaded == "[]"


@pytest.mark.slow
def test_an_integration_loads_in_a_fresh_process(
    run_python: Callable[..., str], tmp_path: Any
) -> None:
    pytest.importorskip("pyarrow")
    store = ArtifactStore(tmp_path)
    import pyarrow as pa

    stored = store.save(pa.table({"x": [1, 2, 3]}))
    assert stored.materializer == "pyarrow.parquet"
    out = run_python(
        "import sys\n"
        "from stepstone.artifacts import ArtifactStore\n"
        "table = ArtifactStore(sys.argv[1]).load(sys.argv[2], sys.argv[3])\n"
        "print(table.column('x').to_pylist())",
        str(tmp_path),
        stored.uri,
        stored.materializer,
    )
    assert out == "[1, 2, 3]"
