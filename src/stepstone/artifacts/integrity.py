"""Checking stored bytes against their content hash, while they are read.

Every artifact directory holds a manifest (file names, BLAKE3 hashes, sizes) whose own
hash is the artifact's content hash, so a load can prove that the value it returns was
built from exactly the bytes that were saved. :class:`VerifyingReader` wraps the reader a
materializer gets:

* ``open(name)`` returns a file that hashes bytes as the materializer reads them, so a
  sequential reader (``.npy``, JSON, safetensors, a whole-file read) is verified at no
  extra pass over the data;
* ``path(name)`` hashes the file before handing its path to a library (the library's
  own read then comes from the page cache);
* files read out of order, partly, or not at all are hashed in :meth:`finish`, after the
  materializer returns, so every byte of the artifact is checked exactly once.

A mismatch is reported as :class:`~stepstone.exceptions.ArtifactIntegrityError` by the
store, never as a value built from bad bytes.

*Verify first.* Streaming verification reports a mismatch after the materializer has
parsed the bytes. That is harmless for a parser that can only fail on bad bytes (``.npy``
without pickle), and fatal for one that runs code as it reads: ``pickle.load`` executes a
tampered payload before the last byte is hashed. So unless a materializer declares
``safe_on_damaged_bytes``, the reader is built with ``verify_first`` and every file is
hashed *completely* before the materializer gets it: a local file through the descriptor
it will then read (a file renamed over it meanwhile is not the one read), a remote file
while it is copied into a local spool (so it is downloaded once). A bad file is then
refused with :class:`DamagedFileError` before any of its bytes reach the parser. The
price is a second pass over local bytes, from the page cache (measured in
``benchmarks/artifacts.py``); files this process wrote or verified cost nothing (stamps).

*Stamps.* Hashing a file this process itself wrote or already verified is wasted work
when the file has not changed since: the store remembers, per local file, the digest
with the file's ``(size, mtime_ns, ctime_ns, inode)`` and trusts an unchanged stamp. Any
write to the file changes its ``ctime``, which no user-level call can set back, so a
file rewritten behind our back is always hashed again. (Bit rot under a live process
would go unnoticed until the next process; :meth:`ArtifactStore.verify` ignores stamps.)
This is what makes the common in-process pattern, a step saving an output that the next
step loads, cost no second hash.
"""

from __future__ import annotations

import io
import mmap
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from typing import IO, Any, cast

from blake3 import blake3

from stepstone.artifacts.files import ArtifactReader, LocalArtifactReader
from stepstone.artifacts.hashing import FileEntry, hash_bytes, hash_file
from stepstone.exceptions import DamagedFileError

__all__ = ["FileStamps", "VerifyingFile", "VerifyingReader", "stamps"]

# Reads larger than this are split, so hashing one piece overlaps reading the next.
_PIPELINE_MIN = 16 << 20
_PIPELINE_CHUNK = 4 << 20
# A remote file verified before use is spooled in memory up to this size, then on disk.
_SPOOL_MEMORY = 64 << 20


class FileStamps:
    """Digests of local files keyed by path, trusted while the file's stat is unchanged."""

    def __init__(self, limit: int = 65536) -> None:
        self._limit = limit
        self._known: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self._manifests: dict[str, list[FileEntry]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _stat(path: str) -> tuple[int, int, int, int] | None:
        try:
            return _stamp(os.stat(path))
        except OSError:
            return None

    def remember(self, path: str, digest: str) -> None:
        """Record that ``path``, as it is now, hashes to ``digest``."""
        stamp = self._stat(path)
        if stamp is None:
            return
        with self._lock:
            if len(self._known) >= self._limit:
                # Drop the oldest half: insertion order is a good enough age.
                for key in list(self._known)[: self._limit // 2]:
                    del self._known[key]
                    self._manifests.pop(key, None)
            self._known[path] = (stamp, digest)

    def trusted(self, path: str, digest: str) -> bool:
        """Whether ``path`` is known to hash to ``digest`` and has not changed since."""
        known = self._known.get(path)
        if known is None or known[1] != digest:
            return False
        return self._stat(path) == known[0]

    def trusted_open(self, path: str, fd: int, digest: str) -> bool:
        """Whether the file open at ``fd``, opened from ``path``, is known to hash to ``digest``
        (the stamp of the file being read, even if another was renamed over ``path`` since)."""
        known = self._known.get(path)
        if known is None or known[1] != digest:
            return False
        return _stamp(os.fstat(fd)) == known[0]

    def forget(self, prefix: str = "") -> None:
        """Forget every stamp under ``prefix`` (all of them by default)."""
        with self._lock:
            for key in [k for k in self._known if k.startswith(prefix)]:
                del self._known[key]
                self._manifests.pop(key, None)

    def remember_manifest(self, path: str, content_hash: str, entries: list[FileEntry]) -> None:
        """Record a verified manifest (its file hashes to ``content_hash``) and its entries."""
        self.remember(path, content_hash)
        self._manifests[path] = entries

    def trusted_manifest(self, path: str, content_hash: str) -> list[FileEntry] | None:
        """The entries of an unchanged, verified manifest: a load then reads no manifest."""
        entries = self._manifests.get(path)
        if entries is None or not self.trusted(path, content_hash):
            return None
        return entries


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """What identifies a file's state: any write changes its ``ctime``."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


#: The process-wide stamps of local artifact files.
stamps = FileStamps()


def _hash_in_pieces(read_into: Callable[[memoryview], int], view: memoryview, hasher: Any) -> int:
    """Fill ``view`` by ``read_into`` while a helper thread hashes what was already read.

    Reading (a kernel copy) and hashing (SIMD) both release the GIL, so on a machine with
    a free core the hash of piece *k* runs while piece *k+1* is read, and mostly hides
    behind the read. One helper per call, fed in order through a queue, keeps the hash
    sequential; it finishes before returning, because callers may reuse the buffer.
    """
    pieces: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()

    def hash_pieces() -> None:
        while (piece := pieces.get()) is not None:
            hasher.update(piece)

    helper = threading.Thread(target=hash_pieces, daemon=True)
    helper.start()
    total = 0
    try:
        end = len(view)
        while total < end:
            count = read_into(view[total : total + _PIPELINE_CHUNK])
            if not count:
                break
            pieces.put(view[total : total + count])
            total += count
    finally:
        pieces.put(None)
        helper.join()
    return total


class VerifyingFile(io.RawIOBase):
    """A read-only file that hashes the bytes read in order from its start.

    Out-of-order reads are served but leave the streamed hash incomplete; the file is
    then hashed separately when the artifact is finished. ``fileno()`` is refused on
    purpose: a library given the descriptor (``np.fromfile``) would read around the hash.
    """

    def __init__(self, raw: Any, entry: FileEntry, done: Callable[[str, str | None], None]):
        super().__init__()
        self._raw = raw
        self._entry = entry
        self._done = done
        self._hasher = blake3(max_threads=1)
        self._position = 0
        self._hashed = 0  # bytes hashed, all from offset 0: the prefix [0, _hashed)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def _account(self, view: memoryview, count: int) -> None:
        start, end = self._position, self._position + count
        if start <= self._hashed < end:
            self._hasher.update(view[self._hashed - start : count])
            self._hashed = end
        self._position = end

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        raw = self._raw
        if len(view) >= _PIPELINE_MIN and self._position == self._hashed:
            count = _hash_in_pieces(raw.readinto, view, self._hasher)
            self._position += count
            self._hashed = self._position
            return count
        count = raw.readinto(view)
        if count:
            self._account(view, count)
        return count or 0

    def readall(self) -> bytes:
        remaining = max(self._entry.size - self._position, 0)
        buffer = bytearray(remaining)
        got = self.readinto(buffer) if remaining else 0
        del buffer[got:]
        while chunk := self.read(1 << 20):  # longer than recorded: read what is there
            buffer += chunk
        return bytes(buffer)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._position = self._raw.seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno() of a verifying artifact file")

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._raw.close()
        finally:
            super().close()
            complete = self._hashed == self._entry.size
            self._done(self._entry.name, self._hasher.hexdigest() if complete else None)


class VerifyingReader(ArtifactReader):
    """An :class:`ArtifactReader` that checks every file against the manifest entries.

    Results are collected, not raised, while the materializer runs; the store calls
    :meth:`finish` afterwards and raises on the first bad file it returns. With
    ``verify_first`` (see the module docstring) a file is hashed whole before it is handed
    out, and a bad one raises :class:`DamagedFileError` instead.
    """

    def __init__(
        self, inner: ArtifactReader, entries: list[FileEntry], *, verify_first: bool = False
    ) -> None:
        self.inner = inner
        self.uri = inner.uri
        self.entries = {entry.name: entry for entry in entries}
        self.verify_first = verify_first
        self.verified: set[str] = set()
        self.bad: dict[str, str] = {}  # name -> what is wrong

    # -- bookkeeping ---------------------------------------------------------------------

    def _result(self, name: str, digest: str | None) -> None:
        if digest is None:
            return  # incomplete streamed hash: finish() hashes the file
        entry = self.entries[name]
        if digest == entry.blake3:
            self.verified.add(name)
            local = self._local_path(name)
            if local is not None:
                stamps.remember(local, digest)
        else:
            self._found_bad(name, "its bytes do not match the hash recorded at save time")

    def _found_bad(self, name: str, problem: str) -> None:
        """Record a bad file; before use (``verify_first``) also refuse to hand it out."""
        self.bad.setdefault(name, problem)
        if self.verify_first:
            raise DamagedFileError(f"artifact file {name!r}: {problem}")

    def _local_path(self, name: str) -> str | None:
        if isinstance(self.inner, LocalArtifactReader):
            return self.inner.path(name)
        return None

    def _entry(self, name: str) -> FileEntry:
        entry = self.entries.get(name)
        if entry is None:
            raise FileNotFoundError(f"artifact {self.uri!r} has no file {name!r} in its manifest")
        return entry

    def _trusted(self, name: str) -> bool:
        if name in self.verified:
            return True
        local = self._local_path(name)
        if local is not None and stamps.trusted(local, self.entries[name].blake3):
            self.verified.add(name)
            return True
        return False

    # -- the reader interface ------------------------------------------------------------

    def open(self, name: str = "data", mode: str = "rb") -> IO[Any]:
        if mode not in ("rb", "r"):
            raise ValueError(
                f"artifact files are opened for reading only ('rb' or 'r'), not {mode!r}"
            )
        entry = self._entry(name)
        raw = self.inner.open(name, "rb")
        file = raw if self._trusted(name) else self._checking(raw, entry)
        if mode == "r":
            return io.TextIOWrapper(file, encoding="utf-8", newline="")
        return file

    def _checking(self, raw: IO[bytes], entry: FileEntry) -> IO[bytes]:
        """``raw``, a file not known to be intact: proven before use (``verify_first``) or
        checked while it is read."""
        if self.verify_first:
            try:
                return self._proven(raw, entry)
            except BaseException:
                raw.close()
                raise
        size = _size_of(raw)
        if size is not None and size != entry.size:
            self.bad.setdefault(entry.name, f"it has {size} bytes, {entry.size} were saved")
        verifying = VerifyingFile(raw, entry, self._result)
        return io.BufferedReader(verifying, buffer_size=1 << 16)

    def read_bytes(self, name: str = "data") -> bytes:
        """A local file with a trusted stamp is read by plain ``os`` calls (an input loaded
        from the step before: no file object, half the system calls of :meth:`open`); any
        other is checked as :meth:`open` checks it, the local one on the descriptor opened
        to look at its stamp."""
        entry = self._entry(name)
        local = self._local_path(name)
        if local is None or name in self.verified:
            return super().read_bytes(name)
        fd = os.open(local, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        handed_over = False
        try:
            if stamps.trusted_open(local, fd, entry.blake3):
                self.verified.add(name)
                return _read_to_end(fd, entry.size)
            raw = os.fdopen(fd, "rb")
            handed_over = True
        finally:
            if not handed_over:
                os.close(fd)
        with self._checking(raw, entry) as file:
            data: bytes = file.read()
        return data

    def _proven(self, raw: Any, entry: FileEntry) -> IO[bytes]:
        """``raw`` hashed whole and rewound (a local file) or its verified spooled copy."""
        try:
            fd = raw.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        hasher = blake3(max_threads=blake3.AUTO)
        if fd is not None:
            # The descriptor the materializer will read: hash through it, then rewind.
            size = os.fstat(fd).st_size
            if size == entry.size and size:
                with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped:
                    hasher.update(mapped)
            proven: IO[bytes] = raw
        else:
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
            size = 0
            with raw:
                while chunk := raw.read(8 << 20):
                    hasher.update(chunk)
                    spool.write(chunk)
                    size += len(chunk)
            proven = cast("IO[bytes]", spool)
        try:
            if size != entry.size:
                self._found_bad(entry.name, f"it has {size} bytes, {entry.size} were saved")
            self._result(entry.name, hasher.hexdigest())
            proven.seek(0)
        except BaseException:
            if proven is not raw:  # the spool is ours to close; the caller closes ``raw``
                proven.close()
            raise
        return proven

    def path(self, name: str = "data") -> str:
        entry = self._entry(name)
        local = self.inner.path(name)
        if not self._trusted(name):
            digest, size = hash_file(local)
            if size != entry.size or digest != entry.blake3:
                self._found_bad(name, "its bytes do not match the hash recorded at save time")
            else:
                self.verified.add(name)
                if isinstance(self.inner, LocalArtifactReader):
                    stamps.remember(local, digest)
        return local

    def map(self, name: str = "data") -> Any | None:
        entry = self._entry(name)
        mapped = self.inner.map(name)
        if mapped is None or self._trusted(name):
            return mapped
        if len(mapped) != entry.size:
            self._found_bad(name, f"it has {len(mapped)} bytes, {entry.size} were saved")
            return mapped
        # Hashing through the map faults the pages in from the page cache, no copy: the
        # hash is the only pass over the data, and the array then lives on these pages.
        self._result(name, hash_bytes(mapped))
        return mapped

    def exists(self, name: str) -> bool:
        return name in self.entries and self.inner.exists(name)

    def names(self) -> list[str]:
        return sorted(self.entries)

    def close(self) -> None:
        self.inner.close()

    # -- the final check -----------------------------------------------------------------

    def finish(self) -> tuple[str, str] | None:
        """Hash every file not yet verified; return ``(name, problem)`` of the first bad one.

        A missing file raises :class:`FileNotFoundError` (the store reports it as an
        incomplete artifact).
        """
        for name in sorted(self.entries):
            if name in self.bad:
                return name, self.bad[name]
            if self._trusted(name):
                continue
            entry = self.entries[name]
            digest, size = self._hash(name)
            if size != entry.size:
                return name, f"it has {size} bytes, {entry.size} were saved"
            if digest != entry.blake3:
                return name, "its bytes do not match the hash recorded at save time"
            self._result(name, digest)
        return None

    def _hash(self, name: str) -> tuple[str, int]:
        local = self._local_path(name)
        if local is not None:
            return hash_file(local)
        hasher = blake3(max_threads=blake3.AUTO)
        size = 0
        with self.inner.open(name, "rb") as file:
            while chunk := file.read(8 << 20):
                hasher.update(chunk)
                size += len(chunk)
        return hasher.hexdigest(), size


def _read_to_end(fd: int, size: int) -> bytes:
    """Every byte from ``fd``'s position to its end; ``size`` of them are expected."""
    parts: list[bytes] = []
    while chunk := os.read(fd, size + 1 if not parts else 1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def _size_of(raw: Any) -> int | None:
    """Size of an open file without reading it: ``fstat`` locally, ``.size`` on fsspec."""
    try:
        return os.fstat(raw.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        size = getattr(raw, "size", None)
        return size if isinstance(size, int) else None
