"""``stepstone cache pull`` and the read-through of a run: remote entries made local hits.

Both go through :func:`~stepstone.remote.importing.admit_and_fetch` (trust, then verified
copies of the bytes) and :func:`~stepstone.remote.importing.record_imports`. ``pull``
imports every entry the local store lacks, with its bytes. The read-through
(``cache_remote``) asks the remote only for the keys of steps that missed locally and are
about to execute, and imports their entries *without* the bytes: a hit whose consumers are
hits too never downloads anything. The bytes come when something reads them: the driver
fetches the inputs of a step before it executes (:meth:`ReadThrough.fetch`), and the local
artifact store copies an artifact it lacks from the remote when it is loaded or exported
(its ``source``). A remote that cannot be reached is warned about once; the run goes on with
the local cache.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stepstone.artifacts.transfer import copy_artifact
from stepstone.exceptions import (
    ArtifactIntegrityError,
    RemoteError,
    RemoteUnreachableWarning,
)
from stepstone.remote.config import remote_named
from stepstone.remote.importing import Admitted, admit, admit_and_fetch, record_imports
from stepstone.remote.layout import RemoteCache, open_remote
from stepstone.remote.trust import TrustPolicy
from stepstone.warn import warn_user

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from stepstone.artifacts import ArtifactStore
    from stepstone.metadata.records import ArtifactRecord, CacheHit
    from stepstone.stores import Stores

__all__ = ["PullReport", "ReadThrough", "open_read_through", "pull_entries", "remote_source"]


@dataclass(frozen=True, slots=True)
class PullReport:
    """What a pull did: entries imported, already local, refused (with a warning each)."""

    imported: int
    already_local: int
    refused: int


def pull_entries(stores: Stores, remote: RemoteCache, policy: TrustPolicy) -> PullReport:
    """Import every entry of ``remote`` that the local metadata store does not have."""
    keys = remote.entry_keys()
    local = stores.metadata.lookup_cache(keys)
    admitted: list[Admitted] = []
    refused = 0
    for key in keys:
        if key in local:
            continue
        item = admit_and_fetch(stores, remote, policy, key)
        if item is None:
            refused += 1
        else:
            admitted.append(item)
    record_imports(stores, remote, admitted)
    return PullReport(len(admitted), len(local), refused)


@dataclass
class ReadThrough:
    """Looks local cache misses up in the ``cache_remote`` remote before they execute.

    ``misses`` are the keys the remote lacks (asked once per run); ``unreachable`` is set by
    the first failure to reach it, after which the run uses only the local cache.
    """

    stores: Stores
    remote: RemoteCache
    policy: TrustPolicy
    misses: set[str] = field(default_factory=set)
    unreachable: bool = False

    def lookup(self, keys: Sequence[str]) -> dict[str, CacheHit]:
        """Hits for ``keys`` from the remote, imported locally without their bytes.

        An entry whose artifacts the remote does not hold whole is a miss.
        """
        admitted: list[Admitted] = []
        for key in keys:
            if self.unreachable:
                break
            if key in self.misses:
                continue
            try:
                item = admit(self.remote, self.policy, key)
                if item is not None and not all(
                    self.remote.artifacts.exists(
                        self.remote.artifacts.uri_for(output.content_hash), output.size
                    )
                    for output in item.document.outputs
                ):
                    item = None
            except Exception as exc:  # any failure to reach it (botocore's are not OSErrors)
                self._unreachable(exc)
                break
            if item is None:
                self.misses.add(key)
            else:
                admitted.append(item)
        return record_imports(self.stores, self.remote, admitted) if admitted else {}

    def exists(self, uri: str, size: int | None = None) -> bool:
        """Whether the artifact at local ``uri`` is stored here, or on the remote to fetch."""
        local = self.stores.artifacts
        if local.exists(uri, size):
            return True
        if self.unreachable:
            return False
        store = self.remote.artifacts
        try:
            return store.exists(store.uri_for(uri.rstrip("/\\")[-64:]), size)
        except Exception as exc:  # any failure to reach it (botocore's are not OSErrors)
            self._unreachable(exc)
            return False

    def fetch(self, records: Iterable[ArtifactRecord]) -> None:
        """Download the artifacts a step about to execute reads that only the remote holds.

        One the remote lacks or holds damaged stays missing: the step then finds its input
        gone, and the driver executes the input's producer again.
        """
        for record in records:
            if self.unreachable:
                return
            try:
                copy_artifact(self.remote.artifacts, self.stores.artifacts, record.content_hash)
            except ArtifactIntegrityError:
                continue
            except Exception as exc:  # any failure to reach it (botocore's are not OSErrors)
                self._unreachable(exc)

    def source(self) -> ArtifactStore | None:
        """The remote's artifacts, for the local store to copy missing ones from."""
        return None if self.unreachable else self.remote.artifacts

    def _unreachable(self, exc: BaseException) -> None:
        self.unreachable = True
        warn_user(
            f"Cache remote {self.remote.name!r} ({self.remote.config.url}) cannot be reached: "
            f"{exc}. This run goes on with the local cache only.",
            RemoteUnreachableWarning,
        )


def open_read_through(stores: Stores) -> ReadThrough | None:
    """The read-through of ``cache_remote``, None when it is not set."""
    settings = stores.settings
    if settings.cache_remote is None:
        return None
    config = remote_named(settings, settings.cache_remote)
    try:
        remote = open_remote(config)
    except RemoteError as exc:
        warn_user(f"{exc} This run goes on with the local cache only.", RemoteUnreachableWarning)
        return None
    read_through = ReadThrough(stores, remote, TrustPolicy.of(settings, config))
    stores.artifacts.source = read_through.source
    return read_through


def remote_source(stores: Stores) -> Callable[[], ArtifactStore | None]:
    """The artifacts of ``cache_remote``, opened on first need (the local store's ``source``).

    For reading outside a run (the client, the CLI, the dashboard): an artifact a
    read-through imported without its bytes is fetched when it is first loaded.
    """
    settings = stores.settings

    @functools.cache
    def source() -> ArtifactStore | None:
        if settings.cache_remote is None:
            return None
        try:
            return open_remote(remote_named(settings, settings.cache_remote)).artifacts
        except RemoteError as exc:
            warn_user(str(exc), RemoteUnreachableWarning)
            return None

    return source
