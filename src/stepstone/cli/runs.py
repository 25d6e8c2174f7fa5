"""``stepstone runs``: list recorded runs and show one in detail.

Commands read through :class:`stepstone.Client` only; the one thing they add is resolving a
cached step's ``cached_from`` (a step run id) to the name of the run that executed it,
because that is what a user recognises and can pass back to ``stepstone runs show``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from stepstone.cli.render import CacheSource
    from stepstone.client import Client
    from stepstone.models import PipelineRun

runs_app = typer.Typer(
    help="Inspect recorded pipeline runs.",
    no_args_is_help=True,
)

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
    from stepstone.cli import render
    from stepstone.client import Client

    client = Client()
    status_value = status.value if status is not None else None
    runs = client.list_runs(pipeline, status=status_value, limit=limit)
    total = client.count_runs(pipeline, status=status_value)
    if as_json:
        render.print_json(
            {
                "total": total,
                "limit": limit,
                "runs": [render.run_to_dict(run) for run in runs],
            }
        )
        return
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
    run: Annotated[
        str,
        typer.Argument(help="Run id, a unique id prefix, run name, or 'latest'."),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the run and its steps as JSON."),
    ] = False,
) -> None:
    """Show a run: its parameters and each step's status, time, cache source and outputs."""
    from stepstone.cli import render
    from stepstone.client import Client

    client = Client()
    pipeline_run = client.get_run(run)
    sources = _cache_sources(client, pipeline_run)
    if as_json:
        render.print_json(render.run_to_dict(pipeline_run, sources=sources))
        return
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
