"""``stepstone example``: list the packaged examples, copy one to edit, or run one.

The registry in :mod:`stepstone.examples` does the work; these commands only choose the
destination folder and print what happened. An unknown name raises
:class:`~stepstone.examples.ExampleNotFoundError`, which the root group turns into a
"did you mean" line and exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

example_app = sub_app("List, copy and run the packaged examples.")

LegacyFlag = Annotated[
    bool,
    typer.Option(
        "--legacy",
        help="The example written in ZenML's class-based API of before 0.40 (caching only).",
    ),
]

DEFAULT_PULL_DIR = Path("stepstone_examples")
"""Where ``pull`` puts examples unless told otherwise: one sub-folder per example."""


@example_app.command("list")
def list_examples(as_json: JsonFlag = False) -> None:
    """List the packaged examples."""
    from stepstone.cli import documents
    from stepstone.examples import list_examples as registry

    if as_json:
        documents.print_json(
            {
                "examples": [
                    {"name": e.name, "description": e.description, "path": str(e.path)}
                    for e in registry()
                ]
            }
        )
        return
    from stepstone.cli import render

    render.print_examples(registry())


@example_app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="The example to copy, e.g. 'caching'.")],
    path: Annotated[
        Path,
        typer.Option(
            "--path",
            help="Folder to copy into; the example lands in PATH/NAME (PATH/NAME_legacy).",
            file_okay=False,
        ),
    ] = DEFAULT_PULL_DIR,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Overwrite files that are already there."),
    ] = False,
    legacy: LegacyFlag = False,
) -> None:
    """Copy an example's files into a folder of your own, to read, edit and run."""
    from stepstone.cli import render
    from stepstone.examples import ExampleError, get_example, pull_example

    example = get_example(name)
    # The class-based variant lands beside the modern one, so both can be read side by side.
    dest = path / (f"{example.name}_legacy" if legacy else example.name)
    try:
        files = pull_example(example.name, dest, force=force, legacy=legacy)
    except OSError as exc:
        if isinstance(exc, ExampleError):
            raise
        # A folder we cannot write to is the user's to fix, not a bug worth a traceback.
        raise ExampleError(f"Cannot copy example '{name}' to {dest}: {exc}") from exc
    render.print_pulled(example.name, files, dest)


@example_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The example to run, e.g. 'caching'.")],
    framework: Annotated[
        str | None,
        typer.Option("--framework", help="caching: train with sklearn (default), keras or torch."),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="caching: digits (default, bundled), mnist (downloaded once) or a folder "
            "of IDX files.",
        ),
    ] = None,
    fresh: Annotated[
        bool | None,
        typer.Option(
            "--fresh", help="caching: forget its cached results first, so run 1 executes all."
        ),
    ] = None,
    legacy: LegacyFlag = False,
) -> None:
    """Run a packaged example here, recording its runs in the current stepstone home."""
    from stepstone.examples import run_example

    options = {"framework": framework, "data": data, "fresh": fresh}
    given = {key: value for key, value in options.items() if value is not None}
    if legacy and given:
        from stepstone.exceptions import UsageError

        raise UsageError(
            f"--legacy takes none of the options {', '.join(f'--{k}' for k in given)}."
        )
    run_example(name, legacy=legacy, **given)
