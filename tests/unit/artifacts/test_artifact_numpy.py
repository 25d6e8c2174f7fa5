"""The ``numpy.npy`` materializer: exact round trips of arrays and scalars, no pickle."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from stepstone.artifacts import ArtifactStore, materializer_for_type, materializer_for_value
from stepstone.artifacts.materializers.numpy_npy import NumpyMaterializer, write_npy
from stepstone.exceptions import PickleFallbackWarning

DTYPES = (
    hnp.scalar_dtypes()
    | hnp.byte_string_dtypes(max_len=4)
    | hnp.unicode_string_dtypes(max_len=4)
    | hnp.nested_dtypes(max_itemsize=64)
)


def identical(a: Any, b: Any) -> bool:
    """Same type, dtype, shape and bytes (so NaN payloads and -0.0 count)."""
    if type(a) is not type(b) or a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> ArtifactStore:
    return ArtifactStore(tmp_path_factory.mktemp("numpy"))


@settings(deadline=None, max_examples=200)
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
def test_arrays_round_trip_exactly(module_store: ArtifactStore, array: np.ndarray) -> None:
    stored = module_store.save(array)
    assert stored.materializer == "numpy.npy"
    assert stored.data_type == "numpy.ndarray"
    assert stored.summary == {"shape": list(array.shape), "dtype": str(array.dtype)}
    loaded = module_store.load(stored.uri, stored.materializer, stored.data_type)
    assert identical(loaded, array)


@settings(deadline=None, max_examples=100)
@given(hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=2, max_dims=3, min_side=1)))
def test_layout_does_not_change_the_hash(module_store: ArtifactStore, array: np.ndarray) -> None:
    fortran = np.asfortranarray(array)
    strided = np.repeat(array, 2, axis=0)[::2]
    assert not strided.flags.c_contiguous or array.shape[0] == 1 or array.size == 0
    hashes = {module_store.save(a).content_hash for a in (array, fortran, strided)}
    assert len(hashes) == 1


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.int16).reshape(2, 3, 4),
        np.arange(12.0).reshape(3, 4).T,
        np.arange(20)[::3],
        np.zeros((0, 3), dtype=np.float32),
        np.array(7, dtype=np.uint8),
        np.array([(1, 2.5, b"ab")], dtype=[("a", "<i4"), ("b", ">f8"), ("c", "S2")]),
        np.array(["2020-01-01", "NaT"], dtype="datetime64[ns]"),
        np.array([1 + 2j], dtype=np.complex64),
        np.array(["héllo", ""], dtype="U5"),
    ],
    ids=[
        "3d",
        "transposed",
        "strided",
        "empty",
        "0d",
        "structured",
        "datetime",
        "complex",
        "unicode",
    ],
)
def test_known_arrays_round_trip(store: ArtifactStore, array: np.ndarray) -> None:
    stored = store.save(array)
    assert identical(store.load(stored.uri, stored.materializer, stored.data_type), array)
    # Without the recorded type, the files alone say array or scalar.
    assert identical(store.load(stored.uri, stored.materializer), array)


def test_bytes_are_those_of_np_save_for_c_ordered_arrays() -> None:
    array = np.arange(10, dtype=np.float64).reshape(2, 5)
    ours, theirs = io.BytesIO(), io.BytesIO()
    write_npy(ours, array)
    np.save(theirs, array, allow_pickle=False)
    assert ours.getvalue() == theirs.getvalue()


def test_many_fields_use_format_2(store: ArtifactStore) -> None:
    dtype = np.dtype([(f"field_{i:05d}", "<i4") for i in range(3000)])
    array = np.zeros(2, dtype=dtype)
    buffer = io.BytesIO()
    write_npy(buffer, array)
    buffer.seek(0)
    assert np.lib.format.read_magic(buffer) == (2, 0)
    stored = store.save(array)
    assert identical(store.load(stored.uri, stored.materializer, stored.data_type), array)


@pytest.mark.parametrize(
    "scalar",
    [
        np.float64(1.5),
        np.float32(-0.0),
        np.float16(np.nan),
        np.int8(-3),
        np.uint64(2**64 - 1),
        np.bool_(True),
        np.complex128(1 - 1j),
        np.str_("abc"),
        np.bytes_(b"xy"),
        np.datetime64("2024-02-29T12:00"),
        np.timedelta64(5, "s"),
    ],
    ids=lambda s: type(s).__name__,
)
def test_scalars_come_back_as_the_same_numpy_type(store: ArtifactStore, scalar: Any) -> None:
    stored = store.save(scalar)
    assert stored.materializer == "numpy.npy"
    assert stored.data_type == f"numpy.{type(scalar).__name__}"
    assert stored.summary["dtype"] == str(scalar.dtype)
    for data_type in (stored.data_type, None):
        loaded = store.load(stored.uri, stored.materializer, data_type)
        assert type(loaded) is type(scalar)
        assert identical(np.asarray(loaded), np.asarray(scalar))


def test_a_0d_array_and_its_scalar_are_different_artifacts(store: ArtifactStore) -> None:
    assert store.save(np.array(1.5)).content_hash != store.save(np.float64(1.5)).content_hash


def test_numpy_float64_is_not_taken_for_a_python_float() -> None:
    # np.float64 subclasses float; the more specific registration must win.
    assert materializer_for_value(np.float64(1.0)) is NumpyMaterializer
    assert materializer_for_type(np.float64) is NumpyMaterializer


def test_object_arrays_fall_back_to_pickle(store: ArtifactStore) -> None:
    array = np.array([{"a": 1}, None], dtype=object)
    assert not NumpyMaterializer().can_save(array)
    with pytest.warns(PickleFallbackWarning, match="numpy.ndarray"):
        stored = store.save(array)
    assert stored.materializer == "cloudpickle"
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert loaded.dtype == object
    assert loaded.tolist() == array.tolist()


def test_subclasses_that_would_lose_information_are_declined() -> None:
    masked = np.ma.masked_array([1, 2], mask=[True, False])
    assert not NumpyMaterializer().can_save(masked)
    assert not NumpyMaterializer().can_save(np.array(["x"], dtype=np.dtypes.StringDType()))
    assert not NumpyMaterializer.handles_type(np.ma.MaskedArray)
    assert NumpyMaterializer.handles_type(np.ndarray)


def test_memmap_is_saved_as_an_array(store: ArtifactStore, tmp_path: Any) -> None:
    mapped = np.memmap(tmp_path / "m.bin", dtype=np.int32, mode="w+", shape=(3,))
    mapped[:] = [1, 2, 3]
    stored = store.save(mapped)
    assert stored.data_type == "numpy.memmap"
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(loaded) is np.ndarray
    assert loaded.tolist() == [1, 2, 3]
    del mapped


def test_large_array_streams_to_disk(store: ArtifactStore) -> None:
    array = np.random.default_rng(0).random(400_000)  # 3.2 MB: beyond the in-memory limit
    stored = store.save(array)
    assert stored.size == array.nbytes + 128
    assert store.verify(stored.uri)
    assert identical(store.load(stored.uri, stored.materializer, stored.data_type), array)
