"""``stepstone remote add|list|remove|keygen``: where a cache is shared, and who signs it.

The work is :mod:`stepstone.remote`; remotes live in the project's ``config.toml``
(``[remotes.NAME]``) and key pairs in the home's ``keys/`` directory.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

remote_app = sub_app("Cache remotes: where 'stepstone cache push/pull' share results.")


@remote_app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A short name: team, ci.")],
    url: Annotated[str, typer.Argument(metavar="URL", help="s3://bucket/prefix or a directory.")],
) -> None:
    """Add a remote (or change its URL) in this project's config file."""
    from stepstone.cli.render import console
    from stepstone.config import load_settings
    from stepstone.remote.config import add_remote

    path = add_remote(load_settings().home, name, url)
    console().print(
        f"Added remote '{name}' ({url}) to {path}. Push with 'stepstone cache push --all "
        f'--remote {name}\'; set cache_remote = "{name}" to look misses up in it.',
        markup=False,
    )


@remote_app.command("list")
def list_remotes(as_json: JsonFlag = False) -> None:
    """List the configured remotes."""
    from stepstone.cli import documents
    from stepstone.cli.render import console
    from stepstone.config import load_settings
    from stepstone.remote.config import configured_remotes

    settings = load_settings()
    remotes = configured_remotes(settings)
    if as_json:
        documents.print_json(
            {
                "cache_remote": settings.cache_remote,
                "remotes": [
                    {"name": r.name, "url": r.url, "allow_pickle": r.allow_pickle} for r in remotes
                ],
            }
        )
        return
    if not remotes:
        console().print("No remotes. Add one with 'stepstone remote add NAME URL'.", markup=False)
        return
    for remote in remotes:
        marks = [
            m
            for m, on in (
                ("read-through", remote.name == settings.cache_remote),
                ("allow_pickle", remote.allow_pickle),
            )
            if on
        ]
        suffix = f"  ({', '.join(marks)})" if marks else ""
        console().print(f"{remote.name}  {remote.url}{suffix}", markup=False)


@remote_app.command("remove")
def remove(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Remove a remote from the config file (nothing on the remote is deleted)."""
    from stepstone.cli.render import console
    from stepstone.config import load_settings
    from stepstone.remote.config import remove_remote

    settings = load_settings()
    remove_remote(settings.home, name, sorted(settings.remotes or {}))
    console().print(f"Removed remote '{name}'.", markup=False)


@remote_app.command("keygen")
def keygen(
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="Key name, e.g. alice-laptop-1.")
    ] = "stepstone-1",
) -> None:
    """Create an Ed25519 key pair in the home and sign pushed entries with it."""
    from stepstone.cli.render import console
    from stepstone.config import load_settings, set_config_value
    from stepstone.remote.signing import generate_key_pair

    settings = load_settings()
    files = generate_key_pair(settings.home, name)
    set_config_value(settings.home, "signing_key", str(files.private))
    console().print(
        f"Wrote {files.private} (private: keep it secret) and {files.public}.\n"
        f"Pushed entries are now signed (signing_key). Teammates who trust them add this to "
        f"trusted_keys:\n{files.public_key}",
        markup=False,
    )
