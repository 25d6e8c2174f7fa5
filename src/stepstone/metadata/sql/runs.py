"""The runs page — list, count, find, get — as driver SQL on the hot connection.

``stepstone runs list`` and the dashboard's first page open a store and read one page of runs;
done through SQLAlchemy Core, importing SQLAlchemy would cost more than the whole query on a
store of 10,000 runs. So these few reads are hand-written SQL run on the store's driver
connection (:class:`~.connection.DriverConnection`), which on an existing SQLite store is opened
without SQLAlchemy (:mod:`.sqlite_direct`). Like every other read, a fixed number of queries
whatever the page size: the page, its pipelines' names, one grouped count of its step runs.

Indexes serving them: ``pipeline_runs (started_at, id)`` walks the newest runs first, and
``(pipeline_id, started_at, id)`` those of one pipeline; ``step_runs (run_id, position, status)``
answers the per-run counts from the index alone.

Every run read here passes through :func:`~stepstone.metadata.liveness.observed`, so a run whose
driver is gone reads ``interrupted`` to the CLI, the dashboard and the client alike. Filtering on
``running`` or ``interrupted`` therefore reads every run stored ``running`` (few: runs in progress
and the dead ones) and decides in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepstone.metadata.liveness import observed
from stepstone.metadata.records import PipelineRunRecord, RunStatus
from stepstone.metadata.sql.codec import PIPELINE_RUN_CODEC
from stepstone.metadata.sql.columns import PIPELINE_RUNS
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.statements import chunks, in_list, select_columns

#: "No limit" for backends whose OFFSET needs a LIMIT (the largest signed 64-bit integer).
NO_LIMIT = 2**63 - 1

# The page is read from pipeline_runs alone, pipeline names after: joining pipelines in the same
# query let MariaDB (with stale statistics after a bulk load) start from the 3-row pipelines
# table and sort all 10,000 runs (54 ms) instead of walking the (started_at, id) index (1 ms).
_SELECT_RUNS = f"SELECT {select_columns(PIPELINE_RUNS, 'pr')} FROM pipeline_runs pr"  # noqa: S608
_NEWEST_FIRST = " ORDER BY pr.started_at DESC, pr.id DESC"


def _where(pipeline_name: str | None, status: str | None) -> tuple[str, list[Any]]:
    conditions, params = [], []
    if pipeline_name is not None:
        conditions.append("pr.pipeline_id = (SELECT p.id FROM pipelines p WHERE p.name = ?)")
        params.append(pipeline_name)
    if status is not None:
        conditions.append("pr.status = ?")
        params.append(status)
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _with_counts(
    hot: DriverConnection, action: str, statement: str, params: Sequence[Any]
) -> list[PipelineRunRecord]:
    found = [
        PIPELINE_RUN_CODEC.fields_of(row, hot.dt_out)
        for row in hot.query(action, hot.flavor.sql(statement), params)
    ]
    if not found:
        return []
    pipeline_ids = sorted({run["pipeline_id"] for run in found})
    names_sql = f"SELECT id, name FROM pipelines WHERE id {in_list(len(pipeline_ids))}"  # noqa: S608
    names = dict(hot.query(action, hot.flavor.sql(names_sql), pipeline_ids))
    counts: dict[str, tuple[int, int]] = {}
    ids = [run["id"] for run in found]
    for part in chunks(ids):
        count_sql = (
            "SELECT run_id, COUNT(*), SUM(CASE WHEN status = 'cached' THEN 1 ELSE 0 END)"  # noqa: S608
            f" FROM step_runs WHERE run_id {in_list(len(part))} GROUP BY run_id"
        )
        for run_id, total, cached in hot.query(action, hot.flavor.sql(count_sql), list(part)):
            counts[run_id] = (int(total), int(cached or 0))
    records = []
    for run in found:
        step_count, cached_count = counts.get(run["id"], (0, 0))
        run["pipeline_name"] = names[run.pop("pipeline_id")]
        record = PipelineRunRecord(**run, step_count=step_count, cached_count=cached_count)
        records.append(observed(record))
    return records


#: Statuses that depend on whether a run's driver is alive: stored as ``running``.
_LIVE_STATUSES = frozenset({RunStatus.RUNNING, RunStatus.INTERRUPTED})


def _stored_running(
    hot: DriverConnection, pipeline_name: str | None, status: str
) -> list[PipelineRunRecord]:
    """Every run stored ``running`` that reads as ``status``, newest first."""
    where, params = _where(pipeline_name, RunStatus.RUNNING)
    found = _with_counts(hot, "list runs", _SELECT_RUNS + where + _NEWEST_FIRST, params)
    return [run for run in found if run.status == status]


def list_runs(
    hot: DriverConnection,
    pipeline_name: str | None,
    status: str | None,
    limit: int | None,
    offset: int,
) -> list[PipelineRunRecord]:
    """Runs newest first, filtered and paged, with step counts (two queries)."""
    if status in _LIVE_STATUSES:
        found = _stored_running(hot, pipeline_name, status)
        return found[offset : None if limit is None else offset + limit]
    where, params = _where(pipeline_name, status)
    statement = _SELECT_RUNS + where + _NEWEST_FIRST
    if limit is not None or offset:
        statement += " LIMIT ? OFFSET ?"
        params += [NO_LIMIT if limit is None else limit, offset]
    return _with_counts(hot, "list runs", statement, params)


def count_runs(hot: DriverConnection, pipeline_name: str | None, status: str | None) -> int:
    """How many runs match the filters."""
    if status in _LIVE_STATUSES:
        return len(_stored_running(hot, pipeline_name, status))
    where, params = _where(pipeline_name, status)
    statement = f"SELECT COUNT(*) FROM pipeline_runs pr{where}"  # noqa: S608
    [(count,)] = hot.query("count runs", hot.flavor.sql(statement), params)
    return int(count)


def get_run(hot: DriverConnection, run_id: str) -> PipelineRunRecord | None:
    """The run with exactly this id."""
    found = _with_counts(hot, f"read run {run_id}", _SELECT_RUNS + " WHERE pr.id = ?", [run_id])
    return found[0] if found else None


def find_runs(hot: DriverConnection, query: str, limit: int) -> list[PipelineRunRecord]:
    """Runs whose id starts with ``query`` or whose name equals it; newest first.

    The id prefix is also asked as a range (``id >= 'ab' AND id < 'ac'``) so every backend uses
    the primary key; the escaped LIKE keeps the answer exact (see ``reads.starts_with``).
    """
    matches_id = "pr.id LIKE ? ESCAPE '/'"
    params: list[Any] = [_escape_like(query) + "%"]
    if query and ord(query[-1]) < 0x10FFFF:
        matches_id = f"(pr.id >= ? AND pr.id < ? AND {matches_id})"
        params = [query, query[:-1] + chr(ord(query[-1]) + 1), *params]
    statement = f"{_SELECT_RUNS} WHERE {matches_id} OR pr.name = ?{_NEWEST_FIRST} LIMIT ?"
    return _with_counts(hot, f"find runs matching '{query}'", statement, [*params, query, limit])


def run_names(hot: DriverConnection, limit: int) -> list[str]:
    """Names of the most recent runs."""
    statement = hot.flavor.sql("SELECT pr.name FROM pipeline_runs pr" + _NEWEST_FIRST + " LIMIT ?")  # noqa: S608
    return [row[0] for row in hot.query("list run names", statement, [limit])]
