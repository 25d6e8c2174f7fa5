"""A pipeline called inside another pipeline: its steps join the outer run."""

from stepstone import pipeline, step


@step
def load(source: str) -> list:
    return [len(source), len(source) * 2]


@step
def clean(raw: list) -> list:
    return [value for value in raw if value > 2]


@step
def report(left: list, right: list) -> int:
    return sum(left) + sum(right)


@pipeline
def data_loading(source: str):
    raw = load(source)
    return clean(raw)


@pipeline
def full_pipeline():
    first = data_loading("ab")
    second = data_loading("abcd")
    report(first, second)


if __name__ == "__main__":
    run = full_pipeline()
    assert set(run.steps) == {"load", "data_loading_load", "clean", "data_loading_clean", "report"}
    assert run.steps["report"].output.load() == 4 + 4 + 8
    assert "data_loading_load" in {entry["name"] for entry in run.graph["steps"]}
