"""The artifact store: values in, content-addressed immutable directories out.

``save`` picks a materializer, lets it write into a fresh staging directory through a
hashing writer, hashes the manifest of the files written (the *content hash*), and
publishes the directory at ``<root>/<hash[:2]>/<hash>/`` atomically (see
:mod:`stepstone.artifacts.backends`). Equal values give equal bytes, so they land in the
same directory and are stored once; saving is idempotent and safe from many threads and
processes at once. ``load`` finds the materializer by the name recorded at save time.

A uri is resolved by the content hash it ends with (a bare hash works too), so uris
recorded before a store was moved, or through another mount of it, still load.

Integrity: ``load`` checks every byte it uses against the content hash, before a
materializer that could run code on bad bytes (pickle) reads any of them, else while it
reads (:mod:`stepstone.artifacts.integrity`); a missing or damaged artifact raises
:class:`~stepstone.exceptions.ArtifactIntegrityError` (``ArtifactMissingError`` when
nothing is there) and a damaged copy is removed at once, so the store reports it missing
from then on and the next save of the same bytes writes a fresh copy. ``save`` of bytes
already stored checks the stored copy (locally: by content) and replaces it if it is
damaged, so re-executing the producing step repairs the store.

Pickle policy: a store opened with ``allow_pickle=False`` (``STEPSTONE_ALLOW_PICKLE=0``)
refuses to load artifacts whose materializer uses pickle, because loading a pickle runs
code chosen by whoever wrote the store.

Error policy: what fails inside a materializer is a
:class:`~stepstone.exceptions.MaterializerError` naming the type and the materializer
(``__cause__`` holds the original); what fails in the store's own IO (creating the
staging directory, publishing) is an :class:`~stepstone.exceptions.ArtifactStoreError`.
Whatever fails, the staging directory is removed and nothing appears at the final path.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from blake3 import blake3

from stepstone.artifacts.backends import Backend, LocalBackend, local_root, writer_of
from stepstone.artifacts.files import (
    ArtifactReader,
    ArtifactWriter,
    local_file_path,
    write_new_file,
)
from stepstone.artifacts.hashing import (
    MANIFEST_NAME,
    FileEntry,
    decode_manifest,
    encode_manifest,
    hash_bytes,
    hash_file,
    is_content_hash,
)
from stepstone.artifacts.integrity import VerifyingReader, stamps
from stepstone.artifacts.materializer import Materializer, qualname_of, safe_summary
from stepstone.artifacts.messages import load_error, pickle_refused, save_error, store_full
from stepstone.artifacts.registry import (
    allow_materializer_imports,
    fallback_materializer,
    get_materializer,
    materializer_for,
)
from stepstone.artifacts.storage import StorageOptions
from stepstone.artifacts.sweep import SetAside, StagingLeftover, size_on_disk
from stepstone.exceptions import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    ArtifactStoreError,
    DamagedFileError,
)
from stepstone.processes import process_alive

__all__ = ["ArtifactStore", "StoredArtifact", "open_artifact_store"]


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    """What :meth:`ArtifactStore.save` returns: enough to record and to load the value.

    Attributes:
        content_hash: BLAKE3 (64 hex) of the artifact's manifest, i.e. of its bytes.
        uri: where it is stored; pass it to :meth:`ArtifactStore.load`.
        size: total bytes of the artifact's files.
        data_type: ``"module.QualName"`` of the saved value's type.
        materializer: name of the materializer that wrote it (``"numpy.npy"``).
        materializer_version: that materializer's format version.
        summary: small JSON-able description (shape and dtype, length, short repr);
            compared but not hashed, so records can go in sets.
    """

    content_hash: str
    uri: str
    size: int
    data_type: str
    materializer: str
    materializer_version: str
    summary: dict[str, Any] = field(default_factory=dict, hash=False)


class ArtifactStore:
    """Content-addressed store of step outputs under a local path or an fsspec URL.

    Args:
        root: a directory (``".stepstone/artifacts"``), a ``file://`` URL, or any fsspec
            URL (``"s3://bucket/prefix"``). Local roots use plain ``os`` calls.
        backend: ``"auto"`` (local for paths and ``file://``, fsspec otherwise), or force
            ``"local"`` / ``"fsspec"`` (e.g. to test the remote code path on disk).
        staging_dir: local directory for staging uploads (fsspec backend only; the local
            backend always stages in ``<root>/.staging`` so publishing is a rename).
        storage_options: how to reach a remote root: :class:`StorageOptions` (the
            ``[artifact_storage]`` settings: endpoint, region, checksums, conditional
            writes), or a mapping passed to fsspec as it is (the ``options`` of one).
        allow_pickle: ``False`` refuses to load artifacts stored with pickle (the
            ``allow_pickle`` setting, ``STEPSTONE_ALLOW_PICKLE``); saving is unaffected.

    ``source``, when set, gives another store that artifacts missing here are copied from
    (verified, see :func:`stepstone.artifacts.transfer.copy_artifact`) before they are read:
    the cache remote of a read-through, whose hits are imported without their bytes.

    Example:
        >>> import tempfile
        >>> store = ArtifactStore(tempfile.mkdtemp())
        >>> stored = store.save({"lr": 0.01, "layers": (64, 32)})
        >>> stored.materializer, stored.summary
        ('builtins.json', {'type': 'dict', 'length': 2})
        >>> store.load(stored.uri, stored.materializer)
        {'layers': (64, 32), 'lr': 0.01}
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        backend: Literal["auto", "local", "fsspec"] = "auto",
        staging_dir: str | None = None,
        storage_options: StorageOptions | Mapping[str, Any] | None = None,
        allow_pickle: bool = True,
    ) -> None:
        self.allow_pickle = allow_pickle
        self.source: Callable[[], ArtifactStore | None] | None = None
        root = os.fspath(root)
        local = local_root(root) if backend != "fsspec" else None
        self._backend: Backend
        if local is not None:
            self._backend = LocalBackend(*local)
            self.root = local[1]
        elif backend == "local":
            raise ArtifactStoreError(f"Artifact store root {root!r} is not a local path.")
        else:
            try:
                self._backend = _remote_backend(root, staging_dir, storage_options)
            except (ImportError, ValueError, OSError) as exc:
                raise ArtifactStoreError(
                    f"Cannot open the artifact store at {root!r}: {exc}. Check the URL and that "
                    "the fsspec package for its protocol is installed (e.g. s3fs for s3://)."
                ) from exc
            self.root = self._backend.root_uri

    @property
    def staging_dir(self) -> str:
        """Local directory where unfinished artifacts are written (empty when idle)."""
        return self._backend.staging_dir

    def __repr__(self) -> str:
        return f"ArtifactStore({self.root!r})"

    # -- writing ---------------------------------------------------------------------

    def save(
        self,
        value: Any,
        *,
        materializer: type[Materializer] | str | None = None,
        type_hint: object | None = None,
    ) -> StoredArtifact:
        """Store ``value`` and return where and what it is.

        The materializer is ``materializer`` if given (a class or a registered name); else
        the one registered for ``type_hint`` (an annotation) if it can save this value;
        else the one registered for the value's type; else cloudpickle, with a
        :class:`~stepstone.exceptions.PickleFallbackWarning` once per type.

        Raises:
            MaterializerError: the chosen materializer cannot save the value or failed.
            ArtifactStoreError: the store could not be written.
        """
        cls = materializer_for(value, preferred=materializer, type_hint=type_hint)
        instance = cls()
        backend = self._backend
        writer = ArtifactWriter(self._new_staging)
        try:
            try:
                instance.save(value, writer)
                entries = writer.finish()
            except ArtifactStoreError:
                raise
            except Exception as exc:
                full = store_full(exc, self._write_location(exc))
                if full is not None:
                    raise full from exc
                raise save_error(value, cls, exc, fallback=cls is fallback_materializer()) from exc
            manifest = encode_manifest(entries)
            content_hash = hash_bytes(manifest)
            stored = self._stored_copy(content_hash, manifest, entries)
            if stored == "sound":
                # Stored before (identical output): nothing to write, maybe nothing written.
                writer.discard()
            else:
                staging = writer.materialize()
                write_new_file(staging + os.sep + MANIFEST_NAME, manifest)
                backend.commit(
                    staging, content_hash, manifest, entries, replace=stored == "damaged"
                )
                self._remember(content_hash, entries)
        except BaseException as exc:
            writer.discard()
            full = store_full(exc, self._write_location(exc))
            if full is not None:
                raise full from exc
            if isinstance(exc, OSError):
                raise ArtifactStoreError(
                    f"Cannot write to the artifact store at {self.root!r}: {exc}"
                ) from exc
            raise
        return StoredArtifact(
            content_hash=content_hash,
            uri=backend.uri(content_hash),
            size=sum(e.size for e in entries),
            data_type=qualname_of(type(value)),
            materializer=cls.name,
            materializer_version=cls.version,
            summary=safe_summary(instance, value),
        )

    def _write_location(self, exc: BaseException) -> str:
        """Where a failed write went: the root, or a remote store's local staging folder."""
        filename = getattr(exc, "filename", None)
        staging = self.staging_dir
        outside = not staging.startswith(self.root)  # a remote store stages locally
        if outside and isinstance(filename, str) and filename.startswith(staging):
            return staging
        return self.root

    def _stored_copy(
        self, content_hash: str, manifest: bytes, entries: list[FileEntry]
    ) -> Literal["sound", "absent", "damaged"]:
        """Whether these bytes are already stored intact, absent, or stored damaged.

        Locally the stored files are checked by content (hashed, unless this process
        wrote or verified them and they are unchanged since, see
        :class:`~stepstone.artifacts.integrity.FileStamps`). On an object store, where
        that would mean downloading them, the manifest and file sizes are checked; a
        damaged copy of the right size is caught (and removed) by the next ``load``.
        """
        backend = self._backend
        directory = backend.local_directory(content_hash)
        path = None if directory is None else directory + os.sep + MANIFEST_NAME
        # An unchanged manifest this process verified needs no read (the hot path of a
        # step returning what it returned before); otherwise compare it and the sizes.
        known = path is not None and stamps.trusted_manifest(path, content_hash) is not None
        if not known:
            if not backend.holds(content_hash, len(manifest), entries):
                return "damaged" if backend.exists(content_hash) else "absent"
            try:
                if backend.read_manifest(content_hash) != manifest:
                    return "damaged"
            except FileNotFoundError:
                return "absent"
        if directory is not None:
            for entry in entries:
                file = local_file_path(directory, entry.name)
                if stamps.trusted(file, entry.blake3):
                    continue
                try:
                    digest, size = hash_file(file)
                except OSError:
                    return "damaged"
                if digest != entry.blake3 or size != entry.size:
                    return "damaged"
                stamps.remember(file, digest)
            if not known:  # a trusted manifest is stamped already
                assert path is not None
                stamps.remember_manifest(path, content_hash, entries)
        # Tell a garbage collector sweeping now that a run is about to record this copy; one
        # that set it aside a moment ago made it absent, so it is written again.
        return "sound" if backend.touch(content_hash) else "absent"

    def _remember(self, content_hash: str, entries: list[FileEntry]) -> None:
        """Stamp the files just published: loading them in this process needs no hash."""
        directory = self._backend.local_directory(content_hash)
        if directory is not None:
            for entry in entries:
                stamps.remember(local_file_path(directory, entry.name), entry.blake3)
            stamps.remember_manifest(directory + os.sep + MANIFEST_NAME, content_hash, entries)

    def _new_staging(self) -> str:
        try:
            return self._backend.new_staging()
        except OSError as exc:
            raise ArtifactStoreError(
                f"Cannot write to the artifact store at {self.root!r}: {exc}"
            ) from exc

    # -- reading ---------------------------------------------------------------------

    def load(
        self, uri: str, materializer: str, data_type: str | None = None, *, verify: bool = True
    ) -> Any:
        """Load the value stored at ``uri`` with the materializer recorded at save time.

        With ``verify`` (the default) every file is checked against the content hash
        (BLAKE3; files this process wrote or checked, unchanged since, are not hashed
        again): before the materializer reads it, unless the materializer declares
        ``safe_on_damaged_bytes`` (then while it reads, in one pass). A pickle's payload
        therefore never runs from tampered bytes. A damaged artifact is removed from the
        store before the error is raised, so the store reports it missing and the
        producing step can run again. ``verify=False`` skips every check: only for bytes
        you have just verified yourself.

        Raises:
            ArtifactMissingError: nothing (or only part of an artifact) is stored there.
            ArtifactIntegrityError: a file's bytes do not match the content hash (also
                the base class of ``ArtifactMissingError``: catch it for both).
            MaterializerError: the materializer is unknown or failed to read the files, or
                it uses pickle and the store does not allow pickle.
        """
        cls = get_materializer(materializer)
        content_hash = self._hash_of(uri)
        if cls.uses_pickle and not self.allow_pickle:
            raise pickle_refused(self.root, uri, data_type, cls)
        self._fetch_missing(content_hash)
        reader: ArtifactReader = self._backend.reader(content_hash, uri)
        try:
            if verify:
                # A parser that may run code or import on bad bytes (pickle first of all)
                # sees only files already proven intact; a declared-safe one is checked as
                # it reads, in the same pass (see stepstone.artifacts.integrity).
                first = cls.uses_pickle or not cls.safe_on_damaged_bytes
                reader = self._verifying(reader, uri, content_hash, verify_first=first)
            value = cls().load(reader, data_type)
            if isinstance(reader, VerifyingReader):
                self._check(reader, uri, content_hash, None)
            return value
        except FileNotFoundError as exc:
            # Missing artifact files, unless the artifact is complete and the materializer
            # tripped over a file of its own.
            if not self._backend.exists(content_hash) or content_hash in str(exc):
                raise self._not_found(uri, content_hash, exc) from exc
            raise load_error(uri, data_type, cls, exc) from exc
        except DamagedFileError as exc:
            # Refused before the materializer saw a byte: remove the copy, name the artifact.
            if isinstance(reader, VerifyingReader):
                self._check(reader, uri, content_hash, exc)
            raise
        except ArtifactIntegrityError:
            raise
        except Exception as exc:
            if isinstance(reader, VerifyingReader):
                # Bad bytes make libraries fail in odd ways: say what really went wrong.
                self._check(reader, uri, content_hash, exc)
            raise load_error(uri, data_type, cls, exc) from exc
        finally:
            reader.close()

    def export(self, uri: str, destination: str | os.PathLike[str]) -> list[str]:
        """Copy the artifact's files, as its materializer wrote them, into ``destination``.

        Every file is hashed whole before any of its bytes are copied, so damaged bytes
        never leave the store: the files already copied are removed again, the damaged
        artifact is removed as on :meth:`load`, and the error is raised. Returns the paths
        written.

        Raises:
            ArtifactMissingError: nothing (or only part of an artifact) is stored there.
            ArtifactIntegrityError: a file's bytes do not match the content hash.
        """
        content_hash = self._hash_of(uri)
        self._fetch_missing(content_hash)
        if not self._backend.exists(content_hash):
            raise self._not_found(uri, content_hash)
        inner = self._backend.reader(content_hash, uri)
        written: list[str] = []
        try:
            reader = self._verifying(inner, uri, content_hash, verify_first=True)
            for name in reader.names():
                target = os.path.join(os.fspath(destination), *name.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with reader.open(name) as source, open(target, "wb") as sink:
                    written.append(target)
                    shutil.copyfileobj(source, sink)
        except BaseException as exc:
            for path in written:
                os.remove(path)
            if isinstance(exc, DamagedFileError):
                name, problem = next(iter(reader.bad.items()))
                raise self._damaged(uri, content_hash, name, problem) from exc
            if isinstance(exc, FileNotFoundError):
                raise self._not_found(uri, content_hash, exc) from exc
            raise
        finally:
            inner.close()
        return written

    def _verifying(
        self, reader: ArtifactReader, uri: str, content_hash: str, *, verify_first: bool
    ) -> VerifyingReader:
        path = self._manifest_path(content_hash)
        if path is not None:
            entries = stamps.trusted_manifest(path, content_hash)
            if entries is not None:
                return VerifyingReader(reader, entries, verify_first=verify_first)
        try:
            manifest = self._backend.read_manifest(content_hash)
        except FileNotFoundError as exc:
            raise self._not_found(uri, content_hash) from exc
        if hash_bytes(manifest) != content_hash:
            raise self._damaged(uri, content_hash, MANIFEST_NAME, "it does not hash to the uri")
        entries = decode_manifest(manifest)
        if path is not None:
            stamps.remember_manifest(path, content_hash, entries)
        return VerifyingReader(reader, entries, verify_first=verify_first)

    def _manifest_path(self, content_hash: str) -> str | None:
        """Local path of an artifact's manifest (stamps apply to local files only)."""
        directory = self._backend.local_directory(content_hash)
        return None if directory is None else directory + os.sep + MANIFEST_NAME

    def _check(
        self, reader: VerifyingReader, uri: str, content_hash: str, exc: Exception | None
    ) -> None:
        try:
            problem = reader.finish()
        except FileNotFoundError as missing:
            raise self._not_found(uri, content_hash, missing) from exc or missing
        if problem is not None:
            raise self._damaged(uri, content_hash, *problem) from exc

    def _damaged(
        self, uri: str, content_hash: str, name: str, problem: str
    ) -> ArtifactIntegrityError:
        """The error for a damaged artifact, after removing it so nothing trusts it again."""
        try:
            self._backend.delete(content_hash)
        except OSError:  # pragma: no cover - best effort: the error is raised regardless
            pass
        return ArtifactIntegrityError(
            f"Artifact {uri!r} in the artifact store at {self.root!r} is damaged: file "
            f"{name!r} {problem}. The damaged copy was removed; rerun the step that produced "
            "it (a run treats the missing artifact as a cache miss and re-executes it).",
            uri=uri,
            file=name,
        )

    def open_reader(self, uri: str) -> ArtifactReader:
        """Return a reader of the artifact's files; use it as a context manager.

        Raises:
            ArtifactMissingError: no artifact is stored at ``uri``.
        """
        content_hash = self._hash_of(uri)
        self._fetch_missing(content_hash)
        if not self._backend.exists(content_hash):
            raise self._not_found(uri, content_hash)
        return self._backend.reader(content_hash, uri)

    def exists(self, uri: str, size: int | None = None) -> bool:
        """Whether a complete artifact is stored at ``uri`` (locally: one ``stat``).

        On an object store, where single objects can vanish, every file is looked for: with
        the artifact's recorded ``size`` (the total of its files) in one listing, without
        it by reading the manifest and checking the listing against it (two requests).
        """
        tail = uri.rstrip("/\\")[-64:]
        return is_content_hash(tail) and self._backend.is_complete(tail, size)

    def size_of(self, uri: str) -> int:
        """Total bytes of the artifact's files, from its manifest."""
        content_hash = self._hash_of(uri)
        try:
            manifest = self._backend.read_manifest(content_hash)
        except FileNotFoundError as exc:
            raise self._not_found(uri, content_hash) from exc
        return sum(e.size for e in decode_manifest(manifest))

    def verify(self, uri: str) -> bool:
        """Re-hash the artifact's files: True only if every byte matches its content hash.

        Cheap checks (:meth:`exists`) trust the files; this reads them all, for callers
        that must never use damaged data (a cache hit is then treated as a miss).
        """
        content_hash = self._hash_of(uri)
        try:
            manifest = self._backend.read_manifest(content_hash)
            if hash_bytes(manifest) != content_hash:
                return False
            with self._backend.reader(content_hash, uri) as reader:
                for entry in decode_manifest(manifest):
                    hasher = blake3(max_threads=blake3.AUTO)
                    size = 0
                    with reader.open(entry.name) as file:
                        while chunk := file.read(8 << 20):
                            hasher.update(chunk)
                            size += len(chunk)
                    if size != entry.size or hasher.hexdigest() != entry.blake3:
                        return False
        except (OSError, ValueError, KeyError):
            return False
        return True

    def uri_for(self, content_hash: str) -> str:
        """The uri an artifact with this content hash has (or would have) in this store."""
        return self._backend.uri(content_hash)

    # -- maintenance -------------------------------------------------------------------

    def delete(self, uri: str, *, missing_ok: bool = False) -> None:
        """Remove an artifact; it disappears atomically, then its files are removed.

        Artifacts are shared by content: every record with this content hash loses its
        bytes. A garbage collector must delete only hashes no record references, and only
        ones older than any save in flight (a concurrent save of the same bytes may have
        just returned this uri).

        Raises:
            ArtifactMissingError: nothing is stored at ``uri`` (unless ``missing_ok``).
        """
        content_hash = self._hash_of(uri)
        try:
            deleted = self._backend.delete(content_hash)
        except OSError as exc:
            raise ArtifactStoreError(f"Could not delete artifact {uri!r}: {exc}") from exc
        if not deleted and not missing_ok:
            raise self._not_found(uri, content_hash)

    def iter_hashes(self) -> Iterator[str]:
        """Content hashes of every complete artifact in the store, sorted (for gc)."""
        return self._backend.iter_hashes()

    def modified_at(self, content_hash: str) -> float | None:
        """When an artifact was stored or last reused by a save (None if it is gone)."""
        return self._backend.modified_at(content_hash)

    def set_aside(self, content_hash: str) -> SetAside | None:
        """Take an artifact out of sight before a sweep decides on it (None: it is gone).

        Locally it moves into staging by one rename, so a save of the same bytes from then on
        writes them anew instead of reusing a copy about to go; :meth:`put_back` or
        :meth:`drop` finishes it. On an object store it stays in place until dropped.
        """
        try:
            found = self._backend.set_aside(content_hash)
        except OSError as exc:
            raise ArtifactStoreError(f"Could not set aside artifact {content_hash}: {exc}") from exc
        return None if found is None else SetAside(content_hash, *found)

    def put_back(self, aside: SetAside) -> None:
        """Return a set-aside artifact: a run recorded it, or touched it, meanwhile."""
        self._backend.put_back(aside.content_hash, aside.location)

    def drop(self, aside: SetAside) -> None:
        """Delete a set-aside artifact for good."""
        try:
            self._backend.drop(aside.content_hash, aside.location)
        except OSError as exc:
            raise ArtifactStoreError(
                f"Could not delete artifact {aside.content_hash}: {exc}"
            ) from exc

    def staging_leftovers(self, older_than: float = 86400.0) -> list[StagingLeftover]:
        """Staging entries no live writer owns: their writer's process is gone, or old.

        An entry's name records its writer's pid and host: one of this host whose process no
        longer exists is a leftover at once. Entries of another host, or that name no writer
        (trash of an interrupted delete), are leftovers once older than ``older_than``
        seconds (the age of an entry is that of its last created file, so a live writer's is
        younger than any sensible threshold; the default, a day, leaves long uploads alone).
        """
        limit = time.time() - older_than
        host = socket.gethostname()
        leftovers = []
        for path, mtime in self._backend.staging_entries():
            writer = writer_of(os.path.basename(path))
            if writer is not None and writer[1] == host:
                dead = not process_alive(writer[0])
            else:
                dead = mtime < limit
            if dead:
                leftovers.append(StagingLeftover(path, size_on_disk(path), writer))
        return leftovers

    def purge_staging(self, older_than: float = 86400.0) -> int:
        """Remove the :meth:`staging_leftovers`; return how many entries were removed."""
        leftovers = self.staging_leftovers(older_than)
        for leftover in leftovers:
            self._backend.discard(leftover.path)
        return len(leftovers)

    # -- helpers -------------------------------------------------------------------------

    def _fetch_missing(self, content_hash: str) -> None:
        """Copy the artifact from :attr:`source` if only that store has it.

        A source that lacks it, holds damaged bytes or cannot be reached leaves it missing:
        the caller's usual "not found" follows.
        """
        if self.source is None or self._backend.exists(content_hash):
            return
        source = self.source()
        if source is None:
            return
        from stepstone.artifacts.transfer import copy_artifact

        try:
            copy_artifact(source, self, content_hash)
        except Exception:  # absent, damaged or unreachable there (botocore's are no OSErrors)
            return

    def _hash_of(self, uri: str) -> str:
        tail = uri.rstrip("/\\")[-64:]
        if not is_content_hash(tail):
            raise ArtifactMissingError(
                f"{uri!r} is not an artifact uri: it should end with a 64-digit content hash "
                f"(as returned by save()), e.g. {self.uri_for('0' * 64)!r}."
            )
        return tail

    def _not_found(
        self, uri: str, content_hash: str, exc: BaseException | None = None
    ) -> ArtifactMissingError:
        if exc is not None and self._backend.exists(content_hash):
            return ArtifactMissingError(
                f"Artifact {uri!r} in the artifact store at {self.root!r} is incomplete "
                f"({exc}). Delete it (ArtifactStore.delete) and rerun the step that produced it."
            )
        return ArtifactMissingError(
            f"No artifact {uri!r} in the artifact store at {self.root!r}. It may have been "
            "garbage-collected, or written to another artifact store (check STEPSTONE_* "
            "settings); rerun the step that produced it to recreate it."
        )


def _remote_backend(
    root: str,
    staging_dir: str | None,
    storage_options: StorageOptions | Mapping[str, Any] | None,
) -> Backend:
    """The fsspec backend of ``root``, its options resolved for the URL's protocol."""
    from stepstone.artifacts.remote import FsspecBackend

    if not isinstance(storage_options, StorageOptions):
        storage_options = StorageOptions(options=dict(storage_options or {}))
    protocol = root.split("://", 1)[0] if "://" in root else ""
    return FsspecBackend(
        root,
        staging_dir,
        storage_options.fsspec_options(protocol),
        conditional_writes=storage_options.conditional_writes,
    )


def open_artifact_store(
    root: str | os.PathLike[str],
    *,
    allow_pickle: bool = True,
    storage_options: StorageOptions | None = None,
    materializers: Iterable[str] = (),
) -> ArtifactStore:
    """Open the artifact store at ``root`` (a local path, ``file://`` or fsspec URL).

    ``allow_pickle=False`` (from ``Settings.allow_pickle``) refuses to load pickled
    artifacts; see :class:`ArtifactStore`. ``storage_options`` (from the
    ``[artifact_storage]`` settings) say how to reach a remote root. ``materializers`` (the
    ``materializers`` setting) are the user's ``module:Class`` names loading may import, in
    this process (see :func:`~stepstone.artifacts.registry.allow_materializer_imports`).

    Example:
        >>> import tempfile
        >>> open_artifact_store(tempfile.mkdtemp()).exists("0" * 64)
        False
    """
    allow_materializer_imports(materializers)
    return ArtifactStore(root, allow_pickle=allow_pickle, storage_options=storage_options)
