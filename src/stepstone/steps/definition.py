"""``@step``: turn a function into a pipeline step.

A step is still the function: outside a pipeline, calling it calls the function (so unit
tests need no stores). Inside a pipeline being traced, calling it records an invocation
and returns handles to its outputs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar, overload

from stepstone.exceptions import StepDefinitionError
from stepstone.steps.invocation import ACTIVE_TRACER, OutputHandle
from stepstone.steps.signature import StepSignature, parse_signature

P = ParamSpec("P")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class StepOptions:
    """Per-step settings; ``None`` means "inherit from the pipeline or run"."""

    name: str
    enable_cache: bool | None = None
    cache_version: str | int | None = None


class Step(Generic[P, R]):
    """A function registered as a pipeline step. Create one with :func:`step`."""

    def __init__(self, func: Callable[P, R], options: StepOptions) -> None:
        if not callable(func):
            raise StepDefinitionError(options.name, f"@step needs a function, got {func!r}.")
        if not options.name.isidentifier():
            raise StepDefinitionError(
                options.name, "a step name must be a Python identifier (letters, digits, _)."
            )
        self.func = func
        self.options = options
        self.signature: StepSignature = parse_signature(options.name, func)
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def enable_cache(self) -> bool | None:
        return self.options.enable_cache

    @property
    def cache_version(self) -> str | int | None:
        return self.options.cache_version

    def with_options(self, **changes: Any) -> Step[P, R]:
        """A copy of this step with other options (``name``, ``enable_cache``, ``cache_version``).

        >>> @step
        ... def load() -> int:
        ...     return 1
        >>> load.with_options(enable_cache=False).enable_cache
        False
        """
        unknown = set(changes) - {f.name for f in dataclasses.fields(StepOptions)}
        if unknown:
            raise StepDefinitionError(self.name, f"unknown option '{sorted(unknown)[0]}'.")
        return Step(self.func, dataclasses.replace(self.options, **changes))

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...
    @overload
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = ACTIVE_TRACER.get()
        if tracer is None:
            return self.func(*args, **kwargs)
        invocation_id = kwargs.pop("id", None)
        after = kwargs.pop("after", ())
        if isinstance(after, str | OutputHandle) or not isinstance(after, Sequence):
            after = (after,)
        invocation = tracer.record(self, args, kwargs, invocation_id, after)
        if len(invocation.outputs) == 1:
            return invocation.outputs[0]
        if not invocation.outputs:
            return None
        return invocation.outputs

    def __repr__(self) -> str:
        return f"<step '{self.name}' ({self.func.__module__}.{self.func.__qualname__})>"


@overload
def step(func: Callable[P, R], /) -> Step[P, R]: ...
@overload
def step(
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    cache_version: str | int | None = None,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...


def step(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    cache_version: str | int | None = None,
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Declare a pipeline step.

    Args:
        name: the step's name (default: the function's name).
        enable_cache: ``False`` always executes the step (e.g. it reads a live table);
            ``None`` inherits the pipeline's setting.
        cache_version: bump by hand to invalidate cached results without editing code.

    Example:
        >>> @step
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double(3)  # outside a pipeline a step is its function
        6
    """

    def decorate(function: Callable[P, R]) -> Step[P, R]:
        options = StepOptions(
            name=name or getattr(function, "__name__", "step"),
            enable_cache=enable_cache,
            cache_version=cache_version,
        )
        return Step(function, options)

    if func is not None:
        return decorate(func)
    return decorate
