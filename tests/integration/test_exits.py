"""Exits and interrupts in a step, in real processes: the step run is recorded ``failed`` with
the cause, the run ``failed``, and the process then exits as the step (or the signal) asked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_fixtures import SRC
from stepstone import Client

FLOW = textwrap.dedent(
    """
    import sys, time
    from stepstone import pipeline, step

    @step
    def ok() -> int:
        return 1

    @step
    def bad(x: int) -> int:
        how = sys.argv[1]
        if how == "exit":
            sys.exit(3)
        if how == "interrupt":
            raise KeyboardInterrupt
        print("READY", flush=True)
        time.sleep(120)
        return 2

    @pipeline
    def flow():
        bad(ok())

    flow()
    """
)


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_process_outlives_its_test() -> Iterator[None]:
    """A test that fails mid-way must not leave its sleeping child to the tests after it."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
        process.communicate()


def _popen(script: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    _STARTED.append(process)
    return process


def _start(tmp_path: Path, how: str) -> subprocess.Popen[str]:
    script = tmp_path / "flow.py"
    script.write_text(FLOW)
    return _popen(script, how)


def _recorded() -> tuple[str, dict[str, tuple[str, str]]]:
    (run,) = Client().list_runs()
    steps = {
        name: (s.status, (s.error or "").splitlines()[0] if s.error else "")
        for name, s in run.steps.items()
    }
    return run.status, steps


@pytest.mark.parametrize(
    ("how", "code", "cause"),
    [
        ("exit", 3, "step called sys.exit(3)"),
        ("interrupt", 128 + signal.SIGINT, "interrupted (KeyboardInterrupt, e.g. Ctrl-C)"),
    ],
)
def test_exit_in_a_step_is_recorded_then_honoured(
    tmp_path: Path, how: str, code: int, cause: str
) -> None:
    process = _start(tmp_path, how)
    output, _ = process.communicate(timeout=120)
    assert process.returncode in (code, -signal.SIGINT), output
    assert _recorded() == ("failed", {"ok": ("completed", ""), "bad": ("failed", cause)})
    assert "Step `bad` failed after" in output and cause in output


def test_sigterm_during_a_step_is_recorded_then_ends_the_process(tmp_path: Path) -> None:
    process = _start(tmp_path, "term")
    assert process.stdout is not None
    for line in process.stdout:
        if "READY" in line:
            break
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM
    assert _recorded() == (
        "failed",
        {"ok": ("completed", ""), "bad": ("failed", "interrupted (the process received SIGTERM)")},
    )


POOL_FLOW = textwrap.dedent(
    """
    import time
    from stepstone import pipeline, step

    @step
    def first() -> int:
        return 1

    @step
    def slow(x: int) -> int:
        print("READY", flush=True)
        time.sleep(120)
        return x

    @step
    def quick() -> int:
        time.sleep(0.2)
        return 3

    @step
    def join(a: int, b: int) -> int:
        return a + b

    @pipeline
    def pooled():
        join(slow(first()), quick())

    pooled.with_options(executor="threads:2")()
    """
)


def _start_pooled(tmp_path: Path) -> subprocess.Popen[str]:
    """``pooled`` in a child process, once ``slow`` runs and ``quick`` has finished."""
    script = tmp_path / "pooled.py"
    script.write_text(POOL_FLOW)
    process = _popen(script)
    assert process.stdout is not None
    seen = ""
    for line in process.stdout:
        seen += line
        if "READY" in seen and "Step `quick` has finished" in seen:
            break
    return process


def _pooled_records(cause: str) -> tuple[str, dict[str, tuple[str, str]]]:
    return (
        "failed",
        {"first": ("completed", ""), "quick": ("completed", ""), "slow": ("failed", cause)},
    )


def test_sigterm_while_steps_run_on_threads_records_them_then_ends_the_process(
    tmp_path: Path,
) -> None:
    process = _start_pooled(tmp_path)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)  # not the 120 s the running step sleeps
    assert process.returncode == -signal.SIGTERM, output
    assert _recorded() == _pooled_records("interrupted (the process received SIGTERM)")
    assert "Step `slow` failed after" in output


def test_ctrl_c_while_steps_run_on_threads_says_what_still_runs(tmp_path: Path) -> None:
    process = _start_pooled(tmp_path)
    assert process.stdout is not None
    process.send_signal(signal.SIGINT)
    said = ""
    for line in process.stdout:
        said += line
        if "Press Ctrl-C again" in line:
            break
    assert "Step(s) slow still run on the threads:2 executor" in said
    assert _recorded() == _pooled_records("interrupted (KeyboardInterrupt, e.g. Ctrl-C)")
    # At once, as a user would: the second ends the process even while the first's traceback
    # is still being printed, not the 120 s the running step sleeps.
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGINT
