"""Reading step runs, artifacts, lineage and cache entries with SQLAlchemy Core.

These back the client, the CLI and the dashboard, where a few hundred microseconds per query do
not matter but clarity and portability do, so they are Core ``select``s rather than driver SQL.
(The runs page, a run's step runs and the cache listing are the exceptions: :mod:`.runs`,
:mod:`.step_runs`, :mod:`.cache_entries`.)
Each public function issues a fixed number of queries whatever the page size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Select, and_, select

from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    StepRunRecord,
)
from stepstone.metadata.sql.codec import artifact_from_row, step_run_from_row
from stepstone.metadata.sql.columns import ARTIFACTS, STEP_RUNS
from stepstone.metadata.sql.tables import (
    artifacts,
    cache_entries,
    pipeline_runs,
    pipelines,
    step_logs,
    step_run_artifacts,
    step_runs,
)


def _edges(
    connection: Connection, where: object
) -> dict[str, tuple[dict[str, ArtifactRecord], dict[str, ArtifactRecord]]]:
    """``step_run_id -> (inputs, outputs)`` for the edges matching ``where``."""
    statement = (
        select(
            step_run_artifacts.c.step_run_id,
            step_run_artifacts.c.direction,
            step_run_artifacts.c.name,
            *(artifacts.c[column] for column in ARTIFACTS.names),
        )
        .join(artifacts, artifacts.c.id == step_run_artifacts.c.artifact_id)
        .where(where)  # type: ignore[arg-type]
        .order_by(step_run_artifacts.c.step_run_id, step_run_artifacts.c.name)
    )
    found: dict[str, tuple[dict[str, ArtifactRecord], dict[str, ArtifactRecord]]] = {}
    for row in connection.execute(statement):
        step_run_id, direction, name = row[:3]
        inputs, outputs = found.setdefault(step_run_id, ({}, {}))
        (inputs if direction == "input" else outputs)[name] = artifact_from_row(row[3:])
    return found


def _step_runs_with_edges(
    connection: Connection, rows: Sequence[Sequence[object]], edge_filter: object
) -> list[StepRunRecord]:
    if not rows:
        return []
    edges = _edges(connection, edge_filter)
    records = []
    for row in rows:
        inputs, outputs = edges.get(str(row.id), ({}, {}))  # type: ignore[attr-defined]
        records.append(step_run_from_row(row, inputs, outputs))
    return records


def get_logs(connection: Connection, step_run_id: str) -> str | None:
    """The captured logs of a step run."""
    return connection.execute(
        select(step_logs.c.text).where(step_logs.c.step_run_id == step_run_id)
    ).scalar_one_or_none()


def previous_step_runs(
    connection: Connection,
    pipeline_name: str,
    name: str,
    before: datetime,
    exclude_run_id: str | None,
    limit: int,
) -> list[StepRunRecord]:
    """The latest ``limit`` step runs named ``name`` in runs of the pipeline started before
    ``before``, newest first (two queries)."""
    columns = [step_runs.c[column] for column in STEP_RUNS.names]
    statement = (
        select(*columns)
        .join(pipeline_runs, pipeline_runs.c.id == step_runs.c.run_id)
        .join(pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id)
        .where(
            pipelines.c.name == pipeline_name,
            step_runs.c.name == name,
            pipeline_runs.c.started_at < before,
        )
        .order_by(
            pipeline_runs.c.started_at.desc(),
            pipeline_runs.c.id.desc(),
            step_runs.c.position.desc(),
            step_runs.c.id.desc(),
        )
        .limit(limit)
    )
    if exclude_run_id is not None:
        statement = statement.where(pipeline_runs.c.id != exclude_run_id)
    rows = connection.execute(statement).all()
    ids = [str(row.id) for row in rows]
    return _step_runs_with_edges(connection, rows, step_run_artifacts.c.step_run_id.in_(ids))


# -- artifacts and lineage ------------------------------------------------------------------------

_ARTIFACT_SELECT = [artifacts.c[column] for column in ARTIFACTS.names]


def _newest_artifacts_first(statement: Select) -> Select:
    return statement.order_by(artifacts.c.created_at.desc(), artifacts.c.id.desc())


def get_artifact(connection: Connection, artifact_id: str) -> ArtifactRecord | None:
    """One artifact by exact id."""
    row = connection.execute(select(*_ARTIFACT_SELECT).where(artifacts.c.id == artifact_id)).first()
    return artifact_from_row(row) if row is not None else None


def starts_with(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, in a form every backend answers from an index.

    ``LIKE 'abc%'`` alone is a full scan on SQLite (its LIKE ignores case, its indexes do not)
    and on PostgreSQL outside the C locale; the range ``[abc, abd)`` is not. The LIKE (with
    wildcards escaped) stays, so the answer is exact whatever the collation.
    """
    condition = column.startswith(prefix, autoescape=True)
    if prefix and ord(prefix[-1]) < 0x10FFFF:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        condition = and_(column >= prefix, column < upper, condition)
    return condition


def find_artifacts(connection: Connection, query: str, limit: int) -> list[ArtifactRecord]:
    """Artifacts whose id or content hash starts with ``query`` (wildcards escaped)."""
    statement = select(*_ARTIFACT_SELECT).where(
        starts_with(artifacts.c.id, query) | starts_with(artifacts.c.content_hash, query)
    )
    rows = connection.execute(_newest_artifacts_first(statement).limit(limit))
    return [artifact_from_row(row) for row in rows]


def list_artifacts(
    connection: Connection, run_id: str | None, limit: int | None, offset: int
) -> list[ArtifactRecord]:
    """Artifacts newest first; with ``run_id``, those linked to the run's step runs (once each)."""
    statement = select(*_ARTIFACT_SELECT)
    if run_id is not None:
        linked = (
            select(step_run_artifacts.c.artifact_id)
            .join(step_runs, step_runs.c.id == step_run_artifacts.c.step_run_id)
            .where(step_runs.c.run_id == run_id)
        )
        statement = statement.where(artifacts.c.id.in_(linked))
    statement = _newest_artifacts_first(statement)
    if limit is not None:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return [artifact_from_row(row) for row in connection.execute(statement)]


def artifact_links(connection: Connection, artifact_id: str) -> list[ArtifactLink]:
    """Every lineage edge of the artifact with its step run, run and pipeline; oldest first."""
    statement = (
        select(
            step_run_artifacts.c.artifact_id,
            step_runs.c.id.label("step_run_id"),
            step_runs.c.name.label("invocation_name"),
            step_runs.c.status.label("step_status"),
            pipeline_runs.c.id.label("run_id"),
            pipeline_runs.c.name.label("run_name"),
            pipelines.c.name.label("pipeline_name"),
            step_run_artifacts.c.direction,
            step_run_artifacts.c.name,
            step_runs.c.started_at,
        )
        .join(step_runs, step_runs.c.id == step_run_artifacts.c.step_run_id)
        .join(pipeline_runs, pipeline_runs.c.id == step_runs.c.run_id)
        .join(pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id)
        .where(step_run_artifacts.c.artifact_id == artifact_id)
        # Oldest first; within one moment the producer before its consumers.
        .order_by(
            step_runs.c.started_at,
            pipeline_runs.c.started_at,
            step_runs.c.position,
            step_runs.c.id,
            step_run_artifacts.c.direction.desc(),
            step_run_artifacts.c.name,
        )
    )
    return [ArtifactLink(**row._mapping) for row in connection.execute(statement)]


def referenced_content_hashes(connection: Connection) -> set[str]:
    """The content hash of every artifact row."""
    return set(connection.execute(select(artifacts.c.content_hash).distinct()).scalars())


# -- cache entries ----------------------------------------------------------------------------


def cache_entry_filter(
    invocation_name: str | None, pipeline_name: str | None, older_than: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions on ``cache_entries`` for the filters of list/clear (all optional)."""
    conditions: list[ColumnElement[bool]] = []
    if invocation_name is not None:
        conditions.append(
            cache_entries.c.step_run_id.in_(
                select(step_runs.c.id).where(step_runs.c.name == invocation_name)
            )
        )
    if pipeline_name is not None:
        conditions.append(cache_entries.c.pipeline_name == pipeline_name)
    if older_than is not None:
        conditions.append(cache_entries.c.created_at < older_than)
    return conditions
