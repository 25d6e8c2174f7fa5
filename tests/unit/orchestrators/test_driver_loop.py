"""The run loop: the events it publishes, its state, the drain after a failure, the redo."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fsspec
import pytest

from stepstone import StepExecutionError, pipeline, step
from stepstone.cache.manifest import Decision
from stepstone.exceptions import CacheMissWarning
from stepstone.orchestrators.driver import RunDriver, run_pipeline
from stepstone.orchestrators.events import (
    CachedResultUnusable,
    Event,
    RunFinished,
    RunStarted,
    StepCached,
    StepDecided,
    StepFailed,
    StepFinished,
    StepStarted,
    console_line,
)
from stepstone.orchestrators.executors import LocalExecutor, Placement
from stepstone.orchestrators.planning import plan_run
from stepstone.stores import Stores

from .conftest import memory_stores

CALLS: list[str] = []


@step
def source(n: int) -> list[int]:
    CALLS.append("source")
    return list(range(n))


@step
def total(values: list[int], offset: int = 0) -> int:
    CALLS.append("total")
    return sum(values) + offset


@pipeline
def summing(n: int = 3, offset: int = 0):
    total(source(n), offset=offset)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def _run(stores: Stores, pipe=summing, **kwargs) -> tuple[list[Event], object]:
    events: list[Event] = []
    run = run_pipeline(pipe, (), kwargs, listeners=[events.append], stores=stores)
    return events, run


def _shape(events: list[Event]) -> list[tuple[str, str | None]]:
    """Event kinds with the step (or decision) they concern, without ids and timings."""
    shape: list[tuple[str, str | None]] = []
    for event in events:
        if isinstance(event, StepDecided):
            shape.append((f"decided:{event.decision}", event.invocation_name))
        else:
            shape.append((type(event).__name__, getattr(event, "invocation_name", None)))
    return shape


def test_a_first_and_a_second_run_publish_every_decision_in_order(stores: Stores) -> None:
    first, _ = _run(stores)
    second, _ = _run(stores)
    assert _shape(first) == [
        ("RunStarted", None),
        ("decided:miss", "source"),
        ("StepStarted", "source"),
        ("StepFinished", "source"),
        ("decided:miss", "total"),
        ("StepStarted", "total"),
        ("StepFinished", "total"),
        ("RunFinished", None),
    ]
    assert _shape(second) == [
        ("RunStarted", None),
        ("decided:hit", "source"),
        ("StepCached", "source"),
        ("decided:hit", "total"),
        ("StepCached", "total"),
        ("RunFinished", None),
    ]
    finished = second[-1]
    assert isinstance(finished, RunFinished)
    assert finished.cached == ("source", "total") and finished.ran == ()


@pipeline
def summing_twice(n: int = 3):
    values = source(n)
    total(values)
    total(values, offset=1)


def test_a_started_step_names_its_invocation_and_its_definition(stores: Stores) -> None:
    events, _ = _run(stores, summing_twice)
    started = [(e.invocation_name, e.definition_name) for e in events if isinstance(e, StepStarted)]
    assert started == [("source", "source"), ("total", "total"), ("total_2", "total")]


def test_decisions_print_nothing_on_the_console() -> None:
    for decision in Decision:
        assert console_line(StepDecided("run", "step", decision)) is None


@step(enable_cache=False)
def always() -> int:
    return 1


@pipeline
def uncached():
    always()


@step(cache_expires_after=dt.timedelta(microseconds=1))
def short_lived() -> int:
    return 2


@pipeline
def expiring():
    short_lived()


def _decisions(events: list[Event]) -> dict[str, Decision]:
    return {e.invocation_name: e.decision for e in events if isinstance(e, StepDecided)}


def test_disabled_refresh_expired_and_cache_off_are_published_and_stored(
    stores: Stores, tmp_path: Path
) -> None:
    _run(stores)
    events, run = _run(stores, summing.with_options(refresh=["total"]))
    assert _decisions(events) == {"source": Decision.HIT, "total": Decision.REFRESH}
    assert run.steps["total"].manifest.decision is Decision.REFRESH
    events, run = _run(stores, uncached)
    assert _decisions(events) == {"always": Decision.DISABLED}
    assert run.steps["always"].manifest.cache_enabled is False
    _run(stores, expiring)
    time.sleep(0.001)  # the entry must be older than one microsecond; no timing is asserted
    events, run = _run(stores, expiring)
    assert _decisions(events) == {"short_lived": Decision.EXPIRED}
    off = memory_stores(tmp_path, cache=False)
    try:
        events, run = _run(off)
    finally:
        off.close()
    assert _decisions(events) == {"source": Decision.CACHE_OFF, "total": Decision.CACHE_OFF}
    assert run.steps["total"].manifest.cache_enabled is False


def _artifact_files(uri: str) -> list[str]:
    fs = fsspec.filesystem("memory")
    path = uri.removeprefix("memory://")
    return [f for f in fs.find(path) if not f.rsplit("/", 1)[-1].startswith(".")]


def test_a_hit_whose_files_are_gone_warns_at_the_callers_line_and_runs_again(
    stores: Stores,
) -> None:
    _, first = _run(stores)
    fs = fsspec.filesystem("memory")
    fs.rm(first.steps["total"].output.uri.removeprefix("memory://"), recursive=True)
    with pytest.warns(CacheMissWarning, match="outputs output of run") as caught:
        events, _ = _run(stores)
    assert caught[0].filename == __file__
    assert _decisions(events) == {"source": Decision.HIT, "total": Decision.ARTIFACTS_MISSING}
    assert any(isinstance(e, CachedResultUnusable) for e in events)
    assert CALLS == ["source", "total", "total"]


def test_a_damaged_input_redoes_its_producer_then_requeues_the_consumer(
    stores: Stores,
) -> None:
    _, first = _run(stores, offset=0)
    fs = fsspec.filesystem("memory")
    data = max(_artifact_files(first.steps["source"].output.uri), key=lambda f: fs.size(f))
    raw = bytearray(fs.cat_file(data))
    raw[-2] ^= 0xFF
    fs.pipe_file(data, bytes(raw))
    CALLS.clear()
    with pytest.warns(CacheMissWarning, match="input 'values' from step 'source'") as caught:
        events, run = _run(stores, offset=1)
    assert caught[0].filename == __file__
    assert _shape(events)[1:-1] == [
        ("decided:hit", "source"),
        ("StepCached", "source"),
        ("decided:miss", "total"),
        ("StepStarted", "total"),
        ("CachedResultUnusable", "source"),
        ("decided:artifacts_missing", "source"),
        ("StepStarted", "source"),
        ("StepFinished", "source"),
        ("decided:miss", "total"),
        ("StepStarted", "total"),
        ("StepFinished", "total"),
    ]
    assert CALLS == ["source", "total"]  # total's first attempt stopped at loading its input
    assert run.steps["total"].output.load() == 4
    stored = stores.metadata.get_step_runs(run.id)
    assert sorted(r.name for r in stored) == ["source", "total"]  # the cached record is gone


def test_the_driver_state_holds_the_run_after_it_is_driven(stores: Stores) -> None:
    graph = summing.trace(4)
    plan = plan_run(summing, graph, {"n": 4}, cache_on=True)
    driver = RunDriver(plan, stores, Placement(LocalExecutor(), "local", False, True), [])
    assert driver.state.records == [] and driver.state.failure is None  # nothing done yet
    driver.execute()
    state = driver.state
    assert [r.name for r in state.records] == ["source", "total"]
    assert state.ran == ["source", "total"] and state.pending == [] and not state.in_flight
    assert state.produced["total"]["output"].content_hash
    assert state.sorter.ready() == []


WORKER_FREE = threading.Event()
BREAKS_RECORDED = threading.Event()


@step
def breaks() -> int:
    raise ValueError("broken on purpose")


@step
def slow() -> int:
    BREAKS_RECORDED.wait(timeout=30)
    return 3


@step
def after_slow(x: int) -> int:
    return x + 1


@pipeline
def half_broken():
    breaks()
    after_slow(slow())


def test_a_failure_stops_scheduling_and_drains_what_is_in_flight(stores: Stores) -> None:
    WORKER_FREE.clear()
    BREAKS_RECORDED.clear()
    events: list[Event] = []

    def listen(event: Event) -> None:
        # Sequenced so both steps are in flight when 'breaks' fails: the worker starts only
        # once 'slow' is being submitted, and 'slow' finishes only after the failure is in.
        events.append(event)
        if isinstance(event, StepStarted) and event.invocation_name == "slow":
            WORKER_FREE.set()
        if isinstance(event, StepFailed):
            BREAKS_RECORDED.set()

    # One worker: the steps' stdout captures never overlap.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(WORKER_FREE.wait, 30)
        with pytest.raises(StepExecutionError, match="Step 'breaks' failed") as raised:
            run_pipeline(half_broken, executor=pool, listeners=[listen], stores=stores)
    assert isinstance(raised.value.__cause__, ValueError)
    stored = {r.name: r.status for r in stores.metadata.get_step_runs(raised.value.run_id)}
    assert stored == {"breaks": "failed", "slow": "completed"}  # after_slow never scheduled
    assert [e.invocation_name for e in events if isinstance(e, StepFailed)] == ["breaks"]
    assert not any(isinstance(e, StepStarted) and e.invocation_name == "after_slow" for e in events)
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert any(isinstance(e, StepFinished) and e.invocation_name == "slow" for e in events)
    assert not any(isinstance(e, StepCached) for e in events)
