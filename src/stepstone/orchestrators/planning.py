"""Planning a run: everything about each step that does not depend on upstream results.

Before any step runs, each invocation's literals are split into parameters (canonically
encodable, hashed once) and external artifacts (arrays and other values passed straight
into the pipeline, stored so their content can key the cache). A value that is neither is
a definition error here, naming the step and the argument — nothing has run yet.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass
from typing import Any

from stepstone.artifacts import materializer_for_type, materializer_for_value
from stepstone.cache import (
    CodeFingerprint,
    OutputSpecEntry,
    display_value,
    fingerprint_function,
    parameter_digest,
)
from stepstone.exceptions import StepDefinitionError, UnhashableParameterError
from stepstone.pipeline import Pipeline, PipelineGraph
from stepstone.steps import Invocation


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """An invocation with its static cache components resolved."""

    invocation: Invocation
    enable_cache: bool
    code: CodeFingerprint
    parameters: dict[str, Any]
    parameter_digests: dict[str, str]
    parameter_display: dict[str, Any]
    external_inputs: dict[str, Any]
    output_spec: tuple[OutputSpecEntry, ...]
    cache_version: str | None

    @property
    def name(self) -> str:
        return self.invocation.id


def _type_name(annotation: Any) -> str:
    if annotation is typing.Any:
        return "Any"
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return repr(annotation)


def _output_spec(invocation: Invocation) -> tuple[OutputSpecEntry, ...]:
    entries = []
    for output in invocation.step.signature.outputs:
        materializer = materializer_for_type(output.annotation)
        identity = f"{materializer.name}@{materializer.version}" if materializer else "dynamic"
        entries.append(OutputSpecEntry(output.name, _type_name(output.annotation), identity))
    return tuple(entries)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def cache_enabled_by_environment() -> bool:
    """``STEPSTONE_CACHE=off`` (or 0/false/no) turns caching off for the whole process."""
    return os.environ.get("STEPSTONE_CACHE", "").strip().lower() not in {"off", "0", "false", "no"}


def plan_step(invocation: Invocation, pipeline_cache: bool | None, cache_on: bool) -> PlannedStep:
    step = invocation.step
    parameters: dict[str, Any] = {}
    digests: dict[str, str] = {}
    externals: dict[str, Any] = {}
    for name, value in invocation.literals.items():
        try:
            digests[name] = parameter_digest(value)
            parameters[name] = value
        except UnhashableParameterError as exc:
            if materializer_for_value(value) is None:
                raise StepDefinitionError(
                    step.name,
                    f"parameter '{name}' = {_short_repr(value)} cannot be part of a cache key: "
                    f"{exc}",
                ) from exc
            externals[name] = value
    enabled = step.enable_cache if step.enable_cache is not None else pipeline_cache
    version = step.cache_version
    return PlannedStep(
        invocation=invocation,
        enable_cache=cache_on and enabled is not False,
        code=fingerprint_function(step.func),
        parameters=parameters,
        parameter_digests=digests,
        parameter_display={name: display_value(value) for name, value in parameters.items()},
        external_inputs=externals,
        output_spec=_output_spec(invocation),
        cache_version=None if version is None else str(version),
    )


def plan_run(pipeline: Pipeline, graph: PipelineGraph, cache_on: bool) -> dict[str, PlannedStep]:
    """Plan every invocation of ``graph``; keys are invocation ids, in execution order."""
    return {
        name: plan_step(graph.invocations[name], pipeline.enable_cache, cache_on)
        for name in graph.order
    }
