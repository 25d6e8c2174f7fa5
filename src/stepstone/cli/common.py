"""Pieces every command module shares: sub-command groups and the common arguments.

The aliases below make the same argument read the same everywhere (``RUN`` always takes an
id, an id prefix, a name or ``latest``; ``--json`` always means "plain JSON on stdout").
Command modules import them at run time, not under ``TYPE_CHECKING``: Typer evaluates the
annotations of a command to build its parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from stepstone.client import Client
    from stepstone.models import PipelineRun

RUN_HELP = "Run id, a unique id prefix, run name, or 'latest'."

RunArgument = Annotated[str, typer.Argument(metavar="RUN", help=RUN_HELP)]
StepArgument = Annotated[
    str, typer.Argument(metavar="STEP", help="Step name as shown by 'stepstone runs show RUN'.")
]
PipelineOption = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", help="With RUN 'latest': the newest run of this pipeline."),
]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")
]


def sub_app(help_text: str) -> typer.Typer:
    """A command group like the root one: plain (fast) help, help when called bare.

    Completion options belong to the root only (``stepstone --install-completion``).

    ``rich_markup_mode=None`` keeps Typer from importing its Rich help formatter, which costs
    more start-up time than everything else ``stepstone --help`` imports.
    """
    return typer.Typer(
        help=help_text, no_args_is_help=True, rich_markup_mode=None, add_completion=False
    )


def resolve_run(
    client: Client, run: str, *, pipeline: str | None = None, step: str | None = None
) -> PipelineRun:
    """The run ``run`` names (:meth:`Client.get_run`); for ``latest``, which run that was.

    ``latest`` moves whenever any pipeline runs, so the command says on stderr which run it
    took (stdout stays the command's output, for pipes and ``--json``).
    """
    from stepstone.client import LATEST

    resolved = client.get_run(run, pipeline=pipeline, step=step)
    if run == LATEST:
        record = resolved.record
        started = record.started_at.strftime("%Y-%m-%d %H:%M")
        typer.echo(
            f"latest: run {record.name} ({record.id[:12]}) of pipeline "
            f"{record.pipeline_name}, started {started}",
            err=True,
        )
    return resolved
