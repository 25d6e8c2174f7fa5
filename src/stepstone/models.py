"""What users get back: runs, step runs and artifacts, readable and loadable.

These objects wrap the plain metadata records with access to the stores, so
``run.steps["trainer"].output.load()`` works on a run just made and on one read back by
:class:`~stepstone.Client` alike. Nothing is loaded until asked for: a fully cached run
reads zero artifact bytes.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import (
    AmbiguousRunError,
    PipelineNotFoundError,
    RunNotFoundError,
    StepstoneError,
)
from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    ArtifactVersionRecord,
    MetadataResource,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
)
from stepstone.steps.configuration import RunConfiguration, StepConfiguration

if TYPE_CHECKING:
    from stepstone.cache.explain import Explanation, StepRunFacts
    from stepstone.metadata import MetadataStore
    from stepstone.stores import Stores

EXPLAIN_CANDIDATES = 50
"""How many earlier runs of a step explain considers when looking for the closest one."""


class Artifact:
    """One stored output. ``load()`` reads it back from the artifact store."""

    def __init__(self, name: str, record: ArtifactRecord, stores: Stores) -> None:
        self.name = name
        self.record = record
        self._stores = stores

    id = property(lambda self: self.record.id)
    uri = property(lambda self: self.record.uri)
    content_hash = property(lambda self: self.record.content_hash)
    size = property(lambda self: self.record.size)
    data_type = property(lambda self: self.record.data_type)
    materializer = property(lambda self: self.record.materializer)
    summary = property(lambda self: self.record.summary)
    producer_step_run_id = property(lambda self: self.record.producer_step_run_id)

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Key -> value logged on this artifact version (``log_metadata``, output metadata)."""
        found = self._stores.metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, [self.id])
        return found.get(self.id, {})

    @property
    def tags(self) -> list[str]:
        """The tags of this artifact version, sorted."""
        return self._stores.metadata.get_tags([self.id]).get(self.id, [])

    def load(self) -> Any:
        """Load the value from the artifact store."""
        record = self.record
        return self._stores.artifacts.load(record.uri, record.materializer, record.data_type)

    @property
    def version(self) -> str | None:
        """The version this artifact is of its artifact name, if it is a version of one.

        Every output of an executed step is; values passed into a pipeline are not.
        """
        found = self._version_record()
        return found.version if found is not None else None

    @property
    def artifact_name(self) -> str | None:
        """The name of the artifact this is a version of (``iris_dataset``,
        ``my_pipeline::load::output``), if it is a version of one."""
        found = self._version_record()
        return found.name if found is not None else None

    def _version_record(self) -> ArtifactVersionRecord | None:
        return self._stores.metadata.get_artifact_versions([self.id]).get(self.id)

    # ZenML's newer releases give ``outputs[name]`` (and ``inputs[name]``) as a list of
    # artifact versions; an artifact is also that one-element list, so ``outputs["x"][0]``
    # and ``outputs["x"].load()`` both work.
    def __getitem__(self, index: int) -> Artifact:
        if index not in (0, -1):
            raise IndexError(f"artifact '{self.name}' is a list of one: index 0, not {index}.")
        return self

    def __iter__(self) -> Iterator[Artifact]:
        return iter((self,))

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return (
            f"<Artifact '{self.name}' {self.data_type} {self.size} bytes {self.content_hash[:12]}>"
        )

    def _repr_html_(self) -> str:
        """How a notebook shows it (:mod:`stepstone.display`)."""
        from stepstone.display.html import artifact_html

        return artifact_html(self)


class ArtifactVersion(Artifact):
    """A version of a named artifact (``Client().get_artifact_version(name, version)``).

    ``name`` is the artifact's name and ``version`` the version's (``"1"``, ``"v1.0"``); ``id``,
    ``uri``, ``load()``, ``run_metadata`` and ``tags`` are those of the stored artifact.
    """

    def __init__(self, record: ArtifactVersionRecord, stores: Stores) -> None:
        super().__init__(record.name, record.artifact, stores)
        self.version_record = record

    version = property(lambda self: self.version_record.version)
    artifact_name = property(lambda self: self.version_record.name)
    artifact_type = property(lambda self: self.version_record.artifact_type)
    has_custom_name = property(lambda self: self.version_record.has_custom_name)
    created = property(lambda self: self.version_record.created_at)

    def _version_record(self) -> ArtifactVersionRecord:
        return self.version_record

    def __repr__(self) -> str:
        return f"<ArtifactVersion '{self.name}' version {self.version} {self.data_type}>"


def step_run_facts(
    record: StepRunRecord,
    run_name: str,
    siblings: Mapping[str, StepRunRecord] | None = None,
    run_parameters: Mapping[str, Any] | None = None,
) -> StepRunFacts:
    """What explain needs of a step run.

    ``siblings`` (the other step runs of its run, by name) tell whether each input's producer
    ran again or was cached in this run; without them explain cannot say "because ... ran".
    """
    from stepstone.cache.explain import StepRunFacts

    input_steps = record.manifest.input_steps
    statuses: dict[str, str] = {}
    if siblings is not None:
        statuses = {
            name: siblings[step].status for name, step in input_steps.items() if step in siblings
        }
    return StepRunFacts(
        id=record.id,
        run_id=record.run_id,
        run_name=run_name,
        name=record.name,
        status=record.status,
        cache_key=record.cache_key,
        manifest=record.manifest,
        parameters=record.parameters,
        cached_from=record.cached_from,
        producer_names=dict(input_steps),
        producer_statuses=statuses,
        run_parameters=dict(run_parameters or {}),
    )


def comparison_record(
    metadata: MetadataStore, record: StepRunRecord, run: PipelineRunRecord
) -> StepRunRecord | None:
    """The step run explain compares ``record`` (of ``run``) with, when none is asked for.

    A cached step is compared with the step run it reused: their keys are equal, so the
    explanation names that run and nothing else. A step that executed is compared with the
    closest of the last :data:`EXPLAIN_CANDIDATES` earlier runs of the same step in the same
    pipeline: the one whose key differs in the fewest parts
    (:func:`~stepstone.cache.explain.manifest_distance`), the most recent among equals. One
    rule for the CLI, the client and the dashboard.
    """
    if record.cached_from:
        source = metadata.get_step_run(record.cached_from)
        if source is not None:
            return source
    candidates = metadata.previous_step_runs(
        run.pipeline_name,
        record.name,
        before=run.started_at,
        exclude_run_id=run.id,
        limit=EXPLAIN_CANDIDATES,
    )
    if not candidates:
        return None
    from stepstone.cache.explain import manifest_distance

    return min(candidates, key=lambda other: manifest_distance(record.manifest, other.manifest))


@dataclass(frozen=True, slots=True)
class Producer:
    """The step run that executed and output an artifact first, and that step run's run.

    A plain dataclass, not a view model: ``artifacts list`` draws it without importing
    pydantic; the JSON documents embed it
    (:class:`stepstone.read_model.artifacts.ArtifactDocument`).
    """

    step_run_id: str
    invocation_name: str
    """The step's name in its pipeline (``trainer_2``)."""
    run_id: str
    run_name: str


class LinkRole(StrEnum):
    """What a step run did with an artifact (see :func:`link_role`)."""

    PRODUCER = "producer"
    """It executed and output the artifact first."""
    REUSED = "reused"
    """It was cached: its output is the artifact an earlier execution produced."""
    CONSUMER = "consumer"
    """It took the artifact as an input."""


def link_role(link: ArtifactLink, producer_step_run_id: str | None) -> LinkRole:
    """The role of ``link``, a link of the artifact ``producer_step_run_id`` produced."""
    if link.direction == "input":
        return LinkRole.CONSUMER
    if link.step_run_id == producer_step_run_id:
        return LinkRole.PRODUCER
    return LinkRole.REUSED


def resolve_producers(
    metadata: MetadataStore,
    records: Iterable[ArtifactRecord],
    run_name: Callable[[str], str | None],
) -> dict[str, Producer]:
    """Artifact id -> :class:`Producer`, reading each producing step run and run once.

    Artifacts passed into a pipeline, and those whose producing run is gone or unreadable,
    are left out (their ``producer_step_run_id`` still names the step run).
    """
    by_step_run: dict[str, Producer | None] = {}
    run_names: dict[str, str | None] = {}
    found: dict[str, Producer] = {}
    for record in records:
        step_run_id = record.producer_step_run_id
        if step_run_id is None:
            continue
        if step_run_id not in by_step_run:
            by_step_run[step_run_id] = _producer(metadata, step_run_id, run_name, run_names)
        producer = by_step_run[step_run_id]
        if producer is not None:
            found[record.id] = producer
    return found


def _producer(
    metadata: MetadataStore,
    step_run_id: str,
    run_name: Callable[[str], str | None],
    run_names: dict[str, str | None],
) -> Producer | None:
    try:
        step = metadata.get_step_run(step_run_id)
        if step is None:
            return None
        if step.run_id not in run_names:
            run_names[step.run_id] = run_name(step.run_id)
    except StepstoneError:  # an unreadable producer: left unresolved, as a deleted one
        return None
    name = run_names[step.run_id]
    if name is None:
        return None
    return Producer(step.id, step.name, step.run_id, name)


def step_metadata(
    metadata: MetadataStore, records: list[StepRunRecord]
) -> dict[str, dict[str, Any]]:
    """Step run id -> its metadata, a cached step run's with its source's underneath."""
    ids = [r.id for r in records] + [r.cached_from for r in records if r.cached_from]
    found = metadata.get_metadata(MetadataResource.STEP_RUN, ids)
    return {
        r.id: {**(found.get(r.cached_from, {}) if r.cached_from else {}), **found.get(r.id, {})}
        for r in records
    }


def run_metadata(
    metadata: MetadataStore,
    run_id: str,
    records: list[StepRunRecord],
    steps: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Key -> value logged on the run, and on its steps as ``"<step>::<key>"``.

    The steps' keys are read from the step runs (``steps``, if already read), not copied: a
    cached step shows what the run that executed it logged, so a fully cached run shows the same
    metadata as the run it reused, and a key logged on a step run later shows up here too.
    """
    found = metadata.get_metadata(MetadataResource.PIPELINE_RUN, [run_id]).get(run_id, {})
    steps = step_metadata(metadata, records) if steps is None else steps
    for record in records:
        for key, value in steps.get(record.id, {}).items():
            found.setdefault(f"{record.name}::{key}", value)
    return dict(sorted(found.items()))


class StepRun:
    """One step of a pipeline run.

    ``status`` is ``completed`` (executed), ``cached`` (outputs reused from ``cached_from``),
    or ``failed``.
    """

    def __init__(self, record: StepRunRecord, stores: Stores) -> None:
        self.record = record
        self._stores = stores
        self.outputs = {n: Artifact(n, a, stores) for n, a in record.outputs.items()}
        self.inputs = {n: Artifact(n, a, stores) for n, a in record.inputs.items()}

    id = property(lambda self: self.record.id)
    name = property(lambda self: self.record.name)
    definition_name = property(lambda self: self.record.definition_name)
    run_id = property(lambda self: self.record.run_id)
    status = property(lambda self: self.record.status)
    cached_from = property(lambda self: self.record.cached_from)
    duration = property(lambda self: self.record.duration)
    cache_key = property(lambda self: self.record.cache_key)
    started_at = property(lambda self: self.record.started_at)
    ended_at = property(lambda self: self.record.ended_at)
    parameters = property(lambda self: self.record.parameters)
    error = property(lambda self: self.record.error)
    manifest = property(lambda self: self.record.manifest)
    cache_components = property(lambda self: self.record.manifest.to_json())
    """The stored key manifest as JSON-able data (see :attr:`manifest` for the typed form)."""

    @property
    def output(self) -> Artifact:
        """The step's only output; use ``outputs[name]`` for a step with several."""
        if len(self.outputs) != 1:
            names = ", ".join(self.outputs) or "none"
            raise AttributeError(
                f"Step '{self.name}' has {len(self.outputs)} outputs ({names}); use .outputs[name]."
            )
        return next(iter(self.outputs.values()))

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Key -> value logged on this step run; a cached one shows what its source logged."""
        return step_metadata(self._stores.metadata, [self.record])[self.id]

    @property
    def config(self) -> StepConfiguration:
        """What the step was configured with: ``.parameters``, ``.enable_cache``, ``.settings``."""
        run = self._stores.metadata.get_run(self.run_id)
        steps = run.graph.get("steps", []) if run is not None else []
        stored = next(
            (entry.get("config") or {} for entry in steps if entry.get("name") == self.name), {}
        )
        return StepConfiguration.from_json(stored, self.parameters, self.definition_name)

    @property
    def logs(self) -> str | None:
        """Captured stdout, stderr and log records of the execution that produced this result."""
        return self._stores.metadata.get_logs(self.cached_from or self.id)

    def _facts(self) -> StepRunFacts:
        metadata = self._stores.metadata
        run = metadata.get_run(self.run_id)
        siblings = {r.name: r for r in metadata.get_step_runs(self.run_id)}
        return step_run_facts(
            self.record,
            run.name if run else self.run_id,
            siblings,
            run.parameters if run else None,
        )

    def explain(self, against: StepRun | None = None) -> Explanation:
        """Why this step ran or was cached.

        Compared with ``against`` if given, else with :func:`comparison_record`: the step
        run a cached step reused, or the most recent earlier run of the step.
        ``str(explanation)`` reads as sentences; ``explanation.to_dict()`` gives the same as
        data.
        """
        from stepstone.cache.explain import explain

        if against is None:
            run = self._stores.metadata.get_run(self.run_id)
            record = comparison_record(self._stores.metadata, self.record, run) if run else None
            against = StepRun(record, self._stores) if record is not None else None
        return explain(self._facts(), against._facts() if against is not None else None)

    def __repr__(self) -> str:
        return f"<StepRun '{self.name}' {self.status}>"

    def _repr_html_(self) -> str:
        """How a notebook shows it (:mod:`stepstone.display`)."""
        from stepstone.display.html import step_html

        return step_html(self)


class PipelineRun:
    """One run of a pipeline: its status, timing and steps in execution order."""

    def __init__(
        self,
        record: PipelineRunRecord,
        stores: Stores,
        steps: dict[str, StepRun] | None = None,
    ) -> None:
        self.record = record
        self._stores = stores
        self._steps = steps

    id = property(lambda self: self.record.id)
    name = property(lambda self: self.record.name)
    pipeline_name = property(lambda self: self.record.pipeline_name)
    status = property(lambda self: self.record.status)
    started_at = property(lambda self: self.record.started_at)
    ended_at = property(lambda self: self.record.ended_at)
    parameters = property(lambda self: self.record.parameters)
    graph = property(lambda self: self.record.graph)

    @property
    def duration(self) -> float | None:
        """Wall-clock seconds from start to end (``None`` while running)."""
        ended: datetime | None = self.record.ended_at
        return None if ended is None else (ended - self.record.started_at).total_seconds()

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Key -> value logged on this run, and on its steps as ``"<step>::<key>"``."""
        records = [step.record for step in self.steps.values()]
        return run_metadata(self._stores.metadata, self.id, records)

    @property
    def config(self) -> RunConfiguration:
        """What the run was configured with: ``.parameters``, ``.enable_cache``, ``.settings``."""
        record = self.record
        return RunConfiguration.from_json(
            record.graph.get("config") or {},
            name=record.pipeline_name,
            run_name=record.name,
            parameters=record.parameters,
        )

    @property
    def pipeline(self) -> RecordedPipeline:
        """The pipeline this run belongs to, with its run history."""

        return RecordedPipeline(self.pipeline_name, self._stores)

    @property
    def steps(self) -> dict[str, StepRun]:
        """Step name -> step run, in execution order."""
        if self._steps is None:
            records = self._stores.metadata.get_step_runs(self.record.id)
            self._steps = {r.name: StepRun(r, self._stores) for r in records}
        return self._steps

    def __repr__(self) -> str:
        return f"<PipelineRun '{self.name}' {self.status}>"

    def _repr_html_(self) -> str:
        """How a notebook shows it: the DAG with cached steps marked (:mod:`stepstone.display`)."""
        from stepstone.display.html import run_html

        return run_html(self)


def find_run(metadata: MetadataStore, id_or_name: str) -> PipelineRunRecord:
    """The run with this id, unique id prefix or name, or the newest for ``latest``.

    Raises:
        RunNotFoundError: nothing matches (with close names), or a prefix matches several runs.
    """
    if id_or_name == "latest":
        runs = metadata.list_runs(limit=1)
        if not runs:
            raise RunNotFoundError("latest", [])
        return runs[0]
    exact = metadata.get_run(id_or_name)
    if exact is not None:
        return exact
    matches = metadata.find_runs(id_or_name, limit=_AMBIGUOUS_LISTED + 1)
    by_name = [record for record in matches if record.name == id_or_name]
    if by_name:
        return by_name[0]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        listed = [_describe_run(record) for record in matches[:_AMBIGUOUS_LISTED]]
        raise AmbiguousRunError(id_or_name, listed, more=len(matches) > _AMBIGUOUS_LISTED)
    candidates = ["latest", *metadata.run_names()]
    suggestions = difflib.get_close_matches(id_or_name, candidates, n=3)
    raise RunNotFoundError(id_or_name, suggestions)


_AMBIGUOUS_LISTED = 5


def _describe_run(record: PipelineRunRecord) -> str:
    """``9fd1c2a0e4b7  mnist_pipeline-7  (mnist_pipeline, 2026-12-01 22:10)`` for a listing."""
    started = record.started_at.strftime("%Y-%m-%d %H:%M")
    return f"{record.id[:12]}  {record.name}  ({record.pipeline_name}, {started})"


class RecordedPipeline:
    """A pipeline as its recorded runs show it (``Client().get_pipeline(name)``).

    Reading an attribute queries the metadata store, so ``last_run`` is current each time.
    """

    def __init__(self, name: str, stores: Stores) -> None:
        self.name = name
        self._stores = stores

    def _runs(self, status: str | None = None, limit: int | None = None) -> list[PipelineRun]:
        records = self._stores.metadata.list_runs(self.name, status=status, limit=limit)
        return [PipelineRun(record, self._stores) for record in records]

    @property
    def runs(self) -> list[PipelineRun]:
        """Every recorded run of the pipeline, newest first."""
        return self._runs()

    @property
    def num_runs(self) -> int:
        return self._stores.metadata.count_runs(self.name)

    @property
    def last_run(self) -> PipelineRun:
        """The most recent run, whatever its status."""
        runs = self._runs(limit=1)
        if not runs:
            raise PipelineNotFoundError(self.name)
        return runs[0]

    @property
    def last_successful_run(self) -> PipelineRun:
        """The most recent run that completed."""
        runs = self._runs(status=RunStatus.COMPLETED, limit=1)
        if not runs:
            raise PipelineNotFoundError(self.name, detail=" that completed")
        return runs[0]

    def __repr__(self) -> str:
        return f"<RecordedPipeline '{self.name}'>"
