"""Small pipelines for the CLI tests: JSON-stored values only, so runs take milliseconds."""

from __future__ import annotations

from dataclasses import dataclass

from stepstone import pipeline, step
from stepstone.models import PipelineRun


@step
def load_numbers() -> list[int]:
    print("loaded 4 numbers")
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


FLOW_SOURCE = """
from stepstone import pipeline, step


@step
def load(n: int = 3) -> list[int]:
    print(f"loading {n} numbers")
    return list(range(n))


@step
def total(xs: list[int], factor: float = 1.0) -> float:
    if factor < 0:
        raise ValueError(f"factor must be >= 0, got {factor}")
    return sum(xs) * factor


@pipeline
def numbers(n: int = 3, factor: float = 1.0, tags: list[str] | None = None, loud: bool = False):
    total(load(n=n), factor=factor)


if __name__ == "__main__":
    raise SystemExit("stepstone run must not execute this block")
"""
"""A pipeline file for ``stepstone run``: typed parameters, a printing step, a failure switch."""
