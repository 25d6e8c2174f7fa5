"""Deleting runs and cache entries with SQLAlchemy Core, each in one write transaction.

These are maintenance commands (``stepstone runs delete``, ``stepstone cache clear``), so they
favour portability over speed: ids are read into Python first and deleted in chunks, which avoids
MySQL's refusal to delete from a table a subquery also reads, and keeps every ``IN`` list far
below the backends' bound-parameter limits.

Deleting a run goes child to parent so foreign keys never object: cache entries pointing at its
step runs, their logs, their lineage edges, the step runs, the run. Artifact rows are history other
runs may share (a cached step links the producer's artifacts), so only the artifacts the run's
step runs produced or used that no remaining edge references are removed (with their versions,
tags and metadata); their files are left for garbage collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, delete, exists, select

from stepstone.exceptions import RunNotFoundError
from stepstone.metadata.records import DeletedRun, MetadataResource
from stepstone.metadata.sql.reads import cache_entry_filter
from stepstone.metadata.sql.statements import chunks
from stepstone.metadata.sql.tables import (
    artifact_tags,
    artifact_versions,
    artifacts,
    cache_entries,
    model_version_artifacts,
    pipeline_runs,
    run_metadata,
    step_logs,
    step_run_artifacts,
    step_runs,
    step_waits,
)


def delete_run(connection: Connection, run_id: str) -> DeletedRun:
    """Delete the run and what hangs off it (inside the caller's transaction)."""
    found = connection.execute(
        select(pipeline_runs.c.id).where(pipeline_runs.c.id == run_id)
    ).first()
    if found is None:
        raise RunNotFoundError(run_id)
    step_ids: Sequence[str] = list(
        connection.execute(select(step_runs.c.id).where(step_runs.c.run_id == run_id)).scalars()
    )
    removed_entries, removed_artifacts = _delete_step_runs(connection, step_ids)
    _delete_metadata(connection, MetadataResource.PIPELINE_RUN, [run_id])
    # A killed run may leave the record of a step that was waiting on another run's lease.
    connection.execute(delete(step_waits).where(step_waits.c.run_id == run_id))
    connection.execute(delete(pipeline_runs).where(pipeline_runs.c.id == run_id))
    return DeletedRun(
        run_id=run_id,
        step_runs=len(step_ids),
        cache_entries=removed_entries,
        artifacts=removed_artifacts,
    )


def delete_step_run(connection: Connection, step_run_id: str) -> None:
    """Delete one step run and what hangs off it (a step the driver is redoing)."""
    _delete_step_runs(connection, [step_run_id])


def _delete_step_runs(connection: Connection, step_ids: Sequence[str]) -> tuple[int, int]:
    """Delete step runs, their entries, logs and edges, and artifacts left unlinked.

    Returns (cache entries removed, artifacts removed).
    """
    candidates: set[str] = set()
    removed_entries = 0
    for part in chunks(step_ids):
        candidates.update(
            connection.execute(
                select(step_run_artifacts.c.artifact_id).where(
                    step_run_artifacts.c.step_run_id.in_(part)
                )
            ).scalars()
        )
        candidates.update(
            connection.execute(
                select(artifacts.c.id).where(artifacts.c.producer_step_run_id.in_(part))
            ).scalars()
        )
        removed_entries += _count(
            connection.execute(delete(cache_entries).where(cache_entries.c.step_run_id.in_(part)))
        )
        connection.execute(delete(step_logs).where(step_logs.c.step_run_id.in_(part)))
        connection.execute(
            delete(step_run_artifacts).where(step_run_artifacts.c.step_run_id.in_(part))
        )
    for part in chunks(list(step_ids)):
        connection.execute(delete(step_runs).where(step_runs.c.id.in_(part)))
    _delete_metadata(connection, MetadataResource.STEP_RUN, step_ids)
    still_linked = exists().where(step_run_artifacts.c.artifact_id == artifacts.c.id)
    removed_artifacts = 0
    for part in chunks(sorted(candidates)):
        unlinked = list(
            connection.execute(
                select(artifacts.c.id).where(artifacts.c.id.in_(part), ~still_linked)
            ).scalars()
        )
        if not unlinked:
            continue
        connection.execute(delete(artifact_tags).where(artifact_tags.c.artifact_id.in_(unlinked)))
        connection.execute(
            delete(artifact_versions).where(artifact_versions.c.artifact_id.in_(unlinked))
        )
        connection.execute(
            delete(model_version_artifacts).where(
                model_version_artifacts.c.artifact_id.in_(unlinked)
            )
        )
        _delete_metadata(connection, MetadataResource.ARTIFACT_VERSION, unlinked)
        removed_artifacts += _count(
            connection.execute(delete(artifacts).where(artifacts.c.id.in_(unlinked)))
        )
    return removed_entries, removed_artifacts


def _delete_metadata(
    connection: Connection, resource_type: MetadataResource, ids: Sequence[str]
) -> None:
    """Delete the metadata logged on resources that are being deleted."""
    for part in chunks(list(ids)):
        connection.execute(
            delete(run_metadata).where(
                and_(
                    run_metadata.c.resource_type == resource_type.value,
                    run_metadata.c.resource_id.in_(part),
                )
            )
        )


def clear_cache_entries(
    connection: Connection,
    invocation_name: str | None,
    pipeline_name: str | None,
    older_than: datetime | None,
) -> int:
    """Delete the cache entries matching every given filter; return how many."""
    statement = delete(cache_entries).where(
        *cache_entry_filter(invocation_name, pipeline_name, older_than)
    )
    return _count(connection.execute(statement))


def _count(result: object) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
