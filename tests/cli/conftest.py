"""CLI fixtures: a runner, and recorded runs for the commands to list and show.

The root conftest gives each test its own ``STEPSTONE_HOME`` and closes the stores after
it. The runs here need no scikit-learn; the caching example has its own (slower) tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone import StepExecutionError

from .pipelines import FLOW_SOURCE, RecordedRuns, numbers_pipeline


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # Wide enough that Rich never wraps an id or a run name across lines in assertions.
    monkeypatch.setenv("COLUMNS", "220")
    return CliRunner()


@pytest.fixture
def recorded_runs() -> RecordedRuns:
    """Two runs of ``numbers_pipeline``; the second reuses ``load_numbers`` from the first."""
    first = numbers_pipeline(factor=1)
    second = numbers_pipeline(factor=2)
    assert second.steps["load_numbers"].status == "cached"
    return RecordedRuns(first, second)


@pytest.fixture
def failed_run_id() -> str:
    """The id of a run whose ``scale_total`` step raised."""
    with pytest.raises(StepExecutionError) as info:
        numbers_pipeline(factor=-1)
    assert info.value.run_id is not None
    return info.value.run_id


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    """A pipeline file (:data:`FLOW_SOURCE`) for ``stepstone run``, in its own folder."""
    folder = tmp_path / "project"
    folder.mkdir()
    path = folder / "cli_flow.py"
    path.write_text(FLOW_SOURCE)
    return path
