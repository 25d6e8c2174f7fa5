"""A page per model: its versions, stages, linked artifacts and metadata; the same in the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi.testclient import TestClient

from stepstone import ArtifactConfig, Client, Model, log_metadata, pipeline, step
from stepstone.dashboard import create_app


@step
def fit() -> Annotated[dict, ArtifactConfig(name="weights", is_model_artifact=True)]:
    log_metadata(metadata={"loss": 0.25}, infer_model=True)
    return {"w": 1}


@pipeline(model=Model(name="fraud", description="Fraud scorer"))
def fitting() -> None:
    fit()


@pytest.fixture
def api() -> Iterator[TestClient]:
    fitting()
    fitting()
    Client().get_model_version("fraud", 1).set_stage("production")
    with TestClient(create_app(Client())) as client:
        yield client


def test_models_api_lists_models_and_versions(api: TestClient) -> None:
    (model,) = api.get("/api/v1/models").json()
    assert model["stages"] == {"production": "1"} and model["version_count"] == 2
    detail = api.get("/api/v1/models/fraud").json()
    first = next(v for v in detail["versions"] if v["name"] == "1")
    assert first["run_metadata"] == {"loss": 0.25}
    assert [(a["artifact_name"], a["kind"]) for a in first["artifacts"]] == [("weights", "model")]
    assert api.get("/api/v1/models/nothing").status_code == 404


def test_model_page_shows_versions_stages_and_artifacts(api: TestClient) -> None:
    page = api.get("/models/fraud").text
    assert "Model fraud" in page and "Fraud scorer" in page
    assert 'data-version="1" data-stage="production"' in page
    assert 'data-kind="model"' in page and "loss" in page
    listing = api.get("/models").text
    assert 'href="/models/fraud"' in listing
