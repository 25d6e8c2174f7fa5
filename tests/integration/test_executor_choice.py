"""Choosing an executor, and what a bad choice or a failing worker says.

Workers here are real: spawned process pools and a Dask scheduler address that nothing
listens on. Only "distributed is not installed" is simulated, by hiding the module.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stepstone import StepExecutionError, pipeline, step
from stepstone.config import load_settings, set_config_value
from stepstone.exceptions import ConfigError, ExecutorError, StepRetryWarning
from stepstone.orchestrators.executors import ExecutorChoice, open_executor, parse_executor


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("local", ExecutorChoice("local")),
        ("threads", ExecutorChoice("threads")),
        ("Threads:4", ExecutorChoice("threads", 4)),
        ("processes:2", ExecutorChoice("processes", 2)),
        ("dask", ExecutorChoice("dask")),
        ("dask:3", ExecutorChoice("dask", 3)),
        ("dask://10.0.0.5:8786", ExecutorChoice("dask", address="tcp://10.0.0.5:8786")),
        ("tcp://scheduler:8786", ExecutorChoice("dask", address="tcp://scheduler:8786")),
    ],
)
def test_every_way_of_naming_an_executor_parses(text: str, choice: ExecutorChoice) -> None:
    assert parse_executor(text) == choice
    assert parse_executor(str(choice)) == choice  # the label round-trips


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("thread", "Did you mean 'threads'?"),
        ("procesess:2", "Did you mean 'processes'?"),
        ("threads:0", "whole number >= 1"),
        ("threads:many", "whole number >= 1"),
        ("local:2", "takes no worker count"),
        ("tcp://host", "with a port"),
        ("dask://", "with a port"),
    ],
)
def test_a_bad_executor_name_says_what_would_work(text: str, message: str) -> None:
    with pytest.raises(ExecutorError, match=message):
        parse_executor(text)


def test_the_setting_comes_from_the_config_file_and_the_environment(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().executor == "local"
    set_config_value(isolated_home, "executor", "threads:3")
    assert load_settings().executor == "threads:3"
    monkeypatch.setenv("STEPSTONE_EXECUTOR", "processes")
    assert load_settings().executor == "processes"
    monkeypatch.setenv("STEPSTONE_EXECUTOR", "dusk")
    with pytest.raises(ConfigError, match=r"Did you mean 'dask'.*STEPSTONE_EXECUTOR"):
        load_settings()
    with pytest.raises(ConfigError, match="Did you mean 'threads'"):
        set_config_value(isolated_home, "executor", "treads")


SEEN_THREADS: list[str] = []


@step
def where() -> str:
    SEEN_THREADS.append(threading.current_thread().name)
    return threading.current_thread().name


@pipeline
def placed():
    where()


def test_the_environment_choice_applies_and_a_pipeline_option_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPSTONE_EXECUTOR", "threads:2")
    run = placed.with_options(enable_cache=False)()
    assert run.steps["where"].output.load().startswith("stepstone-step")
    with ThreadPoolExecutor(1, thread_name_prefix="mine") as mine:
        run = placed.with_options(enable_cache=False, executor=mine)()
        assert run.steps["where"].output.load().startswith("mine")
        assert mine.submit(lambda: 1).result() == 1  # the caller's executor is left open
    run = placed.with_options(enable_cache=False, executor="local")()
    assert run.steps["where"].output.load() == threading.current_thread().name


def test_an_unreachable_scheduler_fails_fast_naming_its_address() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match=r"tcp://127\.0\.0\.1:9 within 5 s"):
        with open_executor("tcp://127.0.0.1:9"):
            pass


def test_dask_without_distributed_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ExecutorError, match="stepstone integration install dask"):
        with open_executor("dask"):
            pass


def test_a_memory_artifact_root_is_refused_for_workers_in_other_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPSTONE_ARTIFACT_ROOT", "memory://only-here")
    with pytest.raises(ExecutorError, match="memory://only-here lives in this process only"):
        placed.with_options(executor="processes:1")()


@step(retries=1)
def dies_once(marker: str) -> int:
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(137)  # the worker process dies, as the kernel's OOM killer would do it
    return 5


@step
def dies_always(marker: str) -> int:
    os._exit(137)


@pipeline
def fragile(marker: str):
    dies_once(marker)


@pipeline
def doomed(marker: str):
    dies_always(marker)


def test_a_worker_that_died_is_retried_when_the_step_allows_it(tmp_path: Path) -> None:
    with pytest.warns(StepRetryWarning, match="worker died.*retry 1 of 1"):
        run = fragile.with_options(executor="processes:1")(str(tmp_path / "died"))
    assert run.steps["dies_once"].output.load() == 5


def test_a_worker_that_died_is_reported_as_likely_out_of_memory(tmp_path: Path) -> None:
    with pytest.raises(StepExecutionError, match="worker died while running it, likely out of"):
        doomed.with_options(executor="processes:1")(str(tmp_path / "m"))


ATTEMPTS: list[int] = []


@step(retries=2, retry_on=TimeoutError)
def flaky() -> int:
    ATTEMPTS.append(1)
    if len(ATTEMPTS) < 3:
        raise TimeoutError("the service is slow")
    return len(ATTEMPTS)


@step(retries=2)
def wrong() -> int:
    ATTEMPTS.append(1)
    raise ValueError("a bug, not bad luck")


@pipeline
def retried():
    flaky()


@pipeline
def not_retried():
    wrong()


def test_a_step_exception_is_retried_only_when_listed_in_retry_on() -> None:
    ATTEMPTS.clear()
    with pytest.warns(StepRetryWarning, match="TimeoutError: the service is slow"):
        run = retried()
    assert run.steps["flaky"].output.load() == 3
    ATTEMPTS.clear()
    with pytest.raises(StepExecutionError, match="a bug, not bad luck"):
        not_retried()
    assert ATTEMPTS == [1]


class Unpicklable(Exception):
    def __init__(self, lock: object) -> None:
        super().__init__("holding a lock")
        self.lock = lock


@step
def raises_unpicklable() -> int:
    raise Unpicklable(threading.Lock())


@pipeline
def unpicklable_failure():
    raises_unpicklable()


def test_an_exception_that_cannot_travel_back_keeps_its_traceback(tmp_path: Path) -> None:
    with pytest.raises(StepExecutionError, match="raises_unpicklable") as raised:
        unpicklable_failure.with_options(executor="processes:1")()
    from stepstone.client import Client

    record = Client().get_run(raised.value.run_id or "").steps["raises_unpicklable"]
    assert "Unpicklable: holding a lock" in (record.error or "")


@step
def takes_anything(value: object) -> int:
    return 1


def test_a_task_that_cannot_be_pickled_is_reported_naming_the_step() -> None:
    """A real pool refuses a task holding a lock; the driver's report names the step."""
    from concurrent.futures import ProcessPoolExecutor

    from stepstone.execution import StepTask, run_task
    from stepstone.orchestrators.executors import worker_failure

    task = StepTask(
        "run", "takes_anything", takes_anything.func, {"value": threading.Lock()}, {}, ()
    )
    with ProcessPoolExecutor(1) as pool:
        error = pool.submit(run_task, task).exception()
    assert error is not None
    failure = worker_failure("takes_anything", "processes:1", error)
    assert failure.message.startswith("Step 'takes_anything': its task or result cannot be pickled")
    assert not failure.transient


LATE_STARTED = threading.Event()
EARLY_FAILED = threading.Event()


@step
def fails_early() -> int:
    LATE_STARTED.wait(30)
    EARLY_FAILED.set()
    raise KeyError("early failure")


@step
def fails_late() -> int:
    LATE_STARTED.set()
    EARLY_FAILED.wait(30)
    time.sleep(0.2)
    raise ValueError("late failure")


@pipeline
def two_failures() -> None:
    fails_early()
    fails_late()


def test_several_failed_steps_name_the_first_called_and_count_the_others() -> None:
    """Both fail; the one called first is named though it is not the last recorded."""
    LATE_STARTED.clear()
    EARLY_FAILED.clear()
    with pytest.raises(StepExecutionError) as info:
        two_failures.with_options(executor="threads:2")()
    message = str(info.value)
    assert info.value.invocation_name == "fails_early"
    assert message.startswith("Step 'fails_early' failed in run two_failures-")
    assert "KeyError: 'early failure'" in message
    assert "1 other step(s) failed too: fails_late." in message
    assert isinstance(info.value.__cause__, KeyError)


def test_a_run_in_process_imports_no_process_pool(
    run_python: Callable[..., str], tmp_path: Path
) -> None:
    """A process pool costs ~10 ms of imports; a run that uses none must not pay them."""
    loaded = run_python(
        "import sys\n"
        "from stepstone import pipeline, step\n"
        "@step\n"
        "def one() -> int:\n"
        "    return 1\n"
        "@pipeline\n"
        "def p():\n"
        "    one()\n"
        "p()\n"
        "import stepstone.orchestrators.executors as executors\n"
        "print(sorted(m for m in ('multiprocessing', 'concurrent.futures.process',\n"
        "    'stepstone.orchestrators.executors.process_pool') if m in sys.modules))\n"
        "print(executors.ProcessPool.__name__)\n",
        env={"STEPSTONE_HOME": str(tmp_path / "home")},
    )
    assert loaded.splitlines()[-2:] == ["[]", "ProcessPool"]
