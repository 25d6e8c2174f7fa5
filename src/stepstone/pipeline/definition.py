"""``@pipeline``: a function that wires steps, run by calling it.

Calling a pipeline traces its function into a graph and hands the graph to the run driver,
which executes what changed and reuses the rest. ``with_options`` returns a configured copy,
so one definition serves a cached and an uncached run side by side.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

from stepstone.exceptions import DefinitionError, PipelineDefinitionError, did_you_mean
from stepstone.pipeline.run_config import RunConfig, load_run_config
from stepstone.pipeline.tracing import PipelineGraph, same_value, trace
from stepstone.steps.artifact_config import placeholder_values
from stepstone.steps.configuration import DICT_OPTIONS, changed_options
from stepstone.steps.invocation import ACTIVE_TRACER
from stepstone.steps.model import Model, check_model

if TYPE_CHECKING:
    from stepstone.models import PipelineRun


def _model_from_file(config: RunConfig) -> Model:
    """The ``model`` section of a YAML run configuration as a :class:`Model`."""
    try:
        return Model(**dict(config.model or {}))
    except DefinitionError as exc:
        raise config.error("model", str(exc)) from exc


def check_run_name(pipeline_name: str, run_name: object) -> None:
    """Refuse a run name that is not text or has a placeholder other than ZenML's."""
    if not isinstance(run_name, str) or not run_name.strip():
        raise PipelineDefinitionError(
            pipeline_name, f"run_name takes a non-empty text, not {run_name!r}."
        )
    try:
        run_name.format(**placeholder_values(datetime.now(UTC)))
    except (KeyError, IndexError, ValueError) as exc:
        raise PipelineDefinitionError(
            pipeline_name,
            f"run_name {run_name!r} has a placeholder other than {{date}} and {{time}} "
            f"({exc}); write a literal brace as {{{{ or }}}}.",
        ) from exc


@dataclasses.dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Settings of a pipeline and of the runs made from it.

    Attributes:
        name: the pipeline's name (default: the function's name).
        enable_cache: ``False`` executes every step whose own setting does not say otherwise.
        refresh: names of steps to execute even if cached; their fresh results replace the
            cache entries (``my_pipeline.with_options(refresh=["trainer"])``).
        executor: where cache misses run: ``"local"``, ``"threads:4"``, ``"processes"``,
            ``"dask"``, ``"tcp://host:8786"`` or a ``concurrent.futures.Executor``;
            ``None`` uses the ``executor`` setting (``STEPSTONE_EXECUTOR``).
        enable_step_logs: ``False`` stores no step's output unless the step says otherwise.
        parameters: values for the pipeline function's arguments the call leaves out.
        settings: free-form settings recorded with each run, merged under each step's.
        extra: free-form extra data, recorded and merged the same way.
        run_config: the YAML run configuration applied (``with_options(config_path=...)``):
            its steps' options, run name and text (see :mod:`stepstone.pipeline.run_config`).
        run_name: the name of the runs, ``with_options(run_name="nightly_{date}_{time}")``
            (``{date}`` and ``{time}`` filled in when a run starts; run names are unique, so
            a name without ``{time}`` works once). It beats a YAML file's ``run_name``, as
            options given in code at run time do. Default: ``<pipeline>-<date>-<time>``.
        model: the :class:`~stepstone.steps.model.Model` the runs work on: each run creates or
            attaches to a version of it, and the steps' outputs link to that version.
    """

    name: str
    enable_cache: bool | None = None
    refresh: tuple[str, ...] = ()
    executor: Any = None
    enable_step_logs: bool | None = None
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    run_config: RunConfig | None = None
    run_name: str | None = None
    model: Model | None = None

    def __post_init__(self) -> None:
        check_model(self.model, f"Pipeline '{self.name}'")
        if self.run_name is not None:
            check_run_name(self.name, self.run_name)
        for option in DICT_OPTIONS:
            if not isinstance(getattr(self, option), Mapping):
                raise PipelineDefinitionError(
                    self.name, f"{option} takes a dictionary, not {getattr(self, option)!r}."
                )
        refresh = self.refresh
        if isinstance(refresh, str):
            refresh = (refresh,)
        object.__setattr__(self, "refresh", tuple(refresh))


class Pipeline:
    """A function that calls steps. Create one with :func:`pipeline`; run it by calling it."""

    def __init__(self, func: Callable[..., Any], options: PipelineOptions) -> None:
        if not callable(func):
            raise PipelineDefinitionError(options.name, f"@pipeline needs a function: {func!r}.")
        self.func = func
        self.options = options
        self.signature = inspect.signature(func)
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        for key in options.parameters:
            if key not in self.signature.parameters:
                raise PipelineDefinitionError(
                    options.name,
                    f"parameters names '{key}', which the pipeline function does not take."
                    f"{did_you_mean(key, self.signature.parameters)}",
                )

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def enable_cache(self) -> bool | None:
        return self.options.enable_cache

    @property
    def refresh(self) -> tuple[str, ...]:
        return self.options.refresh

    def _changed_options(self, changes: Mapping[str, Any], merge: bool) -> PipelineOptions:
        def unknown(message: str) -> Exception:
            return PipelineDefinitionError(self.name, message)

        options = self.options
        changes = dict(changes)
        path = changes.pop("config_path", None)
        if path is not None:  # the file's values first, so the ones given here win
            config = load_run_config(path)
            from_file = dict(config.options, run_config=config)
            if "parameters" in from_file:
                from_file["parameters"] = config.checked_parameters(self.func)
            if config.model is not None:
                from_file["model"] = _model_from_file(config)
            options = changed_options(options, from_file, True, unknown)
        changed: PipelineOptions = changed_options(options, changes, merge, unknown)
        return changed

    def with_options(self, *, merge: bool = True, **changes: Any) -> Pipeline:
        """A copy with other options, e.g. ``my_pipeline.with_options(enable_cache=False)``.

        ``parameters``, ``settings`` and ``extra`` merge into the current ones unless
        ``merge=False``; the original is unchanged (see :meth:`configure`).
        ``config_path="config.yaml"`` applies a YAML run configuration first
        (:mod:`stepstone.pipeline.run_config`), so options given beside it win.
        """
        return Pipeline(self.func, self._changed_options(changes, merge))

    def configure(self, *, merge: bool = True, **changes: Any) -> Pipeline:
        """Change this pipeline's options in place and return it."""
        self.options = Pipeline(self.func, self._changed_options(changes, merge)).options
        return self

    @property
    def last_run(self) -> PipelineRun:
        """The most recent run of this pipeline in the current stepstone home."""
        from stepstone.client import Client

        return Client().get_pipeline(self.name).last_run

    @property
    def last_successful_run(self) -> PipelineRun:
        """The most recent completed run of this pipeline in the current stepstone home."""
        from stepstone.client import Client

        return Client().get_pipeline(self.name).last_successful_run

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments:
        """The call's arguments with configured ``parameters`` filling the ones left out."""
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise PipelineDefinitionError(self.name, f"cannot be called this way: {exc}.") from exc
        for key, value in self.options.parameters.items():
            if key in bound.arguments and not same_value(bound.arguments[key], value):
                raise PipelineDefinitionError(
                    self.name,
                    f"parameter '{key}' is configured as {value!r}{self._configured_in(key)} "
                    f"and also passed in the call as {bound.arguments[key]!r}. Give it in one "
                    "place.",
                )
            bound.arguments[key] = value
        try:
            bound = self.signature.bind(*bound.args, **bound.kwargs)
        except TypeError as exc:
            raise PipelineDefinitionError(self.name, f"cannot be called this way: {exc}.") from exc
        return bound

    def _configured_in(self, key: str) -> str:
        """`` in config.yaml`` when the run configuration file set parameter ``key``."""
        config = self.options.run_config
        if config is None or key not in config.options.get("parameters", {}):
            return ""
        return f" in {config.path}" if config.path else " in the run configuration"

    def bind(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Bind call arguments to the pipeline function, defaults applied."""
        bound = self._arguments(args, kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def trace(self, *args: Any, **kwargs: Any) -> PipelineGraph:
        """Trace the pipeline function into a graph without running anything."""
        bound = self._arguments(args, kwargs)
        config = self.options.run_config
        graph = trace(self.name, self.func, bound.args, bound.kwargs, config, self.options.model)
        if config is not None:
            config.check_steps(graph.order)
        return graph

    def write_run_configuration_template(self, path: str | os.PathLike[str]) -> None:
        """Write a commented YAML run configuration of every option and step to ``path``."""
        from stepstone.pipeline.run_config_template import run_configuration_template

        Path(path).write_text(run_configuration_template(self), encoding="utf-8")

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineRun:
        """Run the pipeline now and return the recorded run.

        Called inside another pipeline's function, it runs nothing: its steps join the
        outer pipeline's graph and the call returns what its function returns (handles to
        its steps' outputs). Its ``parameters`` apply; the run options are the outer run's.
        """
        tracer = ACTIVE_TRACER.get()
        if tracer is not None:
            bound = self._arguments(args, kwargs)
            return cast(
                "PipelineRun", tracer.inline(self.name, self.func, bound.args, bound.kwargs)
            )
        from stepstone.orchestrators.driver import run_pipeline

        return run_pipeline(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<pipeline '{self.name}'>"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    enable_step_logs: bool | None = None,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    model: Model | None = None,
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    enable_step_logs: bool | None = None,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    model: Model | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Declare a pipeline: a function whose body calls steps.

    The keyword arguments are the fields of :class:`PipelineOptions`.

    Example:
        >>> from stepstone import step, pipeline
        >>> @step
        ... def one() -> int:
        ...     return 1
        >>> @pipeline
        ... def tiny():
        ...     one()
        >>> tiny.trace().order
        ('one',)
    """

    def decorate(function: Callable[..., Any]) -> Pipeline:
        options = PipelineOptions(
            name=name or str(getattr(function, "__name__", "pipeline")),
            enable_cache=enable_cache,
            enable_step_logs=enable_step_logs,
            parameters=dict(parameters or {}),
            settings=dict(settings or {}),
            extra=dict(extra or {}),
            model=model,
        )
        return Pipeline(function, options)

    if func is not None:
        return decorate(func)
    return decorate
