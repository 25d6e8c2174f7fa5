"""Run history through the Client, written as ZenML's docs write it."""

from typing import Annotated

from stepstone import pipeline, step
from stepstone.client import Client


@step
def load_data(rows: int = 3) -> tuple[Annotated[list, "features"], Annotated[list, "labels"]]:
    return list(range(rows)), [row % 2 for row in range(rows)]


@step
def train_model(features: list, labels: list, learning_rate: float = 0.1) -> float:
    return sum(features) * learning_rate + sum(labels)


@pipeline
def training_pipeline(rows: int = 3):
    features, labels = load_data(rows=rows)
    train_model(features, labels, learning_rate=0.5)


if __name__ == "__main__":
    training_pipeline(rows=4)
    client = Client()
    pipeline_model = client.get_pipeline("training_pipeline")
    last_run = pipeline_model.last_run
    assert last_run.id == pipeline_model.runs[0].id == training_pipeline.last_run.id
    assert training_pipeline.last_successful_run.id == last_run.id
    assert last_run.pipeline.name == "training_pipeline"
    assert last_run.config.parameters == {"rows": 4}
    trainer = last_run.steps["train_model"]
    assert trainer.config.parameters == {"learning_rate": 0.5}
    # Today's single-artifact form and ZenML's newer list form read the same artifact.
    assert trainer.outputs["output"].load() == trainer.outputs["output"][0].load() == 5.0
    assert trainer.inputs["features"].load() == [0, 1, 2, 3]
    again = client.get_pipeline_run(last_run.name)
    assert again.steps["load_data"].outputs["labels"][0].load() == [0, 1, 0, 1]
    page = client.list_pipeline_runs(pipeline_name="training_pipeline", size=1)
    assert len(page.items) == 1 and page.total == len(pipeline_model.runs)
