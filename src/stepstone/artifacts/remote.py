"""Artifacts under any fsspec URL (``s3://``, ``gs://``, ``memory://``...).

Object stores have no directory rename, so files are staged in a local temporary
directory (libraries that need a path get one), uploaded to their final keys, and the
manifest is uploaded *last*: it is the commit marker. An artifact exists when its manifest
does, so readers never see a partial upload (each object PUT, multipart ones included, is
itself atomic). The metadata row is written by the caller only after
:meth:`FsspecBackend.commit` returns.

Where the server supports it, the manifest is written with a conditional put
(``If-None-Match: *``, fsspec's ``mode="create"``): of two writers racing to publish the
same bytes, exactly one writes the marker and the other learns that the artifact exists.
Support is probed once per file system and root (:func:`conditional_writes_enforced`);
a server that ignores the header gets the plain manifest-last protocol, which is still
correct because both writers publish identical, content-addressed bytes.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from typing import IO, Any, cast

from stepstone.artifacts.backends import StagingArea, unique_name
from stepstone.artifacts.files import ArtifactReader, check_name
from stepstone.artifacts.hashing import MANIFEST_NAME, FileEntry, decode_manifest, is_content_hash

__all__ = ["FsspecArtifactReader", "FsspecBackend", "conditional_writes_enforced"]

PROBE_PREFIX = ".stepstone-probe-"

# (file system, root) -> whether the server enforces If-None-Match; probed once per process.
_ENFORCED: dict[tuple[Any, str], bool] = {}
_ENFORCED_LOCK = threading.Lock()


def already_exists(exc: BaseException) -> bool:
    """Whether a failed conditional put means "the object exists".

    s3fs raises ``FileExistsError`` when the 412 names the ``If-None-Match`` condition;
    servers that leave the condition out (SeaweedFS) give a plain ``OSError`` whose
    cause is the ``PreconditionFailed`` response.
    """
    if isinstance(exc, FileExistsError):
        return True
    response = getattr(exc.__cause__, "response", None)
    if not isinstance(response, Mapping):
        return False
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return error.get("Code") in ("PreconditionFailed", "412") or status == 412


def conditional_writes_enforced(fs: Any, root: str) -> bool:
    """Whether ``fs`` refuses a second create of one key under ``root`` (asked once).

    Writes a probe object twice with ``mode="create"`` and removes it. A server that
    accepts the second write ignores the condition.

    Raises:
        OSError: the probe could not be written at all (the store is not writable).
    """
    key = (fs, root)
    with _ENFORCED_LOCK:
        known = _ENFORCED.get(key)
    if known is not None:
        return known
    probe = f"{root}/{PROBE_PREFIX}{unique_name()}"
    fs.pipe_file(probe, b"", mode="create")
    try:
        fs.pipe_file(probe, b"", mode="create")
        enforced = False
    except OSError as exc:
        if not already_exists(exc):
            raise
        enforced = True
    finally:
        fs.rm_file(probe)
    with _ENFORCED_LOCK:
        _ENFORCED[key] = enforced
    return enforced


class FsspecBackend(StagingArea):
    """Artifacts under any fsspec URL; uploads files, then the manifest as commit marker.

    Args:
        url: the root URL.
        staging_dir: local directory for staging (default: the temp dir's
            ``stepstone-staging``).
        storage_options: keyword arguments of the fsspec file system.
        conditional_writes: True or False forces the manifest write to be conditional or
            not; None probes the server at the first commit.
    """

    def __init__(
        self,
        url: str,
        staging_dir: str | None = None,
        storage_options: Mapping[str, Any] | None = None,
        conditional_writes: bool | None = None,
    ) -> None:
        import tempfile

        import fsspec

        super().__init__(staging_dir or os.path.join(tempfile.gettempdir(), "stepstone-staging"))
        self.fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        self.root = path.rstrip("/") or path
        self.root_uri = self.fs.unstrip_protocol(self.root).rstrip("/")
        self._conditional = conditional_writes
        # Only real directories need creating: on an object store a key needs no parent,
        # and s3fs's makedirs would even create a missing (e.g. mistyped) bucket.
        protocols = (self.fs.protocol,) if isinstance(self.fs.protocol, str) else self.fs.protocol
        self._has_directories = bool({"file", "local"} & set(protocols))

    def uri(self, content_hash: str) -> str:
        return f"{self.root_uri}/{content_hash[:2]}/{content_hash}"

    def directory(self, content_hash: str) -> str:
        return f"{self.root}/{content_hash[:2]}/{content_hash}"

    def local_directory(self, content_hash: str) -> None:
        return None

    def holds(self, content_hash: str, manifest_size: int, entries: list[FileEntry]) -> bool:
        """Whether the artifact is stored with files of the right sizes (one listing)."""
        final = self.directory(content_hash)
        try:
            listing = self.fs.find(final, detail=True)
        except (FileNotFoundError, OSError):
            return False
        sizes = {
            path.rstrip("/")[len(final) + 1 :]: info.get("size") for path, info in listing.items()
        }
        if sizes.get(MANIFEST_NAME) != manifest_size:
            return False
        return all(sizes.get(e.name) == e.size for e in entries)

    def commit(
        self,
        staging: str,
        content_hash: str,
        manifest: bytes,
        entries: list[FileEntry],
        replace: bool = False,
    ) -> None:
        """Upload the files, then the manifest; consumes ``staging``.

        Called when the store found no sound copy. Files are uploaded even if a racing
        writer published meanwhile: the bytes are identical, and each PUT is atomic.
        """
        final = self.directory(content_hash)
        marker = f"{final}/{MANIFEST_NAME}"
        try:
            if replace and self.fs.exists(marker):
                # A damaged copy: invisible first, then overwritten file by file.
                self.fs.rm_file(marker)
            if self._has_directories:
                self.fs.makedirs(final, exist_ok=True)
            for entry in entries:
                parent, _, _ = entry.name.rpartition("/")
                if parent and self._has_directories:
                    self.fs.makedirs(f"{final}/{parent}", exist_ok=True)
                local = os.path.join(staging, *entry.name.split("/"))
                self.fs.put_file(local, f"{final}/{entry.name}")
            self._publish(marker, manifest)
        finally:
            self.discard(staging)

    def _publish(self, marker: str, manifest: bytes) -> None:
        """Write the commit marker, conditionally where the server enforces it."""
        conditional = self._conditional
        if conditional is None:
            conditional = conditional_writes_enforced(self.fs, self.root)
        if not conditional:
            self.fs.pipe_file(marker, manifest)
            return
        try:
            self.fs.pipe_file(marker, manifest, mode="create")
        except OSError as exc:
            if not already_exists(exc):
                raise
            # Published by another writer. Equal bytes hash equal, so theirs is ours
            # unless it is damaged; then ours replaces it.
            if self.fs.cat_file(marker) != manifest:
                self.fs.pipe_file(marker, manifest)

    def exists(self, content_hash: str) -> bool:
        return bool(self.fs.exists(f"{self.directory(content_hash)}/{MANIFEST_NAME}"))

    def is_complete(self, content_hash: str, size: int | None = None) -> bool:
        """Manifest and every file, of the right sizes: one LIST, or a GET and a LIST.

        Objects can be deleted one by one (a lifecycle rule, a hand-run ``aws s3 rm``),
        so the manifest alone does not prove the artifact is whole. Given the artifact's
        ``size`` (its record's: the total of the files its manifest lists), one listing
        shows it whole: the manifest is there and the other objects add up to ``size``; a
        file gone or cut short lowers the sum. Without it the manifest is read for the
        file names and sizes.
        """
        if size is not None:
            return self._adds_up(content_hash, size)
        try:
            manifest = self.read_manifest(content_hash)
            entries = decode_manifest(manifest)
        except (OSError, ValueError):
            return False
        return self.holds(content_hash, len(manifest), entries)

    def _adds_up(self, content_hash: str, size: int) -> bool:
        final = self.directory(content_hash)
        try:
            listing = self.fs.find(final, detail=True)
        except (FileNotFoundError, OSError):
            return False
        sizes = {
            path.rstrip("/")[len(final) + 1 :]: info.get("size") or 0
            for path, info in listing.items()
        }
        if not sizes.pop(MANIFEST_NAME, 0):
            return False
        return sum(sizes.values()) == size

    def read_manifest(self, content_hash: str) -> bytes:
        data: bytes = self.fs.cat_file(f"{self.directory(content_hash)}/{MANIFEST_NAME}")
        return data

    def reader(self, content_hash: str, uri: str) -> ArtifactReader:
        return FsspecArtifactReader(self.fs, self.directory(content_hash), uri)

    def touch(self, content_hash: str) -> bool:
        # Objects keep no mtime that could be moved without rewriting them: a sweep of an
        # object store relies on re-reading the metadata just before it deletes.
        return True

    def modified_at(self, content_hash: str) -> float | None:
        return 0.0 if self.exists(content_hash) else None

    def set_aside(self, content_hash: str) -> tuple[str, float] | None:
        # Nothing moves atomically on an object store: the artifact stays until dropped.
        return (self.directory(content_hash), 0.0) if self.exists(content_hash) else None

    def put_back(self, content_hash: str, aside: str) -> None:
        return None  # it never left

    def drop(self, content_hash: str, aside: str) -> None:
        self.delete(content_hash)

    def delete(self, content_hash: str) -> bool:
        final = self.directory(content_hash)
        if not self.exists(content_hash):
            return False
        self.fs.rm_file(f"{final}/{MANIFEST_NAME}")  # invisible first, then the bytes
        self.fs.rm(final, recursive=True)
        return True

    def iter_hashes(self) -> Iterator[str]:
        pattern = f"{self.root}/*/*/{MANIFEST_NAME}"
        found = []
        for path in self.fs.glob(pattern):
            parts = path.rstrip("/").split("/")
            name, prefix = parts[-2], parts[-3]
            if is_content_hash(name) and name.startswith(prefix):
                found.append(name)
        yield from sorted(found)


class FsspecArtifactReader(ArtifactReader):
    """Reader of an artifact on an fsspec file system; ``path()`` downloads on demand."""

    def __init__(self, fs: Any, directory: str, uri: str) -> None:
        self.fs = fs
        self.directory = directory
        self.uri = uri
        self._downloads: str | None = None

    def open(self, name: str = "data", mode: str = "rb") -> IO[Any]:
        if mode not in ("rb", "r"):
            raise ValueError(
                f"artifact files are opened for reading only ('rb' or 'r'), not {mode!r}"
            )
        remote = f"{self.directory}/{check_name(name)}"
        if mode == "r":
            return cast("IO[Any]", self.fs.open(remote, "r", encoding="utf-8", newline=""))
        return cast("IO[Any]", self.fs.open(remote, "rb"))

    def path(self, name: str = "data") -> str:
        if self._downloads is None:
            import tempfile

            self._downloads = tempfile.mkdtemp(prefix="stepstone-download-")
        local = os.path.join(self._downloads, *check_name(name).split("/"))
        if not os.path.exists(local):
            os.makedirs(os.path.dirname(local), exist_ok=True)
            self.fs.get_file(f"{self.directory}/{name}", local)
        return local

    def exists(self, name: str) -> bool:
        return bool(self.fs.isfile(f"{self.directory}/{check_name(name)}"))

    def names(self) -> list[str]:
        data = self.fs.cat_file(f"{self.directory}/{MANIFEST_NAME}")
        return [entry.name for entry in decode_manifest(data)]

    def close(self) -> None:
        if self._downloads is not None:
            shutil.rmtree(self._downloads, ignore_errors=True)
            self._downloads = None
