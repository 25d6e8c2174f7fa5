"""Named, versioned outputs with ArtifactConfig and Annotated, in ZenML's documented style."""

from typing import Annotated

from stepstone import ArtifactConfig, pipeline, step
from stepstone.client import Client
from stepstone.enums import ArtifactType


@step
def training_data_loader() -> tuple[
    Annotated[list, "iris_dataset"],
    Annotated[list, ArtifactConfig(name="iris_labels", tags=["raw"], run_metadata={"rows": 4})],
]:
    print("loading iris")
    return [[5.1, 3.5], [4.9, 3.0], [6.2, 3.4], [5.9, 3.0]], [0, 0, 1, 1]


@step
def svc_trainer(
    X: list, y: list
) -> Annotated[dict, ArtifactConfig(name="iris_classifier", artifact_type=ArtifactType.MODEL)]:
    print("training")
    return {"threshold": sum(row[0] for row in X) / len(X), "classes": sorted(set(y))}


@pipeline
def training_pipeline() -> None:
    X, y = training_data_loader()
    svc_trainer(X, y)


if __name__ == "__main__":
    run = training_pipeline.with_options(run_name="iris_training_{date}_{time}")()
    client = Client()
    print("status:", run.steps["svc_trainer"].status)
    dataset = client.get_artifact_version("iris_dataset")
    print("dataset:", dataset.version, len(dataset.load()))
    labels = client.get_artifact_version("iris_labels")
    print("labels:", labels.version, labels.tags, labels.run_metadata)
    model = client.get_artifact_version("iris_classifier")
    print("model:", model.version, model.artifact_type, model.load()["classes"])
    versions = [v.version for v in client.list_artifact_versions(name="iris_dataset")]
    print("versions:", versions)
    print("run name:", run.name.startswith("iris_training_"))
