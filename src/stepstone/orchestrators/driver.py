"""The run driver: trace, plan, then drive the plan to completion.

:func:`run_pipeline` reads as the three stages: ``pipeline.trace`` builds the graph,
:func:`~stepstone.orchestrators.planning.plan_run` fingerprints and validates every step, and
:class:`RunDriver` drives the plan. The driver's constructor does no work; its loop state is
one :class:`~stepstone.orchestrators.state.RunState`.

One driver per run, in the calling process. It owns the metadata store; executors only
compute. Each turn of the loop takes every step that is ready (its upstreams are done), keys
the batch and looks it up in one query. A usable hit is recorded and its consumers released at
once; its write is batched (a cached step costs one lookup, and its record rides along with the
next write). A miss goes to the executor; its result is committed as soon as it arrives, so a
killed process loses no finished work. A failure stops scheduling, waits for what is in
flight, records everything, then raises.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from stepstone.cache import KeyComponents
from stepstone.cache.dependencies import hash_dependencies
from stepstone.cache.manifest import Decision, KeyManifest
from stepstone.exceptions import (
    CacheMissWarning,
    ExecutorError,
    NotFoundError,
    PipelineDefinitionError,
    StepExecutionError,
    StepRetryWarning,
)
from stepstone.execution import InputRef, StepResult, StepTask, StoreSpec, register_store, run_task
from stepstone.execution.context import Collected, StepInfo
from stepstone.execution.interrupts import (
    INTERRUPTS,
    ctrl_c_ends_the_process,
    exit_as_asked,
    exit_cause,
    sigterm_raises,
)
from stepstone.execution.logged import resolve_targets, step_entries
from stepstone.metadata.ids import new_id
from stepstone.metadata.records import (
    ArtifactRecord,
    ArtifactTag,
    CacheHit,
    MetadataEntry,
    MetadataResource,
    ModelArtifactLink,
    ModelVersionRecord,
    ModelVersionRequest,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
    StepRunWrite,
    StepStatus,
)
from stepstone.models import PipelineRun, StepRun
from stepstone.orchestrators.events import (
    CachedResultUnusable,
    Event,
    Listener,
    RunFinished,
    RunStarted,
    StepCached,
    StepDecided,
    StepFailed,
    StepFinished,
    StepStarted,
    StepTakenOver,
    StepWaiting,
)
from stepstone.orchestrators.executors import Placement, open_executor, worker_failure
from stepstone.orchestrators.hits import check_hit, missing_outputs
from stepstone.orchestrators.leases import StepLeases, covered
from stepstone.orchestrators.notebook import default_listeners
from stepstone.orchestrators.planning import PlannedStep, RunPlan, plan_run
from stepstone.orchestrators.state import Failure, KeyedStep, Redo, RunState
from stepstone.orchestrators.versioning import model_links, output_versions, version_taken
from stepstone.pipeline import Pipeline
from stepstone.pipeline.schedule import CallOrderSorter
from stepstone.processes import this_host
from stepstone.steps.model import Model
from stepstone.stores import Stores, artifact_record, get_stores
from stepstone.warn import warn_user

if TYPE_CHECKING:
    from stepstone.remote.pull import ReadThrough


def _read_through(stores: Stores) -> ReadThrough | None:
    """The remote local misses are looked up in (``cache_remote``), None when unset."""
    if not stores.settings.cache or stores.settings.cache_remote is None:
        return None  # the common case imports nothing of the remote package
    from stepstone.remote.pull import open_read_through

    return open_read_through(stores)


class RunDriver:
    """Drives one planned run to completion: call :meth:`execute` once."""

    def __init__(
        self, plan: RunPlan, stores: Stores, placement: Placement, listeners: list[Listener]
    ) -> None:
        self.plan = plan
        self.stores = stores
        self.placement = placement
        self.listeners = listeners
        settings = stores.settings
        self.store_spec = StoreSpec(
            settings.artifact_root,
            settings.allow_pickle,
            stores.storage_options,
            settings.materializers,
        )
        self.started_at = datetime.now(UTC)
        self.clock = time.perf_counter()
        self.run = PipelineRunRecord(
            id=new_id(),
            name=plan.run_name(self.started_at),
            pipeline_name=plan.pipeline_name,
            status=RunStatus.RUNNING,
            started_at=self.started_at,
            ended_at=None,
            parameters=plan.parameters,
            graph=plan.describe(),
            host=this_host(),
            pid=os.getpid(),
        )
        self.state = RunState(CallOrderSorter(plan.graph.invocations))
        self.read_through = _read_through(stores)
        #: (model name, asked version) -> the version the run works on (see _resolve_models).
        self.model_versions: dict[tuple[str, str | None], ModelVersionRecord] = {}
        # Where a hit's outputs must be: here, or on the read-through's remote to fetch.
        self.stored = (
            stores.artifacts.exists if self.read_through is None else self.read_through.exists
        )
        # Single-flight across runs: only results that will be cached are worth waiting for.
        self.leases = (
            StepLeases(stores.metadata, self.run, settings.lease_timeout)
            if settings.cache
            else None
        )

    # -- events and records ---------------------------------------------------------------

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    def flush(self, extra: StepRunWrite | None = None) -> None:
        """Commit the batched cached step runs, with ``extra`` in the same transaction."""
        state = self.state
        writes = [*state.pending, extra] if extra is not None else state.pending
        if writes:
            self.stores.metadata.record_step_runs(writes)
        state.pending = []

    # -- keys and the cache ---------------------------------------------------------------

    def _external_inputs(self, planned: PlannedStep) -> dict[str, ArtifactRecord]:
        """Store values passed straight into the pipeline as artifacts (once per keying)."""
        if not planned.external_inputs:
            return {}
        now = datetime.now(UTC)
        records = {}
        for name, value in planned.external_inputs.items():
            stored = self.stores.artifacts.save(value)
            records[name] = artifact_record(stored, None, now)
        return records

    def _key(self, planned: PlannedStep, decision: Decision | None) -> KeyedStep:
        """Key ``planned`` over its upstreams' produced outputs and its external inputs."""
        produced = self.state.produced
        inputs = {
            name: produced[handle.invocation_id][handle.output_name]
            for name, handle in planned.invocation.inputs.items()
        }
        if planned.external_inputs:
            inputs.update(self._external_inputs(planned))
        components = KeyComponents(
            code=planned.code,
            parameters=planned.parameter_digests,
            inputs={name: record.content_hash for name, record in inputs.items()},
            output_spec=planned.output_spec,
            cache_version=planned.cache_version,
            extras=hash_dependencies(planned.depends_on) if planned.depends_on else {},
        )
        return KeyedStep(planned, components, components.key(), inputs, decision)

    def _reuse_or_submit(self, keyed: KeyedStep, hit: CacheHit | None) -> None:
        """Reuse ``hit`` if it is usable; else execute the step, or wait for the run that is."""
        if hit is not None and self._reuse(keyed, hit):
            return
        leases = self.leases
        if leases is not None and covered(keyed):
            claim = leases.acquire(keyed)
            holder, expired = claim.holder, claim.expired
            if holder is not None:
                if leases.wait(keyed, holder):
                    self.emit(
                        StepWaiting(
                            self.run.id,
                            keyed.planned.name,
                            holder.run_name,
                            holder.pid,
                            holder.host,
                        )
                    )
                return
            if expired is not None:
                self.emit(
                    StepTakenOver(
                        self.run.id, keyed.planned.name, expired.run_name, expired.pid, expired.host
                    )
                )
            # Granted; the last holder may have recorded its result since the first lookup.
            if claim.recorded is not False:
                late = self.stores.metadata.lookup_cache([keyed.key]).get(keyed.key)
                if late is not None and self._reuse(keyed, late):
                    leases.release(keyed.planned.name)
                    return
        self.submit(keyed)

    def _reuse(self, keyed: KeyedStep, hit: CacheHit) -> bool:
        """Reuse ``hit`` if it is usable (True); else drop the entry and say why not."""
        now = datetime.now(UTC)
        keyed.decision = check_hit(keyed.planned, hit, now, self.stored)
        if keyed.decision is Decision.HIT:
            self.use_hit(keyed, hit, now)
            return True
        # The entry is stale either way: drop it, so the fresh result can take its place.
        self.stores.metadata.delete_cache_entries([hit.cache_key])
        if keyed.decision is Decision.ARTIFACTS_MISSING:
            self._warn_unusable(keyed.planned, hit)
        return False

    def _warn_unusable(self, planned: PlannedStep, hit: CacheHit) -> None:
        missing = missing_outputs(planned, hit, self.stored)
        reason = (
            f"outputs {', '.join(missing)} of run {hit.run_name} are missing from the "
            "artifact store"
        )
        warn_user(
            f"Step '{planned.name}': cached {reason}; executing the step again.",
            CacheMissWarning,
        )
        self.emit(CachedResultUnusable(self.run.id, planned.name, reason))

    # -- step outcomes --------------------------------------------------------------------

    def _step_record(self, keyed: KeyedStep, **fields: Any) -> StepRunRecord:
        planned = keyed.planned
        handles = planned.invocation.inputs.items()
        manifest = KeyManifest(
            components=keyed.components.to_record(),
            input_steps={name: handle.invocation_id for name, handle in handles},
            decision=keyed.decision,
            cache_enabled=planned.enable_cache,
        )
        return StepRunRecord(
            run_id=self.run.id,
            name=planned.name,
            definition_name=planned.invocation.step.name,
            position=len(self.state.records),
            cache_key=keyed.key,
            manifest=manifest,
            parameters=planned.parameter_display,
            inputs=keyed.inputs,
            **fields,
        )

    def use_hit(self, keyed: KeyedStep, hit: CacheHit, now: datetime) -> None:
        """Record a cached step run at ``now`` (when the hit was judged usable); its duration
        is what deciding and reusing cost."""
        state = self.state
        name = keyed.planned.name
        listened = bool(self.listeners)  # a run without listeners builds no events
        if listened:
            self.emit(StepDecided(self.run.id, name, Decision.HIT))
        record = self._step_record(
            keyed,
            id=new_id(),
            status=StepStatus.CACHED,
            started_at=now,
            ended_at=now,
            duration=time.perf_counter() - keyed.clock,
            cached_from=hit.step_run_id,
            outputs=hit.outputs,
        )
        externals = keyed.planned.external_inputs
        external = tuple(keyed.inputs[name] for name in externals) if externals else ()
        links = self._model_links(keyed.planned, hit.outputs) if keyed.planned.model else ()
        state.pending.append(StepRunWrite(record, new_artifacts=external, model_links=links))
        state.finish(record)
        state.cached.append(name)
        state.saved_seconds += hit.duration or 0.0
        if listened:
            self.emit(StepCached(self.run.id, name, hit.run_name, hit.duration or 0.0))
        state.sorter.done(name)

    def submit(self, keyed: KeyedStep) -> None:
        """Hand ``keyed`` to the executor; a future already done is queued for collection."""
        planned = keyed.planned
        if keyed.decision is None:
            keyed.decision = Decision.MISS
        self.flush()  # cached steps before this one become visible while it runs
        self.emit(StepDecided(self.run.id, planned.name, keyed.decision))
        self.emit(StepStarted(self.run.id, planned.name, planned.invocation.step.name))
        taken = version_taken(
            self.stores.metadata, planned, self.run.pipeline_name, self.started_at
        )
        if taken is not None:  # fails before it runs, rather than after
            now = datetime.now(UTC)
            future: Future[StepResult] = Future()
            future.set_result(
                StepResult(planned.name, now, now, 0.0, "", error=taken, error_text=str(taken))
            )
            self.state.in_flight[future] = keyed
            self.state.finished.append(future)
            return
        if self.read_through is not None:  # its hits came without their bytes
            self.read_through.fetch(keyed.inputs.values())
        self._dispatch(keyed)

    def _dispatch(self, keyed: KeyedStep) -> None:
        """Submit ``keyed``'s task (again, for a retry); a submit that raises is its failure."""
        planned = keyed.planned
        step = planned.invocation.step
        signature = step.signature
        placement = self.placement
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
            code=planned.code,
            store=self.store_spec,
            resources=dict(step.resources),
            info=StepInfo(
                run_id=self.run.id,
                run_name=self.run.name,
                pipeline_name=self.run.pipeline_name,
                step_name=planned.name,
                definition_name=planned.invocation.step.name,
                parameters=planned.parameter_display,
                run_parameters=self.run.parameters,
                output_names=signature.output_names,
                enable_cache=planned.enable_cache,
                model=self._bound_model(planned),
            ),
            input_groups=planned.invocation.input_groups,
            live=placement.live,
        )
        future: Future[StepResult]
        try:
            future = placement.executor.submit(run_task, task)
        except Exception as exc:  # e.g. Dask pickles the task at submit time
            future = Future()
            future.set_exception(exc)
        self.state.in_flight[future] = keyed
        if future.done():  # a synchronous executor: it is recorded before the next step
            self.state.finished.append(future)

    def record_result(self, keyed: KeyedStep, result: StepResult) -> None:
        state = self.state
        planned = keyed.planned
        step_run_id = new_id()
        outputs = {
            name: artifact_record(stored, step_run_id, result.ended_at)
            for name, stored in result.outputs.items()
        }
        logged: tuple[list[MetadataEntry], list[ArtifactTag]] = ([], [])
        if result.succeeded and result.collected is not None:
            try:
                logged = self._logged(result.collected, step_run_id, outputs, planned)
            except NotFoundError as exc:  # the step logged to a run or artifact not recorded
                result.error, result.error_text, outputs = exc, f"{type(exc).__name__}: {exc}", {}
        succeeded = result.succeeded  # read once: logging to an unknown target failed it
        versions = output_versions(
            planned, self.run.pipeline_name, self.started_at, outputs, result.ended_at
        )
        external = tuple(keyed.inputs[name] for name in planned.external_inputs)
        name = planned.name
        if result.logs and not self.placement.shares_console:
            sys.stdout.write(result.logs if result.logs.endswith("\n") else result.logs + "\n")
        record = self._step_record(
            keyed,
            id=step_run_id,
            status=StepStatus.COMPLETED if succeeded else StepStatus.FAILED,
            started_at=result.started_at,
            ended_at=result.ended_at,
            duration=result.duration,
            error=result.error_text,
            outputs=outputs,
        )
        if succeeded and keyed.decision is Decision.REFRESH:
            # The fresh result replaces the entry, and only once it exists: a refresh that
            # fails keeps the earlier, still valid, result reusable.
            self.stores.metadata.delete_cache_entries([keyed.key])
        self.flush(
            StepRunWrite(
                record,
                new_artifacts=(*external, *outputs.values()),
                logs=result.logs if planned.enable_step_logs else None,
                cache_entry=succeeded and planned.enable_cache,
                # The config's metadata first: what the step logged on an output wins.
                metadata=(*versions.metadata, *logged[0]),
                tags=(*versions.tags, *logged[1]),
                versions=versions.versions,
                release=None if self.leases is None else self.leases.release_with_record(name),
                model_links=self._model_links(planned, outputs) if planned.model else (),
            )
        )
        state.finish(record)
        if succeeded:
            state.ran.append(planned.name)
            self.emit(StepFinished(self.run.id, planned.name, result.duration))
        else:
            error = result.error
            summary = (
                (exit_cause(error) or f"{type(error).__name__}: {error}")
                if error
                else (result.error_text or "")
            )
            state.fail(Failure(planned.name, planned.invocation.step.name, error, summary))
            self.emit(StepFailed(self.run.id, planned.name, result.duration, summary))

    # -- models -------------------------------------------------------------------------

    def _resolve_models(self) -> None:
        """Find or create the model version of every model the run's steps work on, before
        the run is recorded (a stage no version holds fails the run before it starts)."""
        for planned in self.plan.steps.values():
            model = planned.model
            if model is None or (model.name, model.version) in self.model_versions:
                continue
            request = ModelVersionRequest(
                model_name=model.name,
                version=model.version,
                details=model.record_details(),
                run_id=self.run.id,
                created_at=self.started_at,
            )
            record = self.stores.metadata.model_version_for_run(request)
            self.model_versions[(model.name, model.version)] = record
        if self.model_versions:
            self.run.graph.setdefault("config", {})["models"] = [
                {"name": r.model_name, "version": r.name, "number": r.number, "id": r.id}
                for r in self.model_versions.values()
            ]

    def _model_version(self, planned: PlannedStep) -> ModelVersionRecord | None:
        model = planned.model
        return None if model is None else self.model_versions.get((model.name, model.version))

    def _bound_model(self, planned: PlannedStep) -> Model | None:
        """The step's model as the step sees it: bound to the run's version."""
        record = self._model_version(planned)
        if record is None or planned.model is None:
            return None
        return planned.model.bound(record.name, record.number, record.id)

    def _model_links(
        self, planned: PlannedStep, outputs: dict[str, ArtifactRecord]
    ) -> tuple[ModelArtifactLink, ...]:
        record = self._model_version(planned)
        if record is None:
            return ()
        return model_links(planned, record.id, self.run.pipeline_name, self.started_at, outputs)

    def _logged(
        self,
        collected: Collected,
        step_run_id: str,
        outputs: dict[str, ArtifactRecord],
        planned: PlannedStep | None = None,
    ) -> tuple[list[MetadataEntry], list[ArtifactTag]]:
        """The metadata entries and tags a step logged, with every target resolved."""
        output_ids = {name: record.id for name, record in outputs.items()}
        entries = step_entries(collected, step_run_id, output_ids)
        version = self._model_version(planned) if planned is not None else None
        if collected.model_metadata and version is not None:
            entries += [
                MetadataEntry(MetadataResource.MODEL_VERSION, version.id, key, value)
                for key, value in collected.model_metadata.items()
            ]
        if collected.artifact_metadata or collected.step_run_metadata:
            entries += resolve_targets(self.stores.metadata, collected)
        tags = [
            ArtifactTag(output_ids[output], tag)
            for output, names in collected.output_tags.items()
            for tag in names
        ]
        return entries, tags

    # -- the loop -------------------------------------------------------------------------

    def drive(self) -> None:
        state = self.state
        while state.failure is None:
            ready = state.sorter.ready()
            leases = self.leases
            if ready:
                self._run_batch(ready)
            elif state.in_flight or (leases is not None and leases.waiting):
                # Waiting steps are polled between results; the others keep running meanwhile.
                timeout = leases.poll_in() if leases is not None and leases.waiting else None
                if state.in_flight:
                    finished, _ = wait(list(state.in_flight), timeout, FIRST_COMPLETED)
                    state.finished.extend(finished)
                    self._collect_finished()
                elif timeout:
                    time.sleep(timeout)
                if leases is not None:
                    self._poll_waiting(leases)
            else:
                break
        if state.in_flight:  # a failure stopped scheduling: let running steps finish, record them
            state.finished.extend(f for f in wait(list(state.in_flight)).done)
            self._collect_finished()

    def record_interrupted(self, interrupt: BaseException) -> list[str]:
        """The driver was interrupted while steps ran on workers: record them, then stop.

        With the local executor an interrupt lands inside the step, which records it as its
        own failure. With a pool it lands here, in the driver's wait. Nothing will collect the
        steps in flight (the process exits once the run is recorded), so a step that finished
        is recorded as usual, and one still running or queued is recorded ``failed`` with the
        cause (queued ones are cancelled). A consumer waiting for its producer to execute
        again keeps its own failure.

        Returns the steps still running on the workers: ``SIGTERM`` then ends the process at
        once, but after Ctrl-C Python waits for a pool's threads before it exits (threads
        cannot be stopped), so :meth:`execute` names them, with how to stop at once.
        """
        state = self.state
        state.interrupt = interrupt
        cause = exit_cause(interrupt)
        state.finished.clear()
        running = []
        for future, keyed in list(state.in_flight.items()):
            del state.in_flight[future]
            if not future.cancel() and future.done() and future.exception() is None:
                result = future.result()
            else:
                if not future.done():  # a cancelled future is done
                    running.append(keyed.planned.name)
                elapsed = time.perf_counter() - keyed.clock
                now = datetime.now(UTC)
                result = StepResult(
                    keyed.planned.name,
                    now - timedelta(seconds=elapsed),
                    now,
                    elapsed,
                    "",
                    error=interrupt,
                    error_text=cause,
                )
            self.record_result(keyed, result)
            redo = state.redos.pop(keyed.planned.name, None)
            if redo is not None:
                self.record_result(redo.consumer, redo.result)
        return running

    def _run_batch(self, ready: list[str]) -> None:
        """Key, look up and reuse or submit the steps that are ready now, in call order.

        Only what is ready at this moment is batched: the consumers of a hit become ready
        while the batch is processed, and go into the next batch (and the next lookup).
        """
        state = self.state
        steps = self.plan.steps
        batch = [self._key(steps[name], steps[name].static_decision) for name in ready]
        # A step with a static decision (cache disabled or off, refresh) executes whatever the
        # cache holds, so it is not looked up.
        lookups = [keyed.key for keyed in batch if keyed.decision is None]
        hits = self.stores.metadata.lookup_cache(lookups) if lookups else {}
        missed = [key for key in lookups if key not in hits]
        if missed and self.read_through is not None:
            hits.update(self.read_through.lookup(missed))
        for keyed in batch:
            if state.failure is not None:
                break
            self._reuse_or_submit(keyed, hits.get(keyed.key) if keyed.decision is None else None)
            self._collect_finished()

    def _poll_waiting(self, leases: StepLeases) -> None:
        """Look the waiting steps up again (when their poll is due): reuse, take over or wait."""
        due = leases.due()
        if due:
            hits = self.stores.metadata.lookup_cache([keyed.key for keyed in due])
            for keyed in due:
                if self.state.failure is None:
                    self._reuse_or_submit(keyed, hits.get(keyed.key))
                    self._collect_finished()
            leases.settle()

    def _collect_finished(self) -> None:
        """Collect every finished future, including those a collection itself submits."""
        finished = self.state.finished
        while finished:
            self._collect(finished.popleft())

    def _collect(self, future: Future[StepResult]) -> None:
        state = self.state
        keyed = state.in_flight.pop(future)
        result = self._result_of(keyed, future)
        if result is None:
            return  # retried
        producer = self._producer_to_redo(keyed, result)
        if producer is not None:
            self._redo_producer(producer, Redo(keyed, result))
            return
        self.record_result(keyed, result)
        name = keyed.planned.name
        redo = state.redos.pop(name, None)
        if redo is None:
            if result.succeeded:
                state.sorter.done(name)
        elif result.succeeded:
            # The producer ran again; requeue its consumer, keyed over the fresh outputs. The
            # producer was marked done in the sorter the first time it finished.
            consumer = redo.consumer
            self.submit(self._key(consumer.planned, consumer.decision))
        else:
            self.record_result(redo.consumer, redo.result)  # the consumer's failure stands

    def _result_of(self, keyed: KeyedStep, future: Future[StepResult]) -> StepResult | None:
        """The step's result, or ``None`` when it was submitted again (``@step(retries=)``).

        A worker that died is retried; so is a step exception listed in ``retry_on``.
        """
        planned = keyed.planned
        step = planned.invocation.step
        try:
            result = future.result()
        except Exception as exc:
            failure = worker_failure(planned.name, self.placement.label, exc)
            if failure.transient and self._retry(keyed, failure.message):
                return None
            now = datetime.now(UTC)
            error = ExecutorError(failure.message)
            return StepResult(
                planned.name, now, now, 0.0, "", error=error, error_text=failure.message
            )
        if (
            result.error is not None
            and isinstance(result.error, step.retry_on)
            and self._retry(keyed, f"{type(result.error).__name__}: {result.error}")
        ):
            return None
        return result

    def _retry(self, keyed: KeyedStep, reason: str) -> bool:
        retries = keyed.planned.invocation.step.retries
        if keyed.attempt >= retries:
            return False
        keyed.attempt += 1
        warn_user(
            f"Step '{keyed.planned.name}': {reason}. Executing it again "
            f"(retry {keyed.attempt} of {retries}).",
            StepRetryWarning,
        )
        self._dispatch(keyed)
        return True

    def _producer_to_redo(self, consumer: KeyedStep, result: StepResult) -> str | None:
        """The producer to execute again because ``consumer`` found its output damaged.

        ``None`` (the consumer's result stands) when no input was damaged, for an external
        input, and for a producer already executed again once in this run.
        """
        name = result.unusable_input
        if name is None:
            return None
        handle = consumer.planned.invocation.inputs.get(name)
        if handle is None or handle.invocation_id in self.state.recomputed:
            return None
        return handle.invocation_id

    def _redo_producer(self, producer: str, redo: Redo) -> None:
        """Drop the producer's step run and cache entry, and execute it again.

        When its result is collected, :meth:`_collect` requeues ``redo.consumer``.
        """
        state = self.state
        consumer = redo.consumer.planned
        input_name = redo.result.unusable_input or ""
        handle = consumer.invocation.inputs[input_name]
        state.recomputed.add(producer)
        warn_user(
            f"Step '{consumer.name}': input '{input_name}' from step '{producer}' is missing "
            f"or damaged in the artifact store; executing '{producer}' again.",
            CacheMissWarning,
        )
        self.emit(
            CachedResultUnusable(
                self.run.id,
                producer,
                f"its output '{handle.output_name}' failed its integrity check",
            )
        )
        old = next(r for r in state.records if r.name == producer)
        metadata = self.stores.metadata
        metadata.delete_cache_entries([old.cache_key] if old.cache_key else [])
        if state.forget(old):
            metadata.delete_step_run(old.id)
        state.redos[producer] = redo
        self.submit(self._key(self.plan.steps[producer], Decision.ARTIFACTS_MISSING))

    def _share_store(self) -> None:
        """Let tasks find the artifact store: this instance in-process, its URL elsewhere."""
        spec, placement = self.store_spec, self.placement
        if placement.separate_processes and spec.root.startswith("memory://"):
            raise ExecutorError(
                f"The artifact root {spec.root} lives in this process only; the "
                f"{placement.label} executor runs steps in other processes. Use a directory "
                "or an object store (STEPSTONE_ARTIFACT_ROOT) that the workers can reach."
            )
        register_store(spec, self.stores.artifacts)

    def execute(self) -> PipelineRun:
        state = self.state
        graph = self.plan.graph
        self._share_store()
        self._resolve_models()
        self.stores.metadata.create_run(self.run)
        self.emit(RunStarted(self.run.id, self.run.name, self.plan.pipeline_name, graph.order))
        status = "failed"
        still_running: list[str] = []
        try:
            try:
                with sigterm_raises():
                    self.drive()
            except INTERRUPTS as interrupt:  # a second SIGTERM while recording ends the process
                still_running = self.record_interrupted(interrupt)
            status = "completed" if state.failure is None and state.interrupt is None else "failed"
        finally:
            ended_at = datetime.now(UTC)
            try:
                self.flush()
                if self.leases is not None:
                    self.leases.close()
            finally:
                self.stores.metadata.finish_run(self.run.id, status, ended_at)
            self.run = PipelineRunRecord(
                id=self.run.id,
                name=self.run.name,
                pipeline_name=self.run.pipeline_name,
                status=RunStatus(status),
                started_at=self.started_at,
                ended_at=ended_at,
                parameters=self.run.parameters,
                step_count=len(state.records),
                cached_count=len(state.cached),
                graph=self.run.graph,
                host=self.run.host,
                pid=self.run.pid,
            )
        self.emit(
            RunFinished(
                self.run.id,
                self.run.name,
                self.plan.pipeline_name,
                status,
                time.perf_counter() - self.clock,
                tuple(state.ran),
                tuple(state.cached),
                state.saved_seconds,
            )
        )
        steps = {r.name: StepRun(r, self.stores) for r in state.records}
        interrupts = [f.error for f in state.failures if isinstance(f.error, INTERRUPTS)]
        ended_by = state.interrupt or (interrupts[0] if interrupts else None)
        if ended_by is not None:
            if still_running and isinstance(ended_by, KeyboardInterrupt):
                ctrl_c_ends_the_process()
                sys.stderr.write(
                    f"Run {self.run.name} is recorded as failed. Step(s) "
                    f"{', '.join(still_running)} still run on the {self.placement.label} "
                    "executor; Python waits for them before it exits. Press Ctrl-C again to "
                    "stop now.\n"
                )
            raise exit_as_asked(ended_by)  # recorded: now exit as the step (or signal) asked
        if state.failures:
            invocations = self.plan.graph.invocations
            failure, *others = sorted(
                state.failures, key=lambda f: invocations[f.invocation_name].index
            )
            name = failure.invocation_name
            also = (
                f"{len(others)} other step(s) failed too: "
                f"{', '.join(f.invocation_name for f in others)}.\n"
                if others
                else ""
            )
            raise StepExecutionError(
                name,
                self.run.id,
                f"Step '{name}' failed in run {self.run.name}: {failure.summary}\n{also}"
                f"Fix the step and run the pipeline again: the "
                f"{len(state.ran) + len(state.cached)} step(s) that finished are reused from the "
                "cache.",
                definition_name=failure.definition_name,
            ) from failure.error
        return PipelineRun(self.run, self.stores, steps)


def _check_run_name_free(plan: RunPlan, name: str, stores: Stores) -> None:
    """Refuse a ``run_name`` option a run already has: run names are unique."""
    if any(run.name == name for run in stores.metadata.find_runs(name)):
        raise PipelineDefinitionError(
            plan.pipeline_name,
            f"run_name: a run named '{name}' already exists; run names are unique. Add "
            f"{{time}} to with_options(run_name={plan.run_name_option!r}), or change it.",
        )


def run_pipeline(
    pipeline: Pipeline,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    executor: Executor | str | None = None,
    listeners: list[Listener] | None = None,
    stores: Stores | None = None,
) -> PipelineRun:
    """Trace, plan and run ``pipeline`` with the given call arguments.

    ``executor`` (else the pipeline's ``executor`` option, else the ``executor`` setting)
    says where cache misses run; see :mod:`stepstone.orchestrators.executors.choice`.
    """
    kwargs = kwargs or {}
    from stepstone.cache import display_value

    parameters = {k: display_value(v) for k, v in pipeline.bind(*args, **kwargs).items()}
    graph = pipeline.trace(*args, **kwargs)
    stores = stores or get_stores()
    plan = plan_run(pipeline, graph, parameters, stores.settings.cache)
    choice = executor or pipeline.options.executor or stores.settings.executor
    with open_executor(choice) as placement:
        driver = RunDriver(
            plan, stores, placement, default_listeners() if listeners is None else listeners
        )
        if plan.run_name_option is not None:
            _check_run_name_free(plan, driver.run.name, stores)
        elif plan.run_config is not None and plan.run_config.run_name is not None:
            plan.run_config.check_run_name_free(driver.run.name, stores.metadata.find_runs)
        return driver.execute()
