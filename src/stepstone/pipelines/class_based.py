"""The class-based pipeline API of ZenML before 0.40: steps as the pipeline's arguments.

::

    @pipeline(required_integrations=[SKLEARN])
    def mnist_pipeline(importer, normalizer, trainer, evaluator):
        X_train, y_train, X_test, y_test = importer()
        ...

    run = mnist_pipeline(importer=importer_mnist(), ..., trainer=tf_trainer(config=...)).run()

Calling such a definition with steps makes a :class:`PipelineInstance`; ``.run()`` runs it
on the same engine as a modern pipeline (same cache, explain and dashboard). Each step runs
under the name of the argument it was given as (``trainer``), as in the old API, whatever
its function is called (``tf_trainer``), so swapping one implementation for another keeps
the run's step names and ``explain`` compares like with like.

The definition is a :class:`~stepstone.pipeline.Pipeline` too: called with ordinary values
(or nothing), it runs as a modern pipeline, so ``from stepstone.pipelines import pipeline``
serves programs of either era. ``required_integrations`` are checked before anything runs;
a missing one is a :class:`~stepstone.exceptions.MissingIntegrationError` naming the
``stepstone integration install ...`` command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from stepstone.exceptions import MissingIntegrationError, PipelineDefinitionError, did_you_mean
from stepstone.pipeline import Pipeline, PipelineOptions
from stepstone.steps import Step
from stepstone.steps.class_based import StepInstance
from stepstone.steps.invocation import ACTIVE_TRACER

if TYPE_CHECKING:
    from stepstone.models import PipelineRun


def _known_integrations() -> list[str]:
    from stepstone.integrations.extras import integrations

    return [integration.name for integration in integrations()]


def check_integrations(pipeline_name: str, names: Sequence[str]) -> None:
    """Raise :class:`MissingIntegrationError` unless every integration in ``names`` is installed."""
    from stepstone.integrations.extras import integrations

    installed = {integration.name: integration for integration in integrations()}
    missing = [name for name in names if not installed[name].installed]
    if missing:
        raise MissingIntegrationError(pipeline_name, missing)


class ClassBasedPipeline(Pipeline):
    """A ``@pipeline`` of :mod:`stepstone.pipelines`: run by ``definition(steps...).run()``,
    or called like any pipeline."""

    def __init__(
        self,
        func: Callable[..., Any],
        options: PipelineOptions,
        required_integrations: Iterable[str] = (),
    ) -> None:
        super().__init__(func, options)
        self.required_integrations = (
            (required_integrations,)
            if isinstance(required_integrations, str)
            else tuple(required_integrations)
        )
        known = _known_integrations()
        for name in self.required_integrations:
            if name not in known:
                raise PipelineDefinitionError(
                    self.name,
                    f"required_integrations names '{name}', which is not an integration."
                    f"{did_you_mean(str(name), known)} Integrations: {', '.join(known)}.",
                )

    def with_options(self, *, merge: bool = True, **changes: Any) -> ClassBasedPipeline:
        copy = super().with_options(merge=merge, **changes)
        return ClassBasedPipeline(copy.func, copy.options, self.required_integrations)

    def _instances(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, StepInstance]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            arguments = ", ".join(self.signature.parameters)
            raise PipelineDefinitionError(
                self.name, f"takes its steps as arguments ({arguments}): {exc}."
            ) from exc
        instances = {}
        for name, value in bound.arguments.items():
            if isinstance(value, Step):
                value = StepInstance(value, value.class_based.config(value.name))
            if not isinstance(value, StepInstance):
                raise PipelineDefinitionError(
                    self.name,
                    f"argument '{name}' is {value!r} ({type(value).__name__}), not a step. "
                    "Pass a step instance (my_step() or my_step(config=...)) or the step "
                    "itself; a step without inputs called with no arguments runs its function, "
                    "so pass such a step uncalled.",
                )
            instances[name] = value.named(name)
        return instances

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        given = [*args, *kwargs.values()]
        if ACTIVE_TRACER.get() is None:
            if any(isinstance(value, Step | StepInstance) for value in given):
                return PipelineInstance(self, self._instances(args, kwargs))
            if not given and self.takes_steps():
                names = list(self.signature.parameters)
                raise PipelineDefinitionError(
                    self.name,
                    f"takes its steps as arguments ({', '.join(names)}): give it them and run "
                    f"the instance, {self.name}({names[0]}=my_step(), ...).run(). "
                    "'stepstone run' runs pipelines whose arguments are values.",
                )
            check_integrations(self.name, self.required_integrations)
        return super().__call__(*args, **kwargs)

    def takes_steps(self) -> bool:
        """Whether the signature is the class-based kind: arguments with neither an
        annotation nor a default (nor a configured value), which only steps can fill."""
        parameters = self.signature.parameters.values()
        return bool(parameters) and all(
            p.default is p.empty
            and p.annotation is p.empty
            and p.name not in self.options.parameters
            for p in parameters
        )

    def __repr__(self) -> str:
        return f"<class-based pipeline '{self.name}'>"


class PipelineInstance:
    """A class-based pipeline given its steps; :meth:`run` runs it and returns the run."""

    def __init__(self, definition: ClassBasedPipeline, steps: Mapping[str, StepInstance]) -> None:
        self.definition = definition
        self.steps = dict(steps)

    @property
    def name(self) -> str:
        return self.definition.name

    def configure(self, **changes: Any) -> PipelineInstance:
        """Change the pipeline's options for this instance (``enable_cache=False``, ...)."""
        self.definition = self.definition.with_options(**changes)
        return self

    def as_pipeline(self) -> Pipeline:
        """The modern pipeline this instance runs as: the definition's function, called with
        the step instances, and no parameters of its own."""
        steps, func = self.steps, self.definition.func

        def with_steps() -> Any:
            return func(**steps)

        with_steps.__name__ = with_steps.__qualname__ = getattr(func, "__name__", self.name)
        with_steps.__doc__ = func.__doc__
        return Pipeline(with_steps, self.definition.options)

    def run(
        self, *, enable_cache: bool | None = None, config_path: str | os.PathLike[str] | None = None
    ) -> PipelineRun:
        """Check the required integrations, run the pipeline, and return the recorded run.

        ``config_path`` applies a YAML run configuration (:mod:`stepstone.pipeline.run_config`);
        ``enable_cache`` given here wins over the file's.
        """
        check_integrations(self.name, self.definition.required_integrations)
        changes: dict[str, Any] = {}
        if config_path is not None:
            changes["config_path"] = config_path
        if enable_cache is not None:
            changes["enable_cache"] = enable_cache
        pipeline = self.as_pipeline()
        if changes:
            pipeline = pipeline.with_options(**changes)
        run: PipelineRun = pipeline()
        return run

    def write_run_configuration_template(self, path: str | os.PathLike[str]) -> None:
        """Write the commented YAML template of every option and step (see :meth:`run`)."""
        self.as_pipeline().write_run_configuration_template(path)

    def __repr__(self) -> str:
        inside = ", ".join(f"{name}={step!r}" for name, step in self.steps.items())
        return f"{self.name}({inside})"


@overload
def pipeline(func: Callable[..., Any], /) -> ClassBasedPipeline: ...
@overload
def pipeline(
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    required_integrations: Iterable[str] = (),
    **options: Any,
) -> Callable[[Callable[..., Any]], ClassBasedPipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    required_integrations: Iterable[str] = (),
    **options: Any,
) -> ClassBasedPipeline | Callable[[Callable[..., Any]], ClassBasedPipeline]:
    """Declare a pipeline whose arguments may be steps (the class-based API).

    Takes what :func:`stepstone.pipeline` takes, plus ``required_integrations``: names from
    :mod:`stepstone.integrations.constants`, checked before the pipeline runs.

    Example:
        >>> from stepstone.steps import step
        >>> @step
        ... def one() -> int:
        ...     return 1
        >>> @pipeline
        ... def tiny(first):
        ...     first()
        >>> tiny(first=one).as_pipeline().trace().order
        ('first',)
    """

    def decorate(function: Callable[..., Any]) -> ClassBasedPipeline:
        from stepstone.pipeline import pipeline as modern

        definition = modern(name=name, enable_cache=enable_cache, **options)(function)
        return ClassBasedPipeline(definition.func, definition.options, required_integrations)

    if func is not None:
        return decorate(func)
    return decorate
