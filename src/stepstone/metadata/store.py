"""The metadata store interface: what the driver and the client need from a database.

One implementation (:mod:`stepstone.metadata.sql`) serves SQLite, PostgreSQL and MySQL through
SQLAlchemy. The interface is small on purpose: the driver writes whole step runs in one
transaction (:meth:`MetadataStore.record_step_runs`, batched when steps are cached) and looks
cache keys up many at a time; everything else is reading.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    ArtifactTag,
    ArtifactVersionRecord,
    CacheEntryRecord,
    CacheHit,
    DeletedRun,
    Lease,
    LeaseClaim,
    LeaseRecord,
    MetadataEntry,
    MetadataResource,
    ModelArtifactLink,
    ModelRecord,
    ModelVersionRecord,
    ModelVersionRequest,
    NewArtifactVersion,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    StepWait,
)


class MetadataStore(ABC):
    """Runs, step runs, artifacts, lineage edges, logs and cache entries."""

    # -- writing ---------------------------------------------------------------------------

    @abstractmethod
    def create_run(self, run: PipelineRunRecord) -> None:
        """Record a new pipeline run (status ``running``), creating its pipeline if new."""

    @abstractmethod
    def finish_run(self, run_id: str, status: str, ended_at: datetime) -> None:
        """Set a run's final status (``completed`` or ``failed``) and end time."""

    @abstractmethod
    def record_step_runs(self, writes: Sequence[StepRunWrite]) -> None:
        """Write step runs, their new artifacts, lineage edges, logs and cache entries.

        All of ``writes`` go in one transaction. Cache entries are inserted only if no entry
        with the same key exists (another process may have inserted it first: that is fine,
        both entries name identical work). Re-recording an artifact id already stored is a no-op.
        Artifact versions without a version get their name's next number.
        """

    @abstractmethod
    def save_artifact_versions(
        self,
        artifacts: Sequence[ArtifactRecord],
        versions: Sequence[NewArtifactVersion],
        metadata: Sequence[MetadataEntry] = (),
        tags: Sequence[ArtifactTag] = (),
    ) -> list[ArtifactVersionRecord]:
        """Record values saved outside a step run as artifact versions, in one transaction.

        Returns the versions as recorded (numbers allocated), in the order given.

        Raises:
            MetadataStoreError: a given version of a name exists already.
        """

    @abstractmethod
    def log_metadata(
        self, entries: Sequence[MetadataEntry], tags: Sequence[ArtifactTag] = ()
    ) -> None:
        """Write metadata entries (replacing a key logged before) and artifact tags."""

    @abstractmethod
    def get_metadata(
        self, resource_type: MetadataResource, ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Resource id -> key -> value of the metadata logged on those resources."""

    @abstractmethod
    def get_tags(self, artifact_ids: Sequence[str]) -> dict[str, list[str]]:
        """Artifact id -> its tags, sorted (artifacts without tags are left out)."""

    # -- artifact versions -----------------------------------------------------------------

    @abstractmethod
    def get_artifact_version(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionRecord | None:
        """Version ``version`` of the artifact ``name`` (None: the latest), or ``None``."""

    @abstractmethod
    def list_artifact_versions(
        self, name: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ArtifactVersionRecord]:
        """Artifact versions newest first, of one name or of every name."""

    @abstractmethod
    def get_artifact_versions(
        self, artifact_ids: Sequence[str]
    ) -> dict[str, ArtifactVersionRecord]:
        """Artifact id -> its version, for those of ``artifact_ids`` that are versions."""

    @abstractmethod
    def artifact_names(self, limit: int = 1000) -> list[str]:
        """Names of versioned artifacts, most recently versioned first (for suggestions)."""

    # -- models ------------------------------------------------------------------------------

    @abstractmethod
    def model_version_for_run(self, request: ModelVersionRequest) -> ModelVersionRecord:
        """Find or create the model and the version a run works on (one transaction).

        Raises:
            ModelVersionNotFoundError: a stage or number that no version has.
        """

    @abstractmethod
    def get_model(self, name: str) -> ModelRecord | None:
        """The model of this name, or ``None``."""

    @abstractmethod
    def list_models(self) -> list[ModelRecord]:
        """Every model, by name."""

    @abstractmethod
    def list_model_versions(self, model_name: str) -> list[ModelVersionRecord]:
        """A model's versions, newest (highest number) first."""

    @abstractmethod
    def get_model_version(self, model_name: str, ref: str) -> ModelVersionRecord | None:
        """Version ``ref`` of a model: a stage, ``latest``, a number or a name; or ``None``."""

    @abstractmethod
    def set_model_stage(self, version: ModelVersionRecord, stage: str, force: bool) -> None:
        """Put a version in a stage (``staging``, ``production``, ``archived``).

        Raises:
            ModelStageError: another version holds ``staging``/``production`` and not ``force``
                (with ``force`` that version is archived).
        """

    @abstractmethod
    def model_version_artifacts(
        self, version_id: str
    ) -> list[tuple[ModelArtifactLink, ArtifactRecord]]:
        """The artifacts linked to a model version, by name."""

    # -- the cache -------------------------------------------------------------------------

    @abstractmethod
    def lookup_cache(self, keys: Sequence[str]) -> dict[str, CacheHit]:
        """Return the hits among ``keys``, each with the outputs of the producing step run."""

    @abstractmethod
    def delete_cache_entries(self, keys: Sequence[str]) -> int:
        """Remove cache entries (e.g. whose artifacts are gone); return how many were removed."""

    # -- leases (one execution per cache key) ---------------------------------------------

    @abstractmethod
    def acquire_lease(
        self, claim: LeaseClaim, timeout: float, *, dead_epoch: int | None = None
    ) -> LeaseRecord:
        """Grant ``claim`` the lease of its key for ``timeout`` seconds, unless another holds it.

        A lease is granted when no row has the key or the row has expired (taken over with a
        higher epoch); ``dead_epoch`` also takes over the row at exactly that epoch (the caller
        knows its holder is dead). Returns the key's row after the attempt: ``claim.owner``'s
        when granted, else the live holder's. Times are the database server's.
        """

    @abstractmethod
    def renew_leases(self, leases: Sequence[Lease], timeout: float) -> list[Lease]:
        """Extend each held lease to ``timeout`` seconds from now; return those no longer held."""

    @abstractmethod
    def release_leases(self, leases: Sequence[Lease]) -> None:
        """Give up ``leases`` (a lease taken over since, at a higher epoch, stays)."""

    @abstractmethod
    def set_waiting(self, run_id: str, step_name: str, cache_key: str | None) -> None:
        """Record that a step of a running run waits on the lease of ``cache_key``.

        ``None`` clears it (the step stopped waiting).
        """

    @abstractmethod
    def waiting_steps(self, run_id: str) -> list[StepWait]:
        """The steps of ``run_id`` waiting on a lease, each with the lease's holder if any."""

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def list_runs(
        self,
        pipeline_name: str | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PipelineRunRecord]:
        """Runs, newest first, optionally filtered by pipeline and status."""

    @abstractmethod
    def count_runs(self, pipeline_name: str | None = None, *, status: str | None = None) -> int:
        """How many runs match the filters of :meth:`list_runs`."""

    @abstractmethod
    def get_run(self, run_id: str) -> PipelineRunRecord | None:
        """The run with exactly this id, or ``None``."""

    @abstractmethod
    def find_runs(self, query: str, limit: int = 10) -> list[PipelineRunRecord]:
        """Runs whose id starts with ``query`` or whose name equals it, newest first."""

    @abstractmethod
    def run_names(self, limit: int = 1000) -> list[str]:
        """Names of the most recent runs (for "did you mean" suggestions)."""

    @abstractmethod
    def get_step_runs(self, run_id: str) -> list[StepRunRecord]:
        """A run's step runs in execution order, with their input and output artifacts."""

    @abstractmethod
    def get_step_run(self, step_run_id: str) -> StepRunRecord | None:
        """One step run with its artifacts, or ``None``."""

    @abstractmethod
    def get_logs(self, step_run_id: str) -> str | None:
        """The captured logs of a step run that executed, or ``None``."""

    @abstractmethod
    def previous_step_runs(
        self,
        pipeline_name: str,
        name: str,
        before: datetime,
        exclude_run_id: str | None = None,
        *,
        limit: int = 1,
    ) -> list[StepRunRecord]:
        """The ``limit`` most recent runs of step ``name`` in ``pipeline_name`` started before
        ``before``, newest first.

        ``name`` is the invocation name; "recent" and "before" (strictly) are by the start time
        of the pipeline run; ``exclude_run_id`` is skipped. Inputs and outputs are filled. Used
        by explain, which compares a step that executed with the closest of them.
        """

    # -- artifacts and lineage ---------------------------------------------------------------

    @abstractmethod
    def get_artifact(self, artifact_id: str) -> ArtifactRecord | None:
        """One artifact by exact id, or ``None``."""

    @abstractmethod
    def find_artifacts(self, query: str, limit: int = 10) -> list[ArtifactRecord]:
        """Artifacts whose id or content hash starts with ``query``, newest first."""

    @abstractmethod
    def list_artifacts(
        self, run_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ArtifactRecord]:
        """Artifacts newest first; with ``run_id``, those the run's step runs produced or used."""

    @abstractmethod
    def artifact_links(self, artifact_id: str) -> list[ArtifactLink]:
        """Every step run that produced or consumed the artifact, across all runs, oldest first."""

    @abstractmethod
    def referenced_content_hashes(self) -> set[str]:
        """Content hashes of every recorded artifact (what garbage collection must keep)."""

    # -- managing --------------------------------------------------------------------------

    @abstractmethod
    def delete_run(self, run_id: str) -> DeletedRun:
        """Delete a run, its step runs, their edges, logs and the cache entries pointing to them.

        Artifact records the run's steps produced are deleted only if no other step run links
        to them; so are external values (no producer) that only this run used. Artifact files
        are left for garbage collection (see :meth:`referenced_content_hashes`). All in one
        transaction.

        Raises:
            RunNotFoundError: no run has this id.
        """

    @abstractmethod
    def delete_step_run(self, step_run_id: str) -> None:
        """Delete one step run with its edges, logs and cache entries (a step being redone).

        Artifact records it produced or used are deleted unless another step run links them.
        """

    @abstractmethod
    def list_cache_entries(
        self,
        *,
        invocation_name: str | None = None,
        pipeline_name: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CacheEntryRecord]:
        """Cache entries newest first, filtered by invocation name and pipeline.

        ``invocation_name`` matches the name of the step run an entry points to in its pipeline
        (``trainer_2``, not the ``@step`` definition name ``trainer``).
        """

    @abstractmethod
    def clear_cache_entries(
        self,
        *,
        invocation_name: str | None = None,
        pipeline_name: str | None = None,
        older_than: datetime | None = None,
    ) -> int:
        """Delete the matching cache entries (all of them with no filter); return how many.

        Filters combine: invocation name as in :meth:`list_cache_entries`, pipeline name,
        and ``older_than`` (entries created strictly before it). Step runs and artifacts stay.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
