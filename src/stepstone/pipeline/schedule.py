"""The one scheduler of a pipeline's invocations: topological order, ties by call order.

Both the tracer (to fix :attr:`PipelineGraph.order`) and the run driver (to decide what to
key, look up and submit next) walk the graph through :class:`CallOrderSorter`: a
:class:`graphlib.TopologicalSorter` whose ready batches come sorted by the order the pipeline
function called the steps. An order computed by the tracer is therefore the order a
synchronous run executes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from graphlib import TopologicalSorter

from stepstone.steps.invocation import Invocation


class CallOrderSorter:
    """Hands out invocations whose upstreams are done, in batches sorted by call index.

    Raises :class:`graphlib.CycleError` when built over a graph with a cycle.
    """

    __slots__ = ("_index", "_sorter", "done")

    def __init__(self, invocations: Mapping[str, Invocation]) -> None:
        self._index = {name: invocation.index for name, invocation in invocations.items()}
        self._sorter = TopologicalSorter({i.id: i.upstream for i in invocations.values()})
        self._sorter.prepare()
        #: Mark a name finished, releasing the invocations that waited only for it: the
        #: sorter's own ``done``, called once per step without a wrapper around it.
        self.done: Callable[[str], None] = self._sorter.done

    def ready(self) -> list[str]:
        """Every invocation that became ready since the last call, first-called first.

        Each name is handed out once; it counts as running until :attr:`done` is called.
        A chain's batches are single names, which need no sorting.
        """
        batch = self._sorter.get_ready()
        if len(batch) > 1:
            return sorted(batch, key=self._index.__getitem__)
        return list(batch)


def call_order(invocations: Mapping[str, Invocation]) -> tuple[str, ...]:
    """A topological order of ``invocations``: ready batches in turn, each in call order."""
    sorter = CallOrderSorter(invocations)
    order: list[str] = []
    while batch := sorter.ready():
        order.extend(batch)
        for name in batch:
            sorter.done(name)
    return tuple(order)
