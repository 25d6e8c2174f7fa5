"""``stepstone config show|set|unset``: the settings in effect and where each comes from.

Settings resolve as :mod:`stepstone.config` describes (``STEPSTONE_*`` variables over
``config.toml`` over defaults). ``show`` says which of the three each value came from, so
"why are my runs going there?" has a one-command answer; ``set`` writes ``config.toml`` of
the home in effect and warns when an environment variable will still override it.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

config_app = sub_app("Show and change settings (config.toml).")

KeyArgument = Annotated[
    str,
    typer.Argument(metavar="KEY", help="metadata_url, artifact_root, cache or allow_pickle."),
]


@config_app.command("show")
def show(as_json: JsonFlag = False) -> None:
    """Show the home, the config file and every setting with where its value comes from."""
    from stepstone.cli import documents
    from stepstone.config import describe_settings, load_settings

    settings = load_settings()
    values = describe_settings(settings)
    arguments = (str(settings.home), settings.source, str(settings.config_file), values)
    if as_json:
        from stepstone.read_model.settings import SettingsDocument

        documents.print_json(SettingsDocument.of(*arguments))
        return
    from stepstone.cli import render_store

    render_store.print_settings(*arguments)


@config_app.command("set")
def set_value(
    key: KeyArgument,
    value: Annotated[str, typer.Argument(help="on/off for cache and allow_pickle.")],
) -> None:
    """Write KEY = VALUE into the home's config.toml (other lines are kept)."""
    from stepstone.config import load_settings, set_config_value

    settings = load_settings()
    path = set_config_value(settings.home, key, value)
    typer.echo(f"Set {key} in {path}.")
    _warn_if_overridden(key)


@config_app.command("unset")
def unset_value(key: KeyArgument) -> None:
    """Remove KEY from the home's config.toml, so its default applies again."""
    from stepstone.config import load_settings, set_config_value

    settings = load_settings()
    path = set_config_value(settings.home, key, None)
    typer.echo(f"Removed {key} from {path}.")
    _warn_if_overridden(key)


def _warn_if_overridden(key: str) -> None:
    variable = f"STEPSTONE_{key.upper()}"
    if os.environ.get(variable):
        typer.echo(
            f"Note: {variable} is set in the environment and overrides the config file.",
            err=True,
        )
