"""A step's live lines: sent at line ends, bounded, and whole after crossing a pool's pipe."""

from __future__ import annotations

import sys

import pytest

from stepstone import pipeline, step
from stepstone.execution.capture import capture_output
from stepstone.execution.live import LIVE_CHARS, LiveLines, Part
from stepstone.orchestrators.driver import run_pipeline
from stepstone.orchestrators.executors import ProcessPool

LONG = "x" * 50_000


def test_lines_are_sent_when_they_end_and_partial_lines_when_the_capture_ends() -> None:
    sent: list[list[Part]] = []
    live = LiveLines(sent.append)
    with capture_output(live) as logs:
        print("whole line")
        assert sent == [[("stdout", "whole line"), ("stdout", "\n")]]
        sys.stdout.write("partial")
        sys.stderr.buffer.write(b"\xffbinary")
        assert len(sent) == 1
    assert sent[1] == [("stdout", "partial"), ("stderr", b"\xffbinary")]
    assert logs.text == "whole line\npartial\\xffbinary"


def test_a_step_printing_without_end_stops_being_streamed_but_keeps_running() -> None:
    sent: list[list[Part]] = []
    live = LiveLines(sent.append)
    for _ in range(3):
        live.write("stdout", "y" * (LIVE_CHARS // 2) + "\n")
    live.write("stdout", "never shown\n")
    shown = "".join(str(part) for batch in sent for _, part in batch)
    assert shown.count("y") == LIVE_CHARS
    assert "is not shown live" in shown and "never shown" not in shown


@step(enable_cache=False)
def long_line() -> int:
    print(LONG)
    return len(LONG)


@pipeline
def printing_long():
    long_line()


class _Console:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_a_line_longer_than_a_pipe_write_arrives_whole() -> None:
    console = _Console()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stdout", console)
        pool = ProcessPool(1)
        try:
            run = run_pipeline(printing_long, executor=pool, listeners=[])
        finally:
            pool.shutdown()  # the reader has shown every line once this returns
    assert run.steps["long_line"].output.load() == len(LONG)
    assert "".join(console.parts) == LONG + "\n"
