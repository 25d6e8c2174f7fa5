"""Where artifact bytes live: a local directory (plain ``os`` calls) or any fsspec URL.

Both backends take a finished staging directory (the materializer's files plus the
manifest) and make it visible at ``<root>/<hash[:2]>/<hash>/`` all at once or not at all.

Local (:class:`LocalBackend`, for plain paths and ``file://`` URLs): staging directories
live in ``<root>/.staging/`` on the same file system, so publishing is one
``os.rename`` of the whole directory, atomic on POSIX and Windows. If the destination
already exists, ``rename`` fails and the existing copy is kept: two writers of the same
bytes both succeed and the bytes are stored once. fsspec is never imported on this path:
it would add tens of microseconds per call for nothing.

fsspec (:class:`FsspecBackend`, for ``s3://``, ``gs://``, ``memory://``…): object stores
have no directory rename, so files are staged in a local temporary directory (libraries
that need a path get one), uploaded to their final keys, and the manifest is uploaded
*last*. An artifact exists when its manifest does, so readers never see a partial upload
(each object PUT is itself atomic). The metadata row is written by the caller only after
:meth:`FsspecBackend.commit` returns.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from typing import IO, Any, cast

from stepstone.artifacts.files import ArtifactReader, LocalArtifactReader, check_name
from stepstone.artifacts.hashing import MANIFEST_NAME, FileEntry, decode_manifest, is_content_hash

__all__ = ["FsspecArtifactReader", "FsspecBackend", "LocalBackend", "local_root"]

STAGING_DIR_NAME = ".staging"

_SEP = os.sep


def _native(name: str) -> str:
    """An artifact-relative POSIX name as a native relative path."""
    return name if _SEP == "/" else name.replace("/", _SEP)


def _unique() -> str:
    """A random 128-bit hex name (a uuid4 in all but formatting, without importing uuid)."""
    return os.urandom(16).hex()


def local_root(root: str) -> tuple[str, str, str] | None:
    """``(absolute path, uri prefix, uri separator)`` for a local root, None for a URL."""
    if root.startswith("file://"):
        path = root[len("file://") :]
        if path.startswith("localhost/"):
            path = path[len("localhost") :]
        path = os.path.abspath(path)
        return path, "file://" + path.replace(os.sep, "/"), "/"
    if "://" in root or "::" in root:
        return None
    path = os.path.abspath(os.path.expanduser(root))
    return path, path, os.sep


class LocalBackend:
    """Artifacts in a local directory; every hot-path call is one or two syscalls."""

    def __init__(self, path: str, uri_prefix: str, uri_sep: str) -> None:
        self.root = path
        self.staging_dir = os.path.join(path, STAGING_DIR_NAME)
        self._uri_prefix = uri_prefix
        self._uri_sep = uri_sep
        # <root>/<xx> directories known to exist: saves a mkdir syscall per save.
        self._prefixes: set[str] = set()

    def uri(self, content_hash: str) -> str:
        sep = self._uri_sep
        return f"{self._uri_prefix}{sep}{content_hash[:2]}{sep}{content_hash}"

    def directory(self, content_hash: str) -> str:
        return f"{self.root}{_SEP}{content_hash[:2]}{_SEP}{content_hash}"

    def new_staging(self) -> str:
        path = self.staging_dir + _SEP + _unique()
        try:
            os.mkdir(path)
        except FileNotFoundError:  # first save into this root (or it was wiped)
            os.makedirs(self.staging_dir, exist_ok=True)
            os.mkdir(path)
        return path

    def discard(self, staging: str) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def holds(self, content_hash: str, manifest_size: int, entries: list[FileEntry]) -> bool:
        """Whether a sound copy is stored: ``stat`` calls only, no reads.

        Checks the sizes of the manifest and of every file, which catches the damage a
        crash can leave (files published before their data reached the disk are empty).
        """
        final = self.directory(content_hash) + _SEP
        try:
            if os.stat(final + MANIFEST_NAME).st_size != manifest_size:
                return False
            for entry in entries:
                if os.stat(final + _native(entry.name)).st_size != entry.size:
                    return False
        except OSError:
            return False
        return True

    def commit(
        self,
        staging: str,
        content_hash: str,
        manifest: bytes,
        entries: list[FileEntry],
        replace: bool = False,
    ) -> None:
        """Publish ``staging`` as the artifact ``content_hash``; consumes ``staging``.

        ``replace``: the caller found the stored copy damaged; ours replaces it.
        """
        final = self.directory(content_hash)
        prefix = content_hash[:2]
        if prefix not in self._prefixes:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            self._prefixes.add(prefix)
        try:
            os.rename(staging, final)
            return
        except FileNotFoundError:
            # The prefix directory was removed behind our back: recreate it, retry once.
            os.makedirs(os.path.dirname(final), exist_ok=True)
            try:
                os.rename(staging, final)
                return
            except OSError:
                if not os.path.isdir(final):
                    raise
        except OSError:
            if not os.path.isdir(final):
                raise
        # Someone stored the same bytes first. Keep theirs, unless it is damaged (e.g. a
        # crash before the data reached the disk), in which case ours replaces it.
        if not replace and self._is_sound(final, manifest, entries):
            self.discard(staging)
            return
        trash = os.path.join(self.staging_dir, "damaged-" + _unique())
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            pass
        try:
            os.rename(staging, final)
        except OSError:
            if not self._is_sound(final, manifest, entries):
                raise
            self.discard(staging)
        self.discard(trash)

    def _is_sound(self, final: str, manifest: bytes, entries: list[FileEntry]) -> bool:
        """Cheap check of an existing copy: same manifest, files of the right sizes."""
        try:
            with open(os.path.join(final, MANIFEST_NAME), "rb") as file:
                if file.read() != manifest:
                    return False
            return all(
                os.stat(os.path.join(final, *e.name.split("/"))).st_size == e.size for e in entries
            )
        except OSError:
            return False

    def exists(self, content_hash: str) -> bool:
        return os.path.exists(f"{self.directory(content_hash)}{_SEP}{MANIFEST_NAME}")

    def read_manifest(self, content_hash: str) -> bytes:
        with open(os.path.join(self.directory(content_hash), MANIFEST_NAME), "rb") as file:
            return file.read()

    def reader(self, content_hash: str, uri: str) -> ArtifactReader:
        return LocalArtifactReader(self.directory(content_hash), uri)

    def delete(self, content_hash: str) -> bool:
        final = self.directory(content_hash)
        trash = os.path.join(self.staging_dir, "deleted-" + _unique())
        os.makedirs(self.staging_dir, exist_ok=True)
        try:
            os.rename(final, trash)  # disappears at once, then is removed at leisure
        except FileNotFoundError:
            return False
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def iter_hashes(self) -> Iterator[str]:
        try:
            prefixes = sorted(e.name for e in os.scandir(self.root) if len(e.name) == 2)
        except FileNotFoundError:
            return
        for prefix in prefixes:
            try:
                names = sorted(e.name for e in os.scandir(os.path.join(self.root, prefix)))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if name.startswith(prefix) and is_content_hash(name) and self.exists(name):
                    yield name

    def staging_entries(self) -> list[tuple[str, float]]:
        try:
            return [(e.path, e.stat().st_mtime) for e in os.scandir(self.staging_dir)]
        except FileNotFoundError:
            return []


class FsspecBackend:
    """Artifacts under any fsspec URL; uploads files, then the manifest as commit marker."""

    def __init__(
        self,
        url: str,
        staging_dir: str | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        import fsspec

        self.fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        self.root = path.rstrip("/") or path
        #: The root as a canonical URL: every artifact uri starts with it.
        self.root_uri = self.fs.unstrip_protocol(self.root).rstrip("/")
        import tempfile

        self.staging_dir = staging_dir or os.path.join(tempfile.gettempdir(), "stepstone-staging")

    def uri(self, content_hash: str) -> str:
        return f"{self.root_uri}/{content_hash[:2]}/{content_hash}"

    def directory(self, content_hash: str) -> str:
        return f"{self.root}/{content_hash[:2]}/{content_hash}"

    def new_staging(self) -> str:
        os.makedirs(self.staging_dir, exist_ok=True)
        path = os.path.join(self.staging_dir, _unique())
        os.mkdir(path)
        return path

    def discard(self, staging: str) -> None:
        shutil.rmtree(staging, ignore_errors=True)

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
        final = self.directory(content_hash)
        try:
            if replace and self.exists(content_hash):
                # A damaged copy: invisible first, then overwritten file by file.
                self.fs.rm_file(f"{final}/{MANIFEST_NAME}")
            if replace or not self.exists(content_hash):
                self.fs.makedirs(final, exist_ok=True)
                for entry in entries:
                    parent, _, _ = entry.name.rpartition("/")
                    if parent:
                        self.fs.makedirs(f"{final}/{parent}", exist_ok=True)
                    local = os.path.join(staging, *entry.name.split("/"))
                    self.fs.put_file(local, f"{final}/{entry.name}")
                # Last: the manifest's presence is what makes the artifact exist.
                self.fs.put_file(os.path.join(staging, MANIFEST_NAME), f"{final}/{MANIFEST_NAME}")
        finally:
            self.discard(staging)

    def exists(self, content_hash: str) -> bool:
        return bool(self.fs.exists(f"{self.directory(content_hash)}/{MANIFEST_NAME}"))

    def read_manifest(self, content_hash: str) -> bytes:
        data: bytes = self.fs.cat_file(f"{self.directory(content_hash)}/{MANIFEST_NAME}")
        return data

    def reader(self, content_hash: str, uri: str) -> ArtifactReader:
        return FsspecArtifactReader(self.fs, self.directory(content_hash), uri)

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

    def staging_entries(self) -> list[tuple[str, float]]:
        try:
            return [(e.path, e.stat().st_mtime) for e in os.scandir(self.staging_dir)]
        except FileNotFoundError:
            return []


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
