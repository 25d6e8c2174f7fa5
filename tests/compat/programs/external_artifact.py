"""Data handed to a step as an ExternalArtifact, and a recorded artifact passed back in."""

import numpy as np

from stepstone import Client, ExternalArtifact, pipeline, step


@step
def total(data: np.ndarray) -> float:
    print("summing", len(data))
    return float(data.sum())


@pipeline
def summing() -> None:
    total(data=ExternalArtifact(value=np.arange(10)))


@pipeline
def resumming(previous) -> None:
    total(data=previous)


if __name__ == "__main__":
    run = summing()
    print("external:", run.steps["total"].status, run.steps["total"].output.load())
    source = Client().get_artifact(run.steps["total"].inputs["data"].id)
    again = resumming(source)
    print("recorded:", again.steps["total"].status)
