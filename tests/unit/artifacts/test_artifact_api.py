"""The public surface of ``stepstone.artifacts``: curated, sorted, and cheap to import."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import stepstone.artifacts as artifacts
from stepstone.artifacts import ArtifactStore, StoredArtifact, open_artifact_store

REQUIRED = {
    "ArtifactStore",
    "StoredArtifact",
    "open_artifact_store",
    "Materializer",
    "register_materializer",
    "materializer_for_value",
    "materializer_for_type",
    "get_materializer",
    "registered_materializers",
    "hash_bytes",
}


def test_all_is_sorted_complete_and_real() -> None:
    assert artifacts.__all__ == sorted(artifacts.__all__)
    assert REQUIRED <= set(artifacts.__all__)
    for name in artifacts.__all__:
        assert getattr(artifacts, name) is not None


@pytest.mark.slow
def test_import_does_not_load_heavy_libraries(run_python: Callable[..., str]) -> None:
    loaded = run_python(
        "import sys, stepstone.artifacts\n"
        "print(sorted(m for m in ('numpy', 'fsspec', 'cloudpickle') if m in sys.modules))"
    )
    assert loaded == "[]"


@pytest.mark.slow
def test_saving_builtins_needs_none_of_them(
    run_python: Callable[..., str], tmp_path: object
) -> None:
    loaded = run_python(
        "import sys\n"
        "from stepstone.artifacts import open_artifact_store\n"
        "store = open_artifact_store(sys.argv[1])\n"
        "stored = store.save({'a': (1, 2)})\n"
        "assert store.load(stored.uri, stored.materializer) == {'a': (1, 2)}\n"
        "print(sorted(m for m in ('numpy', 'fsspec', 'cloudpickle') if m in sys.modules))",
        str(tmp_path),
    )
    assert loaded == "[]"


def test_stored_artifact_is_a_frozen_record(tmp_path: object) -> None:
    store = open_artifact_store(str(tmp_path))
    assert isinstance(store, ArtifactStore)
    stored = store.save("x")
    assert isinstance(stored, StoredArtifact)
    assert len(stored.content_hash) == 64
    assert stored.uri.endswith(f"{stored.content_hash[:2]}/{stored.content_hash}")
    with pytest.raises(AttributeError):
        stored.size = 3  # type: ignore[misc]
