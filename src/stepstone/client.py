"""Reading back what was recorded: runs, their steps and their artifacts.

>>> from stepstone import Client
>>> client = Client()                                  # doctest: +SKIP
>>> run = client.last_run("mnist_pipeline")            # doctest: +SKIP
>>> run.steps["trainer"].output.load()                 # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from stepstone.config import Settings, load_settings
from stepstone.exceptions import (
    ArtifactNotFoundError,
    ArtifactVersionNotFoundError,
    ModelNotFoundError,
    ModelVersionNotFoundError,
    PipelineNotFoundError,
    RunNotFoundError,
    StepNotFoundError,
    StepRunNotFoundError,
    did_you_mean,
)
from stepstone.metadata.records import ArtifactLink, PipelineRunRecord, RunStatus, StepWait
from stepstone.model_registry import ModelVersion, RecordedModel
from stepstone.models import (
    Artifact,
    ArtifactVersion,
    PipelineRun,
    Producer,
    RecordedPipeline,
    StepRun,
    find_run,
    resolve_producers,
)
from stepstone.stores import Stores, get_stores

if TYPE_CHECKING:
    from stepstone.cache.explain import Explanation
    from stepstone.read_model.comparison import RunComparison
    from stepstone.read_model.sources import SourceRun
    from stepstone.read_model.table import RunTable

LATEST = "latest"
"""The run name that means the newest run (narrowed by pipeline and step, see get_run)."""

_LATEST_PAGE = 50

T = TypeVar("T")


def _step_names(record: PipelineRunRecord) -> set[str]:
    """The invocation names of a run's steps, from the graph recorded when it started."""
    return {str(entry.get("name")) for entry in record.graph.get("steps", ())}


class Page(Generic[T]):
    """One page of results in the shape of ZenML's page object: ``.items``, ``.total`` (items
    on every page), ``.index`` (from 1); it also iterates, indexes and counts like a list."""

    def __init__(self, items: Iterable[T], *, total: int, index: int) -> None:
        self.items = list(items)
        self.total = total
        self.index = index

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, position: int) -> T:
        return self.items[position]

    def __repr__(self) -> str:
        return f"<Page {self.index}: {len(self.items)} of {self.total}>"


class Client:
    """Read access to the stores of a stepstone home.

    Args:
        home: a stepstone home directory (holding ``config.toml``); default: the home this
            process resolves (``STEPSTONE_HOME``, a ``.stepstone/`` above the working
            directory, or the per-user directory).
    """

    def __init__(self, home: str | Path | None = None, *, settings: Settings | None = None) -> None:
        if settings is None and home is not None:
            import os

            previous = os.environ.get("STEPSTONE_HOME")
            os.environ["STEPSTONE_HOME"] = str(home)
            try:
                settings = load_settings()
            finally:
                if previous is None:
                    del os.environ["STEPSTONE_HOME"]
                else:
                    os.environ["STEPSTONE_HOME"] = previous
        self.stores: Stores = get_stores(settings)
        artifacts = self.stores.artifacts
        if self.stores.settings.cache_remote is not None and artifacts.source is None:
            # Results a read-through imported without their bytes load from the remote.
            from stepstone.remote.pull import remote_source

            artifacts.source = remote_source(self.stores)

    @property
    def settings(self) -> Settings:
        return self.stores.settings

    def _wrap(self, record: PipelineRunRecord) -> PipelineRun:
        return PipelineRun(record, self.stores)

    def list_runs(
        self,
        pipeline_name: str | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PipelineRun]:
        """Recorded runs, newest first."""
        records = self.stores.metadata.list_runs(
            pipeline_name, status=status, limit=limit, offset=offset
        )
        return [self._wrap(record) for record in records]

    def run_table(
        self,
        pipeline_name: str | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        columns: Iterable[str] | None = None,
        sort: str | None = None,
    ) -> RunTable:
        """The newest runs side by side: differing parameters, logged numbers, numeric outputs.

        ``columns`` picks columns by name; ``sort`` orders by one (``-name``: highest first).
        See :func:`stepstone.read_model.table.run_table`; ``runs list`` and the dashboard's
        pipeline page show this table.
        """
        from stepstone.read_model.table import run_table

        metadata = self.stores.metadata
        records = metadata.list_runs(pipeline_name, status=status, limit=limit, offset=offset)
        return run_table(metadata, records, columns=columns, sort=sort)

    def count_runs(self, pipeline_name: str | None = None, *, status: str | None = None) -> int:
        return self.stores.metadata.count_runs(pipeline_name, status=status)

    def get_run(
        self, id_or_name: str, *, pipeline: str | None = None, step: str | None = None
    ) -> PipelineRun:
        """A run by id, unique id prefix, name, or ``latest``.

        ``latest`` is the newest run; ``pipeline`` narrows it to that pipeline's runs and
        ``step`` to runs that have a step of that name, so ``stepstone logs latest load`` finds
        the newest run with a ``load`` step even when another pipeline ran since. An id or a
        name is taken as given.

        Raises:
            AmbiguousRunError: a prefix matches several runs (they are listed).
            RunNotFoundError: nothing matches (with the closest names, ``latest`` among them).
        """
        if id_or_name == LATEST:
            return self._wrap(self._latest(pipeline, step))
        return self._wrap(find_run(self.stores.metadata, id_or_name))

    def _latest(self, pipeline: str | None, step: str | None) -> PipelineRunRecord:
        """The newest run of ``pipeline`` that has step ``step`` (``None``: any pipeline, step).

        When no run has the step, the newest run at all: looking the step up in it then fails
        with the run's own step names to choose from (a misspelled step, most likely).
        """
        metadata = self.stores.metadata
        newest: PipelineRunRecord | None = None
        offset = 0
        while True:
            page = metadata.list_runs(pipeline, limit=_LATEST_PAGE, offset=offset)
            newest = newest or (page[0] if page else None)
            for record in page:
                if step is None or step in _step_names(record):
                    return record
            if len(page) < _LATEST_PAGE:
                break
            offset += _LATEST_PAGE
        if newest is not None:
            return newest
        if pipeline is not None:
            hint = did_you_mean(pipeline, self.pipeline_names())
            reason = f"no runs of pipeline '{pipeline}' are recorded.{hint}"
        else:
            reason = "no runs are recorded yet; run a pipeline first."
        raise RunNotFoundError(LATEST, message=f"No run matches '{LATEST}': {reason}")

    def pipeline_names(self) -> list[str]:
        """The names of the pipelines of the most recent runs, sorted (for suggestions)."""
        return sorted(
            {record.pipeline_name for record in self.stores.metadata.list_runs(limit=1000)}
        )

    def last_run(self, pipeline_name: str) -> PipelineRun:
        """The most recent run of a pipeline."""
        return self._wrap(self._latest(pipeline_name, None))

    # -- ZenML's names for run history ---------------------------------------------------

    def get_pipeline(self, name: str) -> RecordedPipeline:
        """A pipeline by name, as its runs show it: ``.runs``, ``.last_run``,
        ``.last_successful_run``.

        Raises:
            PipelineNotFoundError: no run of that pipeline is recorded (with a "did you mean").
        """
        if self.stores.metadata.count_runs(name) == 0:
            raise PipelineNotFoundError(name, self.pipeline_names())
        return RecordedPipeline(name, self.stores)

    def get_pipeline_run(self, name_id_or_prefix: str) -> PipelineRun:
        """A run by name, id or unique id prefix (ZenML's name for :meth:`get_run`)."""
        return self.get_run(name_id_or_prefix)

    def list_pipeline_runs(
        self,
        *,
        pipeline_name: str | None = None,
        status: str | None = None,
        size: int | None = None,
        page: int = 1,
    ) -> Page[PipelineRun]:
        """Runs newest first, ``size`` per page (all when ``None``); ZenML's call shape.

        The result is a list of runs that also has ZenML's page fields (``.items``,
        ``.total``, ``.index``), so code reading either works.
        """
        if page < 1:
            raise RunNotFoundError(f"page {page} (pages start at 1)", [])
        offset = 0 if size is None else (page - 1) * size
        runs = self.list_runs(pipeline_name, status=status, limit=size, offset=offset)
        return Page(runs, total=self.count_runs(pipeline_name, status=status), index=page)

    def get_step_run(self, step_run_id: str) -> StepRun:
        """A step run by id."""
        record = self.stores.metadata.get_step_run(step_run_id)
        if record is None:
            raise StepRunNotFoundError(step_run_id)
        return StepRun(record, self.stores)

    def get_step(self, run: str | PipelineRun, invocation_name: str) -> StepRun:
        """The step run named ``invocation_name`` (``trainer_2``) in ``run``.

        ``run`` is a run object or anything :meth:`get_run` takes.

        Raises:
            StepNotFoundError: the run has no such step (with a "did you mean").
        """
        pipeline_run = run if isinstance(run, PipelineRun) else self.get_run(run)
        steps = pipeline_run.steps
        if invocation_name not in steps:
            raise StepNotFoundError(invocation_name, pipeline_run.name, list(steps))
        return steps[invocation_name]

    def explain(
        self, run: str | PipelineRun, invocation_name: str, against: str | PipelineRun | None = None
    ) -> Explanation:
        """Why the step ``invocation_name`` ran or was cached in ``run``.

        Compared with ``against`` if given, else with the most recent earlier run of the same
        step in the same pipeline.
        """
        pipeline_run = run if isinstance(run, PipelineRun) else self.get_run(run)
        step_run = self.get_step(pipeline_run, invocation_name)
        if against is None:
            return step_run.explain()
        other = against if isinstance(against, PipelineRun) else self.get_run(against)
        return step_run.explain(against=self.get_step(other, invocation_name))

    def _run_name(self, run_id: str) -> str | None:
        record = self.stores.metadata.get_run(run_id)
        return record.name if record is not None else None

    def source_of(self, step_run: StepRun) -> SourceRun | None:
        """For a cached step run: the step run that executed and its run; else ``None``.

        A source whose run was deleted comes back with only its step run id.
        """
        if not step_run.cached_from:
            return None
        from stepstone.read_model.sources import SourceRun

        found = self.sources_of([step_run]).get(step_run.cached_from)
        return found or SourceRun.unknown(step_run.cached_from)

    def sources_of(self, step_runs: Iterable[StepRun]) -> dict[str, SourceRun]:
        """``cached_from`` id -> :class:`~stepstone.read_model.sources.SourceRun` for many step
        runs, reading each source run once however many of the steps it produced."""
        from stepstone.read_model.sources import resolve_sources

        records = [step_run.record for step_run in step_runs]
        return resolve_sources(self.stores.metadata, records, self._run_name)

    def waiting_steps(self, run: PipelineRun) -> list[StepWait]:
        """The steps of a running run that wait for another run executing the same cache key.

        Each names the lease it waits on (its holder's run, pid and host) while there is one.
        A finished run has none.
        """
        if run.status != RunStatus.RUNNING:
            return []
        return self.stores.metadata.waiting_steps(run.id)

    def compare(self, a: str | PipelineRun, b: str | PipelineRun) -> RunComparison:
        """Run ``b`` against run ``a``: parameters, and per step a verdict and the reasons.

        The verdicts are :class:`~stepstone.read_model.comparison.Verdict`; the reasons are those of
        :meth:`explain` with ``against=a``.
        """
        from stepstone.read_model.comparison import compare_runs
        from stepstone.read_model.sources import resolve_sources

        run_a = a if isinstance(a, PipelineRun) else self.get_run(a)
        run_b = b if isinstance(b, PipelineRun) else self.get_run(b)
        steps_a = {name: step.record for name, step in run_a.steps.items()}
        steps_b = {name: step.record for name, step in run_b.steps.items()}
        sources = resolve_sources(self.stores.metadata, steps_b.values(), self._run_name)
        return compare_runs(run_a.record, steps_a, run_b.record, steps_b, sources)

    def list_artifacts(
        self, run: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Artifact]:
        """Artifacts newest first; with ``run``, those its steps produced or used."""
        run_id = self.get_run(run).id if run is not None else None
        records = self.stores.metadata.list_artifacts(run_id, limit=limit, offset=offset)
        return [Artifact(record.id, record, self.stores) for record in records]

    def get_artifact(self, id_or_prefix: str) -> Artifact:
        """An artifact by id, or by a unique prefix of its id or content hash."""
        metadata = self.stores.metadata
        record = metadata.get_artifact(id_or_prefix)
        if record is None:
            matches = metadata.find_artifacts(id_or_prefix, limit=5)
            if len(matches) != 1:
                hint = (
                    f" It matches {len(matches)} artifacts; give more characters."
                    if matches
                    else " List artifacts with 'stepstone artifacts list'."
                )
                raise ArtifactNotFoundError(
                    id_or_prefix, f"No single artifact matches '{id_or_prefix}'.{hint}"
                )
            record = matches[0]
        return Artifact(record.id, record, self.stores)

    def producers_of(self, artifacts: Iterable[Artifact]) -> dict[str, Producer]:
        """Artifact id -> the step run (and run) that produced it, for those whose producer
        is still recorded; each producing step run and run is read once."""
        records = [artifact.record for artifact in artifacts]
        return resolve_producers(self.stores.metadata, records, self._run_name)

    def artifact_lineage(self, artifact_id: str) -> list[ArtifactLink]:
        """Every step run that produced or consumed the artifact, across runs, oldest first."""
        return self.stores.metadata.artifact_links(artifact_id)

    # -- artifact versions (ZenML's names) -----------------------------------------------

    def get_artifact_version(
        self, name_id_or_prefix: str, version: str | int | None = None
    ) -> ArtifactVersion:
        """A version of a named artifact: ``version`` of ``name`` (the latest when None).

        As in ZenML, the first argument may also be an artifact version's id (or a unique
        prefix of it); ``version`` is then not given.

        Raises:
            ArtifactVersionNotFoundError: no such name or version (with close names, or the
                versions the name has).
        """
        metadata = self.stores.metadata
        wanted = None if version is None else str(version)
        found = metadata.get_artifact_version(name_id_or_prefix, wanted)
        if found is not None:
            return ArtifactVersion(found, self.stores)
        if wanted is None:
            by_id = self._version_by_id(name_id_or_prefix)
            if by_id is not None:
                return by_id
            names = metadata.artifact_names()
            suggestions = difflib.get_close_matches(name_id_or_prefix, names, n=3)
            raise ArtifactVersionNotFoundError(name_id_or_prefix, None, suggestions)
        versions = [v.version for v in metadata.list_artifact_versions(name_id_or_prefix, limit=20)]
        if not versions:
            return self.get_artifact_version(name_id_or_prefix)  # raises: no such name
        raise ArtifactVersionNotFoundError(
            name_id_or_prefix,
            wanted,
            difflib.get_close_matches(wanted, versions, n=1),
            f" Its versions, newest first: {', '.join(versions)}.",
        )

    def _version_by_id(self, query: str) -> ArtifactVersion | None:
        try:
            artifact = self.get_artifact(query)
        except ArtifactNotFoundError:
            return None
        found = self.stores.metadata.get_artifact_versions([artifact.id]).get(artifact.id)
        return ArtifactVersion(found, self.stores) if found is not None else None

    def list_artifact_versions(
        self, name: str | None = None, *, size: int | None = None, page: int = 1
    ) -> Page[ArtifactVersion]:
        """Artifact versions newest first, of ``name`` or of every name, ``size`` per page.

        A name with no versions gives an empty page (as a filter does in ZenML).
        """
        if page < 1:
            raise ArtifactVersionNotFoundError(name or "*", f"page {page} (pages start at 1)")
        offset = 0 if size is None else (page - 1) * size
        metadata = self.stores.metadata
        records = metadata.list_artifact_versions(name, limit=size, offset=offset)
        total = (
            len(records) + offset
            if size is None or len(records) < size
            else len(metadata.list_artifact_versions(name))
        )
        return Page((ArtifactVersion(r, self.stores) for r in records), total=total, index=page)

    # -- models (ZenML's model control plane) ----------------------------------------------

    def get_model(self, name: str) -> RecordedModel:
        """A model by name: ``.versions``, ``.latest_version``, its details.

        Raises:
            ModelNotFoundError: no model of that name (with close names).
        """
        if self.stores.metadata.get_model(name) is None:
            raise ModelNotFoundError(name, [m.name for m in self.stores.metadata.list_models()])
        return RecordedModel(name, self.stores)

    def list_models(self) -> list[RecordedModel]:
        """Every recorded model, by name."""
        return [RecordedModel(m.name, self.stores) for m in self.stores.metadata.list_models()]

    def get_model_version(
        self, model_name_or_id: str, model_version_name_or_number_or_id: str | int | None = None
    ) -> ModelVersion:
        """A version of a model: by name, number or stage (``production``, ``latest``, a
        :class:`~stepstone.enums.ModelStages`); the latest when not given.

        Raises:
            ModelNotFoundError: no such model.
            ModelVersionNotFoundError: no such version or nothing in that stage (the message
                lists the versions).
        """
        ref = model_version_name_or_number_or_id
        text = "latest" if ref is None else str(getattr(ref, "value", ref))
        metadata = self.stores.metadata
        found = metadata.get_model_version(model_name_or_id, text)
        if found is not None:
            return ModelVersion(found, self.stores)
        model = self.get_model(model_name_or_id)  # raises for an unknown model
        known = [version.name for version in model.versions]
        raise ModelVersionNotFoundError(model_name_or_id, text, known)

    def list_model_versions(self, model_name_or_id: str) -> list[ModelVersion]:
        """A model's versions, newest first."""
        return self.get_model(model_name_or_id).versions
