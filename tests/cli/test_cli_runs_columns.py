"""``runs list`` with parameters and metrics side by side: which run gave which result."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stepstone import Client, log_metadata, pipeline, step
from stepstone.cli.app import app
from stepstone.exceptions import ColumnNotFoundError


@step
def fit(lr: float, epochs: int) -> float:
    loss = round(1.0 / (lr * 1000 * epochs), 4)
    log_metadata({"loss": loss, "note": "text is not a metric"})
    return loss


@step
def score(loss: float) -> float:
    accuracy = round(1.0 - loss / 10, 4)
    log_metadata({"accuracy": accuracy})
    return accuracy


@pipeline
def tuned(lr: float = 0.001, epochs: int = 5, seed: int = 0) -> None:
    score(fit(lr, epochs))


@pytest.fixture
def tuned_runs() -> list[dict[str, float]]:
    configs = [{"lr": 0.001}, {"lr": 0.003}, {"lr": 0.002}, {"lr": 0.003, "epochs": 10}]
    for config in configs:
        tuned(**config)
    return configs


def lines(runner: CliRunner, *args: str, width: int = 220) -> list[str]:
    result = runner.invoke(app, ["runs", "list", *args], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_default_columns_are_differing_parameters_and_numbers(
    runner: CliRunner, tuned_runs: list[dict[str, float]]
) -> None:
    table = Client().run_table("tuned")
    names = [c.name for c in table.columns]
    # seed never changes, and the outputs repeat the logged numbers: all left out by default.
    assert names == ["epochs", "lr", "accuracy", "loss"]
    assert all(c.numeric for c in table.columns)
    newest = table.rows[0].values
    assert newest["lr"] == 0.003 and newest["epochs"] == 10
    assert newest["accuracy"] == newest["score"] == round(1 - round(1 / 30, 4) / 10, 4)
    # Asked for by name, an output is a column like any other.
    chosen = Client().run_table("tuned", columns=["seed", "score"])
    assert [c.kind for c in chosen.columns] == ["parameter", "output"]
    header = next(line for line in lines(runner, "--pipeline", "tuned") if "accuracy" in line)
    assert "seed" not in header and "note" not in header


def test_chosen_columns_sorted_by_a_metric(
    runner: CliRunner, tuned_runs: list[dict[str, float]]
) -> None:
    out = lines(runner, "-p", "tuned", "--columns", "lr,accuracy", "--sort", "-accuracy")
    rows = [line for line in out if line.strip().startswith("tuned-")]
    accuracies = [float(row.split()[-1]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True) and len(rows) == 4
    assert rows[0].split()[-2] == "0.003"  # lr of the best run
    header = next(line for line in out if "accuracy" in line)
    assert header.split()[-2:] == ["lr", "accuracy"]


def test_an_unknown_column_is_named_with_the_close_ones(
    runner: CliRunner, tuned_runs: list[dict[str, float]]
) -> None:
    result = runner.invoke(app, ["runs", "list", "-p", "tuned", "--columns", "accuracyy"])
    assert result.exit_code == 2
    assert "No column 'accuracyy'" in result.output and "Did you mean 'accuracy'" in result.output
    with pytest.raises(ColumnNotFoundError):
        Client().run_table("tuned", sort="speed")


def test_json_has_the_columns_and_each_runs_values(
    runner: CliRunner, tuned_runs: list[dict[str, float]]
) -> None:
    result = runner.invoke(app, ["runs", "list", "-p", "tuned", "--json", "-c", "lr,loss"])
    document = json.loads(result.stdout)
    assert [c["name"] for c in document["columns"]] == ["lr", "loss"]
    first = document["runs"][0]["id"]
    assert document["values"][first]["lr"] == 0.003


@pytest.mark.parametrize("width", [80, 100])
def test_one_line_per_run_at_narrow_widths(
    runner: CliRunner, tuned_runs: list[dict[str, float]], width: int
) -> None:
    out = lines(runner, "--pipeline", "tuned", width=width)
    assert all(len(line) <= width for line in out)
    ids = {run.id[:8] for run in Client().list_runs("tuned")}
    rows = [line for line in out if any(run_id in line for run_id in ids)]
    assert len(rows) == 4
    header = next(line for line in out if "accuracy" in line)
    assert "lr" in header.split()
