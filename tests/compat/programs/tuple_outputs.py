"""Outputs without names: a Tuple annotation, a returned tuple, the tuple passed on whole."""

from stepstone import pipeline, step


@step
def split(values: list) -> tuple[list, list]:
    half = len(values) // 2
    return values[:half], values[half:]


@step
def as_one(values: list) -> tuple[int, int]:
    pair = (min(values), max(values))
    return pair  # not a tuple literal: one artifact holding the tuple


@step
def combine(parts: tuple, bounds: tuple) -> int:
    left, right = parts
    return len(left) * 100 + len(right) * 10 + bounds[1] - bounds[0]


@pipeline
def tuple_pipeline(values: list):
    parts = split(values)
    bounds = as_one(values)
    combine(parts, bounds)


if __name__ == "__main__":
    run = tuple_pipeline(values=[3, 1, 4, 1, 5])
    assert sorted(run.steps["split"].outputs) == ["output_0", "output_1"]
    assert list(run.steps["as_one"].outputs) == ["output"]
    assert run.steps["as_one"].output.load() == (1, 5)
    assert run.steps["combine"].output.load() == 234
