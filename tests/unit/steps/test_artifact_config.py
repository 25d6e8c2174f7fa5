"""Output annotations name the artifact versions a step's outputs become."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from stepstone import ArtifactConfig, step
from stepstone.artifacts.artifact_config import ArtifactConfig as ImportedFromArtifacts
from stepstone.steps.artifact_config import fill_placeholders


def test_the_config_names_the_output_and_the_artifact() -> None:
    @step
    def train() -> Annotated[dict, ArtifactConfig(name="model", version=3)]:
        return {}

    (output,) = train.signature.outputs
    assert output.name == "model" and output.config is not None
    assert output.config.version == "3"
    assert output.artifact_name("training", "train") == "model"


def test_a_string_names_the_output_and_the_config_names_the_artifact() -> None:
    @step
    def split() -> tuple[
        Annotated[list, "train", ArtifactConfig(name="train_set")],
        Annotated[list, "test"],
    ]:
        return [], []

    first, second = split.signature.outputs
    assert (first.name, first.artifact_name("p", "split")) == ("train", "train_set")
    assert (second.name, second.artifact_name("p", "split")) == ("test", "test")


def test_outputs_without_a_name_get_zenmls_default_artifact_name() -> None:
    @step
    def plain() -> Annotated[int, ArtifactConfig(tags=["x"])]:
        return 1

    @step
    def pair() -> tuple[int, int]:
        return 1, 2

    (output,) = plain.signature.outputs
    assert output.name == "output" and output.custom is None
    assert output.artifact_name("training", "plain") == "training::plain::output"
    assert [o.artifact_name("p", "pair") for o in pair.signature.outputs] == [
        "p::pair::output_0",
        "p::pair::output_1",
    ]


def test_placeholders_are_filled_in_zenmls_formats() -> None:
    when = datetime(2026, 12, 2, 16, 5, 32, 123456, tzinfo=UTC)
    assert fill_placeholders("data_{date}_{time}", when) == "data_2026_12_02_16_05_32_123456"
    assert fill_placeholders("plain", when) == "plain"


def test_the_config_is_importable_where_zenml_programs_import_it() -> None:
    assert ImportedFromArtifacts is ArtifactConfig
    assert ArtifactConfig(name="a", tags=["t"]) == ArtifactConfig(name="a", tags=["t"])
