"""``stepstone runs``: list recorded runs, show one, compare two, delete some.

Commands read through :class:`stepstone.Client`; deleting is
:func:`stepstone.maintenance.delete_run`. The one thing they add is resolving a cached
step's ``cached_from`` (a step run id) to the name of the run that executed it, because that
is what a user recognises and can pass back to ``stepstone runs show``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from stepstone.cli.common import JsonFlag, RunArgument, sub_app

if TYPE_CHECKING:
    from stepstone.cli.documents import CacheSource
    from stepstone.client import Client
    from stepstone.models import PipelineRun

runs_app = sub_app("List, show, compare and delete recorded pipeline runs.")

DEFAULT_LIMIT = 20


class RunStatusChoice(StrEnum):
    """The statuses a run can have, offered as choices so a typo fails with the valid ones."""

    running = "running"
    completed = "completed"
    failed = "failed"


@runs_app.command("list")
def list_runs(
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", help="Only runs of this pipeline."),
    ] = None,
    status: Annotated[
        RunStatusChoice | None,
        typer.Option("--status", "-s", help="Only runs with this status."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, help="Show at most this many runs, newest first."),
    ] = DEFAULT_LIMIT,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON ({total, runs: [...]}) instead of a table."),
    ] = False,
) -> None:
    """List recorded runs, newest first."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    status_value = status.value if status is not None else None
    runs = client.list_runs(pipeline, status=status_value, limit=limit)
    total = client.count_runs(pipeline, status=status_value)
    if as_json:
        documents.print_json(
            {
                "total": total,
                "limit": limit,
                "runs": [documents.run_to_dict(run) for run in runs],
            }
        )
        return
    from stepstone.cli import render

    hint = ""
    if not runs and pipeline is not None:
        hint = _pipeline_hint(client, pipeline)
    render.print_runs(runs, total, filtered=bool(pipeline or status), hint=hint)


def _pipeline_hint(client: Client, pipeline: str) -> str:
    """Suggest a recorded pipeline name when a ``--pipeline`` filter matched nothing."""
    from stepstone.exceptions import did_you_mean

    known = sorted({run.pipeline_name for run in client.list_runs(limit=1000)})
    return did_you_mean(pipeline, known).strip()


@runs_app.command("show")
def show_run(
    run: RunArgument,
    as_json: JsonFlag = False,
) -> None:
    """Show a run: its parameters and each step's status, time, cache source and outputs."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    pipeline_run = client.get_run(run)
    sources = _cache_sources(client, pipeline_run)
    if as_json:
        documents.print_json(documents.run_to_dict(pipeline_run, sources=sources))
        return
    from stepstone.cli import render

    render.print_run_detail(pipeline_run, sources)


def _cache_sources(client: Client, run: PipelineRun) -> dict[str, CacheSource]:
    """Step run id in ``cached_from`` -> (run id, run name) of the run that executed it.

    A source that can no longer be read (its run deleted) is left out; the renderers then
    show the bare step run id.
    """
    from stepstone.exceptions import StorageError

    sources: dict[str, CacheSource] = {}
    names: dict[str, str] = {}
    for step_run in run.steps.values():
        source_id = step_run.cached_from
        if not source_id or source_id in sources:
            continue
        try:
            source = client.get_step_run(source_id)
            if source.run_id not in names:
                names[source.run_id] = client.get_run(source.run_id).name
        except StorageError:
            continue
        sources[source_id] = (source.run_id, names[source.run_id])
    return sources


@runs_app.command("compare")
def compare_runs(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="The earlier run.")],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The later run.")],
    as_json: JsonFlag = False,
) -> None:
    """Compare two runs step by step: same, cached or re-ran in RUN_B, and why."""
    from stepstone.cli import documents
    from stepstone.cli.compare import compare_runs as compare
    from stepstone.cli.compare import comparison_to_dict
    from stepstone.client import Client

    client = Client()
    first, second = client.get_run(run_a), client.get_run(run_b)
    steps = compare(first, second, _cache_sources(client, second))
    if as_json:
        documents.print_json(comparison_to_dict(first, second, steps))
        return
    from stepstone.cli import render_steps

    render_steps.print_comparison(first, second, steps)


@runs_app.command("delete")
def delete_runs(
    runs: Annotated[
        list[str],
        typer.Argument(metavar="RUN", help="Runs to delete (id, id prefix, name or 'latest')."),
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete a run that is still marked running (it was killed)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete runs; artifacts other runs still use are kept.

    Removes each run's step runs, logs and cache entries, and the stored files of the
    artifacts no other run references (their space is freed at once).
    """
    from stepstone.cli import documents
    from stepstone.client import Client
    from stepstone.maintenance import delete_run

    client = Client()
    # Resolve every name first: a typo in the third name must not leave two runs deleted.
    records = {record.id: record for record in (client.get_run(run).record for run in runs)}
    deletions = [delete_run(client.stores, record, force=force) for record in records.values()]
    if as_json:
        documents.print_json({"deleted": [documents.deletion_to_dict(d) for d in deletions]})
        return
    from stepstone.cli import render_store

    for deletion in deletions:
        render_store.print_deletion(deletion)
