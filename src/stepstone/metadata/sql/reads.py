"""Reading runs and step runs with SQLAlchemy Core.

These back the client, the CLI and the dashboard, where a few hundred microseconds per query do
not matter but clarity and portability do, so they are Core ``select``s rather than driver SQL.
Each public function issues a fixed number of queries whatever the page size: a page of runs is
one query plus one grouped count over its step runs; a run's steps are one query plus one over
their lineage edges.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Select, case, func, select

from stepstone.metadata.records import ArtifactRecord, PipelineRunRecord, StepRunRecord
from stepstone.metadata.sql.codec import (
    ARTIFACT_COLUMNS,
    STEP_RUN_COLUMNS,
    artifact_from_row,
    run_from_row,
    step_run_from_row,
)
from stepstone.metadata.sql.tables import (
    artifacts,
    pipeline_runs,
    pipelines,
    step_logs,
    step_run_artifacts,
    step_runs,
)


def _runs_select() -> Select[tuple[object, ...]]:
    return select(*pipeline_runs.c, pipelines.c.name.label("pipeline_name")).join(
        pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id
    )


def _filtered(statement: Select, pipeline_name: str | None, status: str | None) -> Select:
    if pipeline_name is not None:
        statement = statement.where(pipelines.c.name == pipeline_name)
    if status is not None:
        statement = statement.where(pipeline_runs.c.status == status)
    return statement


def _newest_first(statement: Select) -> Select:
    # The id breaks ties between runs started in the same microsecond, so pages never overlap.
    return statement.order_by(pipeline_runs.c.started_at.desc(), pipeline_runs.c.id.desc())


def _with_counts(connection: Connection, statement: Select) -> list[PipelineRunRecord]:
    rows = connection.execute(statement).mappings().all()
    if not rows:
        return []
    counts = {
        run_id: (int(total), int(cached or 0))
        for run_id, total, cached in connection.execute(
            select(
                step_runs.c.run_id,
                func.count(),
                func.sum(case((step_runs.c.status == "cached", 1), else_=0)),
            )
            .where(step_runs.c.run_id.in_([row["id"] for row in rows]))
            .group_by(step_runs.c.run_id)
        )
    }
    return [run_from_row(dict(row), *counts.get(row["id"], (0, 0))) for row in rows]


def list_runs(
    connection: Connection,
    pipeline_name: str | None,
    status: str | None,
    limit: int | None,
    offset: int,
) -> list[PipelineRunRecord]:
    """Runs newest first, filtered and paged, with step counts."""
    statement = _newest_first(_filtered(_runs_select(), pipeline_name, status))
    if limit is not None:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return _with_counts(connection, statement)


def count_runs(connection: Connection, pipeline_name: str | None, status: str | None) -> int:
    """How many runs match the filters."""
    statement = select(func.count()).select_from(
        pipeline_runs.join(pipelines, pipelines.c.id == pipeline_runs.c.pipeline_id)
    )
    return int(connection.execute(_filtered(statement, pipeline_name, status)).scalar_one())


def get_run(connection: Connection, run_id: str) -> PipelineRunRecord | None:
    """The run with exactly this id."""
    found = _with_counts(connection, _runs_select().where(pipeline_runs.c.id == run_id))
    return found[0] if found else None


def find_runs(connection: Connection, query: str, limit: int) -> list[PipelineRunRecord]:
    """Runs whose id equals or starts with ``query``, or whose name equals it; newest first."""
    statement = _runs_select().where(
        pipeline_runs.c.id.startswith(query, autoescape=True) | (pipeline_runs.c.name == query)
    )
    return _with_counts(connection, _newest_first(statement).limit(limit))


def run_names(connection: Connection, limit: int) -> list[str]:
    """Names of the most recent runs."""
    statement = (
        select(pipeline_runs.c.name)
        .order_by(pipeline_runs.c.started_at.desc(), pipeline_runs.c.id.desc())
        .limit(limit)
    )
    return list(connection.execute(statement).scalars())


def _edges(
    connection: Connection, where: object
) -> dict[str, tuple[dict[str, ArtifactRecord], dict[str, ArtifactRecord]]]:
    """``step_run_id -> (inputs, outputs)`` for the edges matching ``where``."""
    statement = (
        select(
            step_run_artifacts.c.step_run_id,
            step_run_artifacts.c.direction,
            step_run_artifacts.c.name,
            *(artifacts.c[column] for column in ARTIFACT_COLUMNS),
        )
        .join(artifacts, artifacts.c.id == step_run_artifacts.c.artifact_id)
        .where(where)  # type: ignore[arg-type]
        .order_by(step_run_artifacts.c.step_run_id, step_run_artifacts.c.name)
    )
    found: dict[str, tuple[dict[str, ArtifactRecord], dict[str, ArtifactRecord]]] = {}
    for row in connection.execute(statement):
        inputs, outputs = found.setdefault(row[0], ({}, {}))
        (inputs if row[1] == "input" else outputs)[row[2]] = artifact_from_row(row[3:])
    return found


def _step_runs_with_edges(
    connection: Connection, rows: Sequence[Sequence[object]], edge_filter: object
) -> list[StepRunRecord]:
    if not rows:
        return []
    edges = _edges(connection, edge_filter)
    records = []
    for row in rows:
        inputs, outputs = edges.get(str(row[0]), ({}, {}))
        records.append(step_run_from_row(row, inputs, outputs))
    return records


def get_step_runs(connection: Connection, run_id: str) -> list[StepRunRecord]:
    """A run's step runs in execution order, with inputs and outputs (two queries)."""
    columns = [step_runs.c[column] for column in STEP_RUN_COLUMNS]
    rows = connection.execute(
        select(*columns)
        .where(step_runs.c.run_id == run_id)
        .order_by(step_runs.c.position, step_runs.c.id)
    ).all()
    in_run = step_run_artifacts.c.step_run_id.in_(
        select(step_runs.c.id).where(step_runs.c.run_id == run_id)
    )
    return _step_runs_with_edges(connection, rows, in_run)


def get_step_run(connection: Connection, step_run_id: str) -> StepRunRecord | None:
    """One step run with its artifacts."""
    columns = [step_runs.c[column] for column in STEP_RUN_COLUMNS]
    rows = connection.execute(select(*columns).where(step_runs.c.id == step_run_id)).all()
    found = _step_runs_with_edges(connection, rows, step_run_artifacts.c.step_run_id == step_run_id)
    return found[0] if found else None


def get_logs(connection: Connection, step_run_id: str) -> str | None:
    """The captured logs of a step run."""
    return connection.execute(
        select(step_logs.c.text).where(step_logs.c.step_run_id == step_run_id)
    ).scalar_one_or_none()
