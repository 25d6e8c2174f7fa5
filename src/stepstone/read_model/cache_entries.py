"""One cache entry: the key, the step run it reuses and what reusing it saves (``cache list``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from stepstone.metadata.records import CacheEntryRecord


class CacheEntryView(BaseModel):
    """A cache entry: the key, the step run it reuses and what reusing it saves."""

    cache_key: str
    invocation_name: str = Field(description="The step's name in its pipeline (trainer_2).")
    pipeline_name: str
    step_run_id: str
    run_id: str
    run_name: str
    created_at: datetime
    duration: float | None = Field(description="What the execution took (what reusing saves).")
    output_bytes: int = Field(description="The total size of its output artifacts.")

    @classmethod
    def of(cls, entry: CacheEntryRecord) -> CacheEntryView:
        return cls.model_validate(entry, from_attributes=True)
