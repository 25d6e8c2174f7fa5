"""A pipeline defined in a script (``__main__``) runs on a process pool.

Steps in ``__main__`` travel to workers by value, so the worker cannot re-read their source;
its code check then compares the versions of the libraries both sides reach. A step that
calls into the standard library used to be refused there as a code mismatch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared_fixtures import SRC

SCRIPT = """
import time
from stepstone import pipeline, step

@step
def burn(i: int) -> int:
    time.process_time()
    return i * 2

@pipeline
def fan_out():
    for i in range(3):
        burn(i, id=f"burn_{i}")

if __name__ == "__main__":
    run = fan_out.with_options(executor="processes:2")()
    print(sorted(step.output.load() for step in run.steps.values()))
    again = fan_out.with_options(executor="processes:2")()
    print(sorted(str(step.status) for step in again.steps.values()))
"""


@pytest.mark.slow
def test_a_script_pipeline_runs_on_a_process_pool_and_then_caches(tmp_path: Path) -> None:
    script = tmp_path / "flow.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": SRC, "STEPSTONE_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "[0, 2, 4]" in lines
    assert "['cached', 'cached', 'cached']" in lines
