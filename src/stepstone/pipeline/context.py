"""``get_pipeline_context()``: what a pipeline function can ask while it is being traced.

A pipeline function runs once, before any step, to record the graph; the context tells it
which pipeline it is building (for a name-dependent choice of steps, say). It is not part of
any cache key: only the graph it builds and the steps' inputs are.
"""

from __future__ import annotations

from dataclasses import dataclass

from stepstone.exceptions import StepContextError
from stepstone.pipeline.tracing import PipelineTracer
from stepstone.steps.invocation import ACTIVE_TRACER
from stepstone.steps.model import Model


@dataclass(frozen=True, slots=True)
class PipelineContext:
    """The pipeline being traced, and the :class:`~stepstone.steps.model.Model` it was given
    (``None`` without one; the version a run works on is known once it starts)."""

    name: str
    model: Model | None = None


def get_pipeline_context() -> PipelineContext:
    """The context of the pipeline function that is running now.

    Raises:
        StepContextError: called outside a pipeline function (inside a step, use
            ``get_step_context()``).
    """
    tracer = ACTIVE_TRACER.get()
    if not isinstance(tracer, PipelineTracer):
        raise StepContextError(
            "get_pipeline_context() was called outside a pipeline function. It works only "
            "while a @pipeline function runs (when the pipeline is called); inside a @step "
            "function use get_step_context()."
        )
    return PipelineContext(tracer.pipeline_name, tracer.model)
