"""What calling a step inside a pipeline records.

While a pipeline function is traced, a :class:`Tracer` is active in a context variable.
Calling a step then does not run it: the call is bound to the step's signature and
recorded as an :class:`Invocation`, and the caller gets :class:`OutputHandle` objects
that stand for the outputs the step will produce. Passing a handle to another step makes
an input artifact; passing anything else makes a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stepstone.steps.definition import Step


@dataclass(frozen=True, slots=True)
class OutputHandle:
    """A promise of one output of one invocation, used to wire steps together.

    ``pipeline`` and ``trace`` say which trace made it: ids are unique only within one trace,
    so a handle kept from another pipeline's trace must be refused, never matched by id.
    """

    invocation_id: str
    output_name: str
    pipeline: str = field(default="", compare=False)
    trace: int = field(default=0, compare=False)

    def __repr__(self) -> str:
        return f"<output '{self.output_name}' of step '{self.invocation_id}'>"

    def __bool__(self) -> bool:
        raise TypeError(
            f"{self!r} has no value while the pipeline is being traced, so it cannot be used in "
            "an 'if' or a loop condition. Branch inside a step instead."
        )


@dataclass(slots=True)
class Invocation:
    """One call of a step inside a pipeline.

    Attributes:
        id: the invocation's unique name in the pipeline (``trainer``, ``trainer_2``, or the
            ``id=`` given at the call).
        step: the step definition called.
        inputs: argument name -> handle of the upstream output feeding it.
        literals: argument name -> literal value (parameters, defaults included).
        after: ids of invocations that must finish first without passing data.
        index: position of the call in the pipeline function (ties in ordering follow it).
        input_groups: argument name -> element count, for an argument given a tuple of step
            outputs (``consume(pair)`` where ``pair = produce()``): its elements are the
            inputs ``"<argument>.0"``, ``"<argument>.1"``, ..., and the step gets the tuple.
        upstream: ids of the invocations this one waits for (inputs' producers and ``after``),
            computed once: the driver and graph checks ask for it per step.
    """

    id: str
    step: Step
    inputs: dict[str, OutputHandle]
    literals: dict[str, Any]
    after: tuple[str, ...]
    index: int
    outputs: tuple[OutputHandle, ...] = field(default=())
    input_groups: dict[str, int] = field(default_factory=dict)
    upstream: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        producers = {handle.invocation_id for handle in self.inputs.values()}
        self.upstream = frozenset(producers | set(self.after))


class Tracer(Protocol):
    """Collects invocations while a pipeline function runs."""

    def record(
        self,
        step: Step,
        args: Sequence[Any],
        kwargs: dict[str, Any],
        invocation_id: str | None,
        after: Sequence[Any],
    ) -> Invocation: ...

    def inline(
        self, pipeline_name: str, func: Callable[..., Any], args: Sequence[Any], kwargs: Any
    ) -> Any:
        """Trace another pipeline's function into this graph and return what it returns."""
        ...


ACTIVE_TRACER: ContextVar[Tracer | None] = ContextVar("stepstone_active_tracer", default=None)
