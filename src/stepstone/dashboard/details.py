"""A step's page: the cache decision and why, code, logs, inputs, outputs.

Explanations are computed with :func:`stepstone.cache.explain.explain`, the function behind
``StepRun.explain()``, but from records this module already holds. ``StepRun.explain()``
reads the whole run again for every step (and the earlier run too), which is right for one
call and wrong for a page about one step of a 500-step run, or an export of all 500: here a
run's step runs are read once, and each explanation costs one lookup of the earlier step run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from stepstone.cache.explain import explain
from stepstone.dashboard.schemas import CodeObject, StepDetail, StepSummary
from stepstone.exceptions import StepNotFoundError, StepstoneError
from stepstone.metadata.records import PipelineRunRecord, StepRunRecord
from stepstone.models import comparison_record, step_run_facts
from stepstone.read_model.explanations import ExplanationView

if TYPE_CHECKING:
    from stepstone.dashboard.views import DashboardData


def explanation_view(
    data: DashboardData,
    record: StepRunRecord,
    run: PipelineRunRecord,
    siblings: Mapping[str, StepRunRecord],
    against: tuple[StepRunRecord, PipelineRunRecord] | None = None,
) -> ExplanationView | None:
    """Why ``record`` ran or was cached, against ``against`` (a step run and its run's record)
    or else :func:`~stepstone.models.comparison_record`, as the CLI explains it."""
    try:
        if against is None:
            previous = comparison_record(data.metadata, record, run)
            if previous is not None:
                previous_run = data.metadata.get_run(previous.run_id)
                if previous_run is not None:
                    against = (previous, previous_run)
        explained = explain(
            step_run_facts(record, run.name, siblings, run.parameters),
            step_run_facts(against[0], against[1].name, None, against[1].parameters)
            if against is not None
            else None,
        )
    except StepstoneError:
        return None
    return ExplanationView.of(explained)


def _code_kind(name: str, fingerprint: str) -> str:
    if name.startswith("library:"):
        return "library"
    if name.startswith("module:"):
        return "module"
    if fingerprint.startswith("value:") or "<default" in name:
        return "value"
    return "code"


def code_objects(record: StepRunRecord) -> tuple[str | None, list[CodeObject]]:
    """The code fingerprint's digest and its objects (functions, values, modules, libraries)."""
    code = record.manifest.components.get("code") or {}
    if not isinstance(code, dict):
        return None, []
    files = code.get("files") or {}
    objects = [
        CodeObject(
            name=name.removeprefix("module:").removeprefix("library:"),
            kind=_code_kind(name, str(fingerprint)),
            fingerprint=str(fingerprint).removeprefix("value:"),
            file=files.get(name),
        )
        for name, fingerprint in sorted((code.get("objects") or {}).items())
    ]
    return code.get("digest"), objects


def _logs(data: DashboardData, record: StepRunRecord) -> str | None:
    try:
        return data.metadata.get_logs(record.cached_from or record.id)
    except StepstoneError:
        return None


def build_step_detail(
    data: DashboardData,
    run: PipelineRunRecord,
    summary: StepSummary,
    record: StepRunRecord | None,
    siblings: Mapping[str, StepRunRecord],
) -> StepDetail:
    """The step page's data from records already read."""
    if record is None:  # planned, not recorded yet
        return StepDetail(
            run=data.run_summary(run),
            step=summary,
            decision=None,
            cache_key=None,
            cache_enabled=None,
            explanation=None,
            code_digest=None,
            code_objects=[],
            logs=None,
            logs_from=None,
        )
    digest, objects = code_objects(record)
    return StepDetail(
        run=data.run_summary(run),
        step=summary,
        decision=record.manifest.decision,
        cache_key=record.cache_key,
        cache_enabled=record.manifest.cache_enabled,
        explanation=explanation_view(data, record, run, siblings),
        code_digest=digest,
        code_objects=objects,
        logs=_logs(data, record),
        logs_from=summary.cached_from,
    )


def _step_summaries(
    data: DashboardData, run: PipelineRunRecord, *, with_sources: bool
) -> tuple[list[StepSummary], dict[str, StepRunRecord]]:
    _, records, steps = data.steps(run, with_sources=with_sources)
    return steps, {record.name: record for record in records}


def step_detail(data: DashboardData, run: str, name: str) -> StepDetail:
    """One step of a run (a recorded step run, or a step still planned)."""
    record = data.run_record(run)
    structure, records, steps = data.steps(record, with_sources=False)
    by_name = {step.name: step for step in steps}
    if name not in by_name:
        raise StepNotFoundError(name, record.name, list(by_name))
    siblings = {r.name: r for r in records}
    step_record = siblings.get(name)
    summary = by_name[name]
    if step_record is not None and step_record.cached_from:  # resolve just this one source
        nodes = {node.name: node for node in structure}
        summary = data.step_summary(step_record, nodes.get(name), data.sources([step_record]))
    return build_step_detail(data, record, summary, step_record, siblings)


def all_step_details(data: DashboardData, run: str) -> list[StepDetail]:
    """Every step's page of a run, reading the run once (the static export)."""
    record = data.run_record(run)
    steps, siblings = _step_summaries(data, record, with_sources=True)
    return [
        build_step_detail(data, record, step, siblings.get(step.name), siblings) for step in steps
    ]


def step_run_location(data: DashboardData, step_run_id: str) -> tuple[str, str]:
    """(run id, step name) of a step run, for links that only know its id."""
    step_run = data.client.get_step_run(step_run_id)
    return step_run.run_id, step_run.name
