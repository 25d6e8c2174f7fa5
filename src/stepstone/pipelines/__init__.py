"""``from stepstone.pipelines import pipeline``: where ZenML programs import the decorator.

The decorator here serves both eras: a pipeline whose arguments are steps is the class-based
API of ZenML before 0.40 (``my_pipeline(trainer=trainer(config=...)).run()``), and one
called with ordinary values runs at once, like :func:`stepstone.pipeline`. See
:mod:`stepstone.pipelines.class_based`.
"""

from stepstone.pipeline import Pipeline
from stepstone.pipelines.class_based import ClassBasedPipeline, PipelineInstance, pipeline

__all__ = ["ClassBasedPipeline", "Pipeline", "PipelineInstance", "pipeline"]
