"""``stepstone integration list|install``: the extra packages an integration needs, via pip.

The registry maps a short name to pip requirement strings. ``install`` runs
``<this python> -m pip install <requirements>`` — this interpreter's pip, so packages land in
the environment stepstone runs in, not whichever ``pip`` is first on PATH — and prints that
exact command first (``--dry-run`` prints it only), so a user can copy it, audit it, or run it
with another installer.

Pins are deliberate where they matter: torch is pinned to the version this project is tested
with (``torch==2.13.0``), because its wheels are large and a silent upgrade changes the
pickled-model format its materializer reads.
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from stepstone.cli.common import JsonFlag, sub_app

integration_app = sub_app("List integrations and install the packages they need.")


@dataclass(frozen=True, slots=True)
class Integration:
    """One integration: what it is for, what pip installs, and the module that proves it."""

    name: str
    description: str
    requirements: tuple[str, ...]
    module: str
    """Importable module whose presence means the integration is installed."""


INTEGRATIONS: tuple[Integration, ...] = tuple(
    Integration(name, description, requirements, module)
    for name, description, requirements, module in (
        ("sklearn", "scikit-learn estimators and pipelines", ("scikit-learn>=1.4",), "sklearn"),
        ("torch", "PyTorch tensors and modules", ("torch==2.13.0",), "torch"),
        ("keras", "Keras 3 models (add a backend: tensorflow or torch)", ("keras>=3.0",), "keras"),
        ("tensorflow", "TensorFlow, as a Keras 3 backend", ("tensorflow>=2.16",), "tensorflow"),
        ("pandas", "pandas DataFrames as Parquet", ("pandas>=2.0", "pyarrow>=14"), "pandas"),
        ("polars", "polars DataFrames as Parquet", ("polars>=1.0",), "polars"),
        ("pyarrow", "Arrow tables as Parquet", ("pyarrow>=14",), "pyarrow"),
        (
            "dask",
            "Dask distributed (the packages only; stepstone has no Dask executor yet)",
            ("dask[distributed]>=2024.1",),
            "distributed",
        ),
        ("s3", "artifact store on S3 or an S3-compatible server", ("s3fs>=2024.2",), "s3fs"),
        ("gcs", "artifact store on Google Cloud Storage", ("gcsfs>=2024.2",), "gcsfs"),
        ("azure", "artifact store on Azure Blob Storage", ("adlfs>=2024.2",), "adlfs"),
        ("postgres", "metadata store on PostgreSQL", ("psycopg[binary]>=3.1",), "psycopg"),
        ("mysql", "metadata store on MySQL or MariaDB", ("pymysql>=1.1",), "pymysql"),
    )
)


def get_integration(name: str) -> Integration:
    """The integration called ``name`` (case-insensitive; ``scikit-learn`` means sklearn)."""
    from stepstone.cli.errors import UsageError
    from stepstone.exceptions import did_you_mean

    aliases = {"scikit-learn": "sklearn", "pytorch": "torch", "postgresql": "postgres"}
    wanted = aliases.get(name.lower(), name.lower())
    for integration in INTEGRATIONS:
        if integration.name == wanted:
            return integration
    names = [integration.name for integration in INTEGRATIONS]
    raise UsageError(
        f"No integration named '{name}'.{did_you_mean(wanted, names)} "
        f"Available: {', '.join(names)} (see 'stepstone integration list')."
    )


def is_installed(integration: Integration) -> bool:
    """Whether its module is importable (found without importing it: torch takes seconds)."""
    try:
        return importlib.util.find_spec(integration.module) is not None
    except (ImportError, ValueError):
        return False


def pip_command(requirements: list[str]) -> list[str]:
    """``[sys.executable, "-m", "pip", "install", *requirements]``: this environment's pip."""
    return [sys.executable, "-m", "pip", "install", *requirements]


def _integration_to_dict(integration: Integration) -> dict[str, Any]:
    return {
        "name": integration.name,
        "description": integration.description,
        "requirements": list(integration.requirements),
        "installed": is_installed(integration),
    }


@integration_app.command("list")
def list_integrations(as_json: JsonFlag = False) -> None:
    """List integrations, the packages each needs, and whether they are installed."""
    from stepstone.cli import documents

    rows = [_integration_to_dict(integration) for integration in INTEGRATIONS]
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
            "[green]yes[/green]" if document["installed"] else "no",
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
    from stepstone.cli.errors import FAILURE_EXIT_CODE, UsageError

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
