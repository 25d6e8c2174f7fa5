"""Small pipelines for the CLI tests: JSON-stored values only, so runs take milliseconds."""

from __future__ import annotations

from dataclasses import dataclass

from stepstone import pipeline, step
from stepstone.models import PipelineRun


@step
def load_numbers() -> list[int]:
    return [1, 2, 3, 4]


@step
def scale_total(numbers: list[int], factor: int = 1) -> int:
    if factor < 0:
        raise ValueError(f"factor must be positive, got {factor}")
    return sum(numbers) * factor


@pipeline
def numbers_pipeline(factor: int = 1) -> None:
    scale_total(load_numbers(), factor=factor)


@pipeline
def other_pipeline() -> None:
    load_numbers()


@dataclass
class RecordedRuns:
    """Runs made before the command under test: ``first`` executed, ``second`` reused."""

    first: PipelineRun
    second: PipelineRun
