"""The JSON documents of ``--json``: the read model's view models, dumped as JSON.

Every listing and detail command takes ``--json``; its output is printed by
:func:`print_json`, so scripts get stable keys, full ids and hashes, ISO 8601 times and
sizes in bytes, whatever the terminal. Runs, steps and comparisons are the view models of
:mod:`stepstone.read_model`, the same the dashboard's ``/api/v1`` serves; other records
(deletions, garbage reports) are dumped field by field from their dataclasses; lineage links
and cache entries keep the ``step_name`` key scripts read.
Nothing here imports Rich: ``stepstone runs list --json`` in a script loop should not pay
for drawing tables it never draws.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from stepstone.config import SettingValue
    from stepstone.metadata.records import ArtifactLink, ArtifactVersionRecord, CacheEntryRecord
    from stepstone.models import Artifact
    from stepstone.read_model import ArtifactVersionView

Producer = tuple[str, str, str]
"""(step name, run id, run name) of the step run that produced an artifact."""


def print_json(data: Any) -> None:
    """Plain JSON on stdout: no colour, no wrapping, so ``jq`` and ``json.loads`` read it.

    View models and record dataclasses anywhere in ``data`` are dumped as JSON documents.
    """
    typer.echo(json.dumps(data, indent=2, default=jsonable))


def jsonable(value: Any) -> Any:
    """A view model or a record dataclass as JSON-ready data (times in ISO 8601)."""
    from pydantic import BaseModel, TypeAdapter

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return TypeAdapter(type(value)).dump_python(value, mode="json")
    return str(value)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def artifact_document(
    artifact: Artifact, producer: Producer | None, version: ArtifactVersionRecord | None = None
) -> dict[str, Any]:
    """An artifact of ``artifacts list|show``: the read model's fields, its summary, producer,
    and the artifact name and version it is (null for a value passed in)."""
    from stepstone.read_model import ArtifactView

    record = artifact.record
    view = ArtifactView.of(None, record)
    if version is not None:
        view.artifact_name, view.version = version.name, version.version
    document = view.model_dump(mode="json")
    document["created_at"] = record.created_at.isoformat()
    document["summary"] = artifact.summary
    document["producer"] = _producer_document(artifact.producer_step_run_id, producer)
    return document


def version_document(view: ArtifactVersionView, producer: Producer | None) -> dict[str, Any]:
    """An artifact version of ``artifacts list --name``: the read model's view and producer."""
    document = view.model_dump(mode="json")
    document["producer"] = _producer_document(view.producer_step_run_id, producer)
    return document


def _producer_document(step_run_id: str | None, producer: Producer | None) -> dict[str, Any] | None:
    if producer is None:
        return None
    return {
        "step_run_id": step_run_id,
        "step_name": producer[0],
        "run_id": producer[1],
        "run_name": producer[2],
    }


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
