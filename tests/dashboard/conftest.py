"""Dashboard fixtures: recorded runs in a module-wide home, the app over them, a browser.

The runs are made once per module (a home of their own, like the caching example's test),
so each test only reads. The root conftest still gives every test its own STEPSTONE_HOME,
and closes the shared stores after it; the client here reopens them on the next read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")

from fastapi.testclient import TestClient

from stepstone import Client, StepExecutionError
from stepstone.dashboard import create_app
from stepstone.models import PipelineRun

from .pipelines import demo_pipeline, evil_pipeline, exploding_pipeline


@dataclass
class DemoRuns:
    """The caching example's three runs (A, B, A again), an XSS run and a failed run."""

    home: Path
    first: PipelineRun
    second: PipelineRun
    third: PipelineRun
    evil: PipelineRun
    failed_run_id: str

    @property
    def client(self) -> Client:
        return Client(self.home)


def record_demo_runs(home: Path) -> DemoRuns:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEPSTONE_HOME", str(home))
        try:
            first = demo_pipeline(lr=0.001)
            second = demo_pipeline(lr=0.003)
            third = demo_pipeline(lr=0.001)
            evil = evil_pipeline()
            with pytest.raises(StepExecutionError) as failure:
                exploding_pipeline()
        finally:
            from stepstone.stores import close_all_stores

            close_all_stores()
    assert failure.value.run_id is not None
    return DemoRuns(home, first, second, third, evil, failure.value.run_id)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    return record_demo_runs(tmp_path_factory.mktemp("dashboard-home") / "home")


@pytest.fixture
def api(runs: DemoRuns) -> Iterator[TestClient]:
    with TestClient(create_app(runs.client)) as client:
        yield client
