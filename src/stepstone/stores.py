"""The two stores of a process — metadata and artifacts — opened once and shared.

Opening a database and checking its schema costs milliseconds; a notebook or a script that
runs a pipeline a hundred times should pay it once. Stores are cached per
(metadata URL, artifact root), so changing ``STEPSTONE_HOME`` between runs (as tests do)
opens new ones.

An open store is reused for other settings only if it was opened from the same values of
every setting that configures it (:func:`_metadata_options`, :func:`_artifact_options`:
the one place that both opens a store and decides when it can be shared). So a
``Client(settings=...)`` with ``allow_pickle=False`` opened after the default stores gets
an artifact store that refuses pickles, while still sharing the metadata connection.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stepstone.config import Settings, load_settings

if TYPE_CHECKING:
    from datetime import datetime

    from stepstone.artifacts import ArtifactStore, StoredArtifact
    from stepstone.artifacts.storage import StorageOptions
    from stepstone.metadata import MetadataStore
    from stepstone.metadata.records import ArtifactRecord


@dataclass
class Stores:
    """The metadata store and artifact store named by one set of settings."""

    settings: Settings
    _metadata: MetadataStore | None = field(default=None, repr=False)
    _artifacts: ArtifactStore | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def metadata(self) -> MetadataStore:
        if self._metadata is None:
            with self._lock:
                if self._metadata is None:
                    from stepstone.metadata import open_metadata_store

                    (url,) = _metadata_options(self.settings)
                    self._metadata = open_metadata_store(url)
        return self._metadata

    @property
    def artifacts(self) -> ArtifactStore:
        if self._artifacts is None:
            with self._lock:
                if self._artifacts is None:
                    from stepstone.artifacts import open_artifact_store

                    root, allow_pickle, _, materializers = _artifact_options(self.settings)
                    self._artifacts = open_artifact_store(
                        root,
                        allow_pickle=allow_pickle,
                        storage_options=self.storage_options,
                        materializers=materializers,
                    )
        return self._artifacts

    @property
    def storage_options(self) -> StorageOptions | None:
        """The ``[artifact_storage]`` options, checked (what workers open the store with)."""
        from stepstone.artifacts.storage import StorageOptions

        table = self.settings.artifact_storage
        where = f"Config file {self.settings.config_file}"
        return None if table is None else StorageOptions.from_table(table, where)

    def adopt(self, previous: Stores) -> None:
        """Share ``previous``'s open stores that its settings configured as ours would."""
        if _metadata_options(previous.settings) == _metadata_options(self.settings):
            self._metadata = previous._metadata
        if _artifact_options(previous.settings) == _artifact_options(self.settings):
            self._artifacts = previous._artifacts

    def close(self) -> None:
        if self._metadata is not None:
            self._metadata.close()
            self._metadata = None


def _metadata_options(settings: Settings) -> tuple[str]:
    """Every setting the metadata store is opened with."""
    return (settings.metadata_url,)


def _artifact_options(
    settings: Settings,
) -> tuple[str, bool, Mapping[str, Any] | None, tuple[str, ...]]:
    """Every setting the artifact store is opened with (the pickle policy included)."""
    return (
        settings.artifact_root,
        settings.allow_pickle,
        settings.artifact_storage,
        settings.materializers,
    )


_OPEN: dict[tuple[str, str], Stores] = {}
_OPEN_LOCK = threading.Lock()


def get_stores(settings: Settings | None = None) -> Stores:
    """The shared stores for ``settings`` (default: this process's resolved settings)."""
    settings = settings or load_settings()
    key = (settings.metadata_url, settings.artifact_root)
    with _OPEN_LOCK:
        stores = _OPEN.get(key)
        if stores is None or stores.settings != settings:
            previous = stores
            stores = Stores(settings)
            if previous is not None:
                stores.adopt(previous)
            _OPEN[key] = stores
        return stores


def close_all_stores() -> None:
    """Close every open store (tests and long-lived processes switching homes)."""
    with _OPEN_LOCK:
        for stores in _OPEN.values():
            stores.close()
        _OPEN.clear()


def artifact_record(stored: StoredArtifact, producer: str | None, now: datetime) -> ArtifactRecord:
    """The metadata row of bytes the artifact store just saved, under a new id.

    ``producer`` is the step run that wrote them, None for a value saved or passed in from
    outside a run. The one place the artifact store's answer becomes a record, for the driver
    and for ``save_artifact``.
    """
    from stepstone.metadata.ids import new_id
    from stepstone.metadata.records import ArtifactRecord

    return ArtifactRecord(
        id=new_id(),
        content_hash=stored.content_hash,
        uri=stored.uri,
        data_type=stored.data_type,
        materializer=stored.materializer,
        materializer_version=stored.materializer_version,
        size=stored.size,
        producer_step_run_id=producer,
        created_at=now,
        summary=stored.summary,
    )
