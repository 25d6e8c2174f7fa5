"""The root ``stepstone`` command: global options, error handling, ``init`` and ``version``.

Errors are handled once, in :class:`StepstoneGroup`, around the whole command tree, instead
of a ``try`` in every command: a new command cannot forget it, and ``--debug`` works for
every command alike. The group reads ``--debug`` from its own parsed parameters, which are
set before any subcommand runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from stepstone.cli.examples import example_app
from stepstone.cli.runs import runs_app
from stepstone.exceptions import ConfigError, RunNotFoundError, StepstoneError

USAGE_EXIT_CODE = 2
"""Exit status of a user's mistake, the same status Click uses for a bad option."""

FAILURE_EXIT_CODE = 1
"""Exit status of any other stepstone error (a step failed, a store is unreachable)."""


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Errors that mean "you asked for something that is not there" rather than "it broke"."""
    from stepstone.examples import ExampleExistsError, ExampleNotFoundError

    return (RunNotFoundError, ConfigError, ExampleNotFoundError, ExampleExistsError)


def _debug_requested(ctx: typer.Context) -> bool:
    if ctx.params.get("debug"):
        return True
    return os.environ.get("STEPSTONE_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


class StepstoneGroup(TyperGroup):
    """The root group: turns stepstone errors into one line on stderr and an exit status."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except StepstoneError as exc:
            if _debug_requested(ctx):
                raise
            user_mistake = isinstance(exc, _user_error_types())
            message = str(exc).strip() or type(exc).__name__
            if not user_mistake:
                message = f"{message}\n(Run 'stepstone --debug …' to see the traceback.)"
            typer.echo(f"Error: {message}", err=True)
            raise typer.Exit(USAGE_EXIT_CODE if user_mistake else FAILURE_EXIT_CODE) from None


app = typer.Typer(
    name="stepstone",
    cls=StepstoneGroup,
    help="Machine-learning pipelines that rerun only what changed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(runs_app, name="runs")
app.add_typer(example_app, name="example")


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
