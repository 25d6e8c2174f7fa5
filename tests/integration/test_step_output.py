"""Steps that use stdout like a program, and steps printing side by side, in real runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared_fixtures import SRC
from stepstone import pipeline, step
from stepstone.orchestrators.driver import run_pipeline

TURNS = threading.Barrier(2, timeout=30)


@step
def left() -> int:
    for number in range(3):
        TURNS.wait()  # both steps are running: this fails unless they run side by side
        print(f"left {number}")
    return 1


@step
def right() -> int:
    for number in range(3):
        TURNS.wait()
        print(f"right {number}")
    return 2


@pipeline
def side_by_side():
    left()
    right()


def test_steps_on_a_thread_pool_record_only_their_own_output() -> None:
    original_stdout, original_stderr = sys.stdout, sys.stderr
    with ThreadPoolExecutor(2) as pool:
        run = run_pipeline(side_by_side, executor=pool, listeners=[])
    assert run.status == "completed"
    assert run.steps["left"].logs == "left 0\nleft 1\nleft 2\n"
    assert run.steps["right"].logs == "right 0\nright 1\nright 2\n"
    assert sys.stdout is original_stdout and sys.stderr is original_stderr


# The reliability report's reproduction (binary writes, a caught TypeError) and a step
# printing what os.listdir returns for a non-UTF-8 name, NUL and a long line: under a real
# process whose stdout is a real stream, every run completes and records its logs.
PROGRAM = """
import os, sys
from stepstone import Client, pipeline, step

@step
def binary() -> int:
    sys.stdout.buffer.write(b"\\x89PNG\\r\\n")
    return 1

@step
def wrong() -> int:
    try:
        sys.stdout.write(b"oops")
    except TypeError as exc:
        print("caught:", exc)
    return 2

@step
def odd_text() -> int:
    print("reading", os.fsdecode(b"caf\\xe9.csv"), "nul:\\x00", "x" * 100_000)
    return 3

for name, st in (("binary", binary), ("wrong", wrong), ("odd_text", odd_text)):
    @pipeline(name=name)
    def p():
        st()
    p()
    print(name, "ok")
runs = Client().list_runs()
print(sorted((r.pipeline_name, str(r.status), len(r.steps)) for r in runs))
for run in sorted(runs, key=lambda r: r.pipeline_name):
    (step_run,) = run.steps.values()
    print(repr(step_run.logs[:80]))
"""


@pytest.mark.slow
def test_steps_using_stdout_like_a_program_complete(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "STEPSTONE_HOME": str(tmp_path / "home"),
        "PYTHONIOENCODING": "utf-8:surrogateescape",  # as under the C.UTF-8 locale
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout
    assert b"\x89PNG\r\n" in out  # the bytes reached the real stdout unchanged
    assert b"caught: write() argument must be str, not bytes\n" in out
    assert b"reading caf\xe9.csv nul:\x00 xxx" in out
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    assert "binary ok" in lines and "wrong ok" in lines and "odd_text ok" in lines
    summary = (
        "[('binary', 'completed', 1), ('odd_text', 'completed', 1), ('wrong', 'completed', 1)]"
    )
    assert summary in lines
    assert lines[-3:] == [
        repr("\\x89PNG\r\n"),
        repr("reading caf\\xe9.csv nul:\\x00 " + "x" * 51),
        repr("caught: write() argument must be str, not bytes\n"),
    ]
