"""Why one step run executed or was cached (``stepstone explain --json``, the step page)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from stepstone.cache.explain import Explanation, Reason


class ExplanationView(BaseModel):
    """Why a step run executed or was cached (:meth:`StepRun.explain`), as data and as text."""

    invocation_name: str
    run_name: str
    status: str
    against_run: str | None = Field(description="The run it was compared with, if any.")
    against_is_source: bool = Field(description="Whether against_run holds the reused run.")
    decided_by: str | None = Field(description="The kind of the deciding (first) reason.")
    reasons: list[Reason]
    text: str = Field(description="The explanation as sentences (what the CLI prints).")

    @classmethod
    def of(cls, explained: Explanation) -> ExplanationView:
        return cls(
            invocation_name=explained.invocation_name,
            run_name=explained.run_name,
            status=explained.status,
            against_run=explained.against_run,
            against_is_source=explained.against_is_source,
            decided_by=explained.decided_by,
            reasons=list(explained.reasons),
            text=str(explained),
        )
