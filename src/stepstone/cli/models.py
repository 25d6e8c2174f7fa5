"""``stepstone models list|show|stage``: the model control plane from the command line.

``show NAME`` lists a model's versions; ``show NAME VERSION`` one version (a name, number or
stage) with its linked artifacts and metadata; ``stage NAME VERSION STAGE`` promotes it. The
JSON of ``--json`` is the read model of :mod:`stepstone.model_views`, what the dashboard serves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

if TYPE_CHECKING:
    from stepstone.model_views import ModelSummary, ModelVersionView, ModelView

models_app = sub_app("List models, show their versions and promote them through stages.")

ModelArgument = Annotated[str, typer.Argument(metavar="NAME", help="The model's name.")]


@models_app.command("list")
def list_models(as_json: JsonFlag = False) -> None:
    """List models with their latest version and who holds staging and production."""
    from stepstone.cli import documents
    from stepstone.client import Client
    from stepstone.model_views import model_summaries

    summaries = model_summaries(Client().stores.metadata)
    if as_json:
        documents.print_json({"models": summaries})
        return
    _print_models(summaries)


@models_app.command("show")
def show_model(
    name: ModelArgument,
    version: Annotated[
        str | None,
        typer.Argument(
            metavar="[VERSION]",
            help="A version's name, number or stage (production, latest); default: every version.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a model's versions, or one version with its artifacts and metadata."""
    from stepstone.cli import documents
    from stepstone.client import Client
    from stepstone.model_views import model_view, version_view

    client = Client()
    if version is None:
        view = model_view(client.stores.metadata, name)
        if as_json:
            documents.print_json(view)
            return
        _print_model(view)
        return
    found = version_view(client.stores.metadata, client.get_model_version(name, version).record)
    if as_json:
        documents.print_json(found)
        return
    _print_version(found)


@models_app.command("stage")
def stage_model(
    name: ModelArgument,
    version: Annotated[
        str, typer.Argument(metavar="VERSION", help="The version's name, number or stage.")
    ],
    stage: Annotated[str, typer.Argument(metavar="STAGE", help="staging, production or archived.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", "-f", help="Take the stage from the version holding it (it is archived)."
        ),
    ] = False,
) -> None:
    """Promote a model version to a stage."""
    from stepstone.cli.render import console
    from stepstone.client import Client

    found = Client().get_model_version(name, version)
    found.set_stage(stage, force=force)
    console().print(
        f"Model '{name}' version {found.name} is now in stage '{found.stage}'.", markup=False
    )


def _print_models(summaries: list[ModelSummary]) -> None:
    from stepstone.cli.fit import Column, fitted_table
    from stepstone.cli.render import console, format_time

    out = console()
    if not summaries:
        out.print("No models yet. Give a pipeline model=Model(name=...) and run it.", markup=False)
        return
    columns = [
        Column("model", elide=True),
        Column("versions", justify="right"),
        Column("latest"),
        Column("staging", drop=2),
        Column("production"),
        Column("created", drop=1),
    ]
    rows = [
        [
            s.name,
            str(s.version_count),
            s.latest_version or "-",
            s.stages.get("staging", "-"),
            s.stages.get("production", "-"),
            format_time(s.created_at),
        ]
        for s in summaries
    ]
    out.print(fitted_table("Models", columns, rows, out.width))
    out.print("Details: stepstone models show NAME [VERSION]")


def _print_model(view: ModelView) -> None:
    from rich.markup import escape

    from stepstone.cli.fit import Column, fitted_table
    from stepstone.cli.render import console, format_time

    out = console()
    out.print(f"[bold]Model[/bold] {escape(view.name)}")
    for key, value in view.details.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        out.print(f"  {escape(key)}: {escape(shown)}")
    columns = [
        Column("version"),
        Column("number", justify="right", drop=2),
        Column("stage"),
        Column("artifacts", elide=True, drop=1),
        Column("metadata", elide=True, drop=3),
        Column("created", drop=4),
    ]
    rows = [
        [
            v.name,
            str(v.number),
            v.stage or "-",
            ", ".join(sorted({a.artifact_name or "" for a in v.artifacts})) or "-",
            ", ".join(v.run_metadata) or "-",
            format_time(v.created_at),
        ]
        for v in view.versions
    ]
    out.print(fitted_table(f"Versions of {view.name}", columns, rows, out.width))
    out.print(f"One version: stepstone models show {view.name} VERSION")


def _print_version(view: ModelVersionView) -> None:
    from rich.markup import escape

    from stepstone.cli.fit import Column, fitted_table
    from stepstone.cli.render import console, format_size, format_time, short_type

    out = console()
    out.print(
        f"[bold]Model[/bold] {escape(view.model_name)} version {escape(view.name)} "
        f"(number {view.number}, stage {escape(view.stage or 'none')})"
    )
    out.print(f"  created {format_time(view.created_at)} by run {escape(view.run_id or '-')}")
    for key, value in view.run_metadata.items():
        out.print(f"  {escape(key)}: {escape(str(value))}")
    if not view.artifacts:
        out.print("No artifacts are linked to this version.")
        return
    columns = [
        Column("artifact", elide=True),
        Column("version"),
        Column("kind"),
        Column("type", drop=2, elide=True),
        Column("size", justify="right", drop=1),
        Column("id"),
    ]
    rows = [
        [
            a.artifact_name or "",
            a.version or "",
            a.kind,
            short_type(a.data_type),
            format_size(a.size),
            a.id[:12],
        ]
        for a in view.artifacts
    ]
    out.print(fitted_table("Linked artifacts", columns, rows, out.width))
