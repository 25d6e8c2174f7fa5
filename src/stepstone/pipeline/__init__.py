"""Pure pipeline definitions: ``@pipeline`` and tracing a pipeline function into a graph."""

from stepstone.pipeline.definition import Pipeline, PipelineOptions, pipeline
from stepstone.pipeline.tracing import PipelineGraph, trace

__all__ = ["Pipeline", "PipelineGraph", "PipelineOptions", "pipeline", "trace"]
