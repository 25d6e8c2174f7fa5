"""``BaseStepConfig``: the class-based API's way to give a step its parameters.

Before ZenML 0.40 a step took its parameters as one argument annotated with a subclass of
``BaseStepConfig`` (a pydantic model), and a pipeline was given the configured step::

    class TrainerConfig(BaseStepConfig):
        epochs: int = 1

    @step
    def trainer(config: TrainerConfig, X_train: np.ndarray) -> float: ...

    my_pipeline(trainer=trainer(config=TrainerConfig(epochs=2))).run()

stepstone runs such steps on its one engine: the config is an ordinary parameter of the
step (the argument's name, e.g. ``config``), so its class and every field value are part of
the cache key, and runs show and explain it field by field (``parameter config: {'epochs':
1} → {'epochs': 2}``). A step given no config gets ``TrainerConfig()``, its defaults, as the
old API did. New code passes parameters as plain arguments instead (``docs/coming-from-
zenml.md``).
"""

from __future__ import annotations

import pydantic

__all__ = ["BaseParameters", "BaseStepConfig"]


class BaseStepConfig(pydantic.BaseModel):
    """Base class of a step's parameters in the class-based API (a pydantic model).

    A field with no default must be given when the step is configured:
    ``trainer(config=TrainerConfig(epochs=2))``.

    Example:
        >>> class TrainerConfig(BaseStepConfig):
        ...     epochs: int = 1
        >>> TrainerConfig(epochs=2).epochs
        2
    """

    model_config = pydantic.ConfigDict(extra="forbid")


BaseParameters = BaseStepConfig
"""The name ZenML 0.20 to 0.39 gave the same class (``params: MyStepParameters``)."""
