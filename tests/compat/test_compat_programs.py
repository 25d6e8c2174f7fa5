"""Programs written in ZenML's documented style run unchanged, and cache on a second run.

Each file in ``programs/`` is a small program of its own (steps, a pipeline, and checks of
what the run recorded, in ZenML's API); it is executed as ``__main__`` twice, like running
``python program.py`` twice, and the second run must reuse every step.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from stepstone.client import Client

PROGRAMS = Path(__file__).parent / "programs"


@pytest.mark.parametrize(
    "program",
    [
        "class_based",
        "composition",
        "configuration",
        "run_history",
        "tuple_outputs",
        "yaml_config",
    ],
    ids=str,
)
def test_program_runs_twice_and_caches_the_second_time(program: str) -> None:
    runpy.run_path(str(PROGRAMS / f"{program}.py"), run_name="__main__")
    runpy.run_path(str(PROGRAMS / f"{program}.py"), run_name="__main__")
    first, second = reversed(Client().list_runs(limit=2))
    assert first.pipeline_name == second.pipeline_name
    assert {step.status for step in first.steps.values()} == {"completed"}
    assert {step.status for step in second.steps.values()} == {"cached"}
    assert list(second.steps) == list(first.steps)
