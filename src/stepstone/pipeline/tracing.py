"""Tracing a pipeline function into a graph of invocations.

The pipeline function runs once with a :class:`PipelineTracer` active. Each step call is
bound to the step's signature (unknown and missing arguments are caught here, naming the
step), given a unique id, and recorded. The result is a :class:`PipelineGraph`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from graphlib import CycleError
from typing import Any

from stepstone.exceptions import PipelineDefinitionError, StepDefinitionError, did_you_mean
from stepstone.pipeline.run_config import RunConfig
from stepstone.pipeline.schedule import call_order
from stepstone.steps.definition import Step
from stepstone.steps.invocation import ACTIVE_TRACER, Invocation, OutputHandle
from stepstone.steps.model import Model

_CONTAINERS = (list, tuple, set, frozenset, dict)
"""What :func:`_contains_handle` looks into (a scalar literal is not called with it)."""


def _contains_handle(value: Any) -> bool:
    if isinstance(value, OutputHandle):
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_handle(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_handle(item) for item in value.values())
    return False


_TRACES = itertools.count(1)


def same_value(a: Any, b: Any) -> bool:
    """Whether a configured parameter and the call's value agree (arrays and the like that
    cannot say so count as different)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # an ambiguous truth value (arrays): not provably the same
        return False


class PipelineTracer:
    """Records step calls made while a pipeline function runs."""

    def __init__(
        self, pipeline_name: str, run_config: RunConfig | None = None, model: Model | None = None
    ) -> None:
        self.pipeline_name = pipeline_name
        self.run_config = run_config  # its ``steps`` configure invocations by id
        self.model = model  # what get_pipeline_context().model says
        self.invocations: dict[str, Invocation] = {}
        self.trace = next(_TRACES)  # stamped on every handle this trace makes
        self._counters: dict[str, int] = {}  # step name -> calls so far (ids in O(1))
        self._inlined: list[str] = []  # names of the pipelines being inlined, outermost first

    def inline(
        self,
        pipeline_name: str,
        func: Callable[..., Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        """Trace a pipeline called inside this one: its steps join this graph (an id that
        is taken gets the inner pipeline's name as a prefix) and its return value, handles
        of its steps' outputs, goes back to the caller."""
        if pipeline_name == self.pipeline_name or pipeline_name in self._inlined:
            chain = " -> ".join([self.pipeline_name, *self._inlined, pipeline_name])
            raise PipelineDefinitionError(
                self.pipeline_name, f"calls itself through {chain}; a pipeline cannot recurse."
            )
        self._inlined.append(pipeline_name)
        try:
            return func(*args, **kwargs)
        finally:
            self._inlined.pop()

    def _new_id(self, step: Step[Any, Any], requested: str | None) -> str:
        if requested is not None:
            if not isinstance(requested, str) or not requested.isidentifier():
                raise StepDefinitionError(
                    step.name, f"id={requested!r} must be a Python identifier string."
                )
            if requested in self.invocations and self._inlined:
                requested = self._prefixed(requested)
            if requested in self.invocations:
                raise PipelineDefinitionError(
                    self.pipeline_name, f"two step calls use id '{requested}'; ids are unique."
                )
            return requested
        if self._inlined and step.name in self.invocations:
            prefixed = self._prefixed(step.name)
            if prefixed not in self.invocations:
                return prefixed
        counter = self._counters.get(step.name, 0)
        candidate = step.name if counter == 0 else f"{step.name}_{counter + 1}"
        while candidate in self.invocations:
            counter += 1
            candidate = f"{step.name}_{counter + 1}"
        self._counters[step.name] = counter + 1
        return candidate

    def _prefixed(self, name: str) -> str:
        return f"{self._inlined[-1]}_{name}"

    def _bind(
        self, step: Step[Any, Any], args: Sequence[Any], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        parameters = step.signature.parameters
        for name in kwargs:
            if name not in parameters:
                known = ", ".join(parameters) or "none"
                raise StepDefinitionError(
                    step.name,
                    f"has no input or parameter named '{name}'.{did_you_mean(name, parameters)} "
                    f"It takes: {known}.",
                )
        try:
            arguments = step.signature.bind_partial(args, kwargs)
        except TypeError as exc:
            raise StepDefinitionError(step.name, f"cannot be called this way: {exc}.") from exc
        for name, value in step.options.parameters.items():
            if name in arguments and not same_value(arguments[name], value):
                raise StepDefinitionError(
                    step.name,
                    f"parameter '{name}' is configured as {value!r} but the call passes "
                    f"{arguments[name]!r}. Give it in one place: the call or "
                    "configure/with_options(parameters=...).",
                )
            arguments[name] = value
        missing = [
            name
            for name, parameter in parameters.items()
            if name not in arguments and parameter.default is parameter.empty
        ]
        if missing:
            raise StepDefinitionError(
                step.name,
                f"missing input '{missing[0]}'. Pass it a step output or a value, "
                f"e.g. {step.name}({missing[0]}=...).",
            )
        # In signature order, defaults filled in (as ``BoundArguments.apply_defaults``).
        return {
            name: arguments[name] if name in arguments else parameter.default
            for name, parameter in parameters.items()
        }

    def _check_own(self, step: Step[Any, Any], where: str, handle: OutputHandle) -> None:
        """Refuse a handle made by another trace (another pipeline, or an earlier trace)."""
        if handle.trace == self.trace and handle.invocation_id in self.invocations:
            return
        origin = f"pipeline '{handle.pipeline}'" if handle.pipeline else "another pipeline"
        if handle.pipeline == self.pipeline_name:
            origin = f"an earlier trace of pipeline '{handle.pipeline}'"
        raise StepDefinitionError(
            step.name,
            f"{where} is {handle!r} from {origin}, not a step of pipeline "
            f"'{self.pipeline_name}' being traced. Outputs pass only between steps of one "
            f"pipeline: call '{handle.invocation_id}' inside '{self.pipeline_name}' and pass "
            "its output.",
        )

    def record(
        self,
        step: Step[Any, Any],
        args: Sequence[Any],
        kwargs: dict[str, Any],
        invocation_id: str | None,
        after: Sequence[Any],
    ) -> Invocation:
        new_id = self._new_id(step, invocation_id)
        changes = (
            None
            if self.run_config is None
            else self.run_config.step_changes(
                new_id, step.signature.argument_names, step.signature.annotations
            )
        )
        if changes:
            step = step.with_options(**changes)
        arguments = self._bind(step, args, kwargs)
        inputs: dict[str, OutputHandle] = {}
        literals: dict[str, Any] = {}
        groups: dict[str, int] = {}
        for name, value in arguments.items():
            if isinstance(value, OutputHandle):
                self._check_own(step, f"input '{name}'", value)
                inputs[name] = value
            elif (
                isinstance(value, tuple)
                and value
                and all(isinstance(item, OutputHandle) for item in value)
            ):
                # The tuple of handles a several-output step returned, passed on whole:
                # each element is its own input artifact, the step gets them as a tuple.
                groups[name] = len(value)
                for position, item in enumerate(value):
                    self._check_own(step, f"input '{name}'", item)
                    inputs[f"{name}.{position}"] = item
            elif isinstance(value, _CONTAINERS) and _contains_handle(value):
                raise StepDefinitionError(
                    step.name,
                    f"argument '{name}' holds step outputs inside a container. Pass each step "
                    "output as its own argument, or the whole tuple a step returned as one.",
                )
            elif isinstance(value, Step):
                raise StepDefinitionError(
                    step.name,
                    f"argument '{name}' is the step '{value.name}' itself; call it: "
                    f"{value.name}(...).",
                )
            else:
                literals[name] = value
        after_ids = []
        for item in after:
            if isinstance(item, OutputHandle):
                self._check_own(step, "after=", item)
                after_ids.append(item.invocation_id)
            elif isinstance(item, tuple) and all(isinstance(h, OutputHandle) for h in item):
                for handle in item:
                    self._check_own(step, "after=", handle)
                after_ids.extend(handle.invocation_id for handle in item)
            elif isinstance(item, str):
                after_ids.append(item)
            else:
                raise StepDefinitionError(
                    step.name, f"after= takes step ids or step outputs, not {item!r}."
                )
        invocation = Invocation(
            id=new_id,
            step=step,
            inputs=inputs,
            literals=literals,
            after=tuple(dict.fromkeys(after_ids)),
            index=len(self.invocations),
            input_groups=groups,
        )
        invocation.outputs = tuple(
            OutputHandle(invocation.id, name, self.pipeline_name, self.trace)
            for name in step.signature.output_names
        )
        self.invocations[invocation.id] = invocation
        return invocation


@dataclass(frozen=True)
class PipelineGraph:
    """A traced pipeline: its invocations by id, in an order every dependency respects."""

    pipeline_name: str
    invocations: dict[str, Invocation]
    order: tuple[str, ...]

    def describe(self) -> dict[str, Any]:
        """The graph as JSON-able data (stored with the run; drawn by the dashboard)."""
        steps = []
        for name in self.order:
            invocation = self.invocations[name]
            steps.append(
                {
                    "name": name,
                    "definition_name": invocation.step.name,
                    "upstream": sorted(invocation.upstream),
                    "inputs": {
                        arg: [handle.invocation_id, handle.output_name]
                        for arg, handle in invocation.inputs.items()
                    },
                    "outputs": list(invocation.step.signature.output_names),
                }
            )
        return {"steps": steps}


def _execution_order(pipeline_name: str, invocations: dict[str, Invocation]) -> tuple[str, ...]:
    """Topological order (see :func:`call_order`), after checking every ``after`` name."""
    for invocation in invocations.values():
        for name in invocation.after:
            if name not in invocations:
                raise PipelineDefinitionError(
                    pipeline_name,
                    f"step '{invocation.id}' runs after '{name}', which is not a step of this "
                    f"pipeline.{did_you_mean(name, invocations)}",
                )
    try:
        return call_order(invocations)
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise PipelineDefinitionError(
            pipeline_name, f"steps depend on each other in a cycle: {cycle}. Remove one edge."
        ) from exc


@contextmanager
def _tracing(tracer: PipelineTracer) -> Iterator[None]:
    token = ACTIVE_TRACER.set(tracer)
    try:
        yield
    finally:
        ACTIVE_TRACER.reset(token)


def trace(
    pipeline_name: str,
    func: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    run_config: RunConfig | None = None,
    model: Model | None = None,
) -> PipelineGraph:
    """Run ``func`` once with tracing on and return the graph of its step calls
    (configured by ``run_config``'s ``steps``; ``model`` is the pipeline's)."""
    if ACTIVE_TRACER.get() is not None:
        raise PipelineDefinitionError(
            pipeline_name, "pipelines cannot be called inside another pipeline being traced."
        )
    tracer = PipelineTracer(pipeline_name, run_config, model)
    with _tracing(tracer):
        try:
            func(*args, **kwargs)
        except NameError as exc:
            name = getattr(exc, "name", None)
            if name is None or name not in func.__code__.co_names:
                raise
            raise PipelineDefinitionError(
                pipeline_name,
                f"`{name}` is not defined. Define it (in a notebook, run the cell that defines "
                "it first), then call the pipeline again.",
            ) from exc
        except (ValueError, TypeError) as exc:
            if "unpack" not in str(exc) or not tracer.invocations:
                raise
            last = list(tracer.invocations.values())[-1]
            names = ", ".join(last.step.signature.output_names) or "none"
            raise PipelineDefinitionError(
                pipeline_name,
                f"step '{last.id}' has {len(last.outputs)} outputs ({names}), but the pipeline "
                f"unpacks its result into a different number of names ({exc}).",
            ) from exc
    if not tracer.invocations:
        raise PipelineDefinitionError(pipeline_name, "calls no steps. Call @step functions in it.")
    order = _execution_order(pipeline_name, tracer.invocations)
    return PipelineGraph(pipeline_name, dict(tracer.invocations), order)
