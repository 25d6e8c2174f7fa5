"""The root ``stepstone`` command: global options, error handling, ``init`` and ``version``.

Every other command lives in its own module and is named here by module and attribute
(:class:`~stepstone.cli.lazy.LazyCommand`): it is imported and converted only when run, so
``stepstone runs list`` pays for nothing but itself.

Errors are handled once, in :class:`StepstoneGroup`, around the whole command tree, instead
of a ``try`` in every command: a new command cannot forget it, and ``--debug`` works for
every command alike. The group reads ``--debug`` from its own parsed parameters, which are
set before any subcommand runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer

from stepstone.cli.coercion import install as install_plain_coercion
from stepstone.cli.errors import (
    FAILURE_EXIT_CODE,
    USAGE_EXIT_CODE,
    debug_requested,
    debug_variable,
    is_user_error,
)
from stepstone.cli.lazy import LazyCommand, LazyGroup
from stepstone.exceptions import StepstoneError

__all__ = ["FAILURE_EXIT_CODE", "USAGE_EXIT_CODE", "StepstoneGroup", "app"]


class StepstoneGroup(LazyGroup):
    """The root group: turns stepstone errors into one line on stderr and an exit status."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {
        "run": LazyCommand("stepstone.cli.run", "run", no_args_is_help=True),
        "runs": LazyCommand("stepstone.cli.runs", "runs_app"),
        "logs": LazyCommand("stepstone.cli.steps", "logs", no_args_is_help=True),
        "explain": LazyCommand("stepstone.cli.steps", "explain", no_args_is_help=True),
        "artifacts": LazyCommand("stepstone.cli.artifacts", "artifacts_app"),
        "models": LazyCommand("stepstone.cli.models", "models_app"),
        "cache": LazyCommand("stepstone.cli.cache", "cache_app"),
        "gc": LazyCommand("stepstone.cli.cache", "gc"),
        "remote": LazyCommand("stepstone.cli.remote", "remote_app"),
        "dashboard": LazyCommand("stepstone.cli.dashboard", "dashboard_command"),
        "lineage": LazyCommand("stepstone.cli.dashboard", "lineage_command", True),
        "materializers": LazyCommand("stepstone.cli.materializers", "materializers"),
        "config": LazyCommand("stepstone.cli.configure", "config_app"),
        "integration": LazyCommand("stepstone.cli.integrations", "integration_app"),
        "example": LazyCommand("stepstone.cli.examples", "example_app"),
    }
    order: ClassVar[tuple[str, ...]] = (
        "init",
        "run",
        "runs",
        "logs",
        "explain",
        "artifacts",
        "models",
        "cache",
        "gc",
        "remote",
        "dashboard",
        "lineage",
        "materializers",
        "config",
        "integration",
        "example",
        "version",
    )
    """The order of ``stepstone --help``: the order a new user meets the commands in."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except StepstoneError as exc:
            if debug_requested(ctx):
                raise
            user_mistake = is_user_error(exc)
            message = str(exc).strip() or type(exc).__name__
            if not user_mistake:
                message = f"{message}\n(Run 'stepstone --debug …' to see the traceback.)"
            typer.echo(f"Error: {message}", err=True)
            raise typer.Exit(USAGE_EXIT_CODE if user_mistake else FAILURE_EXIT_CODE) from None


# Before any command runs: convert plain parameters without importing pydantic (start-up time).
install_plain_coercion()

app = typer.Typer(
    name="stepstone",
    cls=StepstoneGroup,
    help="Machine-learning pipelines that rerun only what changed.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    # Plain (Click) help and error text: Typer's Rich help formatter alone costs ~190 ms of
    # imports (markdown, pygments), most of the start-up budget of 'stepstone --help'.
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from stepstone import __version__

        typer.echo(f"stepstone {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the full traceback of any error (also: STEPSTONE_DEBUG=1).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Machine-learning pipelines that rerun only what changed.

    Runs are recorded in the stepstone home: STEPSTONE_HOME if set, else the nearest
    .stepstone/ folder above the working directory ('stepstone init' makes one), else a
    per-user data folder.
    """
    debug_variable()  # a misspelt STEPSTONE_DEBUG is refused, not silently off


@app.command()
def version() -> None:
    """Print the stepstone and Python versions."""
    import platform

    from stepstone import __version__

    typer.echo(f"stepstone {__version__} (Python {platform.python_version()})")


@app.command()
def init(
    path: Annotated[
        Path,
        typer.Argument(
            help="Project folder to hold .stepstone/ (default: the working directory).",
            file_okay=False,
        ),
    ] = Path(),
) -> None:
    """Make PATH/.stepstone, the project's own stores. Safe to run again."""
    from stepstone.cli import render
    from stepstone.config import PROJECT_DIR_NAME, init_project, load_settings

    already = (path / PROJECT_DIR_NAME).is_dir()
    home = init_project(path)
    active = load_settings(start=home.parent)
    if active.home == home:
        # Opening the metadata store creates the database now, so a broken setting
        # (say a PostgreSQL URL in config.toml) shows up here, not at the first run.
        from stepstone.stores import get_stores

        _ = get_stores(active).metadata
    render.print_init(home, active, already=already)
