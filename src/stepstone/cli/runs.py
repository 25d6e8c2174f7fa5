"""``stepstone runs``: list recorded runs, show one, compare two, delete some.

Commands read through :class:`stepstone.Client` (a cached step's source run is
:meth:`Client.sources_of`, a comparison :meth:`Client.compare`) and print the read model's
views (:mod:`stepstone.read_model`), as tables or, with ``--json``, as the same documents
the dashboard's API serves; deleting is :func:`stepstone.maintenance.delete_run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stepstone.cli.common import JsonFlag, PipelineOption, RunArgument, resolve_run, sub_app
from stepstone.metadata.records import RunStatus

if TYPE_CHECKING:
    from stepstone.client import Client
    from stepstone.metadata.records import PipelineRunRecord
    from stepstone.read_model.table import RunTable

runs_app = sub_app("List, show, compare and delete recorded pipeline runs.")

DEFAULT_LIMIT = 20


@runs_app.command("list")
def list_runs(
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", "-p", help="Only runs of this pipeline."),
    ] = None,
    status: Annotated[
        RunStatus | None,
        # An enum, so a typo fails with the valid statuses.
        typer.Option("--status", "-s", help="Only runs with this status."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, help="Show at most this many runs, newest first."),
    ] = DEFAULT_LIMIT,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            help="Comma-separated parameters and metrics to show (e.g. lr,accuracy). "
            "Default with --pipeline: the parameters that differ between the runs listed and "
            "every number they logged or returned.",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Order the listed runs by a column, lowest first; '-accuracy' puts the "
            "highest first.",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON ({total, runs: [...]}, with columns and values when there are "
            "any) instead of a table.",
        ),
    ] = False,
) -> None:
    """List recorded runs, newest first, with their parameters and metrics side by side."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    status_value = status.value if status is not None else None
    chosen = [name.strip() for name in columns.split(",") if name.strip()] if columns else None
    table: RunTable | None = None
    records: list[PipelineRunRecord] = []
    if pipeline is not None or chosen is not None or sort is not None:
        table = client.run_table(
            pipeline, status=status_value, limit=limit, columns=chosen, sort=sort
        )
    else:  # runs of many pipelines: their parameters do not line up, so none are read
        records = client.stores.metadata.list_runs(None, status=status_value, limit=limit)
    total = client.count_runs(pipeline, status=status_value)
    if as_json:
        from stepstone.read_model.runs import RunView

        if table is not None:
            runs = [row.run for row in table.rows]
        else:
            runs = [RunView.of(record) for record in records]
        document: dict[str, object] = {"total": total, "limit": limit, "runs": runs}
        if table is not None and table.columns:
            document["columns"] = table.columns
            document["values"] = {row.run.id: row.values for row in table.rows}
        documents.print_json(document)
        return
    from stepstone.cli import render
    from stepstone.read_model.run_fields import run_fields

    if table is not None:
        rows = [(dict(row.run), row.values) for row in table.rows]
        shown = table.columns
    else:  # the view fields as they are: drawing a table needs no view model (nor pydantic)
        rows = [(run_fields(record), {}) for record in records]
        shown = []
    hint = ""
    if not rows and pipeline is not None:
        hint = _pipeline_hint(client, pipeline)
    render.print_runs(rows, shown, total, filtered=bool(pipeline or status), hint=hint)


def _pipeline_hint(client: Client, pipeline: str) -> str:
    """Suggest a recorded pipeline name when a ``--pipeline`` filter matched nothing."""
    from stepstone.exceptions import did_you_mean

    return did_you_mean(pipeline, client.pipeline_names()).strip()


@runs_app.command("show")
def show_run(
    run: RunArgument,
    pipeline: PipelineOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a run: its parameters and each step's status, time, cache source and outputs."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    pipeline_run = resolve_run(client, run, pipeline=pipeline)
    sources = client.sources_of(pipeline_run.steps.values())
    if as_json:
        from stepstone.read_model.logged import logged_metadata
        from stepstone.read_model.steps import RunDocument

        steps = [step.record for step in pipeline_run.steps.values()]
        logged = logged_metadata(client.stores.metadata, pipeline_run.record, steps)
        documents.print_json(RunDocument.with_steps(pipeline_run.record, steps, sources, logged))
        return
    from stepstone.cli import render

    render.print_run_detail(pipeline_run, sources, client.waiting_steps(pipeline_run))


@runs_app.command("compare")
def compare_runs(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="The earlier run.")],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The later run.")],
    as_json: JsonFlag = False,
) -> None:
    """Compare two runs step by step: same, cached or re-ran in RUN_B, and why."""
    from stepstone.cli import documents
    from stepstone.client import Client

    comparison = Client().compare(run_a, run_b)
    if as_json:
        documents.print_json(comparison)
        return
    from stepstone.cli import render_steps

    render_steps.print_comparison(comparison)


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
    records = {record.id: record for record in (resolve_run(client, run).record for run in runs)}
    deletions = [delete_run(client.stores, record, force=force) for record in records.values()]
    if as_json:
        from stepstone.read_model.deletions import DeletionsDocument

        documents.print_json(DeletionsDocument.of(deletions))
        return
    from stepstone.cli import render_store

    for deletion in deletions:
        render_store.print_deletion(deletion)
