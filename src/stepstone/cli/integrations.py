"""``stepstone integration list|install``: the extra packages an integration needs, via pip.

The integrations are the package's extras (:mod:`stepstone.integrations.extras`), so
``stepstone integration install torch`` installs what ``pip install 'stepstone[torch]'``
would, and ``list`` reports an integration installed only when every module its code imports
can be found. ``install`` runs
``<this python> -m pip install <requirements>`` — this interpreter's pip, so packages land in
the environment stepstone runs in, not whichever ``pip`` is first on PATH — and prints that
exact command first (``--dry-run`` prints it only), so a user can copy it, audit it, or run it
with another installer.

Pins are deliberate where they matter: the torch extra pins the version this project is
tested with (``torch==2.13.0``), because its wheels are large and a silent upgrade changes
what its materializer reads back.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stepstone.cli.common import JsonFlag, sub_app

if TYPE_CHECKING:
    from stepstone.integrations.extras import Integration

integration_app = sub_app("List integrations and install the packages they need.")


def get_integration(name: str) -> Integration:
    """The integration called ``name`` (case-insensitive; ``scikit-learn`` means sklearn)."""
    from stepstone.exceptions import UsageError, did_you_mean
    from stepstone.integrations.extras import integrations

    aliases = {"scikit-learn": "sklearn", "pytorch": "torch", "postgresql": "postgres"}
    wanted = aliases.get(name.lower(), name.lower())
    known = integrations()
    for integration in known:
        if integration.name == wanted:
            return integration
    names = [integration.name for integration in known]
    raise UsageError(
        f"No integration named '{name}'.{did_you_mean(wanted, names)} "
        f"Available: {', '.join(names)} (see 'stepstone integration list')."
    )


def pip_command(requirements: list[str]) -> list[str]:
    """``[sys.executable, "-m", "pip", "install", *requirements]``: this environment's pip."""
    return [sys.executable, "-m", "pip", "install", *requirements]


def _integration_to_dict(integration: Integration) -> dict[str, Any]:
    missing = integration.missing()
    return {
        "name": integration.name,
        "description": integration.description,
        "requirements": list(integration.requirements),
        "modules": list(integration.modules),
        "missing": list(missing),
        "installed": not missing,
    }


def _installed_cell(modules: list[str], missing: list[str]) -> str:
    """``yes``, ``no``, or for a partial install what is missing (``no: safetensors``)."""
    if not missing:
        return "[green]yes[/green]"
    if len(missing) == len(modules):
        return "no"
    return f"[yellow]no: {', '.join(missing)}[/yellow]"


@integration_app.command("list")
def list_integrations(as_json: JsonFlag = False) -> None:
    """List integrations, the packages each needs, and whether they are installed."""
    from stepstone.cli import documents
    from stepstone.integrations.extras import integrations

    rows = [_integration_to_dict(integration) for integration in integrations()]
    if as_json:
        documents.print_json({"integrations": rows})
        return
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from stepstone.cli import render

    table = Table(title="Integrations", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("installed", no_wrap=True)
    table.add_column("packages", overflow="fold")
    table.add_column("for", overflow="fold")
    for document in rows:
        table.add_row(
            document["name"],
            _installed_cell(document["modules"], document["missing"]),
            escape(" ".join(document["requirements"])),
            escape(document["description"]),
        )
    out = render.console()
    out.print(table)
    out.print("Install one with 'stepstone integration install NAME' (--dry-run to preview).")


@integration_app.command("install")
def install(
    names: Annotated[
        list[str], typer.Argument(metavar="NAME", help="Integrations to install, e.g. torch s3.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the pip command without running it.")
    ] = False,
) -> None:
    """Install the packages integrations need into this Python environment (with pip)."""
    from stepstone.cli.errors import FAILURE_EXIT_CODE
    from stepstone.exceptions import UsageError

    integrations = [get_integration(name) for name in names]
    requirements = list(dict.fromkeys(r for i in integrations for r in i.requirements))
    command = pip_command(requirements)
    typer.echo(shlex.join(command))
    if dry_run:
        return
    if importlib.util.find_spec("pip") is None:
        raise UsageError(
            f"This environment ({sys.executable}) has no pip. Install pip, or install the "
            f"packages with another tool, e.g.: uv pip install {shlex.join(requirements)}"
        )
    completed = subprocess.run(command, check=False)  # noqa: S603 - argv list, no shell
    if completed.returncode != 0:
        typer.echo(
            f"Error: pip exited with status {completed.returncode}; nothing else was changed.",
            err=True,
        )
        raise typer.Exit(FAILURE_EXIT_CODE)
    typer.echo(f"Installed: {', '.join(i.name for i in integrations)}.")
