"""Hashing, manifests and the writer a materializer gets: what ends up in the content hash."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
from blake3 import blake3
from hypothesis import given
from hypothesis import strategies as st

from stepstone.artifacts import (
    ArtifactReader,
    ArtifactStore,
    ArtifactWriter,
    Materializer,
    hash_bytes,
)
from stepstone.artifacts.hashing import (
    MANIFEST_NAME,
    FileEntry,
    decode_manifest,
    encode_manifest,
    is_content_hash,
)
from stepstone.exceptions import MaterializerError


def test_hash_bytes_is_blake3() -> None:
    assert hash_bytes(b"") == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    assert hash_bytes(b"abc") == "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
    big = os.urandom(3 << 20)  # hashed on several threads: same digest
    assert hash_bytes(big) == blake3(big).hexdigest() == hash_bytes(memoryview(big))
    assert is_content_hash(hash_bytes(big))


@given(
    st.lists(
        st.builds(FileEntry, st.text(min_size=1), st.just("a" * 64), st.integers(0, 2**40)),
        unique_by=lambda e: e.name,
        max_size=5,
    )
)
def test_manifest_is_canonical_json(entries: list[FileEntry]) -> None:
    document = {
        "files": [
            {"blake3": e.blake3, "name": e.name, "size": e.size}
            for e in sorted(entries, key=lambda e: e.name)
        ],
        "format": "stepstone-artifact/1",
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert encode_manifest(entries) == canonical.encode("ascii")
    assert decode_manifest(encode_manifest(entries)) == sorted(entries, key=lambda e: e.name)


def test_manifest_is_canonical() -> None:
    entries = [FileEntry("b", "2" * 64, 2), FileEntry("a/x", "1" * 64, 1)]
    data = encode_manifest(entries)
    assert data == encode_manifest(reversed(entries))
    assert data == (
        b'{"files":[{"blake3":"' + b"1" * 64 + b'","name":"a/x","size":1},'
        b'{"blake3":"' + b"2" * 64 + b'","name":"b","size":2}],"format":"stepstone-artifact/1"}'
    )
    assert decode_manifest(data) == sorted(entries, key=lambda e: e.name)
    with pytest.raises(ValueError, match="manifest"):
        decode_manifest(b'{"format":"other"}')


class FilesMaterializer(Materializer):
    """Writes each (name, bytes) pair of a dict, in the dict's order, one way or another."""

    name = "test.files"
    how = "open"

    def save(self, value: dict[str, bytes], writer: ArtifactWriter) -> None:
        for name, data in value.items():
            if self.how == "path":
                Path(writer.path(name)).write_bytes(data)
            else:
                with writer.open(name) as file:
                    file.write(data)

    def load(self, reader: ArtifactReader, data_type: str | None) -> dict[str, bytes]:
        result = {}
        for name in reader.names():
            with reader.open(name) as file:
                result[name] = file.read()
        return result


class PathMaterializer(FilesMaterializer):
    name = "test.files-by-path"
    how = "path"


@pytest.mark.parametrize("materializer", [FilesMaterializer, PathMaterializer])
def test_content_hash_is_the_hash_of_the_manifest(
    store: ArtifactStore, materializer: type[Materializer]
) -> None:
    value = {"b.bin": b"bee", "a/nested/c.txt": b"sea" * 1000, "empty": b""}
    stored = store.save(value, materializer=materializer)
    entries = [FileEntry(n, hash_bytes(d), len(d)) for n, d in value.items()]
    assert stored.content_hash == hash_bytes(encode_manifest(entries))
    assert stored.size == sum(len(d) for d in value.values())
    assert store.size_of(stored.uri) == stored.size
    assert store.load(stored.uri, stored.materializer) == dict(sorted(value.items()))
    # Order of writing and the way of writing do not matter: same bytes, same artifact.
    reordered = dict(reversed(list(value.items())))
    assert store.save(reordered, materializer=FilesMaterializer).uri == stored.uri
    assert store.save(reordered, materializer=PathMaterializer).uri == stored.uri
    assert store.verify(stored.uri)


def test_files_written_beside_a_path_are_part_of_the_artifact(store: ArtifactStore) -> None:
    class Sidecar(Materializer):
        name = "test.sidecar"

        def save(self, value: Any, writer: ArtifactWriter) -> None:
            path = writer.path("model")
            Path(path + ".index").write_text("idx")  # what some libraries do
            Path(path).write_text("model")

        def load(self, reader: ArtifactReader, data_type: str | None) -> Any:
            return reader.names()

    stored = store.save(None, materializer=Sidecar)
    assert store.load(stored.uri, stored.materializer) == ["model", "model.index"]


@pytest.mark.parametrize("limit", [0, 4, 1 << 20], ids=["disk", "spills", "memory"])
def test_rewriting_a_file_is_hashed_as_the_final_bytes(tmp_path: Path, limit: int) -> None:
    writer = ArtifactWriter(lambda: str(tmp_path / "staging"), memory_limit=limit)
    (tmp_path / "staging").mkdir()
    with writer.open("data") as file:
        file.write(b"hello world")
        file.seek(0)
        file.write(b"J")
        file.seek(0, os.SEEK_END)
        file.write(b"!")
    with writer.open("fd") as file:
        file.write(b"abc")
        os.write(file.fileno(), b"def")  # behind the wrapper's back
    entries = {e.name: e for e in writer.finish()}
    assert entries["data"] == FileEntry("data", hash_bytes(b"Jello world!"), 12)
    assert entries["fd"] == FileEntry("fd", hash_bytes(b"abcdef"), 6)
    staging = writer.materialize()
    assert (Path(staging) / "data").read_bytes() == b"Jello world!"


@pytest.mark.parametrize("limit", [0, 4, 1 << 20], ids=["disk", "spills", "memory"])
def test_write_bytes_stores_what_open_and_write_store(tmp_path: Path, limit: int) -> None:
    written = []
    for way in ("open", "write_bytes"):
        staging = tmp_path / way
        staging.mkdir()
        writer = ArtifactWriter(lambda staging=staging: str(staging), memory_limit=limit)
        if way == "open":
            with writer.open("data.json") as file:
                file.write(b"[1, 2]")
        else:
            writer.write_bytes("data.json", b"[1, 2]")
        with pytest.raises(FileExistsError, match="already written"):
            writer.write_bytes("data.json", b"again")
        entries = writer.finish()
        written.append((entries, (Path(writer.materialize()) / "data.json").read_bytes()))
    assert (
        written[0] == written[1] == ([FileEntry("data.json", hash_bytes(b"[1, 2]"), 6)], b"[1, 2]")
    )


def test_text_mode_is_utf8_with_newlines_kept(tmp_path: Path) -> None:
    writer = ArtifactWriter(lambda: str(tmp_path))
    with writer.open("t.txt", "w") as file:
        file.write("é\nline\r\n")
    (entry,) = writer.finish()
    assert entry == FileEntry("t.txt", hash_bytes("é\nline\r\n".encode()), 9)


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "/abs", "a/../b", "./a", "a//b", "a\\b", ".stepstone-x", MANIFEST_NAME],
)
def test_bad_file_names_are_refused(store: ArtifactStore, name: str) -> None:
    class BadName(Materializer):
        name = "test.bad-name"

        def save(self, value: Any, writer: ArtifactWriter) -> None:
            writer.open(value).write(b"x")

        def load(self, reader: Any, data_type: str | None) -> Any:
            return reader.names()

    with pytest.raises(MaterializerError, match="artifact file name") as info:
        store.save(name, materializer=BadName)
    assert isinstance(info.value.__cause__, ValueError)


def test_a_name_can_be_written_once(store: ArtifactStore) -> None:
    with pytest.raises(MaterializerError, match="already written"):
        store.save({"a": b"1"}, materializer=_Twice)


class _Twice(FilesMaterializer):
    name = "test.twice"

    def save(self, value: dict[str, bytes], writer: ArtifactWriter) -> None:
        writer.open("a").close()
        writer.open("a")


def test_saving_a_stored_small_value_writes_nothing(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.save({"unchanged": True})
    created: list[str] = []
    original = store._backend.new_staging

    def counting() -> str:
        created.append(path := original())
        return path

    monkeypatch.setattr(store._backend, "new_staging", counting)
    assert store.save({"unchanged": True}) == first
    assert created == []
    store.save({"unchanged": False})
    assert len(created) == 1


def test_damaged_copies_are_detected_and_replaced(store: ArtifactStore) -> None:
    stored = store.save(list(range(100)))
    data = Path(stored.uri) / "data.json"
    original = data.read_bytes()
    data.write_bytes(original.replace(b"99", b"98"))  # same size, other bytes
    assert store.exists(stored.uri)
    assert not store.verify(stored.uri)
    data.write_bytes(b"")  # what a crash before the data reached the disk leaves
    assert store.save(list(range(100))) == stored
    assert data.read_bytes() == original
    assert store.verify(stored.uri)


def test_purge_staging_removes_only_old_leftovers(store: ArtifactStore) -> None:
    store.save(1)
    old = Path(store.staging_dir) / "crashed-writer"
    old.mkdir()
    (old / "data").write_bytes(b"x")
    os.utime(old, (0, 0))
    young = Path(store.staging_dir) / "live-writer"
    young.mkdir()
    assert store.purge_staging(older_than=3600) == 1
    assert sorted(p.name for p in Path(store.staging_dir).iterdir()) == ["live-writer"]


class _Summarized(FilesMaterializer):
    name = "test.summarized"
    summaries: ClassVar[list[Any]] = []

    def summary(self, value: Any) -> dict[str, Any]:
        result = self.summaries.pop(0)
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("summary", "kept"),
    [
        ({"rows": 3}, {"rows": 3}),
        (RuntimeError("boom"), {}),
        ({"value": float("nan")}, {}),
        ({"obj": object()}, {}),
        (["not", "a", "dict"], {}),
    ],
    ids=["ok", "raises", "nan", "not-json", "not-a-dict"],
)
def test_summaries_never_fail_a_save(store: ArtifactStore, summary: Any, kept: Any) -> None:
    _Summarized.summaries = [summary]
    assert store.save({"f": b"x"}, materializer=_Summarized).summary == kept
