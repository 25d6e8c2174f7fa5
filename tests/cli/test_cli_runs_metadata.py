"""``stepstone runs show`` shows what steps logged, in its table and in ``--json``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stepstone import get_step_context, log_metadata, pipeline, step
from stepstone.cli.app import app
from stepstone.metadata.metadata_types import Uri


@step
def measured() -> int:
    log_metadata(metadata={"accuracy": 0.75})
    get_step_context().add_output_metadata({"source": Uri("s3://b/k")})
    get_step_context().add_output_tags(["best"])
    return 1


@pipeline
def measuring() -> None:
    measured()


def test_show_prints_logged_metadata_in_the_table_and_the_json(runner: CliRunner) -> None:
    measuring()
    run = measuring()  # cached: the metadata is the executing run's
    table = runner.invoke(app, ["runs", "show", run.id])
    assert table.exit_code == 0, table.output
    assert "measured::accuracy" in table.stdout and "0.75" in table.stdout
    shown = runner.invoke(app, ["runs", "show", run.id, "--json"])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["run_metadata"] == {"measured::accuracy": 0.75}
    [step_view] = document["steps"]
    assert step_view["status"] == "cached"
    assert step_view["run_metadata"] == {"accuracy": 0.75}
    assert step_view["output_metadata"] == {"output": {"source": "s3://b/k"}}
    assert step_view["output_tags"] == {"output": ["best"]}
