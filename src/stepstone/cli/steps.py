"""``stepstone logs RUN STEP`` and ``stepstone explain RUN STEP``: one step of one run.

``logs`` prints what the step printed and logged. A cached step executed nothing, so its logs
are those of the run that did execute it (:attr:`StepRun.logs` follows ``cached_from``); a
line on stderr says so, keeping stdout exactly the logs for ``> file`` and ``| grep``.
A failed step's traceback follows its logs.

``explain`` says why a step ran or was reused, compared with the previous run of the same
step (or ``--against RUN``), from the cache key components stored with every step run.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stepstone.cli.common import (
    RUN_HELP,
    JsonFlag,
    PipelineOption,
    RunArgument,
    StepArgument,
    resolve_run,
)


def logs(
    run: RunArgument,
    step: StepArgument,
    pipeline: PipelineOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the logs and where they come from as JSON.")
    ] = False,
) -> None:
    """Print a step's captured output and logs.

    For a cached step: the logs of the run that executed it (said so on stderr). A failed
    step's traceback follows its logs. RUN 'latest' is the newest run that has STEP.
    """
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    pipeline_run = resolve_run(client, run, pipeline=pipeline, step=step)
    step_run = client.get_step(pipeline_run, step)
    text = step_run.logs
    source = client.source_of(step_run)
    # The producing run was deleted when its name is unknown; its logs went with it.
    source_run = source.run_name if source is not None else None
    if as_json:
        from stepstone.read_model.logs import StepLogs

        logs = StepLogs(
            run_id=pipeline_run.id,
            run_name=pipeline_run.name,
            step=step_run.name,
            status=step_run.status,
            logs_from=source,
            logs=text,
            error=step_run.error,
        )
        documents.print_json(logs)
        return
    from stepstone.cli import render_steps

    render_steps.print_logs_header(
        step_run.name,
        pipeline_run.name,
        source_run,
        cached=bool(step_run.cached_from),
    )
    if text:
        typer.echo(text, nl=not text.endswith("\n"))
    if step_run.error:
        typer.echo(step_run.error.rstrip("\n"))
    if not text and not step_run.error:
        if step_run.cached_from and source_run is None:
            typer.echo("Its logs were deleted with the run that executed it.", err=True)
        else:
            typer.echo(f"Step '{step_run.name}' printed and logged nothing.", err=True)


def explain(
    run: RunArgument,
    step: StepArgument,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            "-a",
            metavar="RUN",
            help=f"Compare with this run's step. {RUN_HELP} Default: the previous run.",
        ),
    ] = None,
    pipeline: PipelineOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Explain why a step ran again or was reused.

    Names what changed since the run it reused (a cached step), the closest earlier run of
    the step (one that executed), or --against RUN: code, helpers, parameters, inputs,
    library versions, or a cache setting, the deciding one first. RUN 'latest' is the
    newest run that has STEP.
    """
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    pipeline_run = resolve_run(client, run, pipeline=pipeline, step=step)
    explanation = client.explain(pipeline_run, step, against=against)
    if as_json:
        from stepstone.read_model.explanations import ExplanationView

        documents.print_json(ExplanationView.of(explanation))
        return
    from stepstone.cli import render_steps

    render_steps.print_explanation(explanation)
