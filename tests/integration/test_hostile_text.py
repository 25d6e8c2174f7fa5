"""Any text survives a real run: what a step prints or raises and the parameters it is given may
hold lone surrogates, NUL or very long lines; the run is recorded on every backend, and its
successful steps are reused by the next run.
"""

from __future__ import annotations

import os

import pytest

from stepstone import Client, pipeline, step
from stepstone.exceptions import StepExecutionError

UNDECODABLE = os.fsdecode(b"caf\xe9.csv")  # what os.listdir returns under a UTF-8 locale


@step
def read(path: str) -> int:
    print("reading", path, "\x00", "x" * 200_000)
    return len(path)


@step
def parse(size: int) -> int:
    raise ValueError(f"cannot parse {UNDECODABLE}\x00 of size {size}: " + "y" * 100_000)


@pipeline
def hostile(path: str) -> None:
    parse(read(path=path))


def test_hostile_text_is_recorded_and_successful_steps_are_kept(
    metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTONE_METADATA_URL", metadata_url)
    for _ in range(2):
        with pytest.raises(StepExecutionError, match="cannot parse"):
            hostile(UNDECODABLE)

    second, first = Client().list_runs()
    assert first.parameters == {"path": "caf\\xe9.csv"}
    assert [(s.name, s.status) for s in first.steps.values()] == [
        ("read", "completed"),
        ("parse", "failed"),
    ]
    assert [s.status for s in second.steps.values()] == ["cached", "failed"]
    error = first.steps["parse"].error or ""
    assert "cannot parse caf\\xe9.csv\\x00 of size 8: " + "y" * 100_000 in error
    logs = first.steps["read"].logs or ""
    assert logs.startswith("reading caf\\xe9.csv \\x00 xxx") and len(logs) > 200_000
