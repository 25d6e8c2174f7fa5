"""Whether a cache hit can be used: a pure decision, with the side effects left to the driver.

The driver looks a whole ready batch up in one query; for every key found it asks
:func:`check_hit`. Deleting the stale entry, warning the user and publishing the event are
the driver's, so this module can be tested with plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from stepstone.cache.manifest import Decision
from stepstone.metadata.records import CacheHit
from stepstone.orchestrators.planning import PlannedStep

Exists = Callable[[str, int | None], bool]
"""Whether an artifact is stored whole, by URI and recorded size (``ArtifactStore.exists``)."""


def missing_outputs(planned: PlannedStep, hit: CacheHit, exists: Exists) -> list[str]:
    """Declared outputs the hit lacks or whose files ``exists`` does not find, sorted.

    Outputs absent from the record are checked first: then no file needs to be looked at.
    The recorded size goes along, so an object store checks each output in one request.
    """
    outputs = hit.outputs
    missing = [entry.name for entry in planned.output_spec if entry.name not in outputs]
    if missing:
        return sorted(missing)
    return [name for name, record in hit.outputs.items() if not exists(record.uri, record.size)]


def check_hit(planned: PlannedStep, hit: CacheHit, now: datetime, exists: Exists) -> Decision:
    """``HIT`` if ``hit`` can be reused at ``now``, else why not.

    ``EXPIRED`` when the entry is older than the step's ``cache_expires_after`` (no file is
    looked at then); ``ARTIFACTS_MISSING`` when an output is absent from the entry or its
    files are gone from the artifact store (``exists`` takes an artifact URI and size).
    """
    expiry = planned.expires_after
    if expiry is not None and now - hit.created_at > expiry:
        return Decision.EXPIRED
    if missing_outputs(planned, hit, exists):
        return Decision.ARTIFACTS_MISSING
    return Decision.HIT
