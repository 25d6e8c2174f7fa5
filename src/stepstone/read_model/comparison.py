"""Run B against run A step by step (:meth:`stepstone.Client.compare`).

One :class:`Verdict` per step, with the reasons from the explain logic, so ``runs compare``,
the dashboard's compare page and ``stepstone explain --against`` never disagree:

========== ================================================================================
verdict    meaning
========== ================================================================================
same       B reused its result and has A's cache key: nothing it depends on changed
cached     something changed since A, but an earlier run had computed this version: reused
re-ran     B executed it (the reasons say what changed, or why the cache was not used)
added      only B has this step
removed    only A has this step
========== ================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field

from stepstone.cache.explain import Reason, explain
from stepstone.metadata.records import PipelineRunRecord, StepRunRecord, StepStatus
from stepstone.models import step_run_facts
from stepstone.read_model.runs import RunView
from stepstone.read_model.sources import SourceRun, source_for


class Verdict(StrEnum):
    """What run B's step did relative to run A's (the table in the module docstring)."""

    SAME = "same"
    CACHED = "cached"
    RERAN = "re-ran"
    ADDED = "added"
    REMOVED = "removed"


class ParameterChange(BaseModel):
    name: str
    a: Any
    b: Any
    changed: bool


class StepComparison(BaseModel):
    """One step of two runs side by side."""

    name: str
    verdict: Verdict
    status_a: StepStatus | None
    status_b: StepStatus | None
    duration_a: float | None
    duration_b: float | None
    key_changed: bool
    outputs_changed: bool
    source: SourceRun | None = Field(description="For a step B reused: the run that executed it.")
    reasons: list[Reason] = Field(description="What differs in B, or why B did not reuse A's.")


class RunComparison(BaseModel):
    """Run B against run A: their parameters, and per step a verdict and the reasons."""

    a: RunView
    b: RunView
    parameters: list[ParameterChange]
    steps: list[StepComparison]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, int]:
        """How many steps got each verdict."""
        return {verdict: sum(s.verdict == verdict for s in self.steps) for verdict in Verdict}


def _output_hashes(record: StepRunRecord) -> dict[str, str]:
    return {name: artifact.content_hash for name, artifact in record.outputs.items()}


def compare_step(
    name: str,
    a: StepRunRecord | None,
    b: StepRunRecord | None,
    context: tuple[PipelineRunRecord, Mapping[str, StepRunRecord]],
    against: tuple[PipelineRunRecord, Mapping[str, StepRunRecord]],
    sources: Mapping[str, SourceRun],
) -> StepComparison:
    """The verdict and reasons for one step name (either side may be missing).

    ``context`` is run B and its step runs by name, ``against`` run A and its.
    """
    if a is None or b is None:
        return StepComparison(
            name=name,
            verdict=Verdict.ADDED if a is None else Verdict.REMOVED,
            status_a=None if a is None else a.status,
            status_b=None if b is None else b.status,
            duration_a=None if a is None else a.duration,
            duration_b=None if b is None else b.duration,
            key_changed=True,
            outputs_changed=True,
            source=None,
            reasons=[],
        )
    key_changed = a.cache_key != b.cache_key
    if b.status == StepStatus.CACHED:
        verdict = Verdict.CACHED if key_changed else Verdict.SAME
    else:
        verdict = Verdict.RERAN
    reasons: list[Reason] = []
    if verdict != Verdict.SAME:
        (run_b, steps_b), (run_a, steps_a) = context, against
        explained = explain(
            step_run_facts(b, run_b.name, steps_b, run_b.parameters),
            step_run_facts(a, run_a.name, steps_a, run_a.parameters),
        )
        # The runs' parameters are compared once for the whole run, not again per step.
        reasons = [r for r in explained.reasons if r.kind not in ("cached", "pipeline_parameter")]
    return StepComparison(
        name=name,
        verdict=verdict,
        status_a=a.status,
        status_b=b.status,
        duration_a=a.duration,
        duration_b=b.duration,
        key_changed=key_changed,
        outputs_changed=_output_hashes(a) != _output_hashes(b),
        source=source_for(b, sources),
        reasons=reasons,
    )


def compare_runs(
    run_a: PipelineRunRecord,
    steps_a: Mapping[str, StepRunRecord],
    run_b: PipelineRunRecord,
    steps_b: Mapping[str, StepRunRecord],
    sources: Mapping[str, SourceRun],
) -> RunComparison:
    """Every step of either run, in B's order, then the steps only A had."""
    keys = dict.fromkeys([*run_a.parameters, *run_b.parameters])
    parameters = [
        ParameterChange(
            name=key,
            a=run_a.parameters.get(key),
            b=run_b.parameters.get(key),
            changed=run_a.parameters.get(key) != run_b.parameters.get(key),
        )
        for key in keys
    ]
    names = dict.fromkeys([*steps_b, *steps_a])
    steps = [
        compare_step(
            name, steps_a.get(name), steps_b.get(name), (run_b, steps_b), (run_a, steps_a), sources
        )
        for name in names
    ]
    return RunComparison(
        a=RunView.of(run_a), b=RunView.of(run_b), parameters=parameters, steps=steps
    )
