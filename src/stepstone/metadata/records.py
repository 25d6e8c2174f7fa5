"""Plain records that cross the metadata boundary.

ORM rows never leave :mod:`stepstone.metadata`; stores take and return these frozen
dataclasses, so the driver, the client, the CLI and the dashboard never hold a database
session and never trigger a lazy load by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from stepstone.cache.manifest import KeyManifest


class RunStatus(StrEnum):
    """Where a pipeline run is: still going, finished, stopped by a failing step, or cut short.

    A ``StrEnum``, so a status compares equal to its text and is stored and printed as it.
    ``interrupted`` is never stored: it is how a run recorded ``running`` reads once the process
    that drove it is known to be gone (killed, or its machine lost; see
    :mod:`stepstone.metadata.liveness`).
    """

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class StepStatus(StrEnum):
    """What a step run did: executed (``completed``/``failed``) or reused a result (``cached``)."""

    RUNNING = "running"
    COMPLETED = "completed"
    CACHED = "cached"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """One stored artifact version: the bytes at ``uri`` hash to ``content_hash``.

    Two artifacts with the same content hash share their files; each production of a value
    (and each external value passed into a pipeline) is its own record with its own producer.
    """

    id: str
    content_hash: str
    uri: str
    data_type: str
    materializer: str
    materializer_version: str
    size: int
    producer_step_run_id: str | None
    created_at: datetime
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepRunRecord:
    """One step of one pipeline run, as recorded.

    ``name`` is the invocation name inside the pipeline (``trainer``, ``trainer_2``);
    ``definition_name`` the name of the ``@step`` definition (``trainer``). ``manifest``
    holds every part of the cache key separately (code, parameters, inputs, output spec,
    extras) so a later run can say which one changed, and the decision the driver took.
    ``cached_from`` is the id of the step run that really executed and produced the outputs
    reused here.
    """

    id: str
    run_id: str
    name: str
    definition_name: str
    status: StepStatus
    position: int
    started_at: datetime
    ended_at: datetime | None
    duration: float | None
    cache_key: str | None
    manifest: KeyManifest
    parameters: dict[str, Any]
    cached_from: str | None = None
    error: str | None = None
    inputs: dict[str, ArtifactRecord] = field(default_factory=dict)
    outputs: dict[str, ArtifactRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Stores decode the status as text; the record always holds the enum.
        if type(self.status) is not StepStatus:
            object.__setattr__(self, "status", StepStatus(self.status))


@dataclass(frozen=True, slots=True)
class PipelineRunRecord:
    """One run of a pipeline."""

    id: str
    name: str
    pipeline_name: str
    status: RunStatus
    started_at: datetime
    ended_at: datetime | None
    parameters: dict[str, Any] = field(default_factory=dict)
    step_count: int = 0
    cached_count: int = 0
    graph: dict[str, Any] = field(default_factory=dict)
    """The traced DAG, recorded when the run starts, so a run in progress can be drawn:
    ``{"steps": [{"name", "definition_name", "upstream": [...], "inputs": {arg: [step, output]},
    "outputs": [...]}]}`` in execution order."""
    host: str | None = None
    """The host name of the process driving the run (``None`` for runs recorded before it was)."""
    pid: int | None = None
    """That process's id: with ``host``, it tells a run still going from one whose driver died."""

    def __post_init__(self) -> None:
        if type(self.status) is not RunStatus:
            object.__setattr__(self, "status", RunStatus(self.status))


class MetadataResource(StrEnum):
    """What a piece of logged metadata describes."""

    PIPELINE_RUN = "pipeline_run"
    STEP_RUN = "step_run"
    ARTIFACT_VERSION = "artifact_version"
    MODEL_VERSION = "model_version"


@dataclass(frozen=True, slots=True)
class MetadataEntry:
    """One logged key -> value on a run, a step run or an artifact version.

    ``value`` is already normalized (see :mod:`stepstone.metadata.values`). Writing an entry
    whose resource and key exist replaces the old value: the last write wins.
    """

    resource_type: MetadataResource
    resource_id: str
    name: str
    value: Any

    def __post_init__(self) -> None:
        if type(self.resource_type) is not MetadataResource:
            object.__setattr__(self, "resource_type", MetadataResource(self.resource_type))


@dataclass(frozen=True, slots=True)
class ArtifactTag:
    """A tag on an artifact version (``add_output_tags``, ``ArtifactConfig(tags=)``)."""

    artifact_id: str
    tag: str


@dataclass(frozen=True, slots=True)
class ArtifactVersionRecord:
    """An artifact version: a stored artifact under a name and a version of that name.

    Every output of an executed step is one (its name is the output's artifact name, or
    ``<pipeline>::<step>::<output>``), and so is every value saved with ``save_artifact``. The
    artifact id is the version's id, so metadata and tags logged on the artifact are the
    version's. ``number`` is the version as a whole number when it is one (auto-incremented
    versions always are): the next automatic version of a name is one more than its highest.
    ``artifact`` is the stored artifact the version names.
    """

    artifact_id: str
    name: str
    version: str
    number: int | None
    artifact_type: str
    has_custom_name: bool
    created_at: datetime
    artifact: ArtifactRecord

    def __post_init__(self) -> None:
        # Stored as 0/1 (no boolean column kind); the record always holds a bool.
        if type(self.has_custom_name) is not bool:
            object.__setattr__(self, "has_custom_name", bool(self.has_custom_name))


@dataclass(frozen=True, slots=True)
class NewArtifactVersion:
    """An artifact version to record; ``version=None`` takes the name's next number.

    The number is allocated inside the writing transaction, so two writers of one name get
    different numbers (a clash between concurrent transactions is retried by the store).
    """

    artifact_id: str
    name: str
    version: str | None
    artifact_type: str
    has_custom_name: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to execute one cache key, held by ``owner`` at ``epoch``.

    Each grant (a new lease, or one taken over after it expired) raises the epoch, so a holder
    that stalled past its expiry and comes back renews and releases nothing: its statements
    match on owner and epoch.
    """

    cache_key: str
    owner: str
    epoch: int


@dataclass(frozen=True, slots=True)
class LeaseClaim:
    """Who asks to execute ``cache_key``: written into the lease row when it is granted.

    ``owner`` is unique per request (two invocations with one key in one run do not share a
    lease); the run, step, process and host say who holds it to the runs waiting for it.
    """

    cache_key: str
    owner: str
    run_id: str
    run_name: str
    step_name: str
    pid: int
    host: str


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """A lease row as stored: its holder, and its times on the database's clock.

    ``acquired_at`` and ``expires_at`` are seconds since the epoch as the database server
    tells them, so expiry never compares the clocks of two machines.

    ``recorded``, on a lease just granted, says whether its key had a cache entry at that
    moment, when the store learns it in the grant itself (SQLite, whose grant sees the latest
    commit under the write lock): a granted step then needs no second lookup to know that no
    earlier holder recorded its result meanwhile. ``None``: not known, look the key up. Not
    part of the row, so not compared.
    """

    cache_key: str
    owner: str
    epoch: int
    run_id: str
    run_name: str
    step_name: str
    pid: int
    host: str
    acquired_at: float
    expires_at: float
    recorded: bool | None = field(default=None, compare=False)

    @property
    def lease(self) -> Lease:
        return Lease(self.cache_key, self.owner, self.epoch)


@dataclass(frozen=True, slots=True)
class StepWait:
    """A step of a running run waiting for another run executing the same cache key.

    ``holder`` is the lease it waits on (``None`` once that lease is gone: the waiting step is
    about to reuse the result or execute it).
    """

    run_id: str
    step_name: str
    cache_key: str
    since: datetime
    holder: LeaseRecord | None


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A model of the model control plane: a name and what it is (``details``: description,
    license, tags and ZenML's other model card fields)."""

    id: str
    name: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    """One version of a model: its name (``"3"`` unless one was given), its number, its stage
    (``None`` until promoted) and the run that created it."""

    id: str
    model_id: str
    model_name: str
    name: str
    number: int
    stage: str | None
    created_at: datetime
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelVersionRequest:
    """The version a run works on, to find or create (see :class:`stepstone.steps.model.Model`).

    ``version`` is ``None`` (a new version), a version name (found, else created), a stage or a
    number (found, else :class:`~stepstone.exceptions.ModelVersionNotFoundError`).
    """

    model_name: str
    version: str | None
    details: dict[str, Any]
    run_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ModelArtifactLink:
    """An artifact linked to a model version, under its artifact name; ``kind`` is ``model`` for
    model artifacts (``ArtifactType.MODEL``) and ``data`` for the others."""

    model_version_id: str
    artifact_id: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class StepRunWrite:
    """Everything one step run adds to the store, written in one transaction.

    Attributes:
        step_run: the step run row, with its input and output artifacts as lineage edges.
        new_artifacts: artifacts first recorded by this write (the outputs of an executed step,
            external values passed in as inputs); already-recorded artifacts are only linked.
        logs: the captured stdout, stderr and logging records, if the step executed.
        cache_entry: insert ``cache_key -> step_run.id`` unless an entry for the key exists.
        metadata: what the step logged, on itself, its run and its outputs.
        tags: tags on the step's output artifacts.
        versions: the artifact versions the step's outputs become (executed steps only: a
            cached step run links the versions its source created).
        release: the lease under which the step executed, given up in the same transaction
            (so a waiter finds the cache entry the moment the lease is gone).
        model_links: the step's outputs linked to the run's model version (cached ones too).
    """

    step_run: StepRunRecord
    new_artifacts: tuple[ArtifactRecord, ...] = ()
    logs: str | None = None
    cache_entry: bool = False
    metadata: tuple[MetadataEntry, ...] = ()
    tags: tuple[ArtifactTag, ...] = ()
    versions: tuple[NewArtifactVersion, ...] = ()
    release: Lease | None = None
    model_links: tuple[ModelArtifactLink, ...] = ()


@dataclass(frozen=True, slots=True)
class CacheHit:
    """A cache entry resolved to the step run that produced it and that run's outputs."""

    cache_key: str
    step_run_id: str
    run_id: str
    run_name: str
    created_at: datetime
    duration: float | None
    outputs: dict[str, ArtifactRecord]


@dataclass(frozen=True, slots=True)
class CacheEntryRecord:
    """One cache entry with the step run and run it points to.

    ``invocation_name`` is that step run's name in its pipeline; ``output_bytes`` the total
    size of its output artifacts (what reusing the entry saves recomputing).
    """

    cache_key: str
    step_run_id: str
    run_id: str
    run_name: str
    pipeline_name: str
    invocation_name: str
    created_at: datetime
    duration: float | None
    output_bytes: int


@dataclass(frozen=True, slots=True)
class ArtifactLink:
    """An edge of the lineage graph: a step run that produced or consumed an artifact."""

    artifact_id: str
    step_run_id: str
    #: The step run's invocation name (``trainer_2``).
    invocation_name: str
    step_status: StepStatus
    run_id: str
    run_name: str
    pipeline_name: str
    direction: Literal["input", "output"]
    name: str
    started_at: datetime

    def __post_init__(self) -> None:
        if type(self.step_status) is not StepStatus:
            object.__setattr__(self, "step_status", StepStatus(self.step_status))


@dataclass(frozen=True, slots=True)
class DeletedRun:
    """What deleting a run removed."""

    run_id: str
    step_runs: int
    cache_entries: int
    artifacts: int
