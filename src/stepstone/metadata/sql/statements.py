"""The hand-written SQL of the hot paths, its column lists taken from the specs of :mod:`.columns`.

Written with ``?`` placeholders and translated once per store by ``Flavor.sql``. Table and
# column names are constants of this package and every value is a bound parameter, so the string
# building below (flagged S608 by ruff) never sees user input. Statements over a list of keys
take the list's length: each length is built and cached once
(:meth:`~.connection.DriverConnection.sql_for`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from stepstone.metadata.sql.columns import (
    ARTIFACTS,
    PIPELINE_RUNS,
    STEP_LOGS,
    STEP_RUN_ARTIFACTS,
    STEP_RUNS,
    TableSpec,
)

T = TypeVar("T")

#: Keys per ``IN (...)`` list; keeps every backend far below its bound-parameter limit.
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: The pipeline row a run's writer adds if absent (its id is made by the database).
PIPELINE_COLUMNS = ("name", "created_at")


def in_list(count: int) -> str:
    """``= ?`` or ``IN (?, ?, …)`` for ``count`` values (``=`` plans best for the common one)."""
    return "= ?" if count == 1 else f"IN ({', '.join('?' * count)})"


def insert(table: TableSpec) -> str:
    """A one-row ``INSERT`` of every column in spec order; used with ``executemany`` for batches."""
    marks = ", ".join("?" * len(table.names))
    return f"INSERT INTO {table.name} ({', '.join(table.names)}) VALUES ({marks})"  # noqa: S608


def select_columns(table: TableSpec, alias: str) -> str:
    """``alias.column, …`` of every column in spec order (what :class:`.codec.RowCodec` reads)."""
    return ", ".join(f"{alias}.{column}" for column in table.names)


INSERT_STEP_RUN = insert(STEP_RUNS)
INSERT_RUN = insert(PIPELINE_RUNS)
#: Lineage edge rows are ``(step_run_id, artifact_id, direction, name)``.
INSERT_EDGE = insert(STEP_RUN_ARTIFACTS)
#: Log rows are ``(step_run_id, text)``.
INSERT_LOG = insert(STEP_LOGS)
SELECT_PIPELINE_ID = "SELECT id FROM pipelines WHERE name = ?"
FINISH_RUN = "UPDATE pipeline_runs SET status = ?, ended_at = ? WHERE id = ?"

#: What a cache lookup reads before the output artifact's columns: ``(expression, field)``, the
#: field named as in :class:`~stepstone.metadata.records.CacheHit` (``output``: the output's name).
LOOKUP_HIT = (
    ("ce.cache_key", "cache_key"),
    ("ce.step_run_id", "step_run_id"),
    ("sr.run_id", "run_id"),
    ("pr.name", "run_name"),
    ("ce.created_at", "created_at"),
    ("sr.duration", "duration"),
    ("e.name", "output"),
)
LOOKUP_HIT_FIELDS = tuple(field for _, field in LOOKUP_HIT)
_LOOKUP_COLUMNS = (
    "SELECT "
    + ", ".join(expression for expression, _ in LOOKUP_HIT)
    + ", "
    + select_columns(ARTIFACTS, "a")
)
_LOOKUP_JOINS = (
    " JOIN step_runs sr ON sr.id = ce.step_run_id"
    " JOIN pipeline_runs pr ON pr.id = sr.run_id"
    " LEFT JOIN step_run_artifacts e ON e.step_run_id = ce.step_run_id AND e.direction = 'output'"
    " LEFT JOIN artifacts a ON a.id = e.artifact_id"
)


def lookup_cache(count: int) -> str:
    """Cache entries with their producer, its run and its output artifacts, for ``count`` keys.

    One row per (key, output); a producer without outputs still gives one row (LEFT JOIN).
    """
    where = f" WHERE ce.cache_key {in_list(count)}"
    return _LOOKUP_COLUMNS + " FROM cache_entries ce" + _LOOKUP_JOINS + where


#: :func:`lookup_cache` for PostgreSQL and many keys, passed as ONE array parameter. Joining an
#: unnested array lets the planner probe the primary key once per key; ``cache_key IN (...)`` of
#: 100 keys was planned as a scan comparing every row with every key (2.5-4x slower, measured).
LOOKUP_CACHE_ARRAY = (
    _LOOKUP_COLUMNS + " FROM unnest(?::varchar[]) AS wanted(cache_key)"
    " JOIN cache_entries ce ON ce.cache_key = wanted.cache_key" + _LOOKUP_JOINS
)


def delete_cache_entries(count: int) -> str:
    """Delete the cache entries of ``count`` keys."""
    return f"DELETE FROM cache_entries WHERE cache_key {in_list(count)}"  # noqa: S608


def pipeline_of_runs(count: int) -> str:
    """``(run id, pipeline name)`` of ``count`` runs."""
    return (
        "SELECT pr.id, p.name FROM pipeline_runs pr "  # noqa: S608
        f"JOIN pipelines p ON p.id = pr.pipeline_id WHERE pr.id {in_list(count)}"
    )
