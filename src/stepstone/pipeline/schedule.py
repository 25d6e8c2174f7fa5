"""The one scheduler of a pipeline's invocations: topological order, ties by call order.

Both the tracer (to fix :attr:`PipelineGraph.order`) and the run driver (to decide what to
key, look up and submit next) walk the graph through :class:`CallOrderSorter`: a
:class:`graphlib.TopologicalSorter` whose ready batches come sorted by the order the pipeline
function called the steps. An order computed by the tracer is therefore the order a
synchronous run executes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from graphlib import TopologicalSorter

from stepstone.steps.invocation import Invocation


class CallOrderSorter:
    """Hands out invocations whose upstreams are done, in batches sorted by call index.

    Raises :class:`graphlib.CycleError` when built over a graph with a cycle.
    """

    __slots__ = ("_index", "_sorter")

    def __init__(self, invocations: Mapping[str, Invocation]) -> None:
        self._index = {name: invocation.index for name, invocation in invocations.items()}
        self._sorter = TopologicalSorter({i.id: i.upstream for i in invocations.values()})
        self._sorter.prepare()

    def ready(self) -> list[str]:
        """Every invocation that became ready since the last call, first-called first.

        Each name is handed out once; it counts as running until :meth:`done` is called.
        """
        return sorted(self._sorter.get_ready(), key=self._index.__getitem__)

    def done(self, name: str) -> None:
        """Mark ``name`` finished, releasing the invocations that waited only for it."""
        self._sorter.done(name)


def call_order(invocations: Mapping[str, Invocation]) -> tuple[str, ...]:
    """A topological order of ``invocations``: ready batches in turn, each in call order."""
    sorter = CallOrderSorter(invocations)
    order: list[str] = []
    while batch := sorter.ready():
        order.extend(batch)
        for name in batch:
            sorter.done(name)
    return tuple(order)
