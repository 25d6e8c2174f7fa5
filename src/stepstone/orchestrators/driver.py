"""The run driver: trace, plan, then per ready step: key, lookup, reuse or execute, record.

One driver per run, in the calling process. It owns the metadata store; executors only
compute. The loop state:

* ``waiting``  invocation id -> number of upstream invocations not yet done;
* ``ready``    heap of (call index, id) whose upstreams are all done;
* ``produced`` invocation id -> output name -> artifact record (from execution or a hit);
* ``in_flight`` future -> planned step, for misses handed to the executor;
* ``pending``  cached step-run writes not yet committed (batched: a cached step costs
  one lookup, and its record rides along with the next write).

Every ready batch is keyed and looked up in one query. Executed results are committed as
soon as they arrive, so a killed process loses no finished work; a failure stops
scheduling, waits for what is in flight, records everything, then raises.
"""

from __future__ import annotations

import heapq
import time
import uuid
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stepstone.artifacts import StoredArtifact
from stepstone.cache import KeyComponents
from stepstone.cache.dependencies import hash_dependencies
from stepstone.exceptions import CacheMissWarning, StepExecutionError
from stepstone.execution import InputRef, StepResult, StepTask, execute_step
from stepstone.metadata.records import (
    ArtifactRecord,
    CacheHit,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
)
from stepstone.models import PipelineRun, StepRun
from stepstone.orchestrators.events import (
    CachedResultUnusable,
    Event,
    Listener,
    RunFinished,
    RunStarted,
    StepCached,
    StepFailed,
    StepFinished,
    StepStarted,
    log_to_console,
)
from stepstone.orchestrators.executors import LocalExecutor
from stepstone.orchestrators.planning import PlannedStep, plan_run
from stepstone.pipeline import Pipeline, PipelineGraph
from stepstone.stores import Stores, get_stores


@dataclass(slots=True)
class Keyed:
    """A ready step with its cache key, and the decision taken about it so far.

    ``decision`` ends as one of: ``hit``, ``miss``, ``disabled``, ``cache_off``, ``refresh``,
    ``expired``, ``artifacts_missing``; it is stored with the step run for explain.
    """

    planned: PlannedStep
    components: KeyComponents
    key: str
    inputs: dict[str, ArtifactRecord]
    decision: str | None
    clock: float = field(default_factory=time.perf_counter)


def _artifact_record(stored: StoredArtifact, producer: str | None, now: datetime) -> ArtifactRecord:
    return ArtifactRecord(
        id=uuid.uuid4().hex,
        content_hash=stored.content_hash,
        uri=stored.uri,
        data_type=stored.data_type,
        materializer=stored.materializer,
        materializer_version=stored.materializer_version,
        size=stored.size,
        producer_step_run_id=producer,
        created_at=now,
        summary=stored.summary,
    )


class RunDriver:
    """Drives one pipeline run to completion. Use :func:`run_pipeline`."""

    def __init__(
        self,
        pipeline: Pipeline,
        graph: PipelineGraph,
        parameters: dict[str, Any],
        stores: Stores,
        executor: Executor,
        listeners: list[Listener],
    ) -> None:
        self.pipeline = pipeline
        self.graph = graph
        self.stores = stores
        self.executor = executor
        self.listeners = listeners
        cache_on = stores.settings.cache_enabled  # config file or STEPSTONE_CACHE
        self.plan = plan_run(pipeline, graph, cache_on)
        self.started_at = datetime.now(UTC)
        self.clock = time.perf_counter()
        self.run = PipelineRunRecord(
            id=uuid.uuid4().hex,
            name=f"{pipeline.name}-{self.started_at:%Y_%m_%d-%H_%M_%S_%f}",
            pipeline_name=pipeline.name,
            status="running",
            started_at=self.started_at,
            ended_at=None,
            parameters=parameters,
            graph=graph.describe(),
        )
        self.produced: dict[str, dict[str, ArtifactRecord]] = {}
        self.producer_runs: dict[str, str] = {}  # invocation id -> step run id
        self.records: list[StepRunRecord] = []
        self.pending: list[StepRunWrite] = []
        self.ran: list[str] = []
        self.cached: list[str] = []
        self.saved_seconds = 0.0
        self.failure: tuple[str, BaseException | None, str] | None = None
        self.recomputed: set[str] = set()  # producers re-executed because outputs were damaged

    # -- events and records ---------------------------------------------------------------

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def flush(self, extra: StepRunWrite | None = None) -> None:
        writes = [*self.pending, extra] if extra is not None else self.pending
        if writes:
            self.stores.metadata.record_step_runs(writes)
        self.pending = []

    # -- keys and the cache ---------------------------------------------------------------

    def _inputs_of(self, planned: PlannedStep) -> dict[str, ArtifactRecord]:
        return {
            name: self.produced[handle.invocation_id][handle.output_name]
            for name, handle in planned.invocation.inputs.items()
        }

    def _external_inputs(self, planned: PlannedStep) -> dict[str, ArtifactRecord]:
        """Store values passed straight into the pipeline as artifacts (once per run)."""
        now = datetime.now(UTC)
        records = {}
        for name, value in planned.external_inputs.items():
            stored = self.stores.artifacts.save(value)
            records[name] = _artifact_record(stored, None, now)
        return records

    def _key(self, planned: PlannedStep, inputs: dict[str, ArtifactRecord]) -> Keyed:
        components = KeyComponents(
            code=planned.code,
            parameters=planned.parameter_digests,
            inputs={name: record.content_hash for name, record in inputs.items()},
            output_spec=planned.output_spec,
            cache_version=planned.cache_version,
            extras=hash_dependencies(planned.depends_on) if planned.depends_on else {},
        )
        return Keyed(planned, components, components.key(), inputs, planned.static_decision)

    def _usable(self, keyed: Keyed, hit: CacheHit) -> bool:
        """A hit is usable if it has not expired and every declared output's files exist."""
        planned = keyed.planned
        expiry = planned.expires_after
        if expiry is not None and datetime.now(UTC) - hit.created_at > expiry:
            keyed.decision = "expired"
            self.stores.metadata.delete_cache_entries([hit.cache_key])
            return False
        expected = {entry.name for entry in planned.output_spec}
        missing = sorted(expected - set(hit.outputs))
        if not missing:
            artifacts = self.stores.artifacts
            missing = [n for n, record in hit.outputs.items() if not artifacts.exists(record.uri)]
        if not missing:
            return True
        keyed.decision = "artifacts_missing"
        reason = (
            f"outputs {', '.join(missing)} of run {hit.run_name} are missing from the "
            "artifact store"
        )
        warnings.warn(
            f"Step '{planned.name}': cached {reason}; executing the step again.",
            CacheMissWarning,
            stacklevel=4,
        )
        self.stores.metadata.delete_cache_entries([hit.cache_key])
        self.emit(CachedResultUnusable(self.run.id, planned.name, reason))
        return False

    # -- step outcomes --------------------------------------------------------------------

    def _step_record(self, keyed: Keyed, **fields: Any) -> StepRunRecord:
        planned = keyed.planned
        manifest = keyed.components.to_record()
        handles = planned.invocation.inputs.items()
        manifest["input_producers"] = {
            name: self.producer_runs.get(handle.invocation_id) for name, handle in handles
        }
        manifest["input_steps"] = {name: handle.invocation_id for name, handle in handles}
        manifest["decision"] = keyed.decision
        return StepRunRecord(
            run_id=self.run.id,
            name=planned.name,
            definition_name=planned.invocation.step.name,
            position=len(self.records),
            cache_key=keyed.key,
            cache_components=manifest,
            parameters=planned.parameter_display,
            inputs=keyed.inputs,
            **fields,
        )

    def _finish(self, planned: PlannedStep, record: StepRunRecord) -> None:
        self.records.append(record)
        self.produced[planned.name] = record.outputs
        self.producer_runs[planned.name] = record.cached_from or record.id

    def use_hit(self, keyed: Keyed, hit: CacheHit) -> None:
        """Record a cached step run; its duration is what deciding and reusing cost."""
        keyed.decision = "hit"
        now = datetime.now(UTC)
        record = self._step_record(
            keyed,
            id=uuid.uuid4().hex,
            status="cached",
            started_at=now,
            ended_at=now,
            duration=time.perf_counter() - keyed.clock,
            cached_from=hit.step_run_id,
            outputs=hit.outputs,
        )
        external = tuple(keyed.inputs[name] for name in keyed.planned.external_inputs)
        self.pending.append(StepRunWrite(record, new_artifacts=external))
        self._finish(keyed.planned, record)
        self.cached.append(record.name)
        self.saved_seconds += hit.duration or 0.0
        self.emit(StepCached(self.run.id, record.name, hit.run_name, hit.duration or 0.0))

    def submit(self, keyed: Keyed) -> Future[StepResult]:
        planned = keyed.planned
        if keyed.decision is None:
            keyed.decision = "miss"
        self.flush()  # cached steps before this one become visible while it runs
        signature = planned.invocation.step.signature
        task = StepTask(
            run_id=self.run.id,
            invocation_id=planned.name,
            func=planned.invocation.step.func,
            parameters={**planned.parameters, **planned.external_inputs},
            inputs={
                name: InputRef(r.uri, r.materializer, r.data_type, r.content_hash)
                for name, r in keyed.inputs.items()
                if name not in planned.external_inputs
            },
            output_names=signature.output_names,
            output_hints={o.name: o.annotation for o in signature.outputs},
            output_materializers=planned.materializers,
        )
        self.emit(StepStarted(self.run.id, planned.name))
        return self.executor.submit(execute_step, task, self.stores.artifacts)

    def record_result(self, keyed: Keyed, result: StepResult) -> None:
        planned = keyed.planned
        step_run_id = uuid.uuid4().hex
        outputs = {
            name: _artifact_record(stored, step_run_id, result.ended_at)
            for name, stored in result.outputs.items()
        }
        external = tuple(keyed.inputs[name] for name in planned.external_inputs)
        record = self._step_record(
            keyed,
            id=step_run_id,
            status="completed" if result.succeeded else "failed",
            started_at=result.started_at,
            ended_at=result.ended_at,
            duration=result.duration,
            error=result.error_text,
            outputs=outputs,
        )
        if result.succeeded and keyed.decision == "refresh":
            # The fresh result replaces the entry, and only once it exists: a refresh that
            # fails keeps the earlier, still valid, result reusable.
            self.stores.metadata.delete_cache_entries([keyed.key])
        self.flush(
            StepRunWrite(
                record,
                new_artifacts=(*external, *outputs.values()),
                logs=result.logs,
                cache_entry=result.succeeded and planned.enable_cache,
            )
        )
        self._finish(planned, record)
        if result.succeeded:
            self.ran.append(planned.name)
            self.emit(StepFinished(self.run.id, planned.name, result.duration))
        else:
            error = result.error
            summary = f"{type(error).__name__}: {error}" if error else (result.error_text or "")
            self.failure = (planned.name, error, summary)
            self.emit(StepFailed(self.run.id, planned.name, result.duration, summary))

    # -- the loop -------------------------------------------------------------------------

    def drive(self) -> None:
        invocations = self.graph.invocations
        downstream = self.graph.downstream()
        waiting = {name: len(inv.upstream) for name, inv in invocations.items()}
        ready = [(inv.index, name) for name, inv in invocations.items() if not waiting[name]]
        heapq.heapify(ready)
        in_flight: dict[Future[StepResult], Keyed] = {}

        def done(name: str) -> None:
            for consumer in downstream[name]:
                waiting[consumer] -= 1
                if not waiting[consumer]:
                    heapq.heappush(ready, (invocations[consumer].index, consumer))

        while (ready or in_flight) and self.failure is None:
            batch = []
            for _ in range(len(ready)):
                planned = self.plan[heapq.heappop(ready)[1]]
                inputs = {**self._inputs_of(planned), **self._external_inputs(planned)}
                batch.append(self._key(planned, inputs))
            lookups = [k.key for k in batch if k.decision is None]
            hits = self.stores.metadata.lookup_cache(lookups) if lookups else {}
            for keyed in batch:
                if self.failure is not None:
                    break
                hit = hits.get(keyed.key) if keyed.decision is None else None
                if hit is not None and self._usable(keyed, hit):
                    self.use_hit(keyed, hit)
                    done(keyed.planned.name)
                    continue
                future = self.submit(keyed)
                in_flight[future] = keyed
                if future.done():  # a synchronous executor: record before the next step
                    self._collect(future, in_flight, done)
            if not ready and in_flight:
                finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in finished:
                    self._collect(future, in_flight, done)
        if in_flight:  # a failure stopped scheduling: let running steps finish and record them
            for future in wait(list(in_flight)).done:
                self._collect(future, in_flight, done)

    def _collect(self, future: Future[StepResult], in_flight: dict[Any, Any], done: Any) -> None:
        keyed = in_flight.pop(future)
        result = future.result()
        while result.unusable_input is not None and self._recompute_input(keyed, result):
            # The input's producer ran again; retry the consumer with its fresh outputs.
            retry = self._key(
                keyed.planned,
                {**self._inputs_of(keyed.planned), **self._external_inputs(keyed.planned)},
            )
            retry.decision, keyed = keyed.decision, retry
            result = self.submit(keyed).result()
        self.record_result(keyed, result)
        if self.failure is None or self.failure[0] != keyed.planned.name:
            done(keyed.planned.name)

    def _recompute_input(self, consumer: Keyed, result: StepResult) -> bool:
        """Re-execute the producer of an input whose stored artifact is missing or damaged.

        Returns False (the consumer's failure stands) for an external input, for a producer
        already recomputed once in this run, or when the producer fails again.
        """
        name = result.unusable_input
        handle = consumer.planned.invocation.inputs.get(name or "")
        if handle is None or handle.invocation_id in self.recomputed:
            return False
        producer = handle.invocation_id
        self.recomputed.add(producer)
        old = next(r for r in self.records if r.name == producer)
        warnings.warn(
            f"Step '{consumer.planned.name}': input '{name}' from step '{producer}' is missing "
            f"or damaged in the artifact store; executing '{producer}' again.",
            CacheMissWarning,
            stacklevel=2,
        )
        self.emit(
            CachedResultUnusable(
                self.run.id,
                producer,
                f"its output '{handle.output_name}' failed its integrity check",
            )
        )
        metadata = self.stores.metadata
        metadata.delete_cache_entries([old.cache_key] if old.cache_key else [])
        self._forget(old)
        planned = self.plan[producer]
        keyed = self._key(planned, {**self._inputs_of(planned), **self._external_inputs(planned)})
        keyed.decision = "artifacts_missing"
        self._collect_now(keyed)
        return self.failure is None

    def _forget(self, record: StepRunRecord) -> None:
        """Drop a step run of this run that is being redone (it may already be stored)."""
        self.records.remove(record)
        for names in (self.ran, self.cached):
            if record.name in names:
                names.remove(record.name)
        pending = [w for w in self.pending if w.step_run.id != record.id]
        if len(pending) == len(self.pending):
            self.stores.metadata.delete_step_run(record.id)
        self.pending = pending

    def _collect_now(self, keyed: Keyed) -> None:
        in_flight = {self.submit(keyed): keyed}
        self._collect(next(iter(in_flight)), in_flight, lambda name: None)

    def execute(self) -> PipelineRun:
        self.stores.metadata.create_run(self.run)
        self.emit(RunStarted(self.run.id, self.run.name, self.pipeline.name, self.graph.order))
        status = "failed"
        try:
            self.drive()
            status = "completed" if self.failure is None else "failed"
        finally:
            ended_at = datetime.now(UTC)
            try:
                self.flush()
            finally:
                self.stores.metadata.finish_run(self.run.id, status, ended_at)
            self.run = PipelineRunRecord(
                id=self.run.id,
                name=self.run.name,
                pipeline_name=self.run.pipeline_name,
                status=status,
                started_at=self.started_at,
                ended_at=ended_at,
                parameters=self.run.parameters,
                step_count=len(self.records),
                cached_count=len(self.cached),
                graph=self.run.graph,
            )
        self.emit(
            RunFinished(
                self.run.id,
                self.run.name,
                self.pipeline.name,
                status,
                time.perf_counter() - self.clock,
                tuple(self.ran),
                tuple(self.cached),
                self.saved_seconds,
            )
        )
        steps = {r.name: StepRun(r, self.stores) for r in self.records}
        if self.failure is not None:
            name, error, summary = self.failure
            raise StepExecutionError(
                name,
                self.run.id,
                f"Step '{name}' failed in run {self.run.name}: {summary}\n"
                f"Fix the step and run the pipeline again: the "
                f"{len(self.ran) + len(self.cached)} step(s) that finished are reused from the "
                "cache.",
            ) from error
        return PipelineRun(self.run, self.stores, steps)


def run_pipeline(
    pipeline: Pipeline,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    executor: Executor | None = None,
    listeners: list[Listener] | None = None,
    stores: Stores | None = None,
) -> PipelineRun:
    """Trace, plan and run ``pipeline`` with the given call arguments."""
    kwargs = kwargs or {}
    from stepstone.cache import display_value

    parameters = {k: display_value(v) for k, v in pipeline.bind(*args, **kwargs).items()}
    graph = pipeline.trace(*args, **kwargs)
    driver = RunDriver(
        pipeline,
        graph,
        parameters,
        stores or get_stores(),
        executor or LocalExecutor(),
        [log_to_console] if listeners is None else listeners,
    )
    return driver.execute()
