"""No materializer parses unverified bytes unless it declares that bad bytes cannot hurt."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stepstone.artifacts import ArtifactStore, Materializer, register_materializer
from stepstone.artifacts.materializers import CloudpickleMaterializer
from stepstone.exceptions import ArtifactIntegrityError, ArtifactMissingError


class _Payload:
    """A pickle that, when loaded, creates ``marker``: what a tampered artifact would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.marker.touch, ())


def _tamper(path: Path, data: bytes) -> None:
    time.sleep(0.01)  # a new ctime even on coarse-clocked file systems
    path.write_bytes(data)


@pytest.fixture(params=["local", "fsspec"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return ArtifactStore(tmp_path / "artifacts")
    return ArtifactStore(
        f"file://{tmp_path / 'remote'}", backend="fsspec", staging_dir=str(tmp_path / "s")
    )


def _data_file(store: ArtifactStore, uri: str, name: str) -> Path:
    return Path(uri.removeprefix("file://")) / name


@pytest.mark.parametrize("same_size", [False, True], ids=["any-size", "same-size"])
def test_a_tampered_pickle_never_runs(
    any_store: ArtifactStore, tmp_path: Path, same_size: bool
) -> None:
    marker = tmp_path / "PWNED"
    stored = any_store.save(("x" * 1000, 3 + 4j), materializer=CloudpickleMaterializer)
    path = _data_file(any_store, stored.uri, "data.pkl")
    payload = pickle.dumps(_Payload(marker))
    if same_size:
        # Same size as the saved file, so no size check can give it away.
        payload = payload.ljust(len(path.read_bytes()), b".")
        assert len(payload) == len(path.read_bytes())
    _tamper(path, payload)
    with pytest.raises(ArtifactIntegrityError, match=r"'data\.pkl'") as info:
        any_store.load(stored.uri, stored.materializer, stored.data_type)
    assert not isinstance(info.value, ArtifactMissingError)
    assert not marker.exists(), "the tampered pickle ran before the hash check"
    assert not any_store.exists(stored.uri)  # removed, as any damaged artifact


def test_the_payload_would_run_without_the_check(store: ArtifactStore, tmp_path: Path) -> None:
    """The test above can fail: the same tampered bytes, loaded unverified, do run."""
    marker = tmp_path / "PWNED"
    stored = store.save(3 + 4j, materializer=CloudpickleMaterializer)
    _tamper(Path(stored.uri) / "data.pkl", pickle.dumps(_Payload(marker)))
    store.load(stored.uri, stored.materializer, stored.data_type, verify=False)
    assert marker.exists()


class _Recording(Materializer):
    """Records whether its load ran at all (it would parse damaged bytes)."""

    name = "test.recording"
    loads: list[bytes] = []  # noqa: RUF012 - the test's own log

    def save(self, value: Any, writer: Any) -> None:
        with writer.open("blob") as file:
            file.write(value)

    def load(self, reader: Any, data_type: str | None) -> Any:
        with reader.open("blob") as file:
            data: bytes = file.read()
        _Recording.loads.append(data)
        return data


@pytest.mark.parametrize("declared_safe", [False, True])
def test_only_declared_safe_materializers_read_before_the_check(
    any_store: ArtifactStore, declared_safe: bool
) -> None:
    cls = type("Declared", (_Recording,), {"name": "test.declared"})
    cls.safe_on_damaged_bytes = declared_safe
    register_materializer(bytearray)(cls)
    _Recording.loads.clear()
    stored = any_store.save(b"x" * 100_000, materializer=cls)
    assert any_store.load(stored.uri, cls.name) == b"x" * 100_000  # intact bytes load
    _Recording.loads.clear()
    _tamper(_data_file(any_store, stored.uri, "blob"), b"y" * 100_000)
    with pytest.raises(ArtifactIntegrityError, match="'blob'"):
        any_store.load(stored.uri, cls.name)
    # A default materializer never saw the bad bytes; a declared-safe one read them once.
    assert _Recording.loads == ([b"y" * 100_000] if declared_safe else [])


def test_the_builtin_safe_declarations() -> None:
    from stepstone.artifacts import get_materializer

    safe = {
        name
        for name in ("builtins.json", "numpy.npy", "numpy.npz", "cloudpickle", "pathlib.path")
        if get_materializer(name).safe_on_damaged_bytes
    }
    # JSON imports the Enum classes its bytes name; paths writes files its index names.
    assert safe == {"numpy.npy", "numpy.npz"}


def test_verified_first_files_still_load_fast_paths(store: ArtifactStore) -> None:
    """Verify-first keeps the in-process shortcut: stamped files are not hashed again."""
    value = {"a": np.arange(3)}
    stored = store.save(value, materializer=CloudpickleMaterializer)
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert np.array_equal(loaded["a"], value["a"])
    # A cold load (no stamps) of an intact pickle verifies and loads too.
    from stepstone.artifacts.integrity import stamps

    stamps.forget()
    loaded = store.load(stored.uri, stored.materializer, stored.data_type)
    assert np.array_equal(loaded["a"], value["a"])


def test_a_large_pickled_array_hashes_the_bytes_it_wrote(store: ArtifactStore) -> None:
    """Pickle protocol 5 writes an array's memory as a typed buffer; its bytes are hashed."""
    from stepstone.artifacts.integrity import stamps

    value = np.random.default_rng(0).random(3_000_000)  # 24 MB: the overlapped write path
    stored = store.save(value, materializer=CloudpickleMaterializer)
    stamps.forget()  # as another process: verify every byte before unpickling
    assert np.array_equal(store.load(stored.uri, stored.materializer, stored.data_type), value)
    assert store.verify(stored.uri)
