"""The class-based API of ZenML before 0.40: configs, Output, step instances, .run()."""

import numpy as np

from stepstone.integrations.constants import SKLEARN
from stepstone.pipelines import pipeline
from stepstone.steps import BaseStepConfig, Output, StepContext, step


class SplitConfig(BaseStepConfig):
    test_share: float = 0.25


class ScaleConfig(BaseStepConfig):
    factor: float = 2.0


@step
def splitter(config: SplitConfig) -> Output(train=np.ndarray, test=np.ndarray):
    data = np.arange(20.0)
    cut = int(len(data) * (1 - config.test_share))
    return data[:cut], data[cut:]


@step
def scaler(config: ScaleConfig, train: np.ndarray, context: StepContext) -> np.ndarray:
    assert context.step_name == "scale"
    return train * config.factor


@step
def scorer(scaled: np.ndarray, test: np.ndarray) -> float:
    return float(scaled.mean() - test.mean())


@pipeline(required_integrations=[SKLEARN])
def split_pipeline(split, scale, score):
    train, test = split()
    scaled = scale(train=train)
    score(scaled=scaled, test=test)


if __name__ == "__main__":
    instance = split_pipeline(
        split=splitter(),
        scale=scaler(config=ScaleConfig(factor=3.0)),
        score=scorer(),
    )
    run = instance.run()
    assert list(run.steps) == ["split", "scale", "score"]
    assert run.steps["split"].outputs["test"].load().tolist() == [15.0, 16.0, 17.0, 18.0, 19.0]
    assert run.steps["score"].output.load() == 21.0 - 17.0
    assert run.steps["scale"].config.parameters["config"] == {"factor": 3.0}
