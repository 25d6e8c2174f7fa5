"""The driver's side of single-flight, in one process: a step whose key another run holds
waits while the rest of the run goes on, takes the lease over once it expired, and steps
whose results are not cached never wait.

The other run is played by a lease taken straight in the store (its holder never renews).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from stepstone import pipeline, step
from stepstone.exceptions import ConfigError
from stepstone.metadata.records import LeaseClaim
from stepstone.orchestrators.driver import run_pipeline
from stepstone.orchestrators.events import (
    Event,
    StepFinished,
    StepStarted,
    StepTakenOver,
    StepWaiting,
)
from stepstone.processes import this_host
from stepstone.stores import Stores

from .conftest import memory_stores

CALLS: list[str] = []


@step
def train(epochs: int) -> int:
    CALLS.append("train")
    return epochs * 10


@step
def describe(epochs: int) -> str:
    CALLS.append("describe")
    return f"{epochs} epochs"


@step(enable_cache=False)
def live_train(epochs: int) -> int:
    CALLS.append("live_train")
    return epochs


@pipeline
def training(epochs: int = 2):
    train(epochs)
    describe(epochs)


@pipeline
def live(epochs: int = 2):
    live_train(epochs)


def _with_timeout(tmp_path: Path, seconds: float, *, cache: bool = True) -> Stores:
    stores = memory_stores(tmp_path, cache=cache)
    return Stores(replace(stores.settings, lease_timeout=seconds))


def _key_of(stores: Stores, pipe: object, name: str) -> str:
    """The cache key ``name`` has in a run of ``pipe``, then forget that run's cache entries."""
    run = run_pipeline(pipe, (), {}, listeners=[], stores=stores)  # type: ignore[arg-type]
    stores.metadata.clear_cache_entries()
    CALLS.clear()
    key = run.steps[name].record.cache_key
    assert key is not None
    return key


def _held_elsewhere(stores: Stores, key: str, seconds: float) -> None:
    stores.metadata.acquire_lease(
        LeaseClaim(key, uuid.uuid4().hex, uuid.uuid4().hex, "other-run", "train", 4242, "box"),
        seconds,
    )


def test_a_held_key_waits_while_the_other_steps_run_then_takes_over(tmp_path: Path) -> None:
    stores = _with_timeout(tmp_path, 30.0)
    _held_elsewhere(stores, _key_of(stores, training, "train"), 1.0)  # never renewed

    events: list[Event] = []
    run = run_pipeline(training, (), {}, listeners=[events.append], stores=stores)

    shape = [
        (type(e).__name__, e.invocation_name)
        for e in events
        if isinstance(e, StepWaiting | StepTakenOver | StepStarted | StepFinished)
    ]
    assert shape == [
        ("StepWaiting", "train"),
        ("StepStarted", "describe"),  # the run goes on while train waits
        ("StepFinished", "describe"),
        ("StepTakenOver", "train"),  # the other run's lease expired: this one executes it
        ("StepStarted", "train"),
        ("StepFinished", "train"),
    ]
    waiting = next(e for e in events if isinstance(e, StepWaiting))
    assert (waiting.holder_run_name, waiting.pid, waiting.host) == ("other-run", 4242, "box")
    assert run.steps["train"].output.load() == 20
    assert CALLS == ["describe", "train"]
    assert stores.metadata.waiting_steps(run.id) == []


@pytest.mark.parametrize("cache", [True, False], ids=["enable_cache=False", "cache off"])
def test_steps_whose_results_are_not_cached_never_wait(tmp_path: Path, cache: bool) -> None:
    stores = _with_timeout(tmp_path, 30.0, cache=cache)
    pipe = live if cache else training
    name = "live_train" if cache else "train"
    _held_elsewhere(stores, _key_of(stores, pipe, name), 60.0)

    events: list[Event] = []
    run_pipeline(pipe, (), {}, listeners=[events.append], stores=stores)

    assert not [e for e in events if isinstance(e, StepWaiting)]
    assert name in CALLS


def test_a_lease_timeout_that_is_not_positive_is_refused(tmp_path: Path) -> None:
    stores = _with_timeout(tmp_path, 0.0)
    with pytest.raises(ConfigError, match=r"lease_timeout.*STEPSTONE_LEASE_TIMEOUT"):
        run_pipeline(training, (), {}, listeners=[], stores=stores)


def test_the_lease_is_given_up_with_the_record_of_the_step(tmp_path: Path) -> None:
    stores = _with_timeout(tmp_path, 30.0)
    key = _key_of(stores, training, "train")
    run_pipeline(training, (), {}, listeners=[], stores=stores)  # executes train again

    after = LeaseClaim(key, uuid.uuid4().hex, "r", "next-run", "train", os.getpid(), "h")
    assert stores.metadata.acquire_lease(after, 30.0).owner == after.owner


def test_a_holder_on_this_machine_whose_process_is_gone_is_taken_over_at_once(
    tmp_path: Path,
) -> None:
    stores = _with_timeout(tmp_path, 30.0)
    key = _key_of(stores, training, "train")
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    pid = int(ended.stdout)  # a process of this machine that has exited
    claim = LeaseClaim(
        key, uuid.uuid4().hex, uuid.uuid4().hex, "killed-run", "train", pid, this_host()
    )
    stores.metadata.acquire_lease(claim, 60.0)  # live for a minute, but its holder is gone

    events: list[Event] = []
    run_pipeline(training, (), {}, listeners=[events.append], stores=stores)

    assert not [e for e in events if isinstance(e, StepWaiting)]
    [taken] = [e for e in events if isinstance(e, StepTakenOver)]
    assert (taken.holder_run_name, taken.pid) == ("killed-run", pid)
    assert CALLS == ["train", "describe"]
