"""``stepstone cache list|clear|prune`` and ``stepstone gc``.

The work is :mod:`stepstone.maintenance`; these commands check the options make sense
together and report. Clearing cache entries never deletes a run or an artifact: it only
makes the next run of those steps execute them. ``gc`` is what frees disk space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

if TYPE_CHECKING:
    from datetime import timedelta

    from stepstone.client import Client

cache_app = sub_app("List and clear cached step results.")

StepOption = Annotated[
    str | None,
    typer.Option(
        "--step",
        "-s",
        metavar="STEP",
        help="Only the entries of this step, by its name in the pipeline (e.g. trainer_2).",
    ),
]
PipelineOption = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", metavar="PIPELINE", help="Only this pipeline's entries."),
]


def _duration(text: str) -> timedelta:
    from stepstone.maintenance import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _filter_hint(client: Client, step: str | None, pipeline: str | None) -> str:
    """A "did you mean" hint for a ``--step``/``--pipeline`` filter that matched nothing."""
    from stepstone.exceptions import did_you_mean

    entries = client.stores.metadata.list_cache_entries(limit=1000)
    if step is not None:
        return did_you_mean(step, sorted({e.invocation_name for e in entries})).strip()
    if pipeline is not None:
        return did_you_mean(pipeline, sorted({e.pipeline_name for e in entries})).strip()
    return "" if entries else "Nothing is cached yet: run a pipeline."


@cache_app.command("list")
def list_cache(
    step: StepOption = None,
    pipeline: PipelineOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many, newest first.")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List cache entries, newest first: which step results later runs can reuse."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    entries = client.stores.metadata.list_cache_entries(
        invocation_name=step, pipeline_name=pipeline, limit=limit
    )
    if as_json:
        from stepstone.read_model.cache_entries import CacheEntryView

        views = [CacheEntryView.of(entry) for entry in entries]
        documents.print_json({"limit": limit, "entries": views})
        return
    from stepstone.cli import render_store

    hint = "" if entries else _filter_hint(client, step, pipeline)
    render_store.print_cache_entries(entries, limit=limit, hint=hint)


@cache_app.command("clear")
def clear_cache(
    step: StepOption = None,
    pipeline: PipelineOption = None,
    clear_all: Annotated[bool, typer.Option("--all", help="Every cache entry.")] = False,
) -> None:
    """Forget cached results so the next run executes those steps (runs and artifacts stay)."""
    from stepstone.cli.render import console
    from stepstone.client import Client
    from stepstone.exceptions import UsageError
    from stepstone.maintenance import clear_cache as clear

    if clear_all and (step or pipeline):
        raise UsageError("--all clears everything: leave out --step and --pipeline, or --all.")
    if not (clear_all or step or pipeline):
        raise UsageError("Say what to clear: --step STEP, --pipeline PIPELINE, or --all.")
    removed = clear(Client().stores, invocation_name=step, pipeline_name=pipeline)
    scope = " and ".join(
        part
        for part in (
            f"step '{step}'" if step else "",
            f"pipeline '{pipeline}'" if pipeline else "",
        )
        if part
    )
    what = f" of {scope}" if scope else ""
    console().print(
        f"Removed {removed} cache entr{'y' if removed == 1 else 'ies'}{what}. "
        "Those steps execute on their next run; recorded runs and artifacts are kept.",
        markup=False,
    )


@cache_app.command("prune")
def prune_cache(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Remove entries created longer ago than this: 30d, 12h, 90m, 2w, 1d12h.",
        ),
    ],
) -> None:
    """Remove cache entries older than a duration, e.g. --older-than 30d."""
    from datetime import UTC, datetime

    from stepstone.cli.render import console, format_time
    from stepstone.client import Client
    from stepstone.maintenance import prune_cache as prune

    age = _duration(older_than)
    now = datetime.now(UTC)
    removed = prune(Client().stores, age, now=now)
    console().print(
        f"Removed {removed} cache entr{'y' if removed == 1 else 'ies'} created before "
        f"{format_time(now - age)} (older than {older_than}).",
        markup=False,
    )


RemoteOption = Annotated[
    str | None,
    typer.Option(
        "--remote",
        "-r",
        metavar="NAME",
        help="The remote (default: cache_remote, or the only one).",
    ),
]


@cache_app.command("push")
def push(
    run: Annotated[
        str | None, typer.Option("--run", metavar="RUN", help="The entries a run used or made.")
    ] = None,
    push_all: Annotated[bool, typer.Option("--all", help="Every local cache entry.")] = False,
    remote: RemoteOption = None,
) -> None:
    """Upload cache entries and their artifacts to a remote (artifacts first, entry last)."""
    from stepstone.cli.render import console
    from stepstone.client import Client
    from stepstone.exceptions import UsageError
    from stepstone.remote.config import remote_named
    from stepstone.remote.layout import open_remote
    from stepstone.remote.push import push_entries
    from stepstone.remote.signing import SigningKey

    if push_all == (run is not None):
        raise UsageError("Say what to push: --run RUN or --all.")
    client = Client()
    stores = client.stores
    if run is not None:
        keys = [s.cache_key for s in client.get_run(run).steps.values() if s.cache_key]
    else:
        keys = [e.cache_key for e in stores.metadata.list_cache_entries()]
    config = remote_named(stores.settings, remote)
    key = stores.settings.signing_key
    report = push_entries(
        stores, open_remote(config), keys, None if key is None else SigningKey.load(key)
    )
    signed = f", signed by {report.signed_by}" if report.signed_by else ", unsigned"
    console().print(
        f"Pushed {report.written} entr{'y' if report.written == 1 else 'ies'} to '{config.name}' "
        f"({report.artifacts_uploaded} artifacts uploaded{signed}); "
        f"{report.already_there} already there.",
        markup=False,
    )


@cache_app.command("pull")
def pull(remote: RemoteOption = None) -> None:
    """Import a remote's cache entries (and download their artifacts, verified)."""
    from stepstone.cli.render import console
    from stepstone.client import Client
    from stepstone.remote.config import remote_named
    from stepstone.remote.layout import open_remote
    from stepstone.remote.pull import pull_entries
    from stepstone.remote.trust import TrustPolicy

    stores = Client().stores
    config = remote_named(stores.settings, remote)
    report = pull_entries(stores, open_remote(config), TrustPolicy.of(stores.settings, config))
    refused = f"; {report.refused} refused (see the warnings)" if report.refused else ""
    console().print(
        f"Imported {report.imported} entr{'y' if report.imported == 1 else 'ies'} from "
        f"'{config.name}'; {report.already_local} already local{refused}.",
        markup=False,
    )


def gc(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Only report what would be deleted.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Collect even while runs are in progress (they crashed)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Delete unreferenced artifact files; report bytes freed.

    Removes the stored files of artifacts no recorded run or cache entry references (left by
    deleted runs or interrupted writes), and staging leftovers of interrupted writes whose
    process is gone. Refuses while runs are in progress, unless --force; a run that starts
    while it sweeps keeps what it records or reuses.
    """
    from stepstone.cli import documents
    from stepstone.client import Client
    from stepstone.maintenance import collect_garbage

    report = collect_garbage(Client().stores, dry_run=dry_run, force=force)
    if as_json:
        from stepstone.read_model.deletions import GarbageDocument

        documents.print_json(GarbageDocument.of(report))
        return
    from stepstone.cli import render_store

    render_store.print_garbage(report)
