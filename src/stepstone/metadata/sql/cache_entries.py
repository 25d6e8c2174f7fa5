"""Listing cache entries: driver SQL on the hot connection.

``stepstone cache list`` reads a page of entries with the step run and run each points to;
through SQLAlchemy Core that meant importing SQLAlchemy, which cost more than the command's
queries on a store of 30,000 entries. Like the runs page (:mod:`.runs`), it is hand-written SQL
on the store's driver connection. Two queries: the page, then the output sizes of its step runs
(summing the outputs inside the first query would do it for every matching entry before the
page is cut).
"""

from __future__ import annotations

from typing import Any

from stepstone.metadata.records import CacheEntryRecord
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.runs import NO_LIMIT
from stepstone.metadata.sql.statements import chunks, in_list

#: ``(expression, CacheEntryRecord field)`` of a listed entry, in select order.
_ENTRY = (
    ("ce.cache_key", "cache_key"),
    ("ce.step_run_id", "step_run_id"),
    ("sr.run_id", "run_id"),
    ("pr.name", "run_name"),
    ("ce.pipeline_name", "pipeline_name"),
    ("sr.name", "invocation_name"),
    ("ce.created_at", "created_at"),
    ("sr.duration", "duration"),
)
_FIELDS = tuple(field for _, field in _ENTRY)
_CREATED_AT = _FIELDS.index("created_at")
_SELECT = (
    "SELECT "  # noqa: S608
    + ", ".join(expression for expression, _ in _ENTRY)
    + " FROM cache_entries ce JOIN step_runs sr ON sr.id = ce.step_run_id"
    " JOIN pipeline_runs pr ON pr.id = sr.run_id"
)
_NEWEST_FIRST = " ORDER BY ce.created_at DESC, ce.cache_key DESC"


def list_cache_entries(
    hot: DriverConnection,
    invocation_name: str | None,
    pipeline_name: str | None,
    limit: int | None,
    offset: int,
) -> list[CacheEntryRecord]:
    """Cache entries newest first with their producing step run, its run and its output size."""
    conditions: list[str] = []
    params: list[Any] = []
    if pipeline_name is not None:
        conditions.append("ce.pipeline_name = ?")
        params.append(pipeline_name)
    if invocation_name is not None:
        conditions.append("sr.name = ?")
        params.append(invocation_name)
    statement = _SELECT + (" WHERE " + " AND ".join(conditions) if conditions else "")
    statement += _NEWEST_FIRST
    if limit is not None or offset:
        statement += " LIMIT ? OFFSET ?"
        params += [NO_LIMIT if limit is None else limit, offset]
    action = "list cache entries"
    found = []
    for row in hot.query(action, hot.flavor.sql(statement), params):
        entry = dict(zip(_FIELDS, row, strict=True))
        entry["created_at"] = hot.dt_out(row[_CREATED_AT])
        found.append(entry)
    sizes = _output_bytes(hot, action, sorted({entry["step_run_id"] for entry in found}))
    return [
        CacheEntryRecord(**entry, output_bytes=sizes.get(entry["step_run_id"], 0))
        for entry in found
    ]


def _output_bytes(hot: DriverConnection, action: str, step_run_ids: list[str]) -> dict[str, int]:
    """Total size of each step run's outputs."""
    sizes: dict[str, int] = {}
    for part in chunks(step_run_ids):
        statement = (
            "SELECT e.step_run_id, SUM(a.size) FROM step_run_artifacts e"  # noqa: S608
            " JOIN artifacts a ON a.id = e.artifact_id"
            f" WHERE e.step_run_id {in_list(len(part))} AND e.direction = 'output'"
            " GROUP BY e.step_run_id"
        )
        rows: list[Any] = hot.query(action, hot.flavor.sql(statement), list(part))
        sizes.update((step_run_id, int(total or 0)) for step_run_id, total in rows)
    return sizes
