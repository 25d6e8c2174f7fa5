"""Tables of what is stored: artifacts, cache entries, housekeeping reports, settings.

Same rule as :mod:`stepstone.cli.render`: the JSON documents of the same records are in
:mod:`stepstone.cli.documents` (full ids and hashes, ISO times, sizes in bytes); ``print_*``
here draws them for people (short ids, human sizes, local times). User-written text is
escaped before Rich sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

from stepstone.cli.fit import Column, fitted_table
from stepstone.cli.render import (
    console,
    format_size,
    format_time,
    short_type,
    status_markup,
)
from stepstone.units import format_duration

if TYPE_CHECKING:
    from stepstone.config import SettingValue
    from stepstone.maintenance import GarbageReport, RunDeletion
    from stepstone.metadata.records import ArtifactLink, ArtifactVersionRecord, CacheEntryRecord
    from stepstone.models import Artifact, Producer
    from stepstone.read_model.artifacts import ArtifactVersionView


# -- artifacts ---------------------------------------------------------------------------------


def _producer_text(producer: Producer | None, artifact: Artifact) -> str:
    """``trainer @ mnist_pipeline-…``: plain text (escape it before Rich markup sees it)."""
    if producer is not None:
        return f"{producer.invocation_name} @ {producer.run_name}"
    return "passed in" if artifact.producer_step_run_id is None else "(deleted run)"


def _version_text(version: ArtifactVersionRecord | None) -> str:
    """``iris_dataset:3``, or ``-`` for a value passed in."""
    return f"{version.name}:{version.version}" if version is not None else "-"


def print_artifacts(
    artifacts: Sequence[Artifact],
    producers: Mapping[str, Producer],
    versions: Mapping[str, ArtifactVersionRecord],
    *,
    limit: int,
) -> None:
    out = console()
    if not artifacts:
        out.print("No artifacts recorded yet." if limit else "No artifacts.")
        return
    columns = [
        Column("id"),
        Column("name:version", drop=1, elide=True, min_width=12),
        Column("type", drop=2, elide=True, min_width=8),
        Column("size", justify="right"),
        Column("produced by", elide=True, min_width=16),
        Column("created", drop=3),
        Column("hash", drop=4),
    ]
    rows = [
        [
            artifact.id[:12],
            _version_text(versions.get(artifact.id)),
            short_type(artifact.data_type),
            format_size(artifact.size),
            "save_artifact"
            if artifact.producer_step_run_id is None and artifact.id in versions
            else _producer_text(producers.get(artifact.id), artifact),
            format_time(artifact.record.created_at),
            artifact.content_hash[:12],
        ]
        for artifact in artifacts
    ]
    out.print(fitted_table("Artifacts", columns, rows, out.width))
    if len(artifacts) >= limit:
        out.print(f"Showing the newest {limit}; see more with --limit.")
    out.print("Details: stepstone artifacts show ID")


def print_artifact_versions(
    name: str,
    versions: Sequence[ArtifactVersionView],
    producers: Mapping[str, Producer],
    *,
    total: int,
) -> None:
    """``artifacts list --name``: one row per version, newest first."""
    out = console()
    columns = [
        Column("version"),
        Column("id"),
        Column("type", drop=2, elide=True, min_width=8),
        Column("size", justify="right"),
        Column("produced by", elide=True, min_width=16),
        Column("created", drop=3),
        Column("tags", drop=1, elide=True),
    ]
    rows = [
        [
            view.version or "",
            view.id[:12],
            short_type(view.data_type),
            format_size(view.size),
            f"{producers[view.id].invocation_name} @ {producers[view.id].run_name}"
            if view.id in producers
            else ("save_artifact" if view.producer_step_run_id is None else "(deleted run)"),
            format_time(view.created_at),
            ", ".join(view.tags),
        ]
        for view in versions
    ]
    out.print(fitted_table(f"Versions of {name}", columns, rows, out.width))
    if total > len(versions):
        out.print(f"Showing the newest {len(versions)} of {total}; see more with --limit.")
    out.print(
        f"Load one: load_artifact({name!r}, version=...); details: stepstone artifacts show ID"
    )


def print_artifact_detail(
    artifact: Artifact,
    producer: Producer | None,
    links: Sequence[ArtifactLink],
    version: ArtifactVersionRecord | None = None,
) -> None:
    """Type, size, summary, who produced it, who reused and who consumed it."""
    out = console()
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column(overflow="fold")
    header.add_row("Artifact", artifact.id)
    if version is not None:
        header.add_row(
            "Version", escape(f"{version.name} version {version.version} ({version.artifact_type})")
        )
    tags = artifact.tags
    if tags:
        header.add_row("Tags", escape(", ".join(tags)))
    logged = artifact.run_metadata
    if logged:
        header.add_row("Metadata", escape(", ".join(f"{k}: {v}" for k, v in logged.items())))
    header.add_row("Type", escape(artifact.data_type))
    header.add_row("Materializer", escape(f"{artifact.materializer}"))
    header.add_row("Size", f"{format_size(artifact.size)} ({artifact.size} bytes)")
    header.add_row("Content hash", artifact.content_hash)
    header.add_row("URI", escape(artifact.uri))
    header.add_row("Created", format_time(artifact.record.created_at))
    header.add_row("Produced by", escape(_producer_text(producer, artifact)))
    summary = artifact.summary or {}
    if summary:
        header.add_row("Summary", escape(", ".join(f"{k}: {v}" for k, v in summary.items())))
    out.print(header)
    from stepstone.models import LinkRole, link_role

    roles = [link_role(link, artifact.producer_step_run_id) for link in links]
    reused = [link for link, role in zip(links, roles, strict=True) if role == LinkRole.REUSED]
    consumed = [link for link, role in zip(links, roles, strict=True) if role == LinkRole.CONSUMER]
    for title, rows in (("Reused by (cached)", reused), ("Consumed by", consumed)):
        if not rows:
            continue
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("step", overflow="fold")
        table.add_column("as", overflow="fold")
        table.add_column("status", no_wrap=True)
        table.add_column("run", overflow="fold")
        for link in rows:
            table.add_row(
                escape(link.invocation_name),
                escape(link.name),
                status_markup(link.step_status),
                escape(link.run_name),
            )
        out.print(table)
    if not consumed:
        out.print("No step has consumed it yet.")


# -- the cache ---------------------------------------------------------------------------------


def print_cache_entries(entries: Sequence[CacheEntryRecord], *, limit: int, hint: str) -> None:
    out = console()
    if not entries:
        out.print(f"No cache entries match. {escape(hint)}".strip())
        return
    # The run a result came from names its pipeline too: narrow terminals drop that column.
    columns = [
        Column("step", elide=True),
        Column("pipeline", drop=3, elide=True),
        Column("saves", justify="right"),
        Column("outputs", drop=1, justify="right"),
        Column("created", drop=2),
        Column("from run", elide=True, min_width=16),
        Column("key"),
    ]
    rows = [
        [
            entry.invocation_name,
            entry.pipeline_name,
            format_duration(entry.duration),
            format_size(entry.output_bytes),
            format_time(entry.created_at),
            entry.run_name,
            entry.cache_key[:12],
        ]
        for entry in entries
    ]
    out.print(fitted_table("Cache entries", columns, rows, out.width))
    if len(entries) >= limit:
        out.print(f"Showing the newest {limit}; see more with --limit.")


# -- housekeeping reports ----------------------------------------------------------------------


def print_deletion(deletion: RunDeletion) -> None:
    out = console()
    out.print(
        f"Deleted run {escape(deletion.run_name)}: {deletion.step_runs} step run(s), "
        f"{deletion.cache_entries} cache entr{'y' if deletion.cache_entries == 1 else 'ies'}, "
        f"{deletion.artifact_records} artifact record(s)."
    )
    if deletion.files_deleted:
        out.print(
            f"Removed {deletion.files_deleted} artifact(s) no other run uses, freeing "
            f"{format_size(deletion.bytes_freed)}."
        )
    if deletion.files_postponed:
        out.print(
            f"{deletion.files_postponed} artifact(s) are no longer used but other runs are in "
            "progress; remove them later with 'stepstone gc'."
        )


def print_garbage(report: GarbageReport) -> None:
    out = console()
    if report.in_progress:
        out.print(
            f"[yellow]Note:[/yellow] {len(report.in_progress)} run(s) in progress "
            f"({escape(', '.join(report.in_progress[:3]))})."
        )
    if not report.artifacts and not report.staging_leftovers:
        out.print("Nothing to collect: every stored artifact is referenced by a recorded run.")
    elif not report.artifacts:
        out.print("Every stored artifact is referenced by a recorded run.")
    elif report.dry_run:
        out.print(
            f"Would delete {report.artifacts} unreferenced artifact(s), freeing "
            f"{format_size(report.bytes)} ({report.bytes} bytes). Run without --dry-run to do it."
        )
    else:
        out.print(
            f"Deleted {report.artifacts} unreferenced artifact(s), freed "
            f"{format_size(report.bytes)} ({report.bytes} bytes)."
        )
    if report.kept:
        out.print(
            f"Kept {len(report.kept)} artifact(s) that a run recorded or reused while collecting."
        )
    if report.staging_removed:
        out.print(
            f"Removed {report.staging_removed} staging leftover(s) of interrupted writes, "
            f"freeing {format_size(report.staging_bytes)}."
        )
    elif report.dry_run and report.staging_leftovers:
        out.print(
            f"Would remove {report.staging_leftovers} staging leftover(s) of interrupted "
            f"writes, freeing {format_size(report.staging_bytes)} ({report.staging_bytes} bytes)."
        )


# -- settings ----------------------------------------------------------------------------------


_HOME_SOURCES = {
    "env": "from STEPSTONE_HOME",
    "project": "the project's .stepstone/",
    "user": "the per-user data folder",
}


def print_settings(
    home: str, source: str, config_file: str, values: Sequence[SettingValue]
) -> None:
    out = console()
    out.print(f"[bold]Home[/bold]         {escape(home)} ({_HOME_SOURCES.get(source, source)})")
    out.print(f"[bold]Config file[/bold]  {escape(config_file)}")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("key", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", no_wrap=True)
    table.add_column("meaning", overflow="fold")
    for value in values:
        shown = value.value
        if isinstance(shown, bool):
            shown = "on" if shown else "off"
        origin = value.variable if value.source == "env" else value.source
        table.add_row(value.key, escape(str(shown)), origin, escape(value.description))
    out.print(table)
    out.print("Change one with 'stepstone config set KEY VALUE'.")
