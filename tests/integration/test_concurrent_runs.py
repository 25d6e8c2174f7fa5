"""Several processes running pipelines on one fresh store at once all succeed, consistently."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared_fixtures import Spawn
from stepstone import Client

pytestmark = pytest.mark.slow

PROJECT = """
import sys
import time

import numpy as np

from stepstone import pipeline, step


@step
def make(size: int) -> np.ndarray:
    time.sleep(0.05)
    return np.arange(size, dtype=np.float64)


@step
def square(values: np.ndarray) -> np.ndarray:
    return values ** 2


@step
def total(values: np.ndarray) -> float:
    return float(values.sum())


@pipeline
def shared(size: int = 10):
    total(square(make(size)))


if __name__ == "__main__":
    for size in (10, 20, 10):
        shared(size=int(size))
"""


def test_processes_racing_on_a_fresh_store_all_succeed(spawn: Spawn, tmp_path: Path) -> None:
    (tmp_path / "project.py").write_text(textwrap.dedent(PROJECT))
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")}
    env["STEPSTONE_HOME"] = str(home)
    processes = [
        spawn(
            [sys.executable, "project.py"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err

    client = Client(home)
    runs = client.list_runs("shared")
    assert len(runs) == 12
    assert {run.status for run in runs} == {"completed"}
    keys_to_producers: dict[str, set[str]] = {}
    for run in runs:
        total_step = run.steps["total"]
        size = 10 if run.steps["make"].parameters == {"size": 10} else 20
        assert total_step.output.load() == float(sum(v * v for v in range(size)))
        for step_run in run.steps.values():
            if step_run.status == "cached":
                keys_to_producers.setdefault(step_run.cache_key, set()).add(step_run.cached_from)
    entries = client.stores.metadata.list_cache_entries()
    assert len({entry.cache_key for entry in entries}) == len(entries) == 6
    # Every cached step points at the one producer its key's entry names.
    by_key = {entry.cache_key: entry.step_run_id for entry in entries}
    for key, producers in keys_to_producers.items():
        assert producers == {by_key[key]}
