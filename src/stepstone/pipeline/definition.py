"""``@pipeline``: a function that wires steps, run by calling it.

Calling a pipeline traces its function into a graph and hands the graph to the run driver,
which executes what changed and reuses the rest. ``with_options`` returns a configured copy,
so one definition serves a cached and an uncached run side by side.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from stepstone.exceptions import PipelineDefinitionError, did_you_mean
from stepstone.pipeline.tracing import PipelineGraph, trace

if TYPE_CHECKING:
    from stepstone.models import PipelineRun


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
    """

    name: str
    enable_cache: bool | None = None
    refresh: tuple[str, ...] = ()
    executor: Any = None

    def __post_init__(self) -> None:
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

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def enable_cache(self) -> bool | None:
        return self.options.enable_cache

    @property
    def refresh(self) -> tuple[str, ...]:
        return self.options.refresh

    def with_options(self, **changes: Any) -> Pipeline:
        """A copy with other options, e.g. ``my_pipeline.with_options(enable_cache=False)``."""
        fields = {f.name for f in dataclasses.fields(PipelineOptions)}
        for key in changes:
            if key not in fields:
                raise PipelineDefinitionError(
                    self.name, f"unknown option '{key}'.{did_you_mean(key, fields)}"
                )
        return Pipeline(self.func, dataclasses.replace(self.options, **changes))

    def bind(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Bind call arguments to the pipeline function, defaults applied."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise PipelineDefinitionError(self.name, f"cannot be called this way: {exc}.") from exc
        bound.apply_defaults()
        return dict(bound.arguments)

    def trace(self, *args: Any, **kwargs: Any) -> PipelineGraph:
        """Trace the pipeline function into a graph without running anything."""
        return trace(self.name, self.func, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineRun:
        """Run the pipeline now and return the recorded run."""
        from stepstone.orchestrators.driver import run_pipeline

        return run_pipeline(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<pipeline '{self.name}'>"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...
@overload
def pipeline(
    *, name: str | None = None, enable_cache: bool | None = None
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Declare a pipeline: a function whose body calls steps.

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
            name=name or str(getattr(function, "__name__", "pipeline")), enable_cache=enable_cache
        )
        return Pipeline(function, options)

    if func is not None:
        return decorate(func)
    return decorate
