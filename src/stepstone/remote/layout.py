"""Where a remote keeps things, and the two operations on it: bytes and entries.

::

    <url>/v1/cas/<hash[:2]>/<hash>/...        artifacts, exactly as an artifact store keeps them
    <url>/v1/entries/<key[:2]>/<key>.json     one immutable entry document per cache key

The artifact part *is* an :class:`~stepstone.artifacts.ArtifactStore`: content-addressed,
published manifest-last, verified when read. Entries are written with an exclusive create
(``If-None-Match: *`` on S3, ``O_EXCL`` on a directory), so the first writer of a key wins
and an entry, once there, never changes. Servers that ignore the condition are covered by
a check for the entry first: at worst two writers of one key store equivalent documents.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from stepstone.artifacts import ArtifactStore
from stepstone.artifacts.remote import already_exists
from stepstone.exceptions import ArtifactStoreError, RemoteError
from stepstone.remote.config import RemoteConfig
from stepstone.remote.entry import EntryDocument, decode_entry

__all__ = ["RemoteCache", "open_remote"]

LAYOUT_VERSION = "v1"


@dataclass
class RemoteCache:
    """An open remote: its artifact store and its entry documents."""

    config: RemoteConfig
    artifacts: ArtifactStore
    fs: Any = field(repr=False)
    entries_root: str

    @property
    def name(self) -> str:
        return self.config.name

    def entry_path(self, key: str) -> str:
        return f"{self.entries_root}/{key[:2]}/{key}.json"

    def where(self, key: str) -> str:
        return f"{key[:12]} on remote {self.name!r}"

    def read_entry(self, key: str) -> EntryDocument | None:
        """The entry for ``key``, None when there is none.

        Raises:
            RemoteEntryError: the document is unreadable or is not for ``key``.
            RemoteError: the remote cannot be read.
        """
        try:
            data: bytes = self.fs.cat_file(self.entry_path(key))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreachable(exc) from exc
        document = decode_entry(data, self.where(key))
        if document.cache_key != key:
            from stepstone.exceptions import RemoteEntryError

            raise RemoteEntryError(
                f"Cache entry {self.where(key)} names another key ({document.cache_key[:12]}): "
                "it was moved or altered; it is ignored."
            )
        return document

    def write_entry(self, document: EntryDocument) -> bool:
        """Store ``document`` unless its key has an entry; whether this call wrote it."""
        path = self.entry_path(document.cache_key)
        try:
            if self.fs.exists(path):
                return False
            parent = path.rsplit("/", 1)[0]
            protocols = (
                (self.fs.protocol,) if isinstance(self.fs.protocol, str) else self.fs.protocol
            )
            if {"file", "local"} & set(protocols):
                self.fs.makedirs(parent, exist_ok=True)
            self.fs.pipe_file(path, document.encode(), mode="create")
        except OSError as exc:
            if already_exists(exc):
                return False
            raise self._unreachable(exc) from exc
        return True

    def entry_keys(self) -> list[str]:
        """Keys of every entry on the remote, sorted."""
        try:
            paths = self.fs.glob(f"{self.entries_root}/*/*.json")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._unreachable(exc) from exc
        return sorted(p.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json") for p in paths)

    def _unreachable(self, exc: BaseException) -> RemoteError:
        return RemoteError(
            f"Cannot use remote {self.name!r} at {self.config.url!r}: {exc}. Check the URL "
            "('stepstone remote list'), the credentials and that the server answers."
        )


def open_remote(config: RemoteConfig) -> RemoteCache:
    """Open ``config``'s remote (nothing is read until used).

    Raises:
        RemoteError: the URL cannot be opened (unknown protocol, missing fsspec package).
    """
    import fsspec

    url = config.url.rstrip("/")
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    root = f"{url}/{LAYOUT_VERSION}"
    try:
        fs, path = fsspec.core.url_to_fs(
            f"{root}/entries", **config.storage.fsspec_options(protocol)
        )
        staging = os.path.join(tempfile.gettempdir(), "stepstone-remote-staging")
        artifacts = ArtifactStore(
            f"{root}/cas", staging_dir=staging, storage_options=config.storage
        )
    except (ImportError, ValueError, OSError, ArtifactStoreError) as exc:
        raise RemoteError(
            f"Cannot open remote {config.name!r} at {config.url!r}: {exc}. Check the URL and "
            "that the fsspec package for its protocol is installed (s3fs for s3://)."
        ) from exc
    return RemoteCache(config, artifacts, fs, path.rstrip("/"))
