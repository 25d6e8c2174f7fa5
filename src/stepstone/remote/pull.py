"""``stepstone cache pull`` and the read-through of a run: remote entries made local hits.

Both go through :func:`~stepstone.remote.importing.admit_and_fetch` (trust, then verified
copies of the bytes) and :func:`~stepstone.remote.importing.record_imports`. ``pull``
imports every entry the local store lacks; the read-through (``cache_remote``) asks the
remote only for the keys of steps that missed locally and are about to execute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stepstone.remote.config import remote_named
from stepstone.remote.importing import Admitted, admit_and_fetch, record_imports
from stepstone.remote.layout import RemoteCache, open_remote
from stepstone.remote.trust import TrustPolicy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stepstone.metadata.records import CacheHit
    from stepstone.stores import Stores

__all__ = ["PullReport", "ReadThrough", "open_read_through", "pull_entries"]


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
    """Looks local cache misses up in the ``cache_remote`` remote before they execute."""

    stores: Stores
    remote: RemoteCache
    policy: TrustPolicy
    misses: set[str] = field(default_factory=set)

    def lookup(self, keys: Sequence[str]) -> dict[str, CacheHit]:
        """Hits for ``keys`` from the remote, imported locally (their outputs downloaded)."""
        admitted = []
        for key in keys:
            if key in self.misses:
                continue
            item = admit_and_fetch(self.stores, self.remote, self.policy, key)
            if item is None:
                self.misses.add(key)
            else:
                admitted.append(item)
        return record_imports(self.stores, self.remote, admitted) if admitted else {}


def open_read_through(stores: Stores) -> ReadThrough | None:
    """The read-through of ``cache_remote``, None when it is not set."""
    settings = stores.settings
    if settings.cache_remote is None:
        return None
    config = remote_named(settings, settings.cache_remote)
    return ReadThrough(stores, open_remote(config), TrustPolicy.of(settings, config))
