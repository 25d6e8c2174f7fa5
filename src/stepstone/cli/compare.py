"""``stepstone runs compare RUN_A RUN_B``: what each step of B did relative to A, and why.

Steps are matched by name. For each, B's step gets one verdict:

========== ================================================================================
verdict    meaning
========== ================================================================================
same       same cache key as in A: nothing it depends on changed, its outputs were reused
cached     something changed since A, but an earlier run had computed this version: reused
re-ran     B executed it (the reasons say what changed, or why the cache was not used)
added      only B has this step
removed    only A has this step
========== ================================================================================

The reasons come from the explain logic (:meth:`stepstone.models.StepRun.explain` with
``against`` = A's step), so ``runs compare`` and ``stepstone explain`` never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from stepstone.cache.explain import Reason
    from stepstone.cli.documents import CacheSource
    from stepstone.models import PipelineRun, StepRun

Verdict = Literal["same", "cached", "re-ran", "added", "removed"]
VERDICTS: tuple[Verdict, ...] = ("same", "cached", "re-ran", "added", "removed")


@dataclass(frozen=True, slots=True)
class StepComparison:
    """One step of two runs side by side."""

    name: str
    verdict: Verdict
    status_a: str | None
    status_b: str | None
    key_changed: bool
    outputs_changed: bool
    source_run: str | None = None
    """For a step B reused: the name of the run that executed it."""
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "status_a": self.status_a,
            "status_b": self.status_b,
            "key_changed": self.key_changed,
            "outputs_changed": self.outputs_changed,
            "cached_from_run": self.source_run,
            "reasons": [asdict(reason) for reason in self.reasons],
        }


def _output_hashes(step: StepRun) -> dict[str, str]:
    return {name: artifact.content_hash for name, artifact in step.outputs.items()}


def compare_step(
    name: str, a: StepRun | None, b: StepRun | None, sources: dict[str, CacheSource]
) -> StepComparison:
    """The verdict and reasons for one step name (either side may be missing)."""
    if a is None or b is None:
        present = b if a is None else a
        assert present is not None
        return StepComparison(
            name,
            "added" if a is None else "removed",
            None if a is None else a.status,
            None if b is None else b.status,
            key_changed=True,
            outputs_changed=True,
        )
    key_changed = a.cache_key != b.cache_key
    source = sources.get(b.cached_from) if b.cached_from else None
    if b.status == "cached":
        verdict: Verdict = "cached" if key_changed else "same"
    else:
        verdict = "re-ran"
    reasons: tuple[Reason, ...] = ()
    if verdict != "same":
        explanation = b.explain(against=a)
        reasons = tuple(r for r in explanation.reasons if r.kind != "cached")
    return StepComparison(
        name,
        verdict,
        a.status,
        b.status,
        key_changed=key_changed,
        outputs_changed=_output_hashes(a) != _output_hashes(b),
        source_run=source[1] if source else None,
        reasons=reasons,
    )


def compare_runs(
    a: PipelineRun, b: PipelineRun, sources: dict[str, CacheSource]
) -> list[StepComparison]:
    """Every step of either run, in B's order, then the steps only A had."""
    steps_a, steps_b = a.steps, b.steps
    names = [*steps_b, *(name for name in steps_a if name not in steps_b)]
    return [compare_step(name, steps_a.get(name), steps_b.get(name), sources) for name in names]


def comparison_to_dict(
    a: PipelineRun, b: PipelineRun, steps: list[StepComparison]
) -> dict[str, Any]:
    """The ``--json`` document: both runs, a count per verdict, and each step."""
    return {
        "run_a": {"id": a.id, "name": a.name, "pipeline_name": a.pipeline_name},
        "run_b": {"id": b.id, "name": b.name, "pipeline_name": b.pipeline_name},
        "summary": {verdict: sum(s.verdict == verdict for s in steps) for verdict in VERDICTS},
        "steps": [step.to_dict() for step in steps],
    }
