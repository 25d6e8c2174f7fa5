"""Loading checks every byte against the content hash; damage is reported, removed, repaired."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from stepstone.artifacts import ArtifactStore, open_artifact_store
from stepstone.artifacts.hashing import MANIFEST_NAME
from stepstone.artifacts.integrity import stamps
from stepstone.artifacts.materializers import CloudpickleMaterializer
from stepstone.exceptions import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    ArtifactStoreError,
    MaterializerError,
)

BIG = np.arange(5_000_000, dtype=np.float64)  # 40 MB: the pipelined read path


def _flip_last_byte(path: Path) -> None:
    """Change one byte in place, keeping the size (the damage size checks cannot see)."""
    time.sleep(0.01)  # a new ctime even on coarse-clocked file systems
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_errors_form_one_family() -> None:
    assert issubclass(ArtifactMissingError, ArtifactIntegrityError)
    assert issubclass(ArtifactIntegrityError, ArtifactStoreError)
    error = ArtifactIntegrityError("bad", uri="u", file="f")
    assert (error.uri, error.file) == ("u", "f")


@pytest.mark.parametrize(
    ("value", "file"),
    [({"a": list(range(50))}, "data.json"), (BIG, "data.npy"), (np.arange(10), "data.npy")],
    ids=["json", "big-array", "small-array"],
)
def test_damaged_bytes_are_detected_then_removed(
    store: ArtifactStore, value: object, file: str
) -> None:
    stored = store.save(value)
    _flip_last_byte(Path(stored.uri) / file)
    with pytest.raises(ArtifactIntegrityError, match="is damaged: file") as info:
        store.load(stored.uri, stored.materializer, stored.data_type)
    assert info.value.uri == stored.uri
    assert info.value.file == file
    assert "rerun the step that produced it" in str(info.value)
    assert not isinstance(info.value, ArtifactMissingError)
    # Removed: the store now says it is missing, so a run treats it as a cache miss.
    assert not store.exists(stored.uri)
    with pytest.raises(ArtifactMissingError):
        store.load(stored.uri, stored.materializer, stored.data_type)


def test_resaving_repairs_the_store(store: ArtifactStore) -> None:
    stored = store.save(BIG)
    _flip_last_byte(Path(stored.uri) / "data.npy")
    with pytest.raises(ArtifactIntegrityError):
        store.load(stored.uri, stored.materializer, stored.data_type)
    again = store.save(BIG)  # what re-executing the producing step does
    assert again == stored
    assert np.array_equal(store.load(stored.uri, stored.materializer, stored.data_type), BIG)
    assert store.verify(stored.uri)


def test_saving_over_a_damaged_copy_of_the_same_size_replaces_it(store: ArtifactStore) -> None:
    stored = store.save(BIG)
    path = Path(stored.uri) / "data.npy"
    _flip_last_byte(path)
    assert store.exists(stored.uri)  # cheap checks cannot tell
    assert store.save(BIG) == stored  # the save itself notices, by content
    assert store.verify(stored.uri)
    assert np.array_equal(store.load(stored.uri, stored.materializer, stored.data_type), BIG)


def test_a_damaged_copy_is_caught_even_after_this_process_verified_it(
    store: ArtifactStore,
) -> None:
    """Stamps trust a file only while its stat is unchanged; any write changes ctime."""
    stored = store.save({"k": "v" * 100})
    store.load(stored.uri, stored.materializer)  # verified and stamped
    _flip_last_byte(Path(stored.uri) / "data.json")
    with pytest.raises(ArtifactIntegrityError):
        store.load(stored.uri, stored.materializer)


def test_a_file_renamed_over_a_verified_one_is_checked_again(store: ArtifactStore) -> None:
    stored = store.save({"k": "v" * 100})
    assert store.load(stored.uri, stored.materializer) == {"k": "v" * 100}  # stamped
    data = Path(stored.uri) / "data.json"
    other = data.with_name("other")
    other.write_bytes(data.read_bytes().replace(b"v", b"w"))  # same size, another file
    os.replace(other, data)
    with pytest.raises(ArtifactIntegrityError, match="do not match"):
        store.load(stored.uri, stored.materializer)


def test_a_tampered_manifest_is_detected(store: ArtifactStore) -> None:
    stored = store.save([1, 2, 3])
    manifest = Path(stored.uri) / MANIFEST_NAME
    manifest.write_bytes(manifest.read_bytes().replace(b'"size"', b'"size" '))
    with pytest.raises(ArtifactIntegrityError, match=MANIFEST_NAME.replace(".", r"\.")):
        store.load(stored.uri, stored.materializer)


def test_a_missing_file_is_an_incomplete_artifact(store: ArtifactStore) -> None:
    stored = store.save(BIG)
    (Path(stored.uri) / "data.npy").unlink()
    with pytest.raises(ArtifactMissingError, match="incomplete"):
        store.load(stored.uri, stored.materializer, stored.data_type)


def test_a_missing_file_no_materializer_reads_is_still_found(store: ArtifactStore) -> None:
    """Every file in the manifest is checked, not only those the materializer opens."""
    stored = store.save(np.float32(1.5))
    extra = Path(stored.uri) / "unread.bin"
    # Forge an artifact with a file nobody reads: rewrite the manifest, re-address it.
    from stepstone.artifacts.hashing import FileEntry, decode_manifest, encode_manifest, hash_bytes

    entries = [*decode_manifest((Path(stored.uri) / MANIFEST_NAME).read_bytes())]
    entries.append(FileEntry("unread.bin", hash_bytes(b"x"), 1))
    manifest = encode_manifest(entries)
    content_hash = hash_bytes(manifest)
    forged = Path(store.root) / content_hash[:2] / content_hash
    forged.parent.mkdir(parents=True, exist_ok=True)
    os.rename(stored.uri, forged)
    (forged / MANIFEST_NAME).write_bytes(manifest)
    extra = forged / "unread.bin"
    extra.write_bytes(b"y")  # the right size, the wrong byte
    with pytest.raises(ArtifactIntegrityError, match=r"unread\.bin"):
        store.load(str(forged), stored.materializer, stored.data_type)


def test_verify_false_trusts_the_files(store: ArtifactStore) -> None:
    stored = store.save(np.arange(4.0))
    _flip_last_byte(Path(stored.uri) / "data.npy")
    value = store.load(stored.uri, stored.materializer, stored.data_type, verify=False)
    assert value.shape == (4,)
    assert store.exists(stored.uri)


def test_other_processes_verify_by_hashing(store: ArtifactStore) -> None:
    """Without stamps (a fresh process), intact artifacts load and are verified."""
    stored = store.save(BIG)
    stamps.forget()
    assert np.array_equal(store.load(stored.uri, stored.materializer, stored.data_type), BIG)


def test_corrupt_bytes_that_crash_the_reader_are_reported_as_damage(
    store: ArtifactStore,
) -> None:
    stored = store.save({"a": 1})
    path = Path(stored.uri) / "data.json"
    path.write_bytes(b"{" + path.read_bytes()[1:-1] + b"{")  # same size, not JSON
    with pytest.raises(ArtifactIntegrityError) as info:
        store.load(stored.uri, stored.materializer)
    assert isinstance(info.value.__cause__, ValueError)


def test_fsspec_backend_verifies_too(tmp_path: Path) -> None:
    store = ArtifactStore(
        f"file://{tmp_path / 'remote'}", backend="fsspec", staging_dir=str(tmp_path / "s")
    )
    stored = store.save(BIG)
    assert np.array_equal(store.load(stored.uri, stored.materializer, stored.data_type), BIG)
    _flip_last_byte(
        tmp_path / "remote" / stored.content_hash[:2] / stored.content_hash / "data.npy"
    )
    with pytest.raises(ArtifactIntegrityError):
        store.load(stored.uri, stored.materializer, stored.data_type)
    assert not store.exists(stored.uri)
    assert store.save(BIG) == stored
    assert store.verify(stored.uri)


# -- pickle policy ---------------------------------------------------------------------------------


class Opaque:
    def __init__(self, n: int) -> None:
        self.n = n


def test_pickled_artifacts_are_refused_where_pickle_is_off(tmp_path: Path) -> None:
    trusting = ArtifactStore(tmp_path / "shared")
    stored = trusting.save(Opaque(3), materializer=CloudpickleMaterializer)
    assert trusting.load(stored.uri, stored.materializer, stored.data_type).n == 3

    careful = open_artifact_store(tmp_path / "shared", allow_pickle=False)
    assert careful.allow_pickle is False
    with pytest.raises(MaterializerError, match="Refusing to load artifact") as info:
        careful.load(stored.uri, stored.materializer, stored.data_type)
    message = str(info.value)
    assert stored.uri in message
    assert "Opaque" in message
    assert "STEPSTONE_ALLOW_PICKLE=1" in message
    assert "allow_pickle = true" in message
    # Saving is not refused, nor is loading what is not a pickle.
    other = careful.save({"plain": True})
    assert careful.load(other.uri, other.materializer) == {"plain": True}


def test_large_arrays_load_onto_a_private_map(store: ArtifactStore) -> None:
    """Built on the stored file without a copy; writable; writes never reach the store."""
    stored = store.save(BIG)
    stamps.forget()
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(loaded) is np.ndarray
    assert loaded.flags.writeable
    loaded[:10] = -1.0
    assert store.verify(stored.uri)
    again = store.load(stored.uri, stored.materializer, stored.data_type)
    assert np.array_equal(again, BIG)
    store.delete(stored.uri)  # deleting a mapped artifact is fine (POSIX)
    assert loaded[10] == BIG[10]
