"""The two stores of a process — metadata and artifacts — opened once and shared.

Opening a database and checking its schema costs milliseconds; a notebook or a script that
runs a pipeline a hundred times should pay it once. Stores are cached per
(metadata URL, artifact root), so changing ``STEPSTONE_HOME`` between runs (as tests do)
opens new ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stepstone.config import Settings, load_settings

if TYPE_CHECKING:
    from stepstone.artifacts import ArtifactStore
    from stepstone.metadata import MetadataStore


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

                    self._metadata = open_metadata_store(self.settings.metadata_url)
        return self._metadata

    @property
    def artifacts(self) -> ArtifactStore:
        if self._artifacts is None:
            with self._lock:
                if self._artifacts is None:
                    from stepstone.artifacts import open_artifact_store
                    from stepstone.artifacts.storage import StorageOptions

                    table = self.settings.artifact_storage
                    where = f"Config file {self.settings.config_file}"
                    self._artifacts = open_artifact_store(
                        self.settings.artifact_root,
                        allow_pickle=self.settings.allow_pickle,
                        storage_options=None
                        if table is None
                        else StorageOptions.from_table(table, where),
                    )
        return self._artifacts

    def close(self) -> None:
        if self._metadata is not None:
            self._metadata.close()
            self._metadata = None


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
                stores._metadata, stores._artifacts = previous._metadata, previous._artifacts
            _OPEN[key] = stores
        return stores


def close_all_stores() -> None:
    """Close every open store (tests and long-lived processes switching homes)."""
    with _OPEN_LOCK:
        for stores in _OPEN.values():
            stores.close()
        _OPEN.clear()
