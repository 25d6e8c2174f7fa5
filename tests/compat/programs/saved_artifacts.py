"""Artifacts saved and loaded outside pipelines and passed into one, in ZenML's style."""

from typing import Annotated

from stepstone import ExternalArtifact, load_artifact, pipeline, save_artifact, step
from stepstone.client import Client


@step
def summarize(prices: list, factor: float) -> Annotated[float, "summary"]:
    print("summarizing", len(prices))
    return sum(prices) * factor


@pipeline
def reporting(prices, factor: float = 1.0) -> None:
    summarize(prices, factor)


@pipeline
def external_reporting() -> None:
    summarize(ExternalArtifact(value=[1.0, 2.0]), 2.0)


if __name__ == "__main__":
    saved = save_artifact([10.0, 20.0, 30.0], name="prices", tags=["daily"])
    print("saved:", saved.name, saved.tags)
    print("loaded:", load_artifact("prices"))
    latest = Client().get_artifact_version("prices")
    run = reporting(latest, factor=0.5)
    print("summary:", run.steps["summarize"].status, load_artifact("summary", version=1))
    again = external_reporting()
    print("external:", again.steps["summarize"].status, again.steps["summarize"].output.load())
    first = Client().get_artifact_version("prices", version=1)
    print("first version:", first.version, first.load() == latest.load())
