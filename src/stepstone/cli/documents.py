"""The JSON documents of ``--json``: one builder per kind of record, no Rich.

Every listing and detail command takes ``--json``; its output is built here and printed by
:func:`print_json`, so scripts get stable keys, full ids and hashes, ISO 8601 times and
sizes in bytes, whatever the terminal. Nothing here imports Rich: ``stepstone runs list
--json`` in a script loop should not pay for drawing tables it never draws.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from stepstone.config import SettingValue
    from stepstone.maintenance import GarbageReport, RunDeletion
    from stepstone.metadata.records import ArtifactLink, CacheEntryRecord
    from stepstone.models import Artifact, PipelineRun, StepRun

CacheSource = tuple[str, str]
"""(run id, run name) of the run whose step a cached step reused."""

Producer = tuple[str, str, str]
"""(step name, run id, run name) of the step run that produced an artifact."""


def print_json(data: Any) -> None:
    """Plain JSON on stdout: no colour, no wrapping, so ``jq`` and ``json.loads`` read it."""
    typer.echo(json.dumps(data, indent=2, default=str))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def artifact_to_dict(artifact: Artifact) -> dict[str, Any]:
    return {
        "id": artifact.id,
        "data_type": artifact.data_type,
        "materializer": artifact.materializer,
        "size": artifact.size,
        "content_hash": artifact.content_hash,
        "uri": artifact.uri,
        "producer_step_run_id": artifact.producer_step_run_id,
    }


def step_to_dict(step: StepRun, sources: Mapping[str, CacheSource]) -> dict[str, Any]:
    source = sources.get(step.cached_from) if step.cached_from else None
    return {
        "id": step.id,
        "name": step.name,
        "step_name": step.definition_name,
        "status": step.status,
        "started_at": _iso(step.started_at),
        "ended_at": _iso(step.ended_at),
        "duration": step.duration,
        "cache_key": step.cache_key,
        "cached_from": None
        if not step.cached_from
        else {
            "step_run_id": step.cached_from,
            "run_id": source[0] if source else None,
            "run_name": source[1] if source else None,
        },
        "parameters": step.parameters,
        "error": step.error,
        "outputs": {name: artifact_to_dict(a) for name, a in step.outputs.items()},
    }


def run_to_dict(
    run: PipelineRun, sources: Mapping[str, CacheSource] | None = None
) -> dict[str, Any]:
    """A run as JSON; with ``sources`` (as ``runs show`` passes) its steps too."""
    document: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "pipeline_name": run.pipeline_name,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "duration": run.duration,
        "parameters": run.parameters,
        "step_count": run.record.step_count,
        "cached_count": run.record.cached_count,
    }
    if sources is not None:
        document["steps"] = [step_to_dict(step, sources) for step in run.steps.values()]
    return document


def artifact_document(artifact: Artifact, producer: Producer | None) -> dict[str, Any]:
    document = artifact_to_dict(artifact)
    document["created_at"] = _iso(artifact.record.created_at)
    document["summary"] = artifact.summary
    document["producer"] = (
        None
        if producer is None
        else {
            "step_run_id": artifact.producer_step_run_id,
            "step_name": producer[0],
            "run_id": producer[1],
            "run_name": producer[2],
        }
    )
    return document


def link_to_dict(link: ArtifactLink) -> dict[str, Any]:
    return {
        "direction": link.direction,
        "name": link.name,
        "step_name": link.invocation_name,
        "step_run_id": link.step_run_id,
        "step_status": link.step_status,
        "run_id": link.run_id,
        "run_name": link.run_name,
        "pipeline_name": link.pipeline_name,
        "started_at": _iso(link.started_at),
    }


def cache_entry_to_dict(entry: CacheEntryRecord) -> dict[str, Any]:
    return {
        "cache_key": entry.cache_key,
        "step_name": entry.invocation_name,
        "pipeline_name": entry.pipeline_name,
        "step_run_id": entry.step_run_id,
        "run_id": entry.run_id,
        "run_name": entry.run_name,
        "created_at": _iso(entry.created_at),
        "duration": entry.duration,
        "output_bytes": entry.output_bytes,
    }


def deletion_to_dict(deletion: RunDeletion) -> dict[str, Any]:
    return {
        "run_id": deletion.run_id,
        "run_name": deletion.run_name,
        "step_runs": deletion.step_runs,
        "cache_entries": deletion.cache_entries,
        "artifact_records": deletion.artifact_records,
        "files_deleted": deletion.files_deleted,
        "bytes_freed": deletion.bytes_freed,
        "files_postponed": deletion.files_postponed,
    }


def garbage_to_dict(report: GarbageReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "artifacts": report.artifacts,
        "bytes": report.bytes,
        "content_hashes": list(report.content_hashes),
        "staging_removed": report.staging_removed,
        "in_progress": list(report.in_progress),
    }


def settings_to_dict(
    home: str, source: str, config_file: str, values: Sequence[SettingValue]
) -> dict[str, Any]:
    return {
        "home": home,
        "home_source": source,
        "config_file": config_file,
        "settings": {
            value.key: {"value": value.value, "source": value.source, "env": value.variable}
            for value in values
        },
    }
