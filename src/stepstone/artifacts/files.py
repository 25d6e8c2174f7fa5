"""What a materializer sees: a writer into a staging directory, a reader of an artifact.

Materializers never see store paths or URLs. They write named files through an
:class:`ArtifactWriter` and read them back through an :class:`ArtifactReader`, so the same
materializer works on a local directory and on an object store, and the store alone
decides where bytes live and how they are made visible atomically.

Names are relative POSIX paths (``"data"``, ``"weights/layer1.bin"``). Files written with
:meth:`ArtifactWriter.open` are hashed as they are written; files a library writes itself
at :meth:`ArtifactWriter.path` are hashed by reading them once the materializer returns.

Small files stay in memory until the artifact is finished: the store then knows the
content hash before touching the disk, and if that artifact is already stored (an
unchanged output, a step returning ``None``) nothing is written at all. A file that
grows past :data:`~stepstone.artifacts.hashing.MEMORY_LIMIT` *spills*: the staging
directory is created and the bytes stream to disk, hashed on the way. The staging
directory is created only when something must go to disk.
"""

from __future__ import annotations

import io
import mmap
import os
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import IO, Any, cast

from blake3 import blake3

from stepstone.artifacts.hashing import (
    MANIFEST_NAME,
    MEMORY_LIMIT,
    FileEntry,
    decode_manifest,
    hash_bytes,
    hash_file,
)

__all__ = [
    "ArtifactReader",
    "ArtifactWriter",
    "HashingFile",
    "LocalArtifactReader",
    "check_name",
    "write_new_file",
]

_RESERVED_PREFIX = ".stepstone"

# Writes from this size on are hashed on a helper thread while written (measured in
# benchmarks/artifacts.py; below it, starting a thread costs more than it hides).
_OVERLAP_MIN_BYTES = 4 << 20


_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_new_file(path: str, data: bytes) -> None:
    """Create ``path`` (which must not exist) holding ``data``.

    Plain ``os`` calls: no buffered file object to build for a single write, which matters
    on the hot path of small saves.
    """
    fd = os.open(path, _NEW_FILE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def check_name(name: str) -> str:
    """Validate an artifact-relative file name and return it.

    Why so strict: a name becomes part of the content hash and a path under the store, so
    it must be portable and must not escape the artifact directory.

    Raises:
        ValueError: the name is empty, absolute, contains ``..``/``.``/empty parts or a
            backslash, or uses the reserved ``.stepstone`` prefix.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"artifact file name must be a non-empty string, got {name!r}")
    if "\\" in name or name.startswith("/"):
        raise ValueError(f"artifact file name {name!r} must be a relative POSIX path")
    # A plain name (nearly every name) has one part: nothing to split.
    if name in (".", "..") or (
        "/" in name and any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise ValueError(f"artifact file name {name!r} has an empty, '.' or '..' part")
    if name.startswith(_RESERVED_PREFIX):  # the prefix has no "/": the first part's start
        raise ValueError(
            f"artifact file name {name!r} uses the reserved prefix {_RESERVED_PREFIX!r}"
        )
    return name


def local_file_path(directory: str, name: str) -> str:
    """The path of artifact file ``name`` (checked, relative POSIX) in a local artifact
    ``directory``: what file stamps are kept under, so it is made in this one place."""
    if "/" not in name:  # an artifact directory ends with its hash, never a separator
        return directory + os.sep + name
    return os.path.join(directory, *name.split("/"))


class HashingFile(io.BufferedIOBase):
    """A binary file opened for writing that hashes every byte it is given.

    It starts in memory and moves to disk (``open_file()``) once it outgrows
    ``memory_limit``. On disk, bytes are hashed while written: they are in memory at that
    moment anyway, so hashing costs no extra read. If the file is repositioned (``seek``
    elsewhere, ``truncate``) or its descriptor is handed out (``fileno``) while on disk,
    the streamed hash is void: the file is marked *dirty* and hashed again from disk when
    the artifact is finished.
    """

    def __init__(
        self,
        name: str,
        open_file: Callable[[], IO[bytes]],
        on_close: Callable[[str, str | None, int, bytes | None], None],
        memory_limit: int = MEMORY_LIMIT,
    ) -> None:
        super().__init__()
        self._name = name
        self._open_file = open_file
        self._on_close = on_close
        self._limit = memory_limit
        self._memory: io.BytesIO | None = io.BytesIO()
        self._file: IO[bytes] | None = None
        self._hasher: Any = None
        self._dirty = False
        if memory_limit <= 0:
            self._spill()

    @property
    def name(self) -> str:
        """The artifact-relative name this file was opened under."""
        return self._name

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed artifact file")
        memory = self._memory
        if memory is not None:
            size = len(data) if type(data) is bytes else memoryview(data).nbytes
            if memory.tell() + size <= self._limit:
                return memory.write(data)
            self._spill()
        assert self._file is not None
        if self._dirty:
            return self._file.write(data)
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            # A typed buffer (pickle protocol 5 hands over an array's memory as is): its
            # bytes, which BLAKE3 accepts only as a flat byte view.
            view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
        if view.nbytes < _OVERLAP_MIN_BYTES:
            self._hasher.update(view)
            return self._file.write(view)
        # A big write (a whole array): hash on a second thread while this one writes the
        # same memory. BLAKE3 and the write syscall both release the GIL, so the hash
        # costs almost nothing on top of the write when a core is free.
        failed: list[BaseException] = []

        def hash_view() -> None:
            try:
                self._hasher.update(view)
            except BaseException as exc:  # re-raised below: a skipped hash is never silent
                failed.append(exc)

        worker = threading.Thread(target=hash_view, daemon=True)
        worker.start()
        try:
            written = self._file.write(view)
        finally:
            worker.join()
        if failed:
            raise failed[0]
        return written

    def writelines(self, lines: Iterable[Any]) -> None:
        for line in lines:
            self.write(line)

    def _spill(self) -> None:
        """Move to disk: write what is in memory, then stream (and hash) from here on."""
        memory, self._memory = self._memory, None
        self._file = self._open_file()
        # One hashing thread: big writes already hash beside the writing thread.
        self._hasher = blake3(max_threads=1)
        if memory is None:
            return
        with memory.getbuffer() as data:
            self._hasher.update(data)
            self._file.write(data)
            end = len(data)
        if memory.tell() != end:  # repositioned in memory: later writes overwrite
            self._file.seek(memory.tell())
            self._dirty = True

    def tell(self) -> int:
        return self._memory.tell() if self._memory is not None else self._disk().tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self._memory is not None:
            return self._memory.seek(offset, whence)
        file = self._disk()
        before = file.tell()
        after = file.seek(offset, whence)
        if after != before:
            self._dirty = True
        return after

    def truncate(self, size: int | None = None) -> int:
        if self._memory is not None:
            return self._memory.truncate(size)
        self._dirty = True
        return self._disk().truncate(size)

    def fileno(self) -> int:
        if self._memory is not None:
            self._spill()
        # Whoever holds the descriptor may write around us: rehash at the end.
        file = self._disk()
        self._dirty = True
        file.flush()
        return file.fileno()

    def flush(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if self.closed:
            return
        memory, file = self._memory, self._file
        try:
            if file is not None:
                size = file.tell()
                file.close()
        finally:
            super().close()
        if memory is not None:
            data = memory.getvalue()
            self._on_close(self._name, hash_bytes(data), len(data), data)
        else:
            digest = None if self._dirty else self._hasher.hexdigest()
            self._on_close(self._name, digest, size, None)

    def _disk(self) -> IO[bytes]:
        if self._file is None:
            raise ValueError("I/O operation on a closed artifact file")
        return self._file


class ArtifactWriter:
    """Where a materializer writes an artifact's files.

    Example:
        A materializer's ``save`` typically does one of::

            with writer.open("data.json", "w") as f:   # hashed while written
                f.write(text)
            model.save_to(writer.path("model.bin"))      # hashed when save returns

    Args:
        make_directory: creates the staging directory; called at most once, and only if
            something must be written to disk.
        memory_limit: files up to this size stay in memory until :meth:`materialize`.
    """

    def __init__(self, make_directory: Callable[[], str], memory_limit: int = MEMORY_LIMIT) -> None:
        self._make_directory = make_directory
        self._memory_limit = memory_limit
        self._directory: str | None = None
        self._names: set[str] = set()
        self._open: dict[str, HashingFile] = {}
        self._hashed: dict[str, tuple[str, int]] = {}
        self._in_memory: dict[str, bytes] = {}
        self._needs_scan = False

    @property
    def directory(self) -> str | None:
        """The staging directory, or None while everything is still in memory."""
        return self._directory

    def open(self, name: str = "data", mode: str = "wb") -> IO[Any]:
        """Open a new file of the artifact for writing; it is hashed as bytes go through.

        Args:
            name: relative POSIX name, unique within the artifact.
            mode: ``"wb"`` (binary) or ``"w"`` (UTF-8 text, ``\\n`` newlines on every OS so
                the bytes, and the hash, do not depend on the platform).

        Raises:
            FileExistsError: the name was already written.
        """
        if mode not in ("wb", "w", "xb", "x"):
            raise ValueError(f"artifact files are opened for writing ('wb' or 'w'), not {mode!r}")
        self._claim(name)
        file = HashingFile(
            name, lambda: open(self._local_path(name), "xb"), self._closed, self._memory_limit
        )
        self._open[name] = file
        if "b" in mode:
            return cast("IO[Any]", file)
        return io.TextIOWrapper(file, encoding="utf-8", newline="")

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write a whole file at once: what :meth:`open` and one ``write`` store, without the
        file object (a small save, one encoded document, is most of what a step saves).

        Raises:
            FileExistsError: the name was already written.
        """
        if len(data) > self._memory_limit or self._memory_limit <= 0:
            with self.open(name) as file:  # spills to disk, hashed on the way
                file.write(data)
            return
        self._claim(name)
        self._closed(name, hash_bytes(data), len(data), bytes(data))

    def _claim(self, name: str) -> None:
        """Check ``name`` and take it for one file of the artifact."""
        check_name(name)
        if name in self._names:
            raise FileExistsError(f"artifact file {name!r} was already written")
        self._names.add(name)

    def path(self, name: str = "data") -> str:
        """Return a local path for a library that insists on writing files itself.

        Whatever ends up in the staging directory (including extra files a library writes
        beside ``name``) becomes part of the artifact and is hashed by reading it back.
        """
        self._needs_scan = True
        return self._local_path(check_name(name))

    def finish(self) -> list[FileEntry]:
        """Close files left open and return every file of the artifact, sorted by name."""
        for file in list(self._open.values()):
            file.close()
        entries = {name: FileEntry(name, d, size) for name, (d, size) in self._hashed.items()}
        if self._needs_scan and self._directory is not None:
            for name in _walk(self._directory):
                if name not in entries:
                    digest, size = hash_file(os.path.join(self._directory, *name.split("/")))
                    entries[name] = FileEntry(name, digest, size)
        if MANIFEST_NAME in entries:
            raise ValueError(f"a materializer wrote the reserved file {MANIFEST_NAME!r}")
        return sorted(entries.values(), key=lambda e: e.name)

    def materialize(self) -> str:
        """Write the files still in memory to the staging directory and return it."""
        for name, data in self._in_memory.items():
            write_new_file(self._local_path(name), data)
        self._in_memory.clear()
        return self._ensure_directory()

    def abort(self) -> None:
        """Close files left open (so the staging directory can be removed on every OS)."""
        for file in list(self._open.values()):
            try:
                file.close()
            except (OSError, ValueError):
                pass
        self._in_memory.clear()

    def discard(self) -> None:
        """Remove the staging directory, if one was created."""
        self.abort()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def _ensure_directory(self) -> str:
        if self._directory is None:
            self._directory = self._make_directory()
        return self._directory

    def _local_path(self, name: str) -> str:
        directory = self._ensure_directory()
        if "/" in name:
            parts = name.split("/")
            os.makedirs(os.path.join(directory, *parts[:-1]), exist_ok=True)
            return os.path.join(directory, *parts)
        return directory + os.sep + name

    def _closed(self, name: str, digest: str | None, size: int, data: bytes | None) -> None:
        self._open.pop(name, None)
        if data is not None:
            self._in_memory[name] = data
        if digest is None:
            # Repositioned while written: the streamed hash is void; hash the file later.
            self._needs_scan = True
            self._hashed.pop(name, None)
        else:
            self._hashed[name] = (digest, size)


def _walk(directory: str) -> list[str]:
    """Relative POSIX names of all regular files below ``directory``."""
    names: list[str] = []
    for parent, _dirs, files in os.walk(directory):
        relative = os.path.relpath(parent, directory)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        names.extend(prefix + file for file in files)
    return names


class ArtifactReader(ABC):
    """Read access to one stored artifact's files; what a materializer's ``load`` gets.

    Use it as a context manager when calling :meth:`ArtifactStore.open_reader` yourself:
    a reader of a remote artifact may download files to a temporary directory that
    :meth:`close` removes.
    """

    uri: str

    @abstractmethod
    def open(self, name: str = "data", mode: str = "rb") -> IO[Any]:
        """Open a file of the artifact for reading (``"rb"``, or ``"r"`` for UTF-8 text)."""

    def read_bytes(self, name: str = "data") -> bytes:
        """Every byte of a file of the artifact: what ``open(name).read()`` returns."""
        with self.open(name) as file:
            data: bytes = file.read()
        return data

    @abstractmethod
    def path(self, name: str = "data") -> str:
        """Return a local path to a file of the artifact, for libraries that need one."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether the artifact has a file of this name."""

    @abstractmethod
    def names(self) -> list[str]:
        """Every file name of the artifact, sorted (from its manifest)."""

    def map(self, name: str = "data") -> Any | None:
        """A private, writable memory map of a file, or None where files cannot be mapped.

        Why: a large array can then be *built on* the stored bytes instead of copied out
        of them (pages are shared with the page cache until written; writes stay private
        to the process). Remote artifacts, and platforms that cannot delete a mapped
        file (Windows), answer None: read the file instead.
        """
        return None

    def close(self) -> None:  # noqa: B027 - a local reader holds nothing to release
        """Release temporary files; the loaded value must not depend on them afterwards."""

    def __enter__(self) -> ArtifactReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class LocalArtifactReader(ArtifactReader):
    """Reader of an artifact directory on the local file system: plain ``open`` calls."""

    def __init__(self, directory: str, uri: str) -> None:
        self.directory = directory
        self.uri = uri

    def open(self, name: str = "data", mode: str = "rb") -> IO[Any]:
        if mode not in ("rb", "r"):
            raise ValueError(
                f"artifact files are opened for reading only ('rb' or 'r'), not {mode!r}"
            )
        if mode == "r":
            return open(self.path(name), encoding="utf-8", newline="")
        return open(self.path(name), "rb")

    def path(self, name: str = "data") -> str:
        return local_file_path(self.directory, check_name(name))

    def exists(self, name: str) -> bool:
        return os.path.isfile(self.path(name))

    def names(self) -> list[str]:
        with open(os.path.join(self.directory, MANIFEST_NAME), "rb") as file:
            return [entry.name for entry in decode_manifest(file.read())]

    def map(self, name: str = "data") -> Any | None:
        if os.name != "posix":
            return None  # a mapped file could not be deleted (gc, repair) while mapped
        with open(self.path(name), "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                return None
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
