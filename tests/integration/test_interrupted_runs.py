"""A run whose driver was killed reads ``interrupted``, not ``running`` for ever.

Real processes: a pipeline is started in a child process, killed with ``kill -9`` in the middle
of a step, and the run is then read by the CLI, the client and the dashboard, and collected by
``gc`` without ``--force``. A run whose driver is still alive keeps reading ``running``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared_fixtures import SRC
from stepstone import Client
from stepstone.cli.app import app
from stepstone.metadata.records import PipelineRunRecord, RunStatus
from stepstone.processes import this_host

FLOW = textwrap.dedent(
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

    @pipeline
    def sleepy():
        slow(first())

    sleepy()
    """
)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A child process driving ``sleepy``, stopped inside its ``slow`` step."""
    script = tmp_path / "flow.py"
    script.write_text(FLOW)
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "READY" in line:
            break
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=60)


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "220"})
    return result.exit_code, result.stdout, result.stderr


def _record(pid: int, started_at: datetime, host: str | None = None) -> PipelineRunRecord:
    run = PipelineRunRecord(
        id=uuid.uuid4().hex,
        name=f"recorded-{uuid.uuid4().hex[:8]}",
        pipeline_name="recorded",
        status=RunStatus.RUNNING,
        started_at=started_at,
        ended_at=None,
        host=this_host() if host is None else host,
        pid=pid,
    )
    Client().stores.metadata.create_run(run)
    return run


def test_a_killed_run_reads_interrupted_everywhere_and_gc_needs_no_force(
    driver: subprocess.Popen[str],
) -> None:
    (live,) = Client().list_runs()
    assert live.status == RunStatus.RUNNING
    assert live.record.pid == driver.pid and live.record.host == this_host()
    code, out, err = _cli("gc", "--dry-run")
    assert code == 0, err
    assert "in progress" in out

    driver.send_signal(signal.SIGKILL)
    driver.communicate(timeout=60)

    run = Client().get_run(live.id)
    assert run.status == RunStatus.INTERRUPTED
    assert [r.id for r in Client().list_runs(status="interrupted")] == [live.id]
    assert Client().list_runs(status="running") == []
    assert Client().count_runs(status="interrupted") == 1

    code, out, err = _cli("runs", "list")
    assert code == 0, err
    assert "interrupted" in out and "running" not in out
    code, out, err = _cli("runs", "show", live.id)
    assert code == 0, err
    assert f"interrupted (its process {driver.pid} on {this_host()} is gone" in out
    code, out, err = _cli("runs", "show", live.id, "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "interrupted"
    code, out, err = _cli("runs", "list", "--status", "interrupted", "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)["runs"]] == [live.id]

    code, out, err = _cli("gc")
    assert code == 0, err
    assert "in progress" not in out + err
    code, out, err = _cli("runs", "delete", live.id)
    assert code == 0, err
    assert f"Deleted run {live.name}" in out


def test_the_dashboard_shows_a_killed_run_interrupted(driver: subprocess.Popen[str]) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stepstone.dashboard import create_app

    driver.send_signal(signal.SIGKILL)
    driver.communicate(timeout=60)
    web = TestClient(create_app(Client()))
    (run,) = web.get("/api/v1/runs").json()["runs"]
    assert run["status"] == "interrupted"
    assert web.get("/api/v1/runs", params={"status": "interrupted"}).json()["total"] == 1
    page = web.get(f"/runs/{run['id']}").text
    assert 'class="badge status-interrupted"' in page


def test_a_reused_process_id_does_not_keep_a_dead_run_running() -> None:
    """The id of a process that started after the run belongs to another program."""
    newer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        reused = _record(newer.pid, datetime.now(UTC) - timedelta(hours=1))
        driving = _record(os.getppid(), datetime.now(UTC))
        elsewhere = _record(newer.pid, datetime.now(UTC), host=f"not-{this_host()}")
        client = Client()
        assert client.get_run(reused.id).status == RunStatus.INTERRUPTED
        assert client.get_run(driving.id).status == RunStatus.RUNNING
        assert client.get_run(elsewhere.id).status == RunStatus.RUNNING
    finally:
        newer.kill()
        newer.wait()
