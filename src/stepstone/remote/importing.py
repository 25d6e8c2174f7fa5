"""Turning admitted remote entries into local cache entries.

An imported entry needs a step run to point to (a local cache entry names the step run that
produced its outputs). Each import records one run per pipeline, named
``from-remote-<NAME>-<time>`` with ``{"remote": NAME}`` as its parameters, holding one
completed step run per entry: its cache components carry ``remote`` (the remote, the
producing run, the key that signed it), so ``runs show`` and ``explain`` can say where the
result came from. A later run's hit on it reads "cached from run from-remote-team-...".

Artifacts are copied into the local artifact store, verified, before anything is recorded:
an entry whose bytes are damaged or missing on the remote is not imported.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from stepstone.artifacts.transfer import copy_artifact
from stepstone.cache.manifest import KeyManifest
from stepstone.exceptions import (
    ArtifactIntegrityError,
    RemoteEntryError,
    RemoteEntryWarning,
)
from stepstone.metadata.records import (
    CacheHit,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
    StepRunWrite,
    StepStatus,
)
from stepstone.processes import this_host
from stepstone.remote.entry import EntryDocument
from stepstone.remote.layout import RemoteCache
from stepstone.remote.trust import TrustPolicy
from stepstone.warn import warn_user

if TYPE_CHECKING:
    from stepstone.stores import Stores

__all__ = ["Admitted", "admit", "admit_and_fetch", "record_imports"]


@dataclass(frozen=True, slots=True)
class Admitted:
    """An entry whose trust was checked and whose artifacts are now stored locally."""

    document: EntryDocument
    signed_by: str | None


def admit(remote: RemoteCache, policy: TrustPolicy, key: str) -> Admitted | None:
    """Read and check the entry for ``key``, downloading nothing; None if absent or refused.

    A refused entry (unreadable, tampered, untrusted) is a
    :class:`~stepstone.exceptions.RemoteEntryWarning` saying why.

    Raises:
        RemoteError: the remote cannot be read.
    """
    try:
        document = remote.read_entry(key)
        if document is None:
            return None
        return Admitted(document, policy.admit(document))
    except RemoteEntryError as exc:
        warn_user(str(exc), RemoteEntryWarning)
        return None


def admit_and_fetch(
    stores: Stores, remote: RemoteCache, policy: TrustPolicy, key: str
) -> Admitted | None:
    """Read, check and download the entry for ``key``; None if absent or refused.

    A refused entry (unreadable, tampered, untrusted, damaged bytes) is a
    :class:`~stepstone.exceptions.RemoteEntryWarning` saying why; nothing is recorded.
    """
    admitted = admit(remote, policy, key)
    if admitted is None:
        return None
    document = admitted.document
    try:
        for output in document.outputs:
            copy_artifact(remote.artifacts, stores.artifacts, output.content_hash)
    except ArtifactIntegrityError as exc:
        warn_user(
            f"Step '{document.invocation_name}' from remote {remote.name!r}: {exc} The entry "
            "is ignored; the step executes.",
            RemoteEntryWarning,
        )
        return None
    return admitted


def record_imports(
    stores: Stores, remote: RemoteCache, admitted: list[Admitted]
) -> dict[str, CacheHit]:
    """Record ``admitted`` entries locally (one run per pipeline); the hits, by key."""
    by_pipeline: dict[str, list[Admitted]] = defaultdict(list)
    for item in admitted:
        by_pipeline[item.document.pipeline_name].append(item)
    hits: dict[str, CacheHit] = {}
    metadata = stores.metadata
    for pipeline_name, items in sorted(by_pipeline.items()):
        now = datetime.now(UTC)
        run = PipelineRunRecord(
            id=uuid.uuid4().hex,
            name=f"from-remote-{remote.name}-{now:%Y_%m_%d-%H_%M_%S_%f}",
            pipeline_name=pipeline_name,
            status=RunStatus.RUNNING,
            started_at=now,
            ended_at=None,
            parameters={"remote": remote.name, "url": remote.config.url},
            host=this_host(),
            pid=os.getpid(),
        )
        metadata.create_run(run)
        writes = [
            _write(stores, remote, run, position, item, now) for position, item in enumerate(items)
        ]
        metadata.record_step_runs(writes)
        metadata.finish_run(run.id, RunStatus.COMPLETED, datetime.now(UTC))
        for write in writes:
            record = write.step_run
            assert record.cache_key is not None
            hits[record.cache_key] = CacheHit(
                cache_key=record.cache_key,
                step_run_id=record.id,
                run_id=run.id,
                run_name=run.name,
                created_at=now,
                duration=record.duration,
                outputs=record.outputs,
            )
    return hits


def _write(
    stores: Stores,
    remote: RemoteCache,
    run: PipelineRunRecord,
    position: int,
    item: Admitted,
    now: datetime,
) -> StepRunWrite:
    document = item.document
    step_run_id = uuid.uuid4().hex
    outputs = {
        output.name: output.to_record(
            uuid.uuid4().hex, stores.artifacts.uri_for(output.content_hash), step_run_id, now
        )
        for output in document.outputs
    }
    components = {
        **document.cache_components,
        "remote": {
            "name": remote.name,
            "url": remote.config.url,
            "producer_run": document.producer_run,
            "signed_by": item.signed_by,
        },
    }
    try:
        executed_at = datetime.fromisoformat(document.created_at)
    except ValueError:
        executed_at = now
    record = StepRunRecord(
        id=step_run_id,
        run_id=run.id,
        name=document.invocation_name,
        definition_name=document.definition_name,
        status=StepStatus.COMPLETED,
        position=position,
        started_at=executed_at,
        ended_at=executed_at,
        duration=document.duration,
        cache_key=document.cache_key,
        manifest=KeyManifest.from_json(components),
        parameters=document.parameters,
        outputs=outputs,
    )
    return StepRunWrite(record, new_artifacts=tuple(outputs.values()), cache_entry=True)
