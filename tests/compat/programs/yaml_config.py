"""A pipeline configured by a YAML file: with_options(config_path=...)."""

from pathlib import Path

from stepstone import pipeline, step


@step
def make_numbers(count: int) -> list:
    return list(range(count))


@step
def summarize(numbers: list, scale: int = 1) -> int:
    return sum(numbers) * scale


@pipeline(enable_cache=False)
def numbers_pipeline(count: int = 2):
    summarize(make_numbers(count))


if __name__ == "__main__":
    config = Path(__file__).with_suffix(".yaml")
    run = numbers_pipeline.with_options(config_path=str(config))()
    assert run.config.parameters == {"count": 4}
    assert run.steps["summarize"].output.load() == 60
    assert run.steps["summarize"].config.settings == {"resources": {"cpu_count": 2}}
    assert run.config.run_config["yaml"] == config.read_text()
