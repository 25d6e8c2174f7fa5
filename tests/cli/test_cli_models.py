"""``stepstone models list|show|stage``."""

from __future__ import annotations

import json
from typing import Annotated

from typer.testing import CliRunner

from stepstone import ArtifactConfig, Model, log_metadata, pipeline, step
from stepstone.cli.app import app


@step
def fit() -> Annotated[dict, ArtifactConfig(name="weights", is_model_artifact=True)]:
    log_metadata(metadata={"loss": 0.1}, infer_model=True)
    return {"w": 1}


@pipeline(model=Model(name="fraud", license="MIT"))
def fitting() -> None:
    fit()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_and_show_models_and_versions(runner: CliRunner) -> None:
    fitting()
    fitting()
    code, out, err = invoke(runner, "models", "list")
    assert code == 0, err
    assert "fraud" in out and "Details: stepstone models show NAME [VERSION]" in out
    code, out, _ = invoke(runner, "models", "list", "--json")
    (model,) = json.loads(out)["models"]
    assert (model["name"], model["version_count"], model["latest_version"]) == ("fraud", 2, "2")
    code, out, _ = invoke(runner, "models", "show", "fraud")
    assert code == 0 and "Versions of fraud" in out and "license: MIT" in out
    code, out, _ = invoke(runner, "models", "show", "fraud", "1", "--json")
    version = json.loads(out)
    assert version["run_metadata"] == {"loss": 0.1}
    assert [(a["artifact_name"], a["kind"]) for a in version["artifacts"]] == [("weights", "model")]


def test_stage_promotes_and_refuses_a_taken_stage_without_force(runner: CliRunner) -> None:
    fitting()
    fitting()
    code, out, err = invoke(runner, "models", "stage", "fraud", "1", "production")
    assert code == 0, err
    assert "Model 'fraud' version 1 is now in stage 'production'." in out
    code, _, err = invoke(runner, "models", "stage", "fraud", "2", "production")
    assert code == 2 and "version '1' is in stage 'production' already" in err
    code, _, err = invoke(runner, "models", "stage", "fraud", "2", "production", "--force")
    assert code == 0, err
    code, out, _ = invoke(runner, "models", "show", "fraud", "production", "--json")
    assert json.loads(out)["name"] == "2"
    code, _, err = invoke(runner, "models", "stage", "fraud", "2", "prod")
    assert code == 2 and "Did you mean 'production'?" in err


def test_unknown_models_and_versions_say_what_exists(runner: CliRunner) -> None:
    fitting()
    code, _, err = invoke(runner, "models", "show", "frau")
    assert code == 2 and "Did you mean 'fraud'?" in err
    code, _, err = invoke(runner, "models", "show", "fraud", "staging")
    assert code == 2 and "no version in stage 'staging'" in err
