"""Metadata logged on a step, its output and a run, in ZenML's documented style."""

from stepstone import Client, log_metadata, pipeline, step
from stepstone.metadata.metadata_types import StorageSize, Uri


@step
def evaluate(rows: int = 100) -> dict:
    log_metadata(metadata={"evaluation_metrics": {"accuracy": 0.9, "rows": rows}})
    log_metadata(
        metadata={"source": Uri("s3://bucket/eval.csv"), "size": StorageSize(2048)},
        infer_artifact=True,
    )
    return {"accuracy": 0.9}


@pipeline
def evaluation() -> None:
    evaluate()


if __name__ == "__main__":
    run = evaluation()
    log_metadata(metadata={"reviewed": True}, run_id_name_or_prefix=run.name)
    log_metadata(metadata={"note": "kept"}, step_name="evaluate", run_id_name_or_prefix=run.name)
    run = Client().get_run(run.id)
    step_run = run.steps["evaluate"]
    print("status:", step_run.status)
    print("step:", step_run.run_metadata)
    print("run:", run.run_metadata)
    output = step_run.output.run_metadata
    print("output:", output, type(output["source"]).__name__)
