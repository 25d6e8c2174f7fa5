"""The executor contract: every executor runs the same pipelines with the same outcome.

One parametrized fixture gives each test every executor: ``local``, a thread pool, a
process pool, a Dask ``LocalCluster`` of worker threads and one of worker processes. The
pools and clusters are started once per session. The cluster of worker processes keeps its
artifacts in a bucket of the moto S3 server (a fresh bucket per test), its workers holding
the credentials in their own environment, as remote workers would. Steps that must overlap meet at a
rendezvous of files: each waits until the other has started, so concurrency is proven by
the recorded start and end times, never by durations.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3_servers import S3Server
from stepstone import StepExecutionError, pipeline, step
from stepstone.exceptions import CacheMissWarning, CodeMismatchError
from stepstone.models import PipelineRun
from stepstone.orchestrators.events import Event, StepStarted
from stepstone.orchestrators.executors import ProcessPool

EXECUTORS = ["local", "threads", "processes", "dask-threads", "dask-processes"]
RENDEZVOUS_SECONDS = 60.0
"""How long a step waits for its peer: only a serial executor ever waits this long... once."""


def _meet(folder: str, me: str, peer: str, wait: float) -> bool:
    """Say ``me`` started; wait up to ``wait`` seconds for ``peer`` to say so too."""
    Path(folder, me).touch()
    deadline = time.monotonic() + wait
    while not Path(folder, peer).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@step
def left(folder: str, wait: float) -> bool:
    for i in range(30):
        print(f"left line {i}")
    return _meet(folder, "left", "right", wait)


@step
def right(folder: str, wait: float) -> bool:
    for i in range(30):
        print(f"right line {i}")
    return _meet(folder, "right", "left", wait)


@pipeline
def side_by_side(folder: str, wait: float = 0.0):
    left(folder, wait)
    right(folder, wait)


@step
def slow_survivor(folder: str) -> int:
    _meet(folder, "survivor", "breaker", RENDEZVOUS_SECONDS)
    return 7


@step
def breaker(folder: str) -> int:
    _meet(folder, "breaker", "survivor", RENDEZVOUS_SECONDS)
    raise ValueError("broken on purpose")


@pipeline
def one_breaks(folder: str):
    slow_survivor(folder)
    breaker(folder)


@step
def numbers(n: int) -> list[int]:
    return list(range(n))


@step
def total(values: list[int], offset: int = 0) -> int:
    return sum(values) + offset


@pipeline
def summing(n: int = 5, offset: int = 0):
    total(numbers(n), offset=offset)


@step(enable_cache=False)
def prints_then_waits(signal: str, wait: float) -> bool:
    """Print a line, then wait until the driver's console has shown it."""
    import sys as system  # a global sys.stderr would be fingerprinted as a value

    print("first line, before the wait")
    system.stderr.write("a line on stderr\n")
    deadline = time.monotonic() + wait
    while not Path(signal).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    print("second line, after the wait")
    return Path(signal).exists()


@pipeline
def printing(signal: str, wait: float):
    prints_then_waits(signal, wait)


class _Console:
    """The driver's console: says (a file appears) when the step's first line reached it."""

    def __init__(self, signal: Path) -> None:
        self.signal = signal
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        if "first line" in text:
            self.signal.touch()
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)


@pytest.fixture(scope="session")
def process_pool() -> Iterator[ProcessPool]:
    pool = ProcessPool(2)
    yield pool
    pool.shutdown()


def _dask_client(processes: bool, env: dict[str, str] | None = None) -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    options: dict[str, Any] = {"host": "127.0.0.1", "env": env or {}} if processes else {}
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        dashboard_address="127.0.0.1:0",  # a free port: 8787 may be taken
        silence_logs=50,
        **options,
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def dask_threads() -> Iterator[Any]:
    yield from _dask_client(processes=False)


@pytest.fixture(scope="session")
def dask_processes(moto_s3: S3Server) -> Iterator[Any]:
    yield from _dask_client(processes=True, env=moto_s3.environment())


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> Any:
    name = request.param
    if name == "local":
        return "local"
    if name == "threads":
        return "threads:4"
    if name == "processes":
        return request.getfixturevalue("process_pool")
    if name == "dask-threads":
        return request.getfixturevalue("dask_threads")
    server: S3Server = request.getfixturevalue("moto_s3")
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    for variable, value in server.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("STEPSTONE_ARTIFACT_ROOT", f"s3://{server.new_bucket()}/artifacts")
    return request.getfixturevalue("dask_processes")


def _interval(run: PipelineRun, name: str) -> tuple[Any, Any]:
    record = run.steps[name]
    return record.started_at, record.ended_at


def test_independent_steps_overlap_and_keep_their_own_logs(executor: Any, tmp_path: Path) -> None:
    serial = executor == "local"
    run = side_by_side.with_options(executor=executor)(
        str(tmp_path), wait=0.0 if serial else RENDEZVOUS_SECONDS
    )
    (left_start, left_end), (right_start, right_end) = (
        _interval(run, "left"),
        _interval(run, "right"),
    )
    overlapped = max(left_start, right_start) < min(left_end, right_end)
    assert overlapped is not serial
    if not serial:
        assert run.steps["left"].output.load() and run.steps["right"].output.load()
    for name, other in (("left", "right"), ("right", "left")):
        logs = run.steps[name].logs or ""
        assert logs.splitlines() == [f"{name} line {i}" for i in range(30)]
        assert other not in logs


def test_the_drain_after_a_failure_records_every_finished_step(
    executor: Any, tmp_path: Path
) -> None:
    if executor == "local":
        pytest.skip("the serial executor runs one step at a time: nothing is left to drain")
    with pytest.raises(StepExecutionError, match="broken on purpose") as raised:
        one_breaks.with_options(executor=executor)(str(tmp_path))
    from stepstone.client import Client

    run = Client().get_run(raised.value.run_id or "")
    statuses = {name: s.status for name, s in run.steps.items()}
    assert statuses == {"slow_survivor": "completed", "breaker": "failed"}
    assert run.steps["slow_survivor"].output.load() == 7


def _corrupt(uri: str) -> None:
    """Flip the last byte of the artifact's largest file, on disk or in the bucket."""
    import fsspec

    fs, folder = fsspec.core.url_to_fs(uri)
    files = [f for f in fs.ls(folder, detail=True) if not f["name"].rsplit("/", 1)[-1][0] == "."]
    data = max(files, key=lambda f: f["size"])["name"]
    raw = bytearray(fs.cat_file(data))
    raw[-1] ^= 0xFF
    fs.pipe_file(data, bytes(raw))


def test_a_damaged_input_makes_its_producer_run_again(executor: Any) -> None:
    flow = summing.with_options(executor=executor)
    first = flow(n=5)
    _corrupt(first.steps["numbers"].output.uri)
    with pytest.warns(CacheMissWarning, match="input 'values' from step 'numbers'"):
        second = flow(n=5, offset=1)
    assert second.status == "completed"
    assert second.steps["total"].output.load() == 11
    assert second.steps["numbers"].cache_components["decision"] == "artifacts_missing"


class _Counting:
    """Wraps an executor choice's events: a rerun that is fully cached starts nothing."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.started.append(event.invocation_name)


def test_a_rerun_is_fully_cached_and_submits_nothing(executor: Any) -> None:
    from concurrent.futures import Executor

    from stepstone.orchestrators.driver import run_pipeline

    first = run_pipeline(summing, kwargs={"n": 4}, executor=executor, listeners=[])
    assert first.steps["total"].output.load() == 6

    class Refusing(Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a fully cached run submitted a step")

    counting = _Counting()
    again = run_pipeline(summing, kwargs={"n": 4}, executor=Refusing(), listeners=[counting])
    assert [s.status for s in again.steps.values()] == ["cached", "cached"]
    assert counting.started == []
    transitions = _task_transitions(executor)
    third = run_pipeline(summing, kwargs={"n": 4}, executor=executor, listeners=[counting])
    assert counting.started == [] and third.steps["total"].status == "cached"
    # On a cluster, not even a task reached the scheduler (a cached step never leaves the driver).
    assert _task_transitions(executor) == transitions


def _task_transitions(executor: Any) -> int | None:
    """How many task state changes a Dask scheduler has made so far (``None``: not Dask)."""
    if not hasattr(executor, "run_on_scheduler"):
        return None
    return int(executor.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter))


_EDITABLE = """
from pathlib import Path
from stepstone import pipeline, step


@step
def rewrite(path: str) -> int:
    source = Path(path).read_text()
    Path(path).write_text(source.replace("return 1  # victim", "return 2  # victim, edited"))
    return 0


@step
def victim(ready: int) -> int:
    return 1  # victim


@pipeline
def edited(path: str):
    victim(rewrite(path))
"""


def _on_path(folder: str) -> None:
    import sys

    sys.path.insert(0, folder)


def _off_path(folder: str, module: str) -> None:
    import sys

    sys.path.remove(folder)
    sys.modules.pop(module, None)


def test_a_worker_whose_code_differs_from_the_drivers_refuses_to_run(
    executor: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first step edits the second's file: the worker then reads other code than the
    driver fingerprinted, fails the step, and caches nothing."""
    if executor in ("local", "threads:4") or "inproc" in repr(executor):
        pytest.skip("in the driver's process the code a step runs is the driver's")
    import importlib
    import sys

    folder = tmp_path / "project"
    folder.mkdir()
    module_file = folder / "editable_steps.py"
    module_file.write_text(_EDITABLE)
    monkeypatch.syspath_prepend(str(folder))  # the driver, and pools spawned from now on
    sys.modules.pop("editable_steps", None)
    module = importlib.import_module("editable_steps")
    if isinstance(executor, ProcessPool):
        executor = "processes:2"  # a pool whose workers have the project on their path
    else:  # a running Dask cluster: put the project on its workers' path
        executor.run(_on_path, str(folder))
    try:
        with pytest.raises(StepExecutionError) as raised:
            module.edited.with_options(executor=executor)(str(module_file))
    finally:
        sys.modules.pop("editable_steps", None)
        if not isinstance(executor, str):
            executor.run(_off_path, str(folder), "editable_steps")
    cause = raised.value.__cause__
    assert isinstance(cause, CodeMismatchError)
    assert cause.invocation_name == "victim" and "editable_steps.victim" in cause.objects
    assert "module editable_steps" in str(cause)
    from stepstone.client import Client

    run = Client().get_run(raised.value.run_id or "")
    assert run.steps["victim"].status == "failed"


def test_a_steps_lines_reach_the_drivers_console_while_it_runs(
    executor: Any, tmp_path: Path
) -> None:
    """The step waits for its first line to arrive before it goes on: it can only return
    True if the line reached the driver while the step was still running."""
    signal = tmp_path / "seen"
    out, err = _Console(signal), _Console(tmp_path / "unused")
    with pytest.MonkeyPatch.context() as console:
        console.setattr(sys, "stdout", out)
        console.setattr(sys, "stderr", err)
        run = printing.with_options(executor=executor)(str(signal), RENDEZVOUS_SECONDS)
    assert run.steps["prints_then_waits"].output.load() is True
    assert "second line, after the wait" in out.text
    assert "a line on stderr" in err.text and "a line on stderr" not in out.text
    assert (run.steps["prints_then_waits"].logs or "").splitlines() == [
        "first line, before the wait",
        "a line on stderr",
        "second line, after the wait",
    ]
