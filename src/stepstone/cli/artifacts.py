"""``stepstone artifacts list|show|export``: the stored outputs, their lineage and their files.

An artifact is named by its id, or a unique prefix of its id or content hash (what the
tables show). Its producer is resolved to a step and run name, which a user recognises;
``show`` adds every step run that reused or consumed it, across runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stepstone.cli.common import JsonFlag, sub_app

if TYPE_CHECKING:
    from stepstone.client import Client
    from stepstone.models import Artifact

artifacts_app = sub_app("List, inspect and export stored artifacts.")

ArtifactArgument = Annotated[
    str,
    typer.Argument(metavar="ID", help="Artifact id, or a unique prefix of its id or content hash."),
]


def _get_artifact(client: Client, query: str) -> Artifact:
    """The artifact, or a usage error: an id that matches nothing is the user's typo."""
    from stepstone.exceptions import ArtifactNotFoundError, UsageError

    try:
        return client.get_artifact(query)
    except ArtifactNotFoundError as exc:
        raise UsageError(str(exc)) from exc


@artifacts_app.command("list")
def list_artifacts(
    run: Annotated[
        str | None,
        typer.Option(
            "--run", "-r", metavar="RUN", help="Only artifacts this run produced or used."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The versions of the artifact NAME (an ArtifactConfig or Annotated name, "
            "PIPELINE::STEP::OUTPUT, or a save_artifact name), newest first.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many, newest first.")
    ] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List stored artifacts, or the versions of one artifact name, newest first."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    if name is not None:
        _list_versions(client, name, run, limit, as_json)
        return
    artifacts = client.list_artifacts(run, limit=limit)
    producers = client.producers_of(artifacts)
    versions = client.stores.metadata.get_artifact_versions([a.id for a in artifacts])
    if as_json:
        from stepstone.read_model.artifacts import ArtifactDocument

        rows = [
            ArtifactDocument.of_record(a.record, producers.get(a.id), versions.get(a.id))
            for a in artifacts
        ]
        documents.print_json({"limit": limit, "artifacts": rows})
        return
    from stepstone.cli import render_store

    render_store.print_artifacts(artifacts, producers, versions, limit=limit)


def _list_versions(client: Client, name: str, run: str | None, limit: int, as_json: bool) -> None:
    """``artifacts list --name``: a name's versions, or a usage error with close names."""
    from stepstone.cli import documents
    from stepstone.exceptions import UsageError, did_you_mean

    if run is not None:
        raise UsageError(
            "--name lists the versions of one artifact name across runs; leave out --run, or "
            "leave out --name to list what one run produced or used."
        )
    page = client.list_artifact_versions(name, size=limit)
    if not page.items:
        known = client.stores.metadata.artifact_names()
        hint = did_you_mean(name, known) or (
            " Names recorded: " + ", ".join(known[:10]) + "." if known else " None is recorded."
        )
        raise UsageError(f"No artifact named '{name}' has versions.{hint}")
    from stepstone.read_model.artifacts import ArtifactVersionDocument, version_views

    versions = list(page)
    producers = client.producers_of(versions)
    views = version_views(client.stores.metadata, [v.version_record for v in versions])
    if as_json:
        rows = [
            ArtifactVersionDocument(**dict(view), producer=producers.get(view.id)) for view in views
        ]
        documents.print_json({"name": name, "limit": limit, "total": page.total, "versions": rows})
        return
    from stepstone.cli import render_store

    render_store.print_artifact_versions(name, views, producers, total=page.total)


@artifacts_app.command("show")
def show_artifact(artifact_id: ArtifactArgument, as_json: JsonFlag = False) -> None:
    """Show an artifact: type, size, summary, the step that produced it and its consumers."""
    from stepstone.cli import documents
    from stepstone.client import Client

    client = Client()
    artifact = _get_artifact(client, artifact_id)
    producer = client.producers_of([artifact]).get(artifact.id)
    links = client.artifact_lineage(artifact.id)
    version = client.stores.metadata.get_artifact_versions([artifact.id]).get(artifact.id)
    if as_json:
        from stepstone.read_model.artifacts import ArtifactDocument
        from stepstone.read_model.lineage import ArtifactLineage

        document = ArtifactDocument.of_record(artifact.record, producer, version)
        lineage = ArtifactLineage.with_links(
            document, links, tags=artifact.tags, run_metadata=artifact.run_metadata
        )
        documents.print_json(lineage)
        return
    from stepstone.cli import render_store

    render_store.print_artifact_detail(artifact, producer, links, version)


@artifacts_app.command("export")
def export_artifact(
    artifact_id: ArtifactArgument,
    path: Annotated[
        Path,
        typer.Argument(help="Folder to copy the artifact's files into (created if missing)."),
    ],
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Write into a folder that is not empty.")
    ] = False,
) -> None:
    """Copy an artifact's stored files (as its materializer wrote them) into a folder."""
    from stepstone.cli.render import console, format_size
    from stepstone.client import Client
    from stepstone.exceptions import UsageError

    client = Client()
    artifact = _get_artifact(client, artifact_id)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file; give a folder to export into.")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UsageError(f"{path} is not empty; pick an empty folder or pass --force.")
    from stepstone.exceptions import ArtifactIntegrityError, ArtifactMissingError

    try:
        written = [Path(p) for p in client.stores.artifacts.export(artifact.uri, path)]
    except ArtifactIntegrityError as exc:
        # Damaged bytes are never exported: say so, and how to get good ones again.
        kind = type(exc) if isinstance(exc, ArtifactMissingError) else ArtifactIntegrityError
        raise kind(
            f"Nothing was exported. {exc}{_recompute_hint(client, artifact)}",
            uri=exc.uri,
            file=exc.file,
        ) from exc
    out = console()
    out.print(
        f"Exported {len(written)} file(s), {format_size(artifact.size)}, of artifact "
        f"{artifact.id[:12]} ({artifact.data_type}, materializer {artifact.materializer}) "
        f"to {path}:",
        markup=False,
    )
    for target in written:
        out.print(f"  {target.relative_to(path)}", markup=False)


def _recompute_hint(client: Client, artifact: Artifact) -> str:
    """How to get an artifact's bytes back: which step produced it, what to run."""
    from stepstone.exceptions import StorageError

    producer = client.producers_of([artifact]).get(artifact.id)
    if producer is None:
        return " Run the pipeline whose step produced it again, then export again."
    step, run_name = producer.invocation_name, producer.run_name
    try:
        pipeline = client.get_run(producer.run_id).pipeline_name
    except StorageError:
        return f" Run the pipeline of run {run_name!r} again, then export again."
    return (
        f" To recompute it, run pipeline {pipeline!r} again (its script, or "
        f"'stepstone run FILE.py:{pipeline}'): step {step!r} (of run {run_name!r}) "
        "finds its output gone and executes again; then export again."
    )
