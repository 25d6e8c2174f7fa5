"""Where artifact bytes live: the backend seam of the artifact store.

Every backend takes a finished staging directory (the materializer's files plus the
manifest) and makes it visible at ``<root>/<hash[:2]>/<hash>/`` all at once or not at all;
:class:`Backend` is what :class:`~stepstone.artifacts.store.ArtifactStore` relies on.

Local (:class:`LocalBackend`, for plain paths and ``file://`` URLs): staging directories
live in ``<root>/.staging/`` on the same file system, so publishing is one
``os.rename`` of the whole directory, atomic on POSIX and Windows. If the destination
already exists, ``rename`` fails and the existing copy is kept: two writers of the same
bytes both succeed and the bytes are stored once. fsspec is never imported on this path:
it would add tens of microseconds per call for nothing.

Object stores and other fsspec URLs: :class:`stepstone.artifacts.remote.FsspecBackend`
(files uploaded first, the manifest last as the commit marker).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from typing import Protocol

from stepstone.artifacts.files import ArtifactReader, LocalArtifactReader
from stepstone.artifacts.hashing import MANIFEST_NAME, FileEntry, is_content_hash

__all__ = ["Backend", "LocalBackend", "StagingArea", "local_root"]

STAGING_DIR_NAME = ".staging"

_SEP = os.sep


def _native(name: str) -> str:
    """An artifact-relative POSIX name as a native relative path."""
    return name if _SEP == "/" else name.replace("/", _SEP)


def unique_name() -> str:
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


class Backend(Protocol):
    """What the artifact store needs from where the bytes live.

    ``staging_dir`` is always a local directory: materializers write real files (some
    libraries only take a path), and :meth:`commit` publishes them.
    """

    #: The root as a canonical uri: every artifact uri starts with it.
    root_uri: str
    staging_dir: str

    def uri(self, content_hash: str) -> str: ...

    def local_directory(self, content_hash: str) -> str | None:
        """The artifact's directory on a local disk, None when it is remote.

        Local files can be checked by content and stamped as verified
        (:mod:`stepstone.artifacts.integrity`); remote ones are checked while read.
        """
        ...

    def new_staging(self) -> str: ...

    def discard(self, staging: str) -> None: ...

    def staging_entries(self) -> list[tuple[str, float]]:
        """``(path, mtime)`` of every leftover in the staging directory."""
        ...

    def holds(self, content_hash: str, manifest_size: int, entries: list[FileEntry]) -> bool:
        """Whether a copy with a manifest and files of these sizes is stored (no reads)."""
        ...

    def touch(self, content_hash: str) -> bool:
        """Mark a stored copy as reused just now; False if it is gone (write it again)."""
        ...

    def modified_at(self, content_hash: str) -> float | None:
        """When the copy was stored or last touched (None: gone; 0.0: not known)."""
        ...

    def set_aside(self, content_hash: str) -> tuple[str, float] | None:
        """Take the artifact out of sight for a sweep: ``(where it is now, its mtime)``.

        None if it is gone. :meth:`put_back` undoes it, :meth:`drop` deletes it.
        """
        ...

    def put_back(self, content_hash: str, aside: str) -> None: ...

    def drop(self, content_hash: str, aside: str) -> None: ...

    def commit(
        self,
        staging: str,
        content_hash: str,
        manifest: bytes,
        entries: list[FileEntry],
        replace: bool = False,
    ) -> None:
        """Publish ``staging`` as ``content_hash``, consuming it; ``replace`` a damaged copy."""
        ...

    def exists(self, content_hash: str) -> bool: ...

    def is_complete(self, content_hash: str, size: int | None = None) -> bool:
        """Whether the artifact and all its files are stored (what a cache hit needs).

        ``size``, the total bytes of its files when the caller knows them (a metadata
        record), lets an object store check with one listing instead of also reading the
        manifest.
        """
        ...

    def read_manifest(self, content_hash: str) -> bytes: ...

    def reader(self, content_hash: str, uri: str) -> ArtifactReader: ...

    def delete(self, content_hash: str) -> bool: ...

    def iter_hashes(self) -> Iterator[str]: ...


def _writer_tag() -> str:
    """``<pid>@<host>``: who writes a staging directory, so gc can tell a dead writer's."""
    return f"{os.getpid()}@{socket.gethostname()}"


def writer_of(name: str) -> tuple[int, str] | None:
    """``(pid, host)`` of the writer a staging entry's name records, None if it names none."""
    _, _, tag = name.partition(".")
    pid, at, host = tag.partition("@")
    return (int(pid), host) if at and pid.isdigit() and host else None


class StagingArea:
    """A local directory of unfinished artifacts, one fresh subdirectory per save.

    Shared by every backend: the subdirectory is what the materializer writes into. Its name
    is ``<random>.<pid>@<host>``, so a crashed writer's leftovers are found and purged once
    that process is gone (or, for another host's, by age).
    """

    def __init__(self, staging_dir: str) -> None:
        self.staging_dir = staging_dir

    def new_staging(self) -> str:
        path = self.staging_dir + _SEP + unique_name() + "." + _writer_tag()
        try:
            os.mkdir(path)
        except FileNotFoundError:  # first save into this root (or it was wiped)
            os.makedirs(self.staging_dir, exist_ok=True)
            os.mkdir(path)
        return path

    def discard(self, staging: str) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def staging_entries(self) -> list[tuple[str, float]]:
        try:
            return [(e.path, e.stat().st_mtime) for e in os.scandir(self.staging_dir)]
        except FileNotFoundError:
            return []


class LocalBackend(StagingArea):
    """Artifacts in a local directory; every hot-path call is one or two syscalls."""

    def __init__(self, path: str, uri_prefix: str, uri_sep: str) -> None:
        super().__init__(os.path.join(path, STAGING_DIR_NAME))
        self.root = path
        self.root_uri = uri_prefix
        self._uri_prefix = uri_prefix
        self._uri_sep = uri_sep
        # <root>/<xx> directories known to exist: saves a mkdir syscall per save.
        self._prefixes: set[str] = set()

    def uri(self, content_hash: str) -> str:
        sep = self._uri_sep
        return f"{self._uri_prefix}{sep}{content_hash[:2]}{sep}{content_hash}"

    def directory(self, content_hash: str) -> str:
        return f"{self.root}{_SEP}{content_hash[:2]}{_SEP}{content_hash}"

    def local_directory(self, content_hash: str) -> str:
        return self.directory(content_hash)

    def touch(self, content_hash: str) -> bool:
        """Mark a stored copy as just reused (its directory's mtime); False if it is gone.

        A save that finds its bytes stored writes nothing; the touch tells a garbage
        collector sweeping at that moment that a run is about to record the copy.
        """
        try:
            os.utime(self.directory(content_hash))
        except FileNotFoundError:
            return False
        return True

    def modified_at(self, content_hash: str) -> float | None:
        try:
            return os.stat(self.directory(content_hash)).st_mtime
        except FileNotFoundError:
            return None

    def set_aside(self, content_hash: str) -> tuple[str, float] | None:
        """Move the artifact into staging by one rename: a save from now on stores it anew.

        A rename keeps the directory's mtime, so a touch just before it still shows.
        """
        trash = os.path.join(self.staging_dir, "gc-" + unique_name())
        os.makedirs(self.staging_dir, exist_ok=True)
        try:
            os.rename(self.directory(content_hash), trash)
        except FileNotFoundError:
            return None
        return trash, os.stat(trash).st_mtime

    def put_back(self, content_hash: str, aside: str) -> None:
        """Undo :meth:`set_aside` (a copy stored meanwhile wins; the set-aside one goes)."""
        try:
            os.rename(aside, self.directory(content_hash))
        except OSError:
            self.discard(aside)

    def drop(self, content_hash: str, aside: str) -> None:
        self.discard(aside)

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
        trash = os.path.join(self.staging_dir, "damaged-" + unique_name())
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

    def is_complete(self, content_hash: str, size: int | None = None) -> bool:
        # Published by one rename: the manifest is there only with every file.
        return self.exists(content_hash)

    def read_manifest(self, content_hash: str) -> bytes:
        with open(os.path.join(self.directory(content_hash), MANIFEST_NAME), "rb") as file:
            return file.read()

    def reader(self, content_hash: str, uri: str) -> ArtifactReader:
        return LocalArtifactReader(self.directory(content_hash), uri)

    def delete(self, content_hash: str) -> bool:
        final = self.directory(content_hash)
        trash = os.path.join(self.staging_dir, "deleted-" + unique_name())
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
