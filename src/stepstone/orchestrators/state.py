"""The state of one run's loop, in one place.

:class:`RunState` is everything the driver's loop reads and changes while a run is under way
(the driver itself holds only what is fixed for the run: the plan, the stores, the executor,
the listeners). A step moves through it like this::

    sorter.ready() -> KeyedStep -> lookup -> hit:  records, pending (batched write)
                                          -> miss: in_flight -> finished -> records (own write)

and ``sorter.done(name)`` releases its consumers. A consumer that finds an input damaged
parks in ``redos`` while the input's producer executes again, then is keyed and submitted
anew (see :class:`Redo`).
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from stepstone.cache import KeyComponents
from stepstone.cache.manifest import Decision
from stepstone.execution import StepResult
from stepstone.metadata.records import ArtifactRecord, StepRunRecord, StepRunWrite
from stepstone.orchestrators.planning import PlannedStep
from stepstone.pipeline.schedule import CallOrderSorter


@dataclass(slots=True)
class KeyedStep:
    """A ready step with its cache key, and the decision taken about it so far.

    ``decision`` starts as the plan's static decision (or ``None``: the cache decides) and is
    final once the step is reused or submitted; it is stored in the step run's manifest.
    ``clock`` is when keying began: a cached step's recorded duration is what deciding and
    reusing cost. ``attempt`` counts the retries made (``@step(retries=)``).
    """

    planned: PlannedStep
    components: KeyComponents
    key: str
    inputs: dict[str, ArtifactRecord]
    decision: Decision | None
    clock: float = field(default_factory=time.perf_counter)
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    """The step failure that stopped scheduling; raised as ``StepExecutionError`` at the end.

    ``error`` is the step's exception when it crossed the executor (``None`` when only its
    text did); ``summary`` the one line shown in the event and the raised message.
    """

    invocation_name: str
    definition_name: str
    error: BaseException | None
    summary: str


@dataclass(frozen=True, slots=True)
class Redo:
    """A consumer waiting for the producer of its damaged input to execute again.

    ``result`` is the consumer's failed attempt: if the producer fails too, that failure is
    recorded for the consumer as it stands.
    """

    consumer: KeyedStep
    result: StepResult


@dataclass(slots=True)
class RunState:
    """Everything that changes while a run's loop goes.

    Attributes:
        sorter: which invocations are ready; ``done`` is called once per invocation, when
            its outputs are in ``produced`` (a redone producer is not "done" twice).
        in_flight: future -> keyed step, for steps handed to the executor.
        finished: futures known to be done and not yet collected, oldest first. A
            synchronous executor's future is done at submit time; collecting through this
            queue (not by recursion) keeps a redo's submit from nesting inside a collect.
        produced: invocation id -> output name -> artifact record, from execution or a hit.
        records: step runs of this run, in the order they finished.
        pending: cached step runs not yet written; they ride along with the next write.
        ran / cached: invocation ids executed / reused, for the run's summary.
        saved_seconds: the original durations of the reused steps.
        failure: the first failure recorded, which stopped scheduling, if any.
        interrupt: the exit or interrupt that reached the driver itself (``SIGTERM`` or
            Ctrl-C while steps ran on workers); the process exits as asked once it is recorded.
        failures: every failure recorded, in the order they were recorded (steps in flight
            when scheduling stopped may fail too; the run's error names the first called).
        recomputed: producers executed again because an output was damaged (at most once
            per run, so a store that keeps damaging bytes cannot loop).
        redos: producer id -> the consumer waiting for it to execute again.
    """

    sorter: CallOrderSorter
    in_flight: dict[Future[StepResult], KeyedStep] = field(default_factory=dict)
    finished: deque[Future[StepResult]] = field(default_factory=deque)
    produced: dict[str, dict[str, ArtifactRecord]] = field(default_factory=dict)
    records: list[StepRunRecord] = field(default_factory=list)
    pending: list[StepRunWrite] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    saved_seconds: float = 0.0
    failure: Failure | None = None
    failures: list[Failure] = field(default_factory=list)
    interrupt: BaseException | None = None
    recomputed: set[str] = field(default_factory=set)
    redos: dict[str, Redo] = field(default_factory=dict)

    def finish(self, record: StepRunRecord) -> None:
        """A step run of this run is final: its outputs feed its consumers."""
        self.records.append(record)
        self.produced[record.name] = record.outputs

    def fail(self, failure: Failure) -> None:
        """A step failed: scheduling stops (the first failure) and the failure is kept."""
        self.failures.append(failure)
        if self.failure is None:
            self.failure = failure

    def forget(self, record: StepRunRecord) -> bool:
        """Drop ``record`` (being redone) from this run; True if it was already written."""
        self.records.remove(record)
        for names in (self.ran, self.cached):
            if record.name in names:
                names.remove(record.name)
        pending = [w for w in self.pending if w.step_run.id != record.id]
        written = len(pending) == len(self.pending)
        self.pending = pending
        return written
