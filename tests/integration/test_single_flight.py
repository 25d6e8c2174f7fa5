"""One execution per cache key: runs started together on one store wait for each other.

Real processes (``python project.py``) on one fresh store, on SQLite, PostgreSQL and MariaDB.
Each execution of a step leaves a file in ``executions/``, so the tests count executions by a
side effect the framework cannot fake. Runs started together pass a barrier first (every
process is imported and ready), so they really do race for the same keys.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from shared_fixtures import Spawn
from stepstone.metadata import open_metadata_store

pytestmark = pytest.mark.slow

PROJECT = """
import json
import os
import time
import uuid
from pathlib import Path

from stepstone import pipeline, step

HERE = Path(__file__).parent


def executed(name: str) -> None:
    (HERE / "executions" / f"{name}-{uuid.uuid4().hex}").write_text(str(os.getpid()))


def role() -> dict:
    # This process's part in the test, from a file: a step that read os.environ would be
    # keyed on the whole environment, and the processes' keys would differ.
    path = HERE / "roles" / f"{os.getpid()}.json"
    return json.loads(path.read_text()) if path.exists() else {}


@step
def load(size: int) -> list:
    executed("load")
    part = role()
    if "gate" in part:  # the holder in the tests: it executes until told to go on (or is killed)
        while not os.path.exists(part["gate"]):
            time.sleep(0.02)
    time.sleep(part.get("seconds", 0.3))
    if part.get("fails"):
        raise RuntimeError("the data source is down")
    return list(range(size))


@step
def square(values: list) -> list:
    executed("square")
    time.sleep(0.2)
    return [v * v for v in values]


@step
def total(values: list) -> int:
    executed("total")
    return sum(values)


@step
def describe(size: int) -> str:
    executed("describe")
    return f"{size} values"


@step(enable_cache=False)
def report(total: int) -> str:
    executed("report")
    return str(total)


@pipeline
def flight(size: int = 10):
    describe(size)
    report(total(square(load(size))))


if __name__ == "__main__":
    (HERE / "roles").mkdir(exist_ok=True)
    (HERE / "roles" / f"{os.getpid()}.json").write_text(os.environ.get("ROLE", "{}"))
    barrier = os.environ.get("BARRIER")
    if barrier:
        Path(barrier, str(os.getpid())).touch()
        while len(os.listdir(barrier)) < int(os.environ["PARTIES"]):
            time.sleep(0.01)
    run = flight(size=int(os.environ.get("SIZE", "10")))
    print("RESULT", run.steps["report"].output.load(), flush=True)
"""

#: The keyed steps of the pipeline (``report`` is not cached: it executes in every run).
CACHED_STEPS = ("load", "square", "total", "describe")
EXPECTED = str(sum(v * v for v in range(10)))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project.py").write_text(textwrap.dedent(PROJECT))
    (tmp_path / "executions").mkdir()
    return tmp_path


def _environment(project: Path, metadata_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")}
    env.update(
        STEPSTONE_HOME=str(project / "home"),
        STEPSTONE_METADATA_URL=metadata_url,
        STEPSTONE_ARTIFACT_ROOT=str(project / "artifacts"),
        STEPSTONE_LEASE_TIMEOUT="2",
        **extra,
    )
    return env


Start = Callable[[Path, dict[str, str]], subprocess.Popen[str]]


@pytest.fixture
def start(spawn: Spawn) -> Start:
    """Starts ``python project.py`` runs (killed after the test if still running: a holder
    parked on its gate would otherwise sleep forever)."""

    def start(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
        return spawn(
            [sys.executable, "project.py"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    return start


def _executions(project: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in (project / "executions").iterdir():
        name = path.name.rsplit("-", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return counts


def _wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_eight_runs_started_together_execute_each_step_once(
    project: Path, metadata_url: str, start: Start
) -> None:
    barrier = project / "barrier"
    barrier.mkdir()
    # Long enough a load that every run reaches it while the first still executes it (opening
    # a fresh store makes the runs start apart).
    env = _environment(
        project, metadata_url, BARRIER=str(barrier), PARTIES="8", ROLE='{"seconds": 2}'
    )
    processes = [start(project, env) for _ in range(8)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output
        assert f"RESULT {EXPECTED}" in output
    assert _executions(project) == {**dict.fromkeys(CACHED_STEPS, 1), "report": 8}
    log = "".join(outputs)
    # The runs that came second waited for the first, then reused its result as usual.
    assert "Step `load` is running in run flight-" in log
    assert log.count("Using cached version of step `load`") == 7
    with open_metadata_store(metadata_url) as store:
        entries = store.list_cache_entries()
        assert sorted(entry.invocation_name for entry in entries) == sorted(CACHED_STEPS)
        assert {run.status for run in store.list_runs()} == {"completed"}
        assert store.count_runs() == 8


def _kill_or_fail_holder(
    project: Path, metadata_url: str, start: Start, *, kill: bool
) -> tuple[str, float]:
    """Start a holder of ``load``, then a second run once the holder executes it; once that one
    waits, kill the holder (or let it fail). The second run's output, and how long it took
    from the kill (or failure) on."""
    gate = project / "go-on"
    part = {"gate": str(gate), "fails": not kill}
    holder = start(project, _environment(project, metadata_url, ROLE=json.dumps(part)))
    _wait_for(lambda: _executions(project).get("load") == 1, "the holder to execute load")
    waiter = start(project, _environment(project, metadata_url))
    with open_metadata_store(metadata_url) as store:
        _wait_for(
            lambda: any(store.waiting_steps(run.id) for run in store.list_runs(status="running")),
            "the second run to wait",
        )
        waiting = next(r for r in store.list_runs(status="running") if store.waiting_steps(r.id))
        holding = next(r for r in store.list_runs(status="running") if r.id != waiting.id)
    _assert_shown_waiting(project, metadata_url, waiting.name, holding.name)
    released = time.monotonic()
    if kill:
        os.kill(holder.pid, signal.SIGKILL)
    else:
        gate.touch()
    holder_output = holder.communicate(timeout=120)[0]
    output = waiter.communicate(timeout=120)[0]
    assert waiter.returncode == 0, output
    assert f"RESULT {EXPECTED}" in output
    if not kill:
        assert "RuntimeError: the data source is down" in holder_output
    return output, time.monotonic() - released


def _assert_shown_waiting(project: Path, metadata_url: str, run_name: str, holder: str) -> None:
    """``runs show`` and the dashboard show the waiting step, and the run it waits for."""
    env = _environment(project, metadata_url)
    shown = subprocess.run(
        [sys.executable, "-m", "stepstone.cli", "runs", "show", run_name],
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    row = next(line for line in shown.splitlines() if " load " in line)
    assert "waiting" in row
    assert f"waiting for {holder}" in row

    from fastapi.testclient import TestClient

    from stepstone import Client
    from stepstone.config import load_settings
    from stepstone.dashboard import create_app

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            if name.startswith("STEPSTONE_"):
                patch.setenv(name, value)
        client = Client(settings=load_settings())
    with TestClient(create_app(client)) as api:
        steps = api.get(f"/api/v1/runs/{run_name}").json()["steps"]
    assert {step["name"]: step["status"] for step in steps}["load"] == "waiting"


def test_a_killed_holder_is_taken_over_once_its_lease_expires(
    project: Path, metadata_url: str, start: Start
) -> None:
    output, waited = _kill_or_fail_holder(project, metadata_url, start, kill=True)

    lines = output.splitlines()
    waiting = next(i for i, line in enumerate(lines) if "Step `load` is running in run" in line)
    assert "Step `load` has started." in lines[waiting + 1 :]
    assert any("that was executing it is gone; executing the step here" in ln for ln in lines)
    assert _executions(project)["load"] == 2  # the killed one, then the waiter's own
    # The lease timeout is 2 s: the waiter takes over after it, plus one poll, and finishes.
    assert waited < 15
    with open_metadata_store(metadata_url) as store:
        assert sorted(e.invocation_name for e in store.list_cache_entries()) == sorted(CACHED_STEPS)


def test_a_failing_holder_releases_its_lease_and_the_waiter_executes(
    project: Path, metadata_url: str, start: Start
) -> None:
    output, _ = _kill_or_fail_holder(project, metadata_url, start, kill=False)

    lines = output.splitlines()
    waiting = next(i for i, line in enumerate(lines) if "Step `load` is running in run" in line)
    assert "Step `load` has started." in lines[waiting + 1 :]
    assert "is gone" not in output  # it failed and released the lease: no takeover
    assert _executions(project)["load"] == 2
