"""Whatever a step prints is recorded on every metadata backend, and the run completes."""

from __future__ import annotations

import os
import sys

import pytest

from stepstone import Client, pipeline, step
from stepstone.orchestrators.driver import run_pipeline
from stepstone.stores import close_all_stores

LONG_LINE = "y" * 300_000  # longer than MySQL's TEXT, far shorter than the capture limit


@step
def odd_output() -> int:
    print("reading", os.fsdecode(b"caf\xe9.csv"), "nul:\x00")
    sys.stdout.buffer.write(b"\x89PNG\xff\n")
    print(LONG_LINE)
    return 1


@pipeline
def printing():
    odd_output()


def test_odd_step_output_survives_the_metadata_insert(
    metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTONE_METADATA_URL", metadata_url)
    close_all_stores()
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w", errors="surrogateescape"))
    try:
        run = run_pipeline(printing, listeners=[])
    finally:
        sys.stdout.close()
    assert run.status == "completed"
    logs = Client().get_step(run.name, "odd_output").logs
    assert logs == f"reading caf\\xe9.csv nul:\\x00\n\\x89PNG\\xff\n{LONG_LINE}\n"
