"""``@step``: turn a function into a pipeline step.

A step is still the function: outside a pipeline, calling it calls the function (so unit
tests need no stores). Inside a pipeline being traced, calling it records an invocation
and returns handles to its outputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, ParamSpec, TypeVar, overload

from stepstone.exceptions import StepDefinitionError, did_you_mean
from stepstone.steps.class_based import class_based_arguments, instance_for_call
from stepstone.steps.configuration import DICT_OPTIONS, changed_options
from stepstone.steps.invocation import ACTIVE_TRACER, OutputHandle
from stepstone.steps.model import Model, check_model
from stepstone.steps.signature import StepSignature, parse_signature

P = ParamSpec("P")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class StepOptions:
    """Per-step settings; ``None`` means "inherit from the pipeline or run".

    Attributes:
        name: the step's name.
        enable_cache: ``False`` always executes the step.
        cache_version: a manual bump that invalidates earlier results.
        cache_depends_on: files, directories (``"data/raw.csv"``) and environment variables
            (``"env:API_URL"``) the step reads; their content keys the cache.
        cache_expires_after: cached results older than this are not reused.
        materializer: how outputs are stored, overriding the registry: a ``Materializer``
            subclass or registered name for every output, or ``{"output name": ...}``.
        resources: what one execution needs from a worker, ``{"GPU": 1, "memory": "4GB"}``;
            on Dask these are worker resources (workers started with ``--resources``).
        retries: how many times to execute again after a transient failure (a worker
            that died); a step's own exception is retried only if it is in ``retry_on``.
        retry_on: exception types of the step that are worth retrying (``TimeoutError``).
        enable_step_logs: ``False`` keeps the step's output out of the metadata store.
        parameters: argument name -> value used when the call does not pass that argument
            (passing a different value in the call is an error: say it once).
        settings: free-form settings, recorded with each run (``runs show``).
        extra: free-form extra data, recorded the same way.
        model: the model the step works on (its outputs link to the run's version of it).
    """

    name: str
    enable_cache: bool | None = None
    cache_version: str | int | None = None
    cache_depends_on: tuple[str | os.PathLike[str], ...] = ()
    cache_expires_after: dt.timedelta | None = None
    materializer: Any = None
    resources: Mapping[str, float | str] = dataclasses.field(default_factory=dict)
    retries: int = 0
    retry_on: tuple[type[BaseException], ...] = ()
    enable_step_logs: bool | None = None
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    model: Model | None = None

    def __post_init__(self) -> None:
        self._check_execution_options()
        check_model(self.model, f"Step '{self.name}'")
        for option in DICT_OPTIONS:
            value = getattr(self, option)
            if not isinstance(value, Mapping):
                raise StepDefinitionError(self.name, f"{option} takes a dictionary, not {value!r}.")
        depends = self.cache_depends_on
        if isinstance(depends, str | os.PathLike):
            object.__setattr__(self, "cache_depends_on", (depends,))
        elif not all(isinstance(d, str | os.PathLike) for d in depends):
            raise StepDefinitionError(
                self.name,
                f"cache_depends_on takes paths and 'env:NAME' strings, not {depends!r}.",
            )
        else:
            object.__setattr__(self, "cache_depends_on", tuple(depends))
        expiry = self.cache_expires_after
        if expiry is not None and (
            not isinstance(expiry, dt.timedelta) or expiry.total_seconds() <= 0
        ):
            raise StepDefinitionError(
                self.name,
                f"cache_expires_after must be a positive datetime.timedelta, not {expiry!r}.",
            )

    def _check_execution_options(self) -> None:
        if not isinstance(self.resources, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int | float | str) and not isinstance(v, bool)
            for k, v in self.resources.items()
        ):
            raise StepDefinitionError(
                self.name,
                f"resources maps names to amounts, e.g. {{'GPU': 1, 'memory': '4GB'}}, "
                f"not {self.resources!r}.",
            )
        object.__setattr__(self, "resources", dict(self.resources))
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise StepDefinitionError(
                self.name, f"retries must be a whole number >= 0, not {self.retries!r}."
            )
        retry_on = self.retry_on
        if isinstance(retry_on, type):
            retry_on = (retry_on,)
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_on):
            raise StepDefinitionError(
                self.name,
                f"retry_on takes exception types, e.g. (TimeoutError,), not {retry_on!r}.",
            )
        object.__setattr__(self, "retry_on", tuple(retry_on))


@dataclasses.dataclass(frozen=True, slots=True)
class StepSource:
    """The import location of a step function (what :meth:`Step.resolve` returns)."""

    module: str
    attribute: str

    @property
    def import_path(self) -> str:
        return f"{self.module}.{self.attribute}"


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
        self.class_based = class_based_arguments(options.name, self.signature)
        self._check_materializer_names()
        self._check_parameter_names()
        functools.update_wrapper(self, func)

    def _check_parameter_names(self) -> None:
        arguments = self.signature.argument_names
        for name in self.options.parameters:
            if name not in arguments:
                raise StepDefinitionError(
                    self.name,
                    f"parameters names '{name}', which the step function does not take."
                    f"{did_you_mean(str(name), arguments)} It takes: "
                    f"{', '.join(arguments) or 'nothing'}.",
                )

    def _check_materializer_names(self) -> None:
        chosen = self.options.materializer
        if not isinstance(chosen, dict):
            return
        outputs = self.signature.output_names
        for output in chosen:
            if output not in outputs:
                raise StepDefinitionError(
                    self.name,
                    f"materializer names output '{output}', which the step does not declare."
                    f"{did_you_mean(str(output), outputs)} Its outputs: "
                    f"{', '.join(outputs) or 'none'}.",
                )

    @property
    def output_materializers(self) -> dict[str, Any]:
        """Output name -> the materializer chosen with ``materializer=`` (class or name)."""
        chosen = self.options.materializer
        if chosen is None:
            return {}
        if isinstance(chosen, dict):
            return dict(chosen)
        return {name: chosen for name in self.signature.output_names}

    @property
    def name(self) -> str:
        return self.options.name

    @property
    def enable_cache(self) -> bool | None:
        return self.options.enable_cache

    @property
    def cache_version(self) -> str | int | None:
        return self.options.cache_version

    @property
    def cache_depends_on(self) -> tuple[str | os.PathLike[str], ...]:
        return self.options.cache_depends_on

    @property
    def cache_expires_after(self) -> dt.timedelta | None:
        return self.options.cache_expires_after

    @property
    def resources(self) -> Mapping[str, float | str]:
        return self.options.resources

    @property
    def retries(self) -> int:
        return self.options.retries

    @property
    def retry_on(self) -> tuple[type[BaseException], ...]:
        return self.options.retry_on

    def _changed_options(self, changes: Mapping[str, Any], merge: bool) -> StepOptions:
        def unknown(message: str) -> Exception:
            return StepDefinitionError(self.name, message)

        changed: StepOptions = changed_options(self.options, changes, merge, unknown)
        return changed

    def with_options(self, *, merge: bool = True, **changes: Any) -> Step[P, R]:
        """A copy of this step with other options (any field of :class:`StepOptions`).

        ``parameters``, ``settings`` and ``extra`` are merged into the current ones unless
        ``merge=False``. The original step is unchanged; see :meth:`configure`.

        >>> @step
        ... def load() -> int:
        ...     return 1
        >>> load.with_options(enable_cache=False).enable_cache
        False
        """
        return Step(self.func, self._changed_options(changes, merge))

    def configure(self, *, merge: bool = True, **changes: Any) -> Step[P, R]:
        """Change this step's options in place and return it (every later call sees them).

        Takes what :meth:`with_options` takes; prefer ``with_options`` for a one-off change.
        """
        changed = Step(self.func, self._changed_options(changes, merge))
        self.options = changed.options
        return self

    def entrypoint(self, *args: Any, **kwargs: Any) -> Any:
        """Call the step's function: the class-based API's ``my_step.entrypoint()``."""
        return self.func(*args, **kwargs)

    def resolve(self) -> StepSource:
        """Where the step's function is defined: its module and attribute path."""
        return StepSource(self.func.__module__, self.func.__qualname__)

    @overload
    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...
    @overload
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tracer = ACTIVE_TRACER.get()
        if tracer is None:
            # ``tf_trainer(config=...)`` in the class-based API (see steps/class_based.py)
            instance = instance_for_call(self, args, kwargs)
            return self.func(*args, **kwargs) if instance is None else instance
        spec = self.class_based
        if spec.config_argument is not None or spec.context_argument is not None:
            named = spec.keywords(self.name, self.signature.argument_names, args, kwargs)
            args, kwargs = (), spec.filled(self.name, named)
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
    cache_depends_on: Sequence[str | os.PathLike[str]] = (),
    cache_expires_after: dt.timedelta | None = None,
    materializer: Any = None,
    resources: Mapping[str, float | str] | None = None,
    retries: int = 0,
    retry_on: tuple[type[BaseException], ...] | type[BaseException] = (),
    enable_step_logs: bool | None = None,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    model: Model | None = None,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...


def step(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool | None = None,
    cache_version: str | int | None = None,
    cache_depends_on: Sequence[str | os.PathLike[str]] = (),
    cache_expires_after: dt.timedelta | None = None,
    materializer: Any = None,
    resources: Mapping[str, float | str] | None = None,
    retries: int = 0,
    retry_on: tuple[type[BaseException], ...] | type[BaseException] = (),
    enable_step_logs: bool | None = None,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    model: Model | None = None,
) -> Step[P, R] | Callable[[Callable[P, R]], Step[P, R]]:
    """Declare a pipeline step.

    Args:
        name: the step's name (default: the function's name).
        enable_cache: ``False`` always executes the step (e.g. it reads a live table);
            ``None`` inherits the pipeline's setting.
        cache_version: bump by hand to invalidate cached results without editing code.
        cache_depends_on: files, directories and ``"env:NAME"`` variables the step reads;
            their current content is part of the cache key.
        cache_expires_after: a ``timedelta``; older cached results are executed again.
        materializer: a ``Materializer`` subclass (or registered name) for every output, or
            ``{"output name": Materializer}``; overrides the registry's choice by type.
        resources: what one execution needs, ``{"GPU": 1, "memory": "4GB"}``: Dask runs
            the step only on workers that have it; other executors ignore it.
        retries: executions to try again after a worker died under the step.
        retry_on: the step's own exception types that also get retried.
        enable_step_logs: ``False`` does not store what the step prints or logs.
        parameters: values for arguments the call leaves out.
        settings: free-form settings recorded with each run.
        extra: free-form extra data recorded with each run.
        model: the :class:`~stepstone.steps.model.Model` this step's outputs belong to
            (beats the pipeline's).

    Example:
        >>> @step
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> double(3)  # outside a pipeline a step is its function
        6
    """

    def decorate(function: Callable[P, R]) -> Step[P, R]:
        options = StepOptions(
            name=name or str(getattr(function, "__name__", "step")),
            enable_cache=enable_cache,
            cache_version=cache_version,
            cache_depends_on=tuple(cache_depends_on),
            cache_expires_after=cache_expires_after,
            materializer=materializer,
            resources=dict(resources or {}),
            retries=retries,
            retry_on=retry_on if isinstance(retry_on, tuple) else (retry_on,),
            enable_step_logs=enable_step_logs,
            parameters=dict(parameters or {}),
            settings=dict(settings or {}),
            extra=dict(extra or {}),
            model=model,
        )
        return Step(function, options)

    if func is not None:
        return decorate(func)
    return decorate
