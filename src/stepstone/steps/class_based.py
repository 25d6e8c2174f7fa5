"""The class-based step API of ZenML before 0.40, on stepstone's one step type.

In that API ``@step`` made a class: calling it *outside* a pipeline made a configured
instance (``tf_trainer(config=TrainerConfig(epochs=2))``), the instance was passed to a
pipeline definition, and the function itself ran only through ``.entrypoint(...)``. Today
calling a step outside a pipeline calls its function. Both conventions are served by one
rule, decided per call, so a program of either era runs unchanged:

* a call that passes nothing, or only the step's config (``BaseStepConfig``), makes a
  :class:`StepInstance` when the step is declared in the class-based style (a config
  argument, a ``StepContext`` argument or an ``Output(...)`` return) or when its function
  could not be called that way anyway (it has inputs the call does not give);
* every other call calls the function, as it always did.

The one call the rule cannot tell apart is a plain step without inputs (``def load() ->
int``) called with no arguments: that runs the function, and a class-based pipeline given
its result says to pass the step itself instead.

The config travels as one ordinary parameter (the argument's name), and a ``context:
StepContext`` argument as the :data:`STEP_CONTEXT` placeholder that the step runner
replaces with the running step's context, so neither needs anything of the engine.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import StepDefinitionError
from stepstone.steps.invocation import ACTIVE_TRACER
from stepstone.steps.step_output import Output

if TYPE_CHECKING:
    from stepstone.steps.base_step_config import BaseStepConfig
    from stepstone.steps.definition import Step
    from stepstone.steps.signature import StepSignature


class Injected(enum.Enum):
    """Stands for the step context in a step's parameters until the step runs."""

    STEP_CONTEXT = "step_context"


STEP_CONTEXT = Injected.STEP_CONTEXT
"""The value a ``context: StepContext`` argument is given while a pipeline is traced."""


def _is_step_context(annotation: Any) -> bool:
    # By name: the class lives with step execution, a layer this one may not import.
    return getattr(annotation, "__name__", None) == "StepContext" and str(
        getattr(annotation, "__module__", "")
    ).startswith("stepstone.")


def _config_base() -> type | None:
    """``BaseStepConfig`` if anything imported it (else nothing can be one): pydantic stays
    out of ``import stepstone``."""
    module = sys.modules.get("stepstone.steps.base_step_config")
    return None if module is None else module.BaseStepConfig


def _is_config_class(annotation: Any) -> bool:
    base = _config_base()
    return base is not None and isinstance(annotation, type) and issubclass(annotation, base)


def _is_config(value: Any) -> bool:
    base = _config_base()
    return base is not None and isinstance(value, base)


@dataclass(frozen=True, slots=True)
class ClassBasedArguments:
    """Which of a step's arguments the class-based API fills in.

    Attributes:
        config_argument: the argument annotated with a ``BaseStepConfig`` subclass, if any.
        config_class: that subclass.
        context_argument: the argument annotated with ``StepContext``, if any.
        declared: whether the step is written in the class-based style (one of the above,
            or an ``Output(...)`` return annotation).
    """

    config_argument: str | None = None
    config_class: type[BaseStepConfig] | None = None
    context_argument: str | None = None
    declared: bool = False

    def config(self, definition_name: str, given: Any = None) -> BaseStepConfig | None:
        """The config a step instance runs with: ``given``, else the class's defaults."""
        if self.config_class is None or self.config_argument is None:
            return None
        if given is None:
            import pydantic

            try:
                return self.config_class()
            except pydantic.ValidationError as exc:
                missing = [".".join(map(str, error["loc"])) for error in exc.errors()]
                raise StepDefinitionError(
                    definition_name,
                    f"its {self.config_class.__name__} has no default for "
                    f"{', '.join(missing)}. Configure it: {definition_name}("
                    f"{self.config_argument}={self.config_class.__name__}"
                    f"({missing[0]}=...)).",
                ) from None
        if not isinstance(given, self.config_class):
            raise StepDefinitionError(
                definition_name,
                f"'{self.config_argument}' takes a {self.config_class.__name__}, not "
                f"{type(given).__name__} ({given!r}).",
            )
        return given

    def keywords(
        self,
        definition_name: str,
        names: tuple[str, ...],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> dict[str, Any]:
        """A traced call's arguments by name; positional ones fill the inputs in order,
        skipping the config and context arguments (``trainer(X_train, y_train)``)."""
        if not args:
            return dict(kwargs)
        own = (self.config_argument, self.context_argument)
        free = [name for name in names if name not in own and name not in kwargs]
        if len(args) > len(free):
            raise StepDefinitionError(
                definition_name,
                f"takes {len(free)} input(s) ({', '.join(free) or 'none'}) besides its "
                f"config and context, but the call passes {len(args)} positionally.",
            )
        return {**dict(zip(free, args, strict=False)), **kwargs}

    def filled(self, definition_name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A traced call's keyword arguments with the config and the context filled in."""
        result = dict(kwargs)
        if self.config_argument is not None and self.config_argument not in result:
            result[self.config_argument] = self.config(definition_name)
        if self.context_argument is not None:
            result[self.context_argument] = STEP_CONTEXT
        return result


def class_based_arguments(definition_name: str, signature: StepSignature) -> ClassBasedArguments:
    """Find a step's config and context arguments (at most one of each)."""
    configs = [n for n, a in signature.annotations.items() if _is_config_class(a)]
    contexts = [n for n, a in signature.annotations.items() if _is_step_context(a)]
    for kind, names in (("config", configs), ("StepContext", contexts)):
        if len(names) > 1:
            raise StepDefinitionError(
                definition_name,
                f"arguments {', '.join(names)} are all {kind} arguments; a step takes one.",
            )
    config = configs[0] if configs else None
    return ClassBasedArguments(
        config_argument=config,
        config_class=signature.annotations[config] if config else None,
        context_argument=contexts[0] if contexts else None,
        declared=bool(configs or contexts) or isinstance(signature.returns, Output),
    )


def instance_for_call(
    step: Step[Any, Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> StepInstance | None:
    """The step instance a call outside a pipeline makes, or ``None``: call the function."""
    spec = step.class_based
    given = [*args, *kwargs.values()]
    if given:
        named_right = not kwargs or next(iter(kwargs)) == spec.config_argument
        if len(given) != 1 or not _is_config(given[0]) or not named_right:
            return None
    if not spec.declared and spec.config_argument is None:
        try:
            step.signature.function.bind(*args, **kwargs)
        except TypeError:
            pass  # cannot be a function call: it is the class-based API's instance
        else:
            return None
    return StepInstance(step, spec.config(step.name, given[0] if given else None))


class StepInstance:
    """A step configured for a class-based pipeline: ``tf_trainer(config=TrainerConfig())``.

    Passed to a pipeline definition under a name (``trainer=tf_trainer(...)``); called inside
    the pipeline function, it records the step under that name, with its config.
    """

    __slots__ = ("config", "invocation_id", "step")

    def __init__(
        self,
        step: Step[Any, Any],
        config: BaseStepConfig | None = None,
        invocation_id: str | None = None,
    ) -> None:
        self.step = step
        self.config = config
        self.invocation_id = invocation_id

    @property
    def name(self) -> str:
        """The name the step runs under: the pipeline argument it was given as."""
        return self.invocation_id or self.step.name

    def named(self, invocation_id: str) -> StepInstance:
        """This instance, to run under ``invocation_id``."""
        return StepInstance(self.step, self.config, invocation_id)

    def configure(self, **changes: Any) -> StepInstance:
        """Change the step's options (``enable_cache=False``, ...) in place and return it."""
        self.step = self.step.with_options(**changes)
        return self

    def entrypoint(self, *args: Any, **kwargs: Any) -> Any:
        """Call the step's function (with this instance's config unless given)."""
        spec = self.step.class_based
        if spec.config_argument is not None and spec.config_argument not in kwargs:
            kwargs[spec.config_argument] = self.config
        return self.step.func(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if ACTIVE_TRACER.get() is None:
            raise StepDefinitionError(
                self.step.name,
                "a step instance runs inside a pipeline: pass it to the pipeline "
                f"(my_pipeline({self.name}={self.step.name}(...)).run()), or call its "
                "function with .entrypoint(...).",
            )
        argument = self.step.class_based.config_argument
        if argument is not None:
            kwargs[argument] = self.config
        if self.invocation_id is not None:
            kwargs.setdefault("id", self.invocation_id)
        return self.step(*args, **kwargs)

    def __repr__(self) -> str:
        config = "" if self.config is None else repr(self.config)
        return f"{self.step.name}({config})"
