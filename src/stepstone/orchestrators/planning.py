"""Planning a run: everything about each step that does not depend on upstream results.

``run_pipeline`` traces, then calls :func:`plan_run`, then hands the :class:`RunPlan` to the
driver: code is fingerprinted and every definition error raised here, before any store is
touched or any step runs.

Before any step runs, each invocation's literals are split into parameters (canonically
encodable, hashed once) and external artifacts (arrays and other values passed straight
into the pipeline, stored so their content can key the cache). A value that is neither is
a definition error here, naming the step and the argument — nothing has run yet.
"""

from __future__ import annotations

import datetime as dt
import os
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stepstone.artifacts import (
    Materializer,
    materializer_for_type,
    materializer_for_value,
    resolve_materializer,
)
from stepstone.artifacts.external import ExternalArtifact
from stepstone.cache import (
    CodeFingerprint,
    OutputSpecEntry,
    display_value,
    fingerprint_function,
    parameter_digest,
)
from stepstone.cache.manifest import Decision
from stepstone.exceptions import (
    MaterializerError,
    MaterializerRegistrationError,
    PipelineDefinitionError,
    StepDefinitionError,
    UndefinedNameError,
    UnhashableParameterError,
    did_you_mean,
)
from stepstone.metadata.values import normalize_metadata
from stepstone.models import Artifact
from stepstone.pipeline import Pipeline, PipelineGraph, PipelineOptions
from stepstone.pipeline.run_config import RunConfig
from stepstone.steps import Invocation
from stepstone.steps.artifact_config import placeholder_values
from stepstone.steps.configuration import StepConfiguration, layered
from stepstone.steps.model import Model


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """An invocation with its static cache components resolved.

    ``static_decision`` says why the step executes whatever the cache holds (its cache is
    disabled, caching is off for the process, or a refresh was asked for: one of
    ``Decision.DISABLED``, ``CACHE_OFF``, ``REFRESH``); ``None`` means the cache decides.
    """

    invocation: Invocation
    code: CodeFingerprint
    parameters: dict[str, Any]
    parameter_digests: dict[str, str]
    parameter_display: dict[str, Any]
    external_inputs: dict[str, Any]
    output_spec: tuple[OutputSpecEntry, ...]
    cache_version: str | None
    static_decision: Decision | None
    depends_on: tuple[str | os.PathLike[str], ...]
    expires_after: dt.timedelta | None
    materializers: dict[str, type[Materializer]]
    configuration: dict[str, Any] = field(default_factory=dict)
    """The step's recorded configuration (:class:`~stepstone.steps.StepConfiguration` JSON):
    its own settings with the pipeline's merged under them."""
    artifact_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Output name -> the ``ArtifactConfig(run_metadata=)`` of that output, checked."""
    model: Model | None = None
    """The model the step works on: its own ``model=``, else the pipeline's."""

    @property
    def enable_step_logs(self) -> bool:
        """Whether what the step prints and logs is stored (default: yes)."""
        return self.configuration.get("enable_step_logs") is not False

    @property
    def name(self) -> str:
        return self.invocation.id

    @property
    def enable_cache(self) -> bool:
        """Whether a fresh result becomes a cache entry (and hits are looked up)."""
        return self.static_decision is None or self.static_decision is Decision.REFRESH


def _type_name(annotation: Any) -> str:
    if annotation is typing.Any:
        return "Any"
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation)


def _chosen_materializers(invocation: Invocation) -> dict[str, type[Materializer]]:
    """Resolve ``@step(materializer=...)`` now, so a bad choice fails before anything runs."""
    step = invocation.step
    chosen = {}
    for output, spec in step.output_materializers.items():
        try:
            chosen[output] = resolve_materializer(spec)
        except (MaterializerRegistrationError, MaterializerError) as exc:
            raise StepDefinitionError(step.name, f"materializer for '{output}': {exc}") from exc
    return chosen


def _output_spec(
    invocation: Invocation, chosen: dict[str, type[Materializer]]
) -> tuple[OutputSpecEntry, ...]:
    entries = []
    for output in invocation.step.signature.outputs:
        materializer = materializer_for_type(output.annotation, preferred=chosen.get(output.name))
        identity = f"{materializer.name}@{materializer.version}" if materializer else "dynamic"
        entries.append(OutputSpecEntry(output.name, _type_name(output.annotation), identity))
    return tuple(entries)


def _artifact_metadata(invocation: Invocation) -> dict[str, dict[str, Any]]:
    """The outputs' ``ArtifactConfig(run_metadata=)``, refused now if a value is not storable."""
    found = {}
    for output in invocation.step.signature.outputs:
        if output.config is not None and output.config.run_metadata:
            where = f"Step '{invocation.step.name}': ArtifactConfig of output '{output.name}'"
            found[output.name] = normalize_metadata(output.config.run_metadata, where)
    return found


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _static_decision(
    invocation: Invocation, pipeline_cache: bool | None, cache_on: bool, refresh: bool
) -> Decision | None:
    step_setting = invocation.step.enable_cache
    enabled = step_setting if step_setting is not None else pipeline_cache
    if enabled is False:
        return Decision.DISABLED
    if not cache_on:
        return Decision.CACHE_OFF
    return Decision.REFRESH if refresh else None


def step_configuration(invocation: Invocation, pipeline: PipelineOptions) -> dict[str, Any]:
    """What is recorded as the step's configuration: the step's options over the pipeline's."""
    options = invocation.step.options
    logs = options.enable_step_logs
    return StepConfiguration(
        name=options.name,
        enable_cache=options.enable_cache,
        enable_step_logs=pipeline.enable_step_logs if logs is None else logs,
        settings=layered(pipeline.settings, options.settings),
        extra=layered(pipeline.extra, options.extra),
    ).to_json()


@dataclass(frozen=True, slots=True)
class StepStatics:
    """What planning derives from a step definition alone, whatever the call passes.

    A step called many times in one pipeline (a loop, a fan-out) has these computed once,
    not once per call: fingerprinting, materializer resolution and the output spec are most
    of what planning a call costs.
    """

    code: CodeFingerprint
    materializers: dict[str, type[Materializer]]
    output_spec: tuple[OutputSpecEntry, ...]
    artifact_metadata: dict[str, dict[str, Any]]
    configuration: dict[str, Any]
    cache_version: str | None


def step_statics(invocation: Invocation, pipeline: PipelineOptions) -> StepStatics:
    """The :class:`StepStatics` of ``invocation``'s step, raising its definition errors."""
    step = invocation.step
    materializers = _chosen_materializers(invocation)
    try:
        code = fingerprint_function(step.func)
    except UndefinedNameError as exc:
        raise StepDefinitionError(step.name, str(exc)) from exc
    version = step.cache_version
    return StepStatics(
        code=code,
        materializers=materializers,
        output_spec=_output_spec(invocation, materializers),
        artifact_metadata=_artifact_metadata(invocation),
        configuration=step_configuration(invocation, pipeline),
        cache_version=None if version is None else str(version),
    )


def plan_step(
    invocation: Invocation,
    pipeline_cache: bool | None,
    cache_on: bool,
    refresh: bool = False,
    pipeline: PipelineOptions | None = None,
    statics: StepStatics | None = None,
    digested: dict[int, tuple[Any, str]] | None = None,
) -> PlannedStep:
    """Plan one invocation; ``statics`` is its step's :func:`step_statics` if known.

    ``digested`` maps ``id(value)`` to ``(value, digest)`` of the parameter values already
    hashed in this run: the same object passed to many calls (a loop's setting) is encoded
    and hashed once. The value is held with its digest, so its id cannot be reused.
    """
    if digested is None:
        digested = {}
    step = invocation.step
    options = pipeline or PipelineOptions(name=invocation.id)
    if statics is None:
        statics = step_statics(invocation, options)
    parameters: dict[str, Any] = {}
    digests: dict[str, str] = {}
    externals: dict[str, Any] = {}
    for name, value in invocation.literals.items():
        if isinstance(value, ExternalArtifact | Artifact):
            # Stored and keyed by content, never a parameter; a recorded artifact is loaded
            # here once and stored again, which lands on the bytes it already has.
            externals[name] = value.value if isinstance(value, ExternalArtifact) else value.load()
            continue
        known = digested.get(id(value))
        if known is not None and known[0] is value:
            digests[name] = known[1]
            parameters[name] = value
            continue
        try:
            digests[name] = parameter_digest(value, parameter=name, invocation_name=invocation.id)
            digested[id(value)] = (value, digests[name])
            parameters[name] = value
        except UnhashableParameterError as exc:
            if materializer_for_value(value) is None:
                raise StepDefinitionError(
                    step.name,
                    f"parameter '{name}' = {_short_repr(value)} cannot be part of a cache key: "
                    f"{exc}",
                ) from exc
            externals[name] = value
    return PlannedStep(
        invocation=invocation,
        code=statics.code,
        parameters=parameters,
        parameter_digests=digests,
        parameter_display={name: display_value(value) for name, value in parameters.items()},
        external_inputs=externals,
        output_spec=statics.output_spec,
        materializers=statics.materializers,
        cache_version=statics.cache_version,
        static_decision=_static_decision(invocation, pipeline_cache, cache_on, refresh),
        depends_on=step.cache_depends_on,
        expires_after=step.cache_expires_after,
        configuration=statics.configuration,
        artifact_metadata=statics.artifact_metadata,
        model=step.options.model or options.model,
    )


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What the driver runs: the traced graph and every invocation planned.

    Attributes:
        pipeline_name: the pipeline's name (runs are named after it).
        graph: the traced graph; its ``order`` is the order a synchronous run executes in.
        parameters: the pipeline's call arguments as displayed and stored with the run.
        steps: invocation id -> planned step, in ``graph.order``.
    """

    pipeline_name: str
    graph: PipelineGraph
    parameters: dict[str, Any]
    steps: dict[str, PlannedStep]
    configuration: dict[str, Any] = field(default_factory=dict)
    """The run's recorded configuration (:class:`~stepstone.steps.RunConfiguration` JSON)."""
    run_config: RunConfig | None = None
    """The YAML run configuration the pipeline was given, if any."""
    run_name_option: str | None = None
    """``with_options(run_name=...)``: beats the YAML file's, as code given at run time does."""

    def run_name(self, started_at: datetime) -> str:
        """The run's name: the ``run_name`` option, else the YAML file's, else
        ``<pipeline>-<date>-<time>``."""
        if self.run_name_option is not None:
            return self.run_name_option.format(**placeholder_values(started_at))
        custom = None if self.run_config is None else self.run_config.format_run_name(started_at)
        return custom or f"{self.pipeline_name}-{started_at:%Y_%m_%d-%H_%M_%S_%f}"

    def describe(self) -> dict[str, Any]:
        """The graph document stored with the run, with the run's and each step's
        configuration (read back as ``run.config`` and ``step.config``)."""
        document = self.graph.describe()
        for entry in document["steps"]:
            entry["config"] = self.steps[entry["name"]].configuration
        document["config"] = self.configuration
        return document


def plan_run(
    pipeline: Pipeline, graph: PipelineGraph, parameters: dict[str, Any], cache_on: bool
) -> RunPlan:
    """Plan every invocation of ``graph``, raising definition errors before anything runs.

    ``cache_on`` is the process setting (config file or ``STEPSTONE_CACHE``).
    """
    for name in pipeline.refresh:
        if name not in graph.invocations:
            raise PipelineDefinitionError(
                pipeline.name,
                f"refresh names step '{name}', which this pipeline does not have."
                f"{did_you_mean(name, graph.invocations)} Its steps: {', '.join(graph.order)}.",
            )
    options = pipeline.options
    # Keyed by step object: a step called many times is derived once (``StepStatics``).
    statics: dict[int, StepStatics] = {}
    digested: dict[int, tuple[Any, str]] = {}
    steps = {}
    for name in graph.order:
        invocation = graph.invocations[name]
        known = statics.get(id(invocation.step))
        if known is None:
            known = statics[id(invocation.step)] = step_statics(invocation, options)
        steps[name] = plan_step(
            invocation,
            pipeline.enable_cache,
            cache_on,
            name in pipeline.refresh,
            options,
            known,
            digested,
        )
    configuration = {
        "enable_cache": options.enable_cache,
        "enable_step_logs": options.enable_step_logs,
        "settings": dict(options.settings),
        "extra": dict(options.extra),
    }
    if options.run_config is not None:
        configuration["run_config"] = options.run_config.describe()
    return RunPlan(
        pipeline.name,
        graph,
        parameters,
        steps,
        configuration,
        options.run_config,
        options.run_name,
    )
