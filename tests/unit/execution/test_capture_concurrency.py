"""Steps capturing at the same time each get their own output, and the streams come back."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stepstone.artifacts import ArtifactStore
from stepstone.execution.capture import capture_output
from stepstone.execution.runner import execute_step
from stepstone.execution.task import StepTask

ROUNDS = 3


def speak_in_turns(name: str, barrier: threading.Barrier) -> None:
    """Print and log in rounds, each round while the other speaker is inside its capture."""
    for number in range(ROUNDS):
        barrier.wait()
        print(f"{name} says {number}")
        logging.getLogger(f"user.{name}").warning("%s warns %d", name, number)
        sys.stderr.write(f"{name} errs {number}\n")
        barrier.wait()


def expected_log(name: str) -> str:
    return "".join(
        f"{name} says {n}\nWARNING user.{name}: {name} warns {n}\n{name} errs {n}\n"
        for n in range(ROUNDS)
    )


def test_threads_capturing_at_once_each_get_exactly_their_own_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console, errors = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    monkeypatch.setattr(sys, "stderr", errors)
    barrier = threading.Barrier(3, timeout=30)  # two speakers and this thread

    def speaker(name: str) -> str:
        with capture_output() as logs:
            speak_in_turns(name, barrier)
        return logs.text

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(speaker, name) for name in ("a", "b")]
        for number in range(ROUNDS):
            barrier.wait()
            print(f"driver line {number}")  # a thread with no step: console only
            barrier.wait()
        logs = [future.result() for future in futures]

    assert logs == [expected_log("a"), expected_log("b")]
    assert sys.stdout is console and sys.stderr is errors
    lines = console.getvalue().splitlines()
    assert sorted(lines) == sorted(
        [f"{who} {n}" for who in ("a says", "b says", "driver line") for n in range(ROUNDS)]
    )
    assert sorted(errors.getvalue().splitlines()) == sorted(
        f"{who} errs {n}" for who in ("a", "b") for n in range(ROUNDS)
    )


def test_execute_step_on_a_thread_pool_keeps_each_steps_logs_apart(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    barrier = threading.Barrier(2, timeout=30)
    original_stdout, original_stderr = sys.stdout, sys.stderr

    def task(name: str) -> StepTask:
        return StepTask(
            run_id="run",
            invocation_id=name,
            func=lambda: speak_in_turns(name, barrier),
            parameters={},
            inputs={},
            output_names=(),
        )

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda name: execute_step(task(name), store), ["a", "b"]))

    assert [r.error for r in results] == [None, None]
    assert [r.logs for r in results] == [expected_log("a"), expected_log("b")]
    assert sys.stdout is original_stdout and sys.stderr is original_stderr


def test_the_streams_stay_teed_until_the_last_capture_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    first_open, first_closed = threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def first() -> None:
        with capture_output() as logs:
            first_open.set()
        seen["first"] = logs.text
        first_closed.set()

    with capture_output() as logs:
        thread = threading.Thread(target=first)
        thread.start()
        assert first_closed.wait(30)
        thread.join()
        assert sys.stdout is not console  # still recording this capture
        print("after the first ended")
    assert logs.text == "after the first ended\n"
    assert seen["first"] == ""
    assert sys.stdout is console


def test_a_nested_capture_is_recorded_in_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with capture_output() as outer:
        print("outer")
        with capture_output() as inner:
            print("inner")
            logging.getLogger("user").warning("inner warning")
        print("outer again")
    assert inner.text == "inner\nWARNING user: inner warning\n"
    assert outer.text == "outer\ninner\nWARNING user: inner warning\nouter again\n"


def test_threads_a_step_starts_follow_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)

    async def task() -> None:
        print("from an asyncio task")

    with capture_output() as logs:
        plain = threading.Thread(target=print, args=("from a plain thread",))
        plain.start()
        plain.join()
        copied = contextvars.copy_context()
        inheriting = threading.Thread(target=copied.run, args=(print, "from a copied context"))
        inheriting.start()
        inheriting.join()
        asyncio.run(task())
    assert logs.text == "from a copied context\nfrom an asyncio task\n"
    assert "from a plain thread\n" in console.getvalue()  # not lost: on the console


def test_a_tee_kept_after_the_capture_only_forwards(monkeypatch: pytest.MonkeyPatch) -> None:
    console = io.StringIO()
    monkeypatch.setattr(sys, "stdout", console)
    with capture_output():
        kept = sys.stdout  # as a logging.StreamHandler created inside a step keeps it
    assert sys.stdout is console
    kept.write("late\n")
    sys.stdout = kept  # someone puts the stale tee back: it is not wrapped a second time
    with capture_output() as logs:
        print("once")
    assert logs.text == "once\n"
    assert console.getvalue() == "late\nonce\n"
    assert sys.stdout is kept


def test_a_stream_installed_over_the_tee_is_left_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    replacement = io.StringIO()
    with capture_output() as logs:
        sys.stdout = replacement  # a step redirecting its own output, never restoring it
        print("into the replacement")
    assert sys.stdout is replacement
    assert logs.text == ""
    assert replacement.getvalue() == "into the replacement\n"
