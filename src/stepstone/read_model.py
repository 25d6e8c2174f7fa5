"""The read model both front ends render: runs, steps, sources and comparisons as view models.

``stepstone runs show --json`` and the dashboard's ``/api/v1`` describe the same records with
these pydantic models, so a script reading either gets the same keys and values; the
dashboard's models subclass them to add links. Everything here is computed from records
(:mod:`stepstone.metadata.records`), read through :class:`stepstone.Client`:

* :class:`SourceRun`: for a cached step, the step run that executed and the run it belongs to
  (:meth:`Client.source_of`), resolved by :func:`resolve_sources`, which reads a source run
  that several cached steps came from once, not once per step;
* :class:`RunComparison`: run B against run A step by step (:meth:`Client.compare`), with
  one :class:`Verdict` per step and the reasons from the explain logic, so ``runs compare``,
  the dashboard's compare page and ``stepstone explain --against`` never disagree;
* :class:`ExplanationView`: why one step run ran or was cached (``stepstone explain --json``,
  the step page);
* :class:`ArtifactDocument`: a stored artifact with its :class:`~stepstone.models.Producer`
  (:meth:`Client.producers_of`), and :class:`ArtifactLinkView`: a step run that produced,
  reused or consumed it (``artifacts list|show``, the artifact page);
* :class:`CacheEntryView`: one cache entry (``cache list``);
* :class:`StepLogs`, :class:`SettingsDocument`, :class:`DeletionsDocument` and
  :class:`GarbageDocument`: ``logs``, ``config show``, ``runs delete`` and ``gc`` as JSON.

A step is named ``name`` in a step's own view and ``invocation_name`` where the view is of
something else (an artifact's link, a cache entry, a producer): both are its name in the
pipeline (``trainer_2``); ``definition_name`` is the ``@step``'s (``trainer``).

========== ================================================================================
verdict    meaning
========== ================================================================================
same       B reused its result and has A's cache key: nothing it depends on changed
cached     something changed since A, but an earlier run had computed this version: reused
re-ran     B executed it (the reasons say what changed, or why the cache was not used)
added      only B has this step
removed    only A has this step
========== ================================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, computed_field

from stepstone.cache.explain import Explanation, Reason, explain
from stepstone.exceptions import ColumnNotFoundError, StepstoneError
from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    ArtifactVersionRecord,
    CacheEntryRecord,
    MetadataResource,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
    StepStatus,
)
from stepstone.models import (
    LinkRole,
    Producer,
    link_role,
    run_metadata,
    step_metadata,
    step_run_facts,
)

if TYPE_CHECKING:
    from stepstone.config import SettingValue
    from stepstone.maintenance import GarbageReport, RunDeletion
    from stepstone.metadata.store import MetadataStore

SOURCE_MEMO_SIZE = 200_000
"""Resolved sources a caller's memo holds before it starts over (see :func:`resolve_sources`)."""


class RunView(BaseModel):
    """One pipeline run: what ``runs list`` shows per row."""

    id: str
    name: str
    pipeline_name: str
    status: RunStatus = Field(
        description="running, completed, failed, or interrupted: recorded running, but the "
        "process that drove it (on this host) is gone."
    )
    started_at: datetime
    ended_at: datetime | None
    duration: float | None = Field(description="Seconds from start to end; null while running.")
    host: str | None = Field(
        default=None, description="The host that drove the run (null for older runs)."
    )
    pid: int | None = Field(default=None, description="The id of the process that drove it.")
    step_count: int
    cached_count: int
    ran_count: int = Field(description="Steps that executed (completed or failed).")
    parameters: dict[str, Any]
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The run's recorded configuration (enable_cache, enable_step_logs, "
        "settings, extra) and under 'steps' each step's.",
    )

    @classmethod
    def of(cls, record: PipelineRunRecord) -> RunView:
        return cls(**run_fields(record))


def run_fields(record: PipelineRunRecord) -> dict[str, Any]:
    """The fields of :class:`RunView` (subclasses add theirs to these)."""
    end = record.ended_at
    return {
        "id": record.id,
        "name": record.name,
        "pipeline_name": record.pipeline_name,
        "status": record.status,
        "started_at": record.started_at,
        "ended_at": end,
        "duration": None if end is None else max((end - record.started_at).total_seconds(), 0.0),
        "host": record.host,
        "pid": record.pid,
        "step_count": record.step_count,
        "cached_count": record.cached_count,
        "ran_count": record.step_count - record.cached_count,
        "parameters": dict(record.parameters),
        "config": recorded_config(record),
    }


def recorded_config(record: PipelineRunRecord) -> dict[str, Any]:
    """The run's configuration as stored in its graph document, with each step's under
    ``steps`` (empty for a run recorded before configuration was stored)."""
    config = dict(record.graph.get("config") or {})
    steps = {e["name"]: e["config"] for e in record.graph.get("steps", []) if e.get("config")}
    if steps:
        config["steps"] = steps
    return config


class ArtifactView(BaseModel):
    """An artifact as a step's input or output."""

    id: str
    name: str | None = Field(description="The input or output name in this step (else null).")
    data_type: str
    materializer: str
    size: int
    content_hash: str
    uri: str
    producer_step_run_id: str | None
    artifact_name: str | None = Field(
        default=None,
        description="The name of the artifact this is a version of (its ArtifactConfig or "
        "Annotated name, else <pipeline>::<step>::<output>); null for values passed in.",
    )
    version: str | None = Field(default=None, description="Its version of that name.")

    @classmethod
    def of(cls, name: str | None, record: ArtifactRecord) -> ArtifactView:
        return cls(**artifact_fields(name, record))


class ArtifactVersionView(ArtifactView):
    """A version of a named artifact (``artifacts list --name``, the artifact page)."""

    artifact_type: str = Field(description="DataArtifact, ModelArtifact, ...")
    has_custom_name: bool = Field(description="The name was given, not the default one.")
    created_at: datetime
    tags: list[str] = Field(default_factory=list)
    run_metadata: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of_version(
        cls,
        record: ArtifactVersionRecord,
        tags: Iterable[str] = (),
        run_metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactVersionView:
        return cls(
            **artifact_fields(None, record.artifact),
            artifact_name=record.name,
            version=record.version,
            artifact_type=record.artifact_type,
            has_custom_name=record.has_custom_name,
            created_at=record.created_at,
            tags=list(tags),
            run_metadata=dict(run_metadata or {}),
        )


def version_views(
    metadata: MetadataStore, records: Iterable[ArtifactVersionRecord]
) -> list[ArtifactVersionView]:
    """Views of versions with their tags and metadata, read in two queries."""
    records = list(records)
    ids = [record.artifact_id for record in records]
    tags = metadata.get_tags(ids)
    logged = metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, ids)
    return [
        ArtifactVersionView.of_version(r, tags.get(r.artifact_id, ()), logged.get(r.artifact_id))
        for r in records
    ]


def artifact_fields(name: str | None, record: ArtifactRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": name,
        "data_type": record.data_type,
        "materializer": record.materializer,
        "size": record.size,
        "content_hash": record.content_hash,
        "uri": record.uri,
        "producer_step_run_id": record.producer_step_run_id,
    }


class SourceRun(BaseModel):
    """Where a cached step's outputs came from: the step run that executed, and its run.

    ``run_id`` and ``run_name`` are null when that run can no longer be read (deleted).
    """

    step_run_id: str
    step: str | None = Field(description="The invocation name of the step run that executed.")
    run_id: str | None
    run_name: str | None
    duration: float | None = Field(description="What the execution took (what reusing saved).")
    remote: str | None = Field(
        default=None,
        description="The cache remote the result was imported from (push/pull or the "
        "read-through), null for a result executed against this store.",
    )

    @classmethod
    def unknown(cls, step_run_id: str) -> SourceRun:
        return cls(step_run_id=step_run_id, step=None, run_id=None, run_name=None, duration=None)


class StepView(BaseModel):
    """One recorded step run of a run."""

    id: str | None = Field(description="Step run id; null for a step not recorded yet.")
    name: str = Field(description="The invocation name: the step's name in the pipeline.")
    definition_name: str = Field(description="The name of the @step it calls.")
    status: str = Field(
        description="completed, cached, failed or running; for a step of a run still going "
        "that is not recorded yet, pending (waiting for upstream steps), waiting (another run "
        "is executing the same cache key: its result will be reused) or skipped (the run "
        "ended before it started)."
    )
    position: int | None
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    cache_key: str | None
    cached_from: SourceRun | None
    parameters: dict[str, Any]
    error: str | None
    inputs: list[ArtifactView]
    outputs: list[ArtifactView]

    @classmethod
    def of(cls, record: StepRunRecord, sources: Mapping[str, SourceRun]) -> StepView:
        return cls(
            **step_fields(record, source_for(record, sources)),
            inputs=[ArtifactView.of(n, a) for n, a in record.inputs.items()],
            outputs=[ArtifactView.of(n, a) for n, a in record.outputs.items()],
        )


def source_for(record: StepRunRecord, sources: Mapping[str, SourceRun]) -> SourceRun | None:
    """The resolved source of a cached step run (a bare id when it could not be resolved)."""
    if not record.cached_from:
        return None
    return sources.get(record.cached_from) or SourceRun.unknown(record.cached_from)


def step_fields(record: StepRunRecord, source: SourceRun | None) -> dict[str, Any]:
    """The fields of :class:`StepView` but its artifacts (subclasses add links to those)."""
    return {
        "id": record.id,
        "name": record.name,
        "definition_name": record.definition_name,
        "status": record.status,
        "position": record.position,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration": record.duration,
        "cache_key": record.cache_key,
        "cached_from": source,
        "parameters": dict(record.parameters),
        "error": record.error,
    }


class LoggedMetadata(BaseModel):
    """What was logged on a run (``run``, with its steps' keys as ``step::key``), its step
    runs (by step run id; a cached one shows its source's) and their outputs (by artifact id)."""

    run: dict[str, Any] = Field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tags: dict[str, list[str]] = Field(default_factory=dict)
    versions: dict[str, tuple[str, str]] = Field(
        default_factory=dict,
        description="Artifact id -> (artifact name, version) of the steps' inputs and outputs.",
    )

    def step_fields(self, record: StepRunRecord) -> dict[str, Any]:
        """What was logged on ``record`` and its outputs, as :class:`LoggedStep` has it."""
        outputs = record.outputs.items()
        return {
            "run_metadata": self.steps.get(record.id, {}),
            "output_metadata": {
                n: self.artifacts[a.id] for n, a in outputs if a.id in self.artifacts
            },
            "output_tags": {n: self.tags[a.id] for n, a in outputs if a.id in self.tags},
        }

    def name_versions(self, views: Iterable[ArtifactView]) -> None:
        """Fill in the artifact name and version of each artifact view that is a version."""
        for view in views:
            if view.id in self.versions:
                view.artifact_name, view.version = self.versions[view.id]


def logged_metadata(
    metadata: MetadataStore, run: PipelineRunRecord, steps: list[StepRunRecord]
) -> LoggedMetadata:
    """Everything logged on ``run``, its ``steps`` and their outputs, and the artifact versions
    of their inputs and outputs, in five queries."""
    by_step = step_metadata(metadata, steps)
    artifact_ids = [a.id for step in steps for a in step.outputs.values()]
    input_ids = [a.id for step in steps for a in step.inputs.values()]
    versions = metadata.get_artifact_versions([*artifact_ids, *input_ids])
    return LoggedMetadata(
        run=run_metadata(metadata, run.id, steps, by_step),
        steps={k: v for k, v in by_step.items() if v},
        artifacts=metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, artifact_ids),
        tags=metadata.get_tags(artifact_ids),
        versions={i: (v.name, v.version) for i, v in versions.items()},
    )


class LoggedStep(StepView):
    """A step run with the metadata logged on it and on its outputs."""

    run_metadata: dict[str, Any] = Field(
        default_factory=dict, description="Key -> value logged on the step run."
    )
    output_metadata: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Output name -> key -> value logged on it."
    )
    output_tags: dict[str, list[str]] = Field(
        default_factory=dict, description="Output name -> its tags."
    )


class RunDocument(RunView):
    """A run with its steps and what was logged on them (``runs show``)."""

    run_metadata: dict[str, Any] = Field(default_factory=dict)
    steps: list[LoggedStep]

    @classmethod
    def with_steps(
        cls,
        record: PipelineRunRecord,
        steps: Iterable[StepRunRecord],
        sources: Mapping[str, SourceRun],
        logged: LoggedMetadata | None = None,
    ) -> RunDocument:
        logged = logged or LoggedMetadata()
        views = []
        for step in steps:
            view = LoggedStep(**StepView.of(step, sources).model_dump(), **logged.step_fields(step))
            logged.name_versions([*view.inputs, *view.outputs])
            views.append(view)
        return cls(**run_fields(record), run_metadata=logged.run, steps=views)


def remote_of(record: StepRunRecord) -> str | None:
    """The remote a step run was imported from (its components name it), else ``None``."""
    remote = record.manifest.components.get("remote")
    return str(remote["name"]) if isinstance(remote, dict) and remote.get("name") else None


def resolve_sources(
    metadata: MetadataStore,
    records: Iterable[StepRunRecord],
    run_name: Callable[[str], str | None],
    known: MutableMapping[str, SourceRun] | None = None,
) -> dict[str, SourceRun]:
    """``cached_from`` step run id -> :class:`SourceRun`, for the cached ones of ``records``.

    Cached steps of one run usually reuse work of one or two earlier runs, so a source run
    with several of them is read whole, once. ``known`` is a memo the caller may keep across
    calls (a recorded step run never changes); a source that cannot be read is left out.
    """
    known = {} if known is None else known
    records = list(records)
    wanted = {r.cached_from for r in records if r.cached_from and r.cached_from not in known}
    while wanted:
        step_run_id = wanted.pop()
        try:
            first = metadata.get_step_run(step_run_id)
            if first is None:
                continue
            name = run_name(first.run_id)
            siblings = metadata.get_step_runs(first.run_id) if wanted else [first]
        except StepstoneError:  # unreadable source: the caller shows the bare id
            continue
        if len(known) > SOURCE_MEMO_SIZE:
            known.clear()
        for record in siblings:
            wanted.discard(record.id)
            known[record.id] = SourceRun(
                step_run_id=record.id,
                step=record.name,
                run_id=record.run_id if name is not None else None,
                run_name=name,
                duration=record.duration,
                remote=remote_of(record),
            )
    found = {r.cached_from for r in records if r.cached_from and r.cached_from in known}
    return {step_run_id: known[step_run_id] for step_run_id in found}


class ExplanationView(BaseModel):
    """Why a step run executed or was cached (:meth:`StepRun.explain`), as data and as text."""

    invocation_name: str
    run_name: str
    status: str
    against_run: str | None = Field(description="The run it was compared with, if any.")
    against_is_source: bool = Field(description="Whether against_run holds the reused run.")
    decided_by: str | None = Field(description="The kind of the deciding (first) reason.")
    reasons: list[Reason]
    text: str = Field(description="The explanation as sentences (what the CLI prints).")

    @classmethod
    def of(cls, explained: Explanation) -> ExplanationView:
        return cls(
            invocation_name=explained.invocation_name,
            run_name=explained.run_name,
            status=explained.status,
            against_run=explained.against_run,
            against_is_source=explained.against_is_source,
            decided_by=explained.decided_by,
            reasons=list(explained.reasons),
            text=str(explained),
        )


# -- artifacts, their lineage and the cache -------------------------------------------------


class ArtifactLinkView(BaseModel):
    """A step run that produced, reused or consumed an artifact, in any run."""

    step_run_id: str
    invocation_name: str = Field(description="The step's name in its pipeline (trainer_2).")
    run_id: str
    run_name: str
    direction: Literal["input", "output"]
    role: LinkRole
    name: str = Field(description="The input or output name the step gave the artifact.")
    step_status: StepStatus
    pipeline_name: str
    started_at: datetime

    @classmethod
    def of(cls, link: ArtifactLink, producer_step_run_id: str | None) -> ArtifactLinkView:
        return cls(**link_fields(link, producer_step_run_id))


def link_fields(link: ArtifactLink, producer_step_run_id: str | None) -> dict[str, Any]:
    """The fields of :class:`ArtifactLinkView` (the dashboard's adds its pages' links)."""
    return {
        "step_run_id": link.step_run_id,
        "invocation_name": link.invocation_name,
        "run_id": link.run_id,
        "run_name": link.run_name,
        "direction": link.direction,
        "role": link_role(link, producer_step_run_id),
        "name": link.name,
        "step_status": link.step_status,
        "pipeline_name": link.pipeline_name,
        "started_at": link.started_at,
    }


class ArtifactDocument(ArtifactView):
    """A stored artifact: what it is, when it was made, its summary and who produced it.

    ``producer`` is null for a value passed into a pipeline, and when the run that produced
    it was deleted (``producer_step_run_id`` still says which step run it was).
    """

    materializer_version: str
    created_at: datetime
    summary: dict[str, Any]
    producer: Producer | None

    @classmethod
    def of_record(
        cls,
        record: ArtifactRecord,
        producer: Producer | None,
        version: ArtifactVersionRecord | None = None,
    ) -> ArtifactDocument:
        return cls(**artifact_document_fields(record, producer, version))


def artifact_document_fields(
    record: ArtifactRecord,
    producer: Producer | None,
    version: ArtifactVersionRecord | None = None,
) -> dict[str, Any]:
    """The fields of :class:`ArtifactDocument`; ``version`` names the artifact version it is."""
    return {
        **artifact_fields(None, record),
        "artifact_name": version.name if version is not None else None,
        "version": version.version if version is not None else None,
        "materializer_version": record.materializer_version,
        "created_at": record.created_at,
        "summary": dict(record.summary),
        "producer": producer,
    }


class ArtifactLineage(ArtifactDocument):
    """An artifact (``artifacts show``): its tags, what was logged on it, and every step run
    that produced, reused or consumed it, oldest first."""

    tags: list[str]
    run_metadata: dict[str, Any] = Field(description="Key -> value logged on it.")
    lineage: list[ArtifactLinkView]

    @classmethod
    def with_links(
        cls,
        document: ArtifactDocument,
        links: Iterable[ArtifactLink],
        *,
        tags: Iterable[str] = (),
        run_metadata: Mapping[str, Any] | None = None,
    ) -> ArtifactLineage:
        producer_id = document.producer_step_run_id
        return cls(
            **dict(document),
            tags=list(tags),
            run_metadata=dict(run_metadata or {}),
            lineage=[ArtifactLinkView.of(link, producer_id) for link in links],
        )


class ArtifactVersionDocument(ArtifactVersionView):
    """A version of a named artifact with the step run that produced it (``artifacts list
    --name``)."""

    producer: Producer | None


class CacheEntryView(BaseModel):
    """A cache entry: the key, the step run it reuses and what reusing it saves."""

    cache_key: str
    invocation_name: str = Field(description="The step's name in its pipeline (trainer_2).")
    pipeline_name: str
    step_run_id: str
    run_id: str
    run_name: str
    created_at: datetime
    duration: float | None = Field(description="What the execution took (what reusing saves).")
    output_bytes: int = Field(description="The total size of its output artifacts.")

    @classmethod
    def of(cls, entry: CacheEntryRecord) -> CacheEntryView:
        return cls.model_validate(entry, from_attributes=True)


class StepLogs(BaseModel):
    """A step run's captured output (``stepstone logs --json``).

    A cached step's logs are those of the execution it reused, named by ``logs_from``.
    """

    run_id: str
    run_name: str
    step: str = Field(description="The invocation name: the step's name in the pipeline.")
    status: StepStatus
    logs_from: SourceRun | None = Field(
        description="For a cached step: the execution whose logs these are."
    )
    logs: str | None = Field(description="Null when nothing was captured (or it was deleted).")
    error: str | None = Field(description="A failed step's traceback.")


# -- settings and housekeeping ----------------------------------------------------------------


class SettingView(BaseModel):
    """One setting in effect and where it comes from."""

    value: Any
    source: str = Field(description="env (a STEPSTONE_* variable), file (config.toml) or default.")
    env: str = Field(description="The environment variable that overrides it.")


class SettingsDocument(BaseModel):
    """``stepstone config show --json``: the home, its config file and every setting."""

    home: str
    home_source: str = Field(description="Where the home was found: env, project or user.")
    config_file: str
    settings: dict[str, SettingView]

    @classmethod
    def of(
        cls, home: str, source: str, config_file: str, values: Iterable[SettingValue]
    ) -> SettingsDocument:
        settings = {
            v.key: SettingView(value=v.value, source=v.source, env=v.variable) for v in values
        }
        return cls(home=home, home_source=source, config_file=config_file, settings=settings)


class RunDeletionView(BaseModel):
    """What deleting one run removed (``stepstone runs delete --json``)."""

    run_id: str
    run_name: str
    step_runs: int
    cache_entries: int
    artifact_records: int
    files_deleted: int = Field(description="Artifact directories no other record referenced.")
    bytes_freed: int
    files_postponed: int = Field(
        description="Unreferenced directories left for gc because runs are in progress."
    )


class DeletionsDocument(BaseModel):
    """``stepstone runs delete --json``: one entry per deleted run."""

    deleted: list[RunDeletionView]

    @classmethod
    def of(cls, deletions: Iterable[RunDeletion]) -> DeletionsDocument:
        views = [RunDeletionView.model_validate(d, from_attributes=True) for d in deletions]
        return cls(deleted=views)


class GarbageDocument(BaseModel):
    """``stepstone gc --json``: the unreferenced artifacts found, and deleted unless a dry run."""

    dry_run: bool
    content_hashes: list[str]
    artifacts: int = Field(description="How many unreferenced artifacts (content_hashes).")
    bytes: int = Field(description="Their total size: what is, or would be, freed.")
    staging_removed: int | None = Field(description="Staging leftovers removed; null on a dry run.")
    in_progress: list[str] = Field(description="Runs in progress (reported on a dry run or force).")
    staging_leftovers: int
    staging_bytes: int
    kept: list[str] = Field(description="Unreferenced artifacts a run took while the sweep ran.")

    @classmethod
    def of(cls, report: GarbageReport) -> GarbageDocument:
        return cls.model_validate(report, from_attributes=True)


# -- comparing two runs ---------------------------------------------------------------------


class Verdict(StrEnum):
    """What run B's step did relative to run A's (the table in the module docstring)."""

    SAME = "same"
    CACHED = "cached"
    RERAN = "re-ran"
    ADDED = "added"
    REMOVED = "removed"


class ParameterChange(BaseModel):
    name: str
    a: Any
    b: Any
    changed: bool


class StepComparison(BaseModel):
    """One step of two runs side by side."""

    name: str
    verdict: Verdict
    status_a: StepStatus | None
    status_b: StepStatus | None
    duration_a: float | None
    duration_b: float | None
    key_changed: bool
    outputs_changed: bool
    source: SourceRun | None = Field(description="For a step B reused: the run that executed it.")
    reasons: list[Reason] = Field(description="What differs in B, or why B did not reuse A's.")


class RunComparison(BaseModel):
    """Run B against run A: their parameters, and per step a verdict and the reasons."""

    a: RunView
    b: RunView
    parameters: list[ParameterChange]
    steps: list[StepComparison]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """How many steps got each verdict."""
        return {verdict: sum(s.verdict == verdict for s in self.steps) for verdict in Verdict}


def _output_hashes(record: StepRunRecord) -> dict[str, str]:
    return {name: artifact.content_hash for name, artifact in record.outputs.items()}


def compare_step(
    name: str,
    a: StepRunRecord | None,
    b: StepRunRecord | None,
    context: tuple[PipelineRunRecord, Mapping[str, StepRunRecord]],
    against: tuple[PipelineRunRecord, Mapping[str, StepRunRecord]],
    sources: Mapping[str, SourceRun],
) -> StepComparison:
    """The verdict and reasons for one step name (either side may be missing).

    ``context`` is run B and its step runs by name, ``against`` run A and its.
    """
    if a is None or b is None:
        return StepComparison(
            name=name,
            verdict=Verdict.ADDED if a is None else Verdict.REMOVED,
            status_a=None if a is None else a.status,
            status_b=None if b is None else b.status,
            duration_a=None if a is None else a.duration,
            duration_b=None if b is None else b.duration,
            key_changed=True,
            outputs_changed=True,
            source=None,
            reasons=[],
        )
    key_changed = a.cache_key != b.cache_key
    if b.status == StepStatus.CACHED:
        verdict = Verdict.CACHED if key_changed else Verdict.SAME
    else:
        verdict = Verdict.RERAN
    reasons: list[Reason] = []
    if verdict != Verdict.SAME:
        (run_b, steps_b), (run_a, steps_a) = context, against
        explained = explain(
            step_run_facts(b, run_b.name, steps_b, run_b.parameters),
            step_run_facts(a, run_a.name, steps_a, run_a.parameters),
        )
        # The runs' parameters are compared once for the whole run, not again per step.
        reasons = [r for r in explained.reasons if r.kind not in ("cached", "pipeline_parameter")]
    return StepComparison(
        name=name,
        verdict=verdict,
        status_a=a.status,
        status_b=b.status,
        duration_a=a.duration,
        duration_b=b.duration,
        key_changed=key_changed,
        outputs_changed=_output_hashes(a) != _output_hashes(b),
        source=source_for(b, sources),
        reasons=reasons,
    )


def compare_runs(
    run_a: PipelineRunRecord,
    steps_a: Mapping[str, StepRunRecord],
    run_b: PipelineRunRecord,
    steps_b: Mapping[str, StepRunRecord],
    sources: Mapping[str, SourceRun],
) -> RunComparison:
    """Every step of either run, in B's order, then the steps only A had."""
    keys = dict.fromkeys([*run_a.parameters, *run_b.parameters])
    parameters = [
        ParameterChange(
            name=key,
            a=run_a.parameters.get(key),
            b=run_b.parameters.get(key),
            changed=run_a.parameters.get(key) != run_b.parameters.get(key),
        )
        for key in keys
    ]
    names = dict.fromkeys([*steps_b, *steps_a])
    steps = [
        compare_step(
            name, steps_a.get(name), steps_b.get(name), (run_b, steps_b), (run_a, steps_a), sources
        )
        for name in names
    ]
    return RunComparison(
        a=RunView.of(run_a), b=RunView.of(run_b), parameters=parameters, steps=steps
    )


# -- runs side by side: parameters and metrics ------------------------------------------------

ColumnKind = Literal["parameter", "metric", "output"]


class RunColumn(BaseModel):
    """A column of the runs table.

    ``name`` is what ``--columns`` and ``--sort`` take: a pipeline parameter or a metric by its
    key (``lr``, ``accuracy``), or, where two steps share a key, ``step.key``; a step's numeric
    output by the step's name (``evaluator``, or ``step.output`` for one of several).
    """

    name: str
    kind: ColumnKind = Field(description="parameter, metric (logged metadata) or output.")
    numeric: bool = Field(description="Every value in it is a number (it can be charted).")


class RunRow(BaseModel):
    """One run and its value in each column (absent where the run has none)."""

    run: RunView
    values: dict[str, Any]


class RunTable(BaseModel):
    """Runs side by side: the parameters that differ between them and the numbers they logged.

    Built once here for ``stepstone runs list`` and the dashboard's pipeline page
    (:meth:`stepstone.Client.run_table`), so both show the same columns and values.
    """

    columns: list[RunColumn]
    rows: list[RunRow]

    def column(self, name: str) -> RunColumn:
        """The column called ``name``; raises ``ColumnNotFoundError`` naming the close ones."""
        for column in self.columns:
            if column.name == name:
                return column
        raise ColumnNotFoundError(name, [c.name for c in self.columns])

    def numbers(self, name: str) -> list[tuple[RunView, float]]:
        """(run, value) for every row with a number in column ``name``, in row order."""
        return [
            (row.run, float(row.values[name])) for row in self.rows if _number(row.values.get(name))
        ]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _output_number(record: ArtifactRecord) -> float | int | None:
    """The value of a stored int or float, from the summary written with it (no bytes read)."""
    summary = record.summary or {}
    if summary.get("type") not in ("int", "float") or "repr" not in summary:
        return None
    try:
        value = float(summary["repr"])
    except (TypeError, ValueError):
        return None
    return int(value) if summary["type"] == "int" else value


def _short_names(full: Iterable[tuple[str, str]], taken: set[str]) -> dict[tuple[str, str], str]:
    """(step, key) -> ``key`` where only one step has the key, else ``step.key``."""
    pairs = sorted(set(full))
    owners: dict[str, set[str]] = {}
    for step, key in pairs:
        owners.setdefault(key, set()).add(step)
    return {
        (step, key): key if len(owners[key]) == 1 and key not in taken else f"{step}.{key}"
        for step, key in pairs
    }


def run_row_values(
    metadata: MetadataStore, run: PipelineRunRecord, steps: list[StepRunRecord]
) -> tuple[dict[str, Any], dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """A run's parameters, its logged numbers by (step or "", key) and its numeric outputs."""
    logged = logged_metadata(metadata, run, steps)
    metrics: dict[tuple[str, str], Any] = {
        ("", key): value for key, value in logged.run.items() if "::" not in key and _number(value)
    }
    outputs: dict[tuple[str, str], Any] = {}
    for step in steps:
        for key, value in logged.steps.get(step.id, {}).items():
            if _number(value):
                metrics[(step.name, key)] = value
        for name, artifact in step.outputs.items():
            number = _output_number(artifact)
            if number is not None:
                outputs[(step.name, name)] = number
    return dict(run.parameters), metrics, outputs


def run_table(
    metadata: MetadataStore,
    runs: Iterable[PipelineRunRecord],
    *,
    columns: Iterable[str] | None = None,
    sort: str | None = None,
) -> RunTable:
    """The runs table of ``runs`` (read with four queries a run, plus its step runs).

    By default the columns are the parameters whose values differ between the runs, then
    every logged number, then the numeric outputs that are not a logged number again.
    ``columns`` picks (and orders) them by name.
    ``sort`` orders the rows by a column, ascending, or descending with a leading ``-``;
    rows without a value go last.

    Raises:
        ColumnNotFoundError: ``columns`` or ``sort`` names a column no run has.
    """
    records = list(runs)
    gathered = [run_row_values(metadata, r, metadata.get_step_runs(r.id)) for r in records]
    parameter_names = sorted({name for params, _, _ in gathered for name in params})
    metric_names = _short_names(
        (key for _, metrics, _ in gathered for key in metrics), set(parameter_names)
    )
    output_names = {
        (step, output): step if output == "output" else f"{step}.{output}"
        for _, _, outputs in gathered
        for step, output in outputs
    }
    rows = []
    for record, (params, metrics, outputs) in zip(records, gathered, strict=True):
        values = dict(params)
        values.update({metric_names[key]: value for key, value in metrics.items()})
        values.update({output_names[key]: value for key, value in outputs.items()})
        rows.append(RunRow(run=RunView.of(record), values=values))

    def column(name: str, kind: ColumnKind) -> RunColumn:
        present = [row.values[name] for row in rows if name in row.values]
        return RunColumn(name=name, kind=kind, numeric=bool(present) and all(map(_number, present)))

    available = [column(name, "parameter") for name in parameter_names]
    available += [column(name, "metric") for name in sorted(set(metric_names.values()))]
    available += [column(name, "output") for name in sorted(set(output_names.values()))]
    table = RunTable(columns=available, rows=rows)
    if columns is not None:
        table.columns = [table.column(name) for name in columns]
    else:
        logged_names = [c.name for c in available if c.kind == "metric"]
        table.columns = [
            c
            for c in available
            if (c.kind != "parameter" or _differs(rows, c.name))
            and not (c.kind == "output" and any(_same(rows, c.name, m) for m in logged_names))
        ]
    if sort:
        key = table.column(sort.removeprefix("-")).name
        present = [row for row in table.rows if row.values.get(key) is not None]
        present.sort(key=lambda row: _sort_key(row.values[key]), reverse=sort.startswith("-"))
        table.rows = present + [row for row in table.rows if row.values.get(key) is None]
    return table


def _differs(rows: list[RunRow], name: str) -> bool:
    """Whether the runs do not all have the same value (or all lack one) for ``name``."""
    return len({json.dumps(row.values.get(name), sort_keys=True, default=str) for row in rows}) > 1


def _same(rows: list[RunRow], name: str, other: str) -> bool:
    """Whether two columns hold the same values (a step returning the metric it logs)."""
    return all(row.values.get(name) == row.values.get(other) for row in rows)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers by value, then other values by their text."""
    return (0, value) if _number(value) else (1, str(value))
