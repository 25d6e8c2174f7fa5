"""A run's step runs, and one step run, with their artifacts: driver SQL on the hot connection.

``stepstone runs show``, ``explain``, the dashboard's run page and ``PipelineRun.steps`` read a
whole run's step runs; through SQLAlchemy Core that meant importing SQLAlchemy (more than the
rest of the command) and a Core row object per row. Like the runs page (:mod:`.runs`), these
reads are hand-written SQL on the store's driver connection, decoded by the row codec: two
queries whatever the run's size, one for the step runs and one for their lineage edges with
the artifacts they point to.

Indexes serving them: ``step_runs (run_id, position, status)`` finds a run's step runs in order;
the primary key of ``step_run_artifacts`` (step run, direction, name) their edges.
"""

from __future__ import annotations

from typing import Any

from stepstone.metadata.records import ArtifactRecord, StepRunRecord
from stepstone.metadata.sql.codec import artifact_from_row, step_run_from_row
from stepstone.metadata.sql.columns import ARTIFACTS, STEP_RUNS
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.statements import select_columns

_SELECT_STEP_RUNS = f"SELECT {select_columns(STEP_RUNS, 'sr')} FROM step_runs sr"  # noqa: S608
_SELECT_EDGES = (
    "SELECT e.step_run_id, e.direction, e.name, "  # noqa: S608
    + select_columns(ARTIFACTS, "a")
    + " FROM step_run_artifacts e JOIN artifacts a ON a.id = e.artifact_id"
)
_EDGE_ORDER = " ORDER BY e.step_run_id, e.name"
_ID = STEP_RUNS.names.index("id")

Edges = dict[str, tuple[dict[str, ArtifactRecord], dict[str, ArtifactRecord]]]


def _edges(hot: DriverConnection, action: str, where: str, params: list[Any]) -> Edges:
    """``step_run_id -> (inputs, outputs)`` of the edges matching ``where``."""
    dt_out = hot.dt_out
    found: Edges = {}
    statement = hot.flavor.sql(_SELECT_EDGES + where + _EDGE_ORDER)
    for row in hot.query(action, statement, params):
        step_run_id, direction, name = row[0], row[1], row[2]
        inputs, outputs = found.setdefault(step_run_id, ({}, {}))
        (inputs if direction == "input" else outputs)[name] = artifact_from_row(row[3:], dt_out)
    return found


def _with_edges(rows: list[Any], edges: Edges, hot: DriverConnection) -> list[StepRunRecord]:
    records = []
    for row in rows:
        inputs, outputs = edges.get(row[_ID]) or ({}, {})
        records.append(step_run_from_row(row, inputs, outputs, hot.dt_out))
    return records


def get_step_runs(hot: DriverConnection, run_id: str) -> list[StepRunRecord]:
    """A run's step runs in execution order, with inputs and outputs (two queries)."""
    action = f"read the step runs of run {run_id}"
    statement = hot.flavor.sql(
        _SELECT_STEP_RUNS + " WHERE sr.run_id = ? ORDER BY sr.position, sr.id"
    )
    rows = hot.query(action, statement, [run_id])
    if not rows:
        return []
    in_run = " WHERE e.step_run_id IN (SELECT s.id FROM step_runs s WHERE s.run_id = ?)"
    return _with_edges(rows, _edges(hot, action, in_run, [run_id]), hot)


def get_step_run(hot: DriverConnection, step_run_id: str) -> StepRunRecord | None:
    """One step run with its artifacts (two queries)."""
    action = f"read step run {step_run_id}"
    rows = hot.query(action, hot.flavor.sql(_SELECT_STEP_RUNS + " WHERE sr.id = ?"), [step_run_id])
    if not rows:
        return None
    edges = _edges(hot, action, " WHERE e.step_run_id = ?", [step_run_id])
    return _with_edges(rows, edges, hot)[0]
