"""Configuration in code: configure in place, with_options on a copy, settings recorded."""

from stepstone import pipeline, step


@step(settings={"resources": {"cpu_count": 2}})
def make_numbers(count: int) -> list:
    print("making numbers")
    return list(range(count))


@step
def summarize(numbers: list, scale: int = 1) -> int:
    return sum(numbers) * scale


@pipeline(settings={"resources": {"memory": "1GB"}}, extra={"owner": "data-team"})
def numbers_pipeline(count: int):
    numbers = make_numbers(count)
    summarize(numbers)


summarize.configure(parameters={"scale": 10})
make_numbers.configure(enable_step_logs=False)

if __name__ == "__main__":
    run = numbers_pipeline.with_options(parameters={"count": 4})()
    summary = run.steps["summarize"]
    assert summary.output.load() == 60
    assert summary.config.parameters == {"scale": 10}
    maker = run.steps["make_numbers"].config
    assert maker.settings == {"resources": {"memory": "1GB", "cpu_count": 2}}
    assert maker.enable_step_logs is False
    assert run.config.extra == {"owner": "data-team"}
    assert numbers_pipeline.options.parameters == {}  # with_options left the original alone
