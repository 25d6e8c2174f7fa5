"""The caching example's IDX reader and writer, and its folder data source, on generated files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from stepstone.examples.caching.data import DataSourceError, load_idx_folder, resolve_source
from stepstone.examples.caching.idx import IdxFormatError, read_idx, write_idx

MNIST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_plain_and_gzip(tmp_path: Path, name: str, dtype: type) -> None:
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = write_idx(tmp_path / name, array)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype)
    assert loaded.shape == (2, 3, 4)
    np.testing.assert_array_equal(loaded, array)


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    array = np.arange(10, dtype=np.uint8)
    first = write_idx(tmp_path / "a" / "labels-idx1-ubyte.gz", array).read_bytes()
    second = write_idx(tmp_path / "b" / "labels-idx1-ubyte.gz", array).read_bytes()
    assert first == second


def test_bad_magic_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(IdxFormatError, match=r"not an IDX file: it starts with 504b0304"):
        read_idx(path)


def test_unknown_type_code_and_truncation(tmp_path: Path) -> None:
    (tmp_path / "code").write_bytes(bytes([0, 0, 0x42, 1]) + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(IdxFormatError, match="unknown IDX type code 0x42"):
        read_idx(tmp_path / "code")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big") + b"ab")
    with pytest.raises(IdxFormatError, match="truncated or corrupt"):
        read_idx(tmp_path / "short")


def test_gzip_that_is_not_gzip_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x-idx1-ubyte.gz").write_bytes(b"plain bytes")
    with pytest.raises(IdxFormatError, match="Cannot read IDX file"):
        read_idx(tmp_path / "x-idx1-ubyte.gz")


def test_unsupported_dtype_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IdxFormatError, match="Cannot write complex128"):
        write_idx(tmp_path / "x", np.zeros(2, dtype=np.complex128))


def test_a_folder_with_only_the_t10k_pair_is_split_with_a_fixed_seed(tmp_path: Path) -> None:
    images = np.arange(40 * 4, dtype=np.uint8).reshape(40, 2, 2)
    labels = (np.arange(40) % 10).astype(np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    first = load_idx_folder(tmp_path)
    second = load_idx_folder(tmp_path)
    assert [len(part) for part in first] == [30, 30, 10, 10]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_folder_with_both_pairs_uses_them_as_they_are(tmp_path: Path) -> None:
    for stem, count in (("train", 6), ("t10k", 3)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte", np.zeros((count, 2, 2), np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte.gz", np.ones(count, np.uint8))
    assert [len(part) for part in load_idx_folder(tmp_path)] == [6, 6, 3, 3]


def test_missing_files_and_unknown_sources_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="t10k-images-idx3-ubyte and no t10k-labels"):
        load_idx_folder(tmp_path)
    with pytest.raises(DataSourceError, match="Unknown data source 'mnsit'"):
        resolve_source("mnsit")
    assert resolve_source("digits") == "digits"
    assert resolve_source(tmp_path) == str(tmp_path.resolve())


def test_offline_download_names_the_urls_and_the_way_out(tmp_path: Path) -> None:
    from stepstone.examples.caching.data import download_mnist

    mirrors = ("http://127.0.0.1:9/nowhere/", "http://127.0.0.1:9/also/")
    with pytest.raises(DataSourceError, match="--data /path/to/folder") as raised:
        download_mnist(tmp_path, mirrors=mirrors, timeout=2.0)
    assert "http://127.0.0.1:9/nowhere/train-images-idx3-ubyte.gz" in str(raised.value)
    assert "http://127.0.0.1:9/also/train-images-idx3-ubyte.gz" in str(raised.value)
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.skipif(not MNIST.is_dir(), reason=f"no MNIST test set at {MNIST}")
def test_reads_the_real_mnist_test_set() -> None:
    images = read_idx(MNIST / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28)
    assert images.dtype == np.uint8
    assert labels.shape == (10_000,)
    assert set(np.unique(labels)) == set(range(10))
    with gzip.open(MNIST / "t10k-labels-idx1-ubyte.gz") as handle:
        assert handle.read(4) == bytes([0, 0, 8, 1])
    X_train, _, X_test, _ = load_idx_folder(MNIST)
    assert (len(X_train), len(X_test)) == (7_500, 2_500)
