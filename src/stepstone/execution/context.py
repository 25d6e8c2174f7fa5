"""What a running step can ask about itself: ``get_step_context()``.

The driver puts a :class:`StepInfo` in every task (a small frozen dataclass, so it pickles to a
process or Dask worker with the task). :func:`~stepstone.execution.runner.execute_step` opens a
:class:`StepContext` over it for the duration of the user's function, in a ``ContextVar``: each
thread (and each worker process) sees only the step it is running.

Nothing read from the context is part of the cache key: a step that logs its run's name computes
the same outputs in every run, and a cached result is reused however often the name changes.
What the step *writes* through it (metadata, output tags) travels back in the result and is
recorded by the driver with the step run; workers never touch the metadata store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from stepstone.exceptions import StepContextError, StepOutputError, did_you_mean
from stepstone.metadata.values import normalize_metadata
from stepstone.steps.model import Model

#: Folder under the artifact store's root where steps may write files of their own.
STEP_FILES_DIR = "step-files"


@dataclass(frozen=True, slots=True)
class StepInfo:
    """The facts about one step execution that its context exposes (picklable).

    Attributes:
        run_id / run_name: the pipeline run.
        pipeline_name: the ``@pipeline`` the run belongs to.
        step_name: the step's name in the pipeline (its invocation id, ``trainer_2``).
        definition_name: the ``@step`` definition's name.
        parameters: the step's literal parameters, as recorded with the step run.
        run_parameters: the pipeline function's arguments, as recorded with the run.
        output_names: the declared outputs, in order.
        enable_cache: whether a fresh result of this step is reused by later runs.
        model: the model the step works on, bound to the run's version of it (or ``None``).
    """

    run_id: str
    run_name: str
    pipeline_name: str
    step_name: str
    definition_name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    run_parameters: Mapping[str, Any] = field(default_factory=dict)
    output_names: tuple[str, ...] = ()
    enable_cache: bool = True
    model: Model | None = None


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The configuration a run or step run was made with (``.config.parameters``)."""

    parameters: Mapping[str, Any]
    enable_cache: bool = True


@dataclass(frozen=True, slots=True)
class RunView:
    """The pipeline run a step belongs to, as seen from inside the step."""

    id: str
    name: str
    pipeline_name: str
    config: RunConfig


@dataclass(frozen=True, slots=True)
class StepRunView:
    """The step run being executed, as seen from inside the step."""

    name: str
    definition_name: str
    config: RunConfig


@dataclass(frozen=True, slots=True)
class PipelineView:
    """The pipeline a step runs in."""

    name: str


@dataclass(frozen=True, slots=True)
class MetadataTarget:
    """A step run elsewhere that a step logged metadata to (resolved by the driver)."""

    run: str
    step_name: str


@dataclass(slots=True)
class Collected:
    """What a step wrote through its context, handed back to the driver with the result.

    Attributes:
        step_metadata: key -> value for the step run itself (and, prefixed, its run).
        output_metadata: output name -> key -> value for the artifacts it returns.
        output_tags: output name -> tags for the artifacts it returns.
        artifact_metadata: artifact id -> key -> value for artifacts already recorded.
        step_run_metadata: other step runs (by run and step name) -> key -> value.
        model_metadata: key -> value for the model version the step works on.
    """

    step_metadata: dict[str, Any] = field(default_factory=dict)
    output_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_tags: dict[str, list[str]] = field(default_factory=dict)
    artifact_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    step_run_metadata: dict[MetadataTarget, dict[str, Any]] = field(default_factory=dict)
    model_metadata: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(
            (
                self.step_metadata,
                self.output_metadata,
                self.output_tags,
                self.artifact_metadata,
                self.step_run_metadata,
                self.model_metadata,
            )
        )


class StepContext:
    """The running step's view of itself; get it with :func:`get_step_context`.

    Example:
        >>> from stepstone import step, get_step_context
        >>> @step
        ... def report() -> str:
        ...     context = get_step_context()
        ...     return f"{context.step_name} in {context.pipeline_run.name}"
    """

    def __init__(self, info: StepInfo, artifact_root: str) -> None:
        self._info = info
        self._artifact_root = artifact_root
        self.collected = Collected()

    def __repr__(self) -> str:
        return f"StepContext(step_name={self.step_name!r}, run={self._info.run_name!r})"

    @property
    def step_name(self) -> str:
        """The step's name in its pipeline (``trainer_2`` for a second call of ``trainer``)."""
        return self._info.step_name

    @property
    def pipeline(self) -> PipelineView:
        return PipelineView(self._info.pipeline_name)

    @property
    def pipeline_run(self) -> RunView:
        info = self._info
        return RunView(
            id=info.run_id,
            name=info.run_name,
            pipeline_name=info.pipeline_name,
            config=RunConfig(dict(info.run_parameters)),
        )

    @property
    def step_run(self) -> StepRunView:
        info = self._info
        return StepRunView(
            name=info.step_name,
            definition_name=info.definition_name,
            config=RunConfig(dict(info.parameters), info.enable_cache),
        )

    @property
    def model(self) -> Model | None:
        """The model this step works on (its own ``model=``, else the pipeline's), bound to
        the version this run works on: ``.name``, ``.version`` (the version's name),
        ``.number``, ``.id``. ``None`` when neither has a model."""
        return self._info.model

    def _output(self, output_name: str | None, verb: str) -> str:
        """The output ``output_name`` names, or the only one when it is ``None``."""
        names = self._info.output_names
        if output_name is None:
            if len(names) == 1:
                return names[0]
            reason = "declares no outputs" if not names else f"has outputs {', '.join(names)}"
            raise StepOutputError(
                self.step_name,
                self._info.run_id,
                f"Step '{self.step_name}': {verb}: the step {reason}; "
                "pass output_name= to say which output it is for.",
            )
        if output_name not in names:
            raise StepOutputError(
                self.step_name,
                self._info.run_id,
                f"Step '{self.step_name}': {verb}: no output named '{output_name}'."
                f"{did_you_mean(output_name, names)} "
                f"Its outputs: {', '.join(names) or 'none'}.",
            )
        return output_name

    def add_output_metadata(
        self, metadata: Mapping[str, Any], output_name: str | None = None
    ) -> None:
        """Attach ``metadata`` to the artifact this step returns as ``output_name``."""
        name = self._output(output_name, "add_output_metadata")
        values = normalize_metadata(metadata, f"Step '{self.step_name}'")
        self.collected.output_metadata.setdefault(name, {}).update(values)

    def add_output_tags(self, tags: Sequence[str], output_name: str | None = None) -> None:
        """Tag the artifact this step returns as ``output_name``."""
        name = self._output(output_name, "add_output_tags")
        if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
            raise StepOutputError(
                self.step_name,
                self._info.run_id,
                f"Step '{self.step_name}': add_output_tags: tags must be a list of strings, "
                f"got {tags!r}. "
                'Write add_output_tags(["tag"]).',
            )
        known = self.collected.output_tags.setdefault(name, [])
        known.extend(tag for tag in tags if tag not in known)

    def get_output_artifact_uri(self, output_name: str | None = None) -> str:
        """A folder in the artifact store for files of this step's output ``output_name``.

        Artifacts are stored by content, so an output's own location is known only once it is
        saved; this folder (one per run, step and output) is for extra files that go with it.
        They are not part of the output's content hash, and ``stepstone gc`` leaves them alone.
        """
        name = self._output(output_name, "get_output_artifact_uri")
        info = self._info
        root = self._artifact_root.rstrip("/")
        uri = f"{root}/{STEP_FILES_DIR}/{info.run_id}/{info.step_name}/{name}"
        if "://" not in root:
            os.makedirs(uri, exist_ok=True)
        return uri


_ACTIVE: ContextVar[StepContext | None] = ContextVar("stepstone_step_context", default=None)


@contextmanager
def step_context(info: StepInfo, artifact_root: str) -> Iterator[StepContext]:
    """Make a :class:`StepContext` for ``info`` current while the block runs."""
    context = StepContext(info, artifact_root)
    token = _ACTIVE.set(context)
    try:
        yield context
    finally:
        _ACTIVE.reset(token)


def current_step_context() -> StepContext | None:
    """The context of the step running in this thread, if any."""
    return _ACTIVE.get()


def get_step_context() -> StepContext:
    """The context of the step that is running now.

    Raises:
        StepContextError: called outside a step function running in a pipeline (at import
            time, in the pipeline function itself, or calling the step directly as a function).
    """
    context = _ACTIVE.get()
    if context is None:
        raise StepContextError(
            "get_step_context() was called outside a running step. It works only inside a "
            "@step function while a pipeline runs it; calling the step directly (step(...)) "
            "runs plain Python with no run to describe. In the pipeline function itself, use "
            "get_pipeline_context()."
        )
    return context
