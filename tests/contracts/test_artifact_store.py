"""Contract of every artifact store: one suite, run against each kind of root.

* ``path``: a plain local directory (the ``os`` fast path);
* ``file-url``: the same as a ``file://`` URL (still the ``os`` fast path);
* ``fsspec-file``: a ``file://`` URL forced through fsspec, the code path of object stores,
  on a real directory so several processes can share it;
* ``memory``: fsspec's in-memory file system (a non-local backend in one process);
* ``s3-moto`` and ``s3-seaweedfs``: ``s3://`` roots on real S3 servers on 127.0.0.1 (moto's
  server mode and SeaweedFS, see ``tests/s3_servers.py``), a fresh bucket per test, reached
  through the AWS environment variables as users configure it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from s3_servers import S3Server
from shared_fixtures import SRC, Spawn
from stepstone.artifacts import (
    ArtifactReader,
    ArtifactStore,
    ArtifactWriter,
    Materializer,
    StoredArtifact,
)
from stepstone.artifacts.remote import FsspecBackend
from stepstone.exceptions import ArtifactMissingError, MaterializerError

KINDS = ["path", "file-url", "fsspec-file", "memory", "s3-moto", "s3-seaweedfs"]
SHARED_ACROSS_PROCESSES = ["path", "file-url", "fsspec-file", "s3-moto", "s3-seaweedfs"]


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> ArtifactStore:
    directory = tmp_path / "store"
    staging = str(tmp_path / "staging")
    if kind.startswith("s3-"):
        server: S3Server = request.getfixturevalue(f"{kind[3:]}_s3")
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        for variable, value in server.environment().items():
            monkeypatch.setenv(variable, value)
        return ArtifactStore(f"s3://{server.new_bucket()}/artifacts", staging_dir=staging)
    if kind == "path":
        return ArtifactStore(str(directory))
    if kind == "file-url":
        return ArtifactStore(f"file://{directory}")
    if kind == "fsspec-file":
        return ArtifactStore(f"file://{directory}", backend="fsspec", staging_dir=staging)
    return ArtifactStore(f"memory://stepstone-tests/{uuid.uuid4().hex}", staging_dir=staging)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ArtifactStore]:
    store = _open(kind, tmp_path, request)
    yield store
    if kind == "memory":
        fs, root = file_system(store)
        if fs.exists(root):
            fs.rm(root, recursive=True)


def file_system(store: ArtifactStore) -> tuple[Any, str]:
    """The fsspec file system and root path of a store, local or remote."""
    import fsspec

    backend = store._backend
    if isinstance(backend, FsspecBackend):
        return backend.fs, backend.root
    return fsspec.core.url_to_fs(store.root)


def stored_directories(store: ArtifactStore) -> list[str]:
    """Every ``<hash[:2]>/<hash>`` directory under the root, complete or not."""
    fs, root = file_system(store)
    if store.root.startswith("s3://"):
        # Object stores have no directories (some servers list empty "folders" after a
        # delete): an artifact directory is there when a key under it is.
        keys = (key[len(root) :].strip("/").split("/") for key in fs.find(root))
        return sorted({k[1] for k in keys if len(k) > 2 and len(k[0]) == 2 and k[1][:2] == k[0]})
    if not fs.exists(root):
        return []
    found = []
    for prefix in fs.ls(root, detail=False):
        if len(prefix.rstrip("/").rsplit("/", 1)[-1]) == 2:
            found.extend(p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(prefix, detail=False))
    return sorted(found)


def staging_leftovers(store: ArtifactStore) -> list[str]:
    try:
        return os.listdir(store.staging_dir)
    except FileNotFoundError:
        return []


ARRAY = np.arange(300_000, dtype=np.float64).reshape(1000, 300)  # 2.4 MB: streamed to disk


# -- save / load / exists / delete ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [{"lr": 0.01, "layers": (64, 32), 3: {1.5}}, ARRAY, np.int64(7), None],
    ids=["json", "array", "scalar", "none"],
)
def test_round_trip(store: ArtifactStore, value: Any) -> None:
    stored = store.save(value)
    assert isinstance(stored, StoredArtifact)
    assert stored.uri.startswith(store.root)
    assert stored.uri.endswith(stored.content_hash)
    assert store.exists(stored.uri)
    assert store.size_of(stored.uri) == stored.size
    assert store.verify(stored.uri)
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert type(loaded) is type(value)
    if isinstance(value, np.ndarray | np.generic):
        assert np.array_equal(loaded, value)
    else:
        assert loaded == value
    # The content hash alone locates an artifact (a moved store still loads).
    assert store.exists(stored.content_hash)
    assert type(store.load(stored.content_hash, stored.materializer)) is type(value)
    store.delete(stored.uri)
    assert not store.exists(stored.uri)
    assert stored_directories(store) == []


def test_open_reader_lists_files(store: ArtifactStore) -> None:
    stored = store.save(ARRAY)
    with store.open_reader(stored.uri) as reader:
        assert reader.names() == ["data.npy"]
        assert reader.exists("data.npy")
        assert not reader.exists("other")
        with reader.open("data.npy") as file:
            assert file.read(6) == b"\x93NUMPY"
        assert np.array_equal(np.load(reader.path("data.npy")), ARRAY)


def test_identical_values_are_stored_once(store: ArtifactStore) -> None:
    first = store.save({"a": [1, 2, 3]})
    second = store.save({"a": [1, 2, 3]})
    array_first, array_second = store.save(ARRAY), store.save(ARRAY.copy(order="F"))
    assert first == second
    assert array_first == array_second
    assert store.save({"a": [1, 2, 4]}).uri != first.uri
    assert stored_directories(store) == sorted(
        {first.content_hash, array_first.content_hash, store.save({"a": [1, 2, 4]}).content_hash}
    )
    assert list(store.iter_hashes()) == stored_directories(store)
    assert staging_leftovers(store) == []


# -- atomicity -------------------------------------------------------------------------------


class Failing(Materializer):
    """Writes part of an artifact the way ``value`` says, then fails."""

    name = "test.failing"

    def save(self, value: str, writer: ArtifactWriter) -> None:
        if value == "small":
            writer.open("data").write(b"partial")
        elif value == "large":
            with writer.open("data") as file:
                file.write(bytes(3 << 20))
            writer.open("second").write(b"half")
        elif value == "path":
            Path(writer.path("data")).write_bytes(b"partial")
        raise RuntimeError(f"disk on fire ({value})")

    def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
        raise AssertionError("never stored")


@pytest.mark.parametrize("how", ["small", "large", "path", "nothing"])
def test_a_failing_materializer_leaves_nothing(store: ArtifactStore, how: str) -> None:
    with pytest.raises(MaterializerError, match=r"type 'builtins\.str' with materializer") as info:
        store.save(how, materializer=Failing)
    assert "'test.failing'" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert stored_directories(store) == []
    assert list(store.iter_hashes()) == []
    assert staging_leftovers(store) == []


def test_an_interrupt_is_not_wrapped_and_leaves_nothing(store: ArtifactStore) -> None:
    class Interrupted(Failing):
        name = "test.interrupted"

        def save(self, value: Any, writer: ArtifactWriter) -> None:
            with writer.open("data") as file:
                file.write(bytes(3 << 20))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.save(None, materializer=Interrupted)
    assert stored_directories(store) == []
    assert staging_leftovers(store) == []


# -- concurrency -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"small": True}, ARRAY], ids=["small", "large"])
def test_concurrent_saves_from_threads(store: ArtifactStore, value: Any) -> None:
    barrier = threading.Barrier(4)
    results: list[StoredArtifact] = []
    errors: list[BaseException] = []

    def save() -> None:
        try:
            barrier.wait()
            results.append(store.save(value))
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 4
    assert len(set(results)) == 1
    assert stored_directories(store) == [results[0].content_hash]
    assert staging_leftovers(store) == []
    assert store.verify(results[0].uri)


PROCESS_SAVE = """
import os, sys, time
import numpy as np
from stepstone.artifacts import ArtifactStore
root, backend, staging, start = sys.argv[1:5]
store = ArtifactStore(root, backend=backend, staging_dir=staging or None)
value = np.arange(300_000, dtype=np.float64).reshape(1000, 300)
while not os.path.exists(start):
    time.sleep(0.001)
print(store.save(value).uri)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", SHARED_ACROSS_PROCESSES, indirect=True)
def test_concurrent_saves_from_processes(
    spawn: Spawn, store: ArtifactStore, kind: str, tmp_path: Path
) -> None:
    start = tmp_path / "start"
    backend = "fsspec" if kind == "fsspec-file" else "auto"
    staging = str(tmp_path / "staging") if kind not in ("path", "file-url") else ""
    env = {**os.environ, "PYTHONPATH": SRC}  # with the AWS variables of an s3 kind
    processes = [
        spawn(
            [sys.executable, "-c", PROCESS_SAVE, store.root, backend, staging, str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)  # let both import and wait at the start line
    start.touch()
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    uris = {stdout.strip() for stdout, _ in outputs}
    assert len(uris) == 1
    (uri,) = uris
    assert stored_directories(store) == [uri.rsplit("/", 1)[-1]]
    assert staging_leftovers(store) == []
    assert np.array_equal(store.load(uri, "numpy.npy"), ARRAY)


# -- missing and damaged artifacts ---------------------------------------------------------------


def test_missing_artifacts_are_reported(store: ArtifactStore) -> None:
    stored = store.save([1, 2])
    store.delete(stored.uri)
    assert not store.exists(stored.uri)
    for call in (
        lambda: store.load(stored.uri, stored.materializer),
        lambda: store.open_reader(stored.uri),
        lambda: store.size_of(stored.uri),
        lambda: store.delete(stored.uri),
    ):
        with pytest.raises(ArtifactMissingError, match="garbage-collected") as info:
            call()
        assert stored.uri in str(info.value)
    store.delete(stored.uri, missing_ok=True)
    assert not store.verify(stored.uri)


def test_malformed_uris_are_not_found(store: ArtifactStore) -> None:
    assert not store.exists("not-a-uri")
    with pytest.raises(ArtifactMissingError, match="64-digit content hash"):
        store.load("not-a-uri", "builtins.json")


def test_an_incomplete_artifact_is_not_found(store: ArtifactStore, kind: str) -> None:
    stored = store.save(ARRAY)
    fs, root = file_system(store)
    fs.rm_file(f"{root}/{stored.content_hash[:2]}/{stored.content_hash}/data.npy")
    with pytest.raises(ArtifactMissingError, match="incomplete"):
        store.load(stored.uri, stored.materializer, stored.data_type)
    assert not store.verify(stored.uri)


def test_unknown_materializer_names_are_errors(store: ArtifactStore) -> None:
    stored = store.save([1])
    with pytest.raises(MaterializerError, match=r"Did you mean 'builtins\.json'"):
        store.load(stored.uri, "builtins.jsn")
