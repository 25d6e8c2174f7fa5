"""The live progress table: driven by the same events as the plain log."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from stepstone.cli.progress import LiveProgress
from stepstone.client import Client
from stepstone.orchestrators.driver import run_pipeline
from stepstone.orchestrators.events import (
    CachedResultUnusable,
    RunFinished,
    RunStarted,
    StepCached,
    StepFailed,
    StepFinished,
    StepStarted,
)

from .pipelines import numbers_pipeline


def test_events_move_each_step_through_its_states() -> None:
    output = io.StringIO()
    progress = LiveProgress(Console(file=output, width=120), refresh_per_second=50)
    with progress:
        progress(RunStarted("r1", "demo-run", "demo", ("load", "train", "report")))
        assert {s["status"] for s in progress.snapshot().values()} == {"pending"}
        progress(StepCached("r1", "load", "demo-earlier", 2.5))
        progress(StepStarted("r1", "train", "train"))
        assert progress.snapshot()["train"]["status"] == "running"
        progress(CachedResultUnusable("r1", "train", "outputs missing"))
        progress(StepFinished("r1", "train", 1.25))
        progress(StepStarted("r1", "report", "report"))
        progress(StepFailed("r1", "report", 0.5, "ValueError: no rows\nmore detail"))
        progress(RunFinished("r1", "demo-run", "demo", "failed", 4.0, ("train",), ("load",), 2.5))
    snapshot = progress.snapshot()
    assert snapshot["load"] == {"status": "cached", "elapsed": None, "note": "from demo-earlier"}
    assert snapshot["train"]["status"] == "completed"
    assert snapshot["train"]["elapsed"] == 1.25
    assert snapshot["train"]["note"] == "cache unusable: outputs missing"
    assert snapshot["report"] == {"status": "failed", "elapsed": 0.5, "note": "ValueError: no rows"}
    text = output.getvalue()
    assert "demo-run" in text
    assert "2.50 s" in text  # time saved by the cached step
    assert "3/3 steps done, 1 cached, saved 2.50 s, elapsed 4.00 s" in text
    assert "Pipeline run `demo-run` has failed in 4.000s" in text


def test_markup_in_names_and_errors_prints_as_text() -> None:
    output = io.StringIO()
    progress = LiveProgress(Console(file=output, width=120))
    with progress:
        progress(RunStarted("r1", "[bold]run", "p", ("[red]step",)))
        progress(StepFailed("r1", "[red]step", 0.1, "KeyError: '[blue]'"))
    text = output.getvalue()
    assert "[red]step" in text
    assert "KeyError: '[blue]'" in text


class _TerminalOutput(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_real_run_in_a_terminal_records_what_steps_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # While the table is live, sys.stdout is Rich's proxy, and a step's output capture wraps
    # it; the table's own console must keep writing to the terminal, not into that chain.
    terminal = _TerminalOutput()
    monkeypatch.setattr(sys, "stdout", terminal)
    with LiveProgress() as progress:
        run = run_pipeline(numbers_pipeline, (), {"factor": 3}, listeners=[progress])
    assert sys.stdout is terminal
    assert run.status == "completed"
    assert {s["status"] for s in progress.snapshot().values()} == {"completed"}
    assert "loaded 4 numbers" in terminal.getvalue()  # shown above the table
    logs = Client().get_step(run, "load_numbers").logs
    assert logs is not None and "loaded 4 numbers" in logs
