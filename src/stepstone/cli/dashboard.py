"""``stepstone dashboard`` and ``stepstone lineage``: the browser view and its static export.

Both are plain functions with Typer annotations, so the root app registers them as top-level
commands (``app.command("dashboard")(dashboard_command)``); :data:`app` holds the two for
running this module on its own and for tests.

Binding the dashboard to anything but a loopback address exposes every run, parameter and
log to the network, so it then refuses to start without an access token, and requires it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8237
USAGE_EXIT_CODE = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(USAGE_EXIT_CODE)


def served_address(host: str, port: int) -> str:
    """The URL that reaches a dashboard listening on ``host``: ``localhost`` for the default
    address, otherwise the address itself (an IPv6 one in brackets)."""
    shown = "localhost" if host in (DEFAULT_HOST, "localhost") else host.strip("[]")
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def dashboard_command(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on. Anything but loopback requires a token."
        ),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535)] = DEFAULT_PORT,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="STEPSTONE_DASHBOARD_TOKEN",
            help="Access token every request must carry (also: STEPSTONE_DASHBOARD_TOKEN).",
            show_envvar=False,
        ),
    ] = None,
) -> None:
    """Serve the read-only dashboard: runs, their DAGs, cache decisions and artifact lineage."""
    try:
        import uvicorn

        from stepstone.dashboard.app import create_app
        from stepstone.dashboard.security import is_loopback, loopback_hosts
    except ImportError as exc:  # the optional dependencies are missing
        raise _fail(
            f"the dashboard needs FastAPI, uvicorn and Jinja2 ({exc.name} is missing). "
            "Install them with: stepstone integration install dashboard"
        ) from None
    from stepstone.client import Client

    loopback = is_loopback(host)
    token = token or None
    if not loopback and token is None:
        suggestion = secrets.token_urlsafe(24)
        raise _fail(
            f"--host {host} exposes the dashboard beyond this machine, so it needs an access "
            f"token. Start it with --token (or STEPSTONE_DASHBOARD_TOKEN), e.g. "
            f"--token {suggestion}, or bind to 127.0.0.1."
        )
    client = Client()
    app = create_app(
        client, token=token, allowed_hosts=loopback_hosts(host) if loopback and not token else None
    )
    address = served_address(host, port)
    typer.echo(f"stepstone dashboard for {client.settings.home} on {address}")
    if token:
        typer.echo(
            f"Open {address}?token=<your token> once in a browser; scripts send "
            "'Authorization: Bearer <token>'."
        )
    typer.echo("Press Ctrl+C to stop.")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="none", lifespan="off")


def lineage_command(
    run: Annotated[
        str,
        typer.Argument(metavar="RUN", help="Run id, a unique id prefix, run name, or 'latest'."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="HTML file to write (default: RUN-NAME.html)."
        ),
    ] = None,
) -> None:
    """Write one run's DAG and step details as a single self-contained HTML file."""
    try:
        from stepstone.dashboard.export import write_run_html
    except ImportError as exc:
        raise _fail(
            f"the lineage export needs Jinja2 ({exc.name} is missing). "
            "Install it with: stepstone integration install dashboard"
        ) from None
    from stepstone.client import Client

    client = Client()
    pipeline_run = client.get_run(run)
    target = output if output is not None else Path(f"{pipeline_run.name}.html")
    path = write_run_html(client, pipeline_run.id, target)
    typer.echo(f"Wrote run {pipeline_run.name} to {os.fspath(path)}")


app = typer.Typer(
    help="The dashboard and the static lineage export.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.command("dashboard")(dashboard_command)
app.command("lineage")(lineage_command)
