"""The view data of every page, computed once from the client: the JSON API and the HTML agree.

:class:`DashboardData` reads through :class:`stepstone.Client` (and the metadata store it
holds) and returns the models of :mod:`stepstone.dashboard.schemas`: here the runs list, a
run (steps, DAG, timeline, time saved) and its progress; :mod:`.details` the step page and the
comparison, :mod:`.lineage` the artifact page. Routes call one of them and either return the
model (``/api/v1``) or render a template with it (pages); the static lineage export calls the
same functions with :class:`AnchorLinks`, so its links point inside the one file.

Reads are bounded per page whatever the store's size: the runs list reads one page and one
count; a run page reads the run's step runs once (two queries) and, for cached steps, the runs
they came from (grouped by source run, not one query per step, and remembered: a recorded
step run never changes); a live page's poll reads only the run's row.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from stepstone.dashboard import graphs
from stepstone.dashboard.schemas import (
    ArtifactRef,
    RunDetail,
    RunList,
    RunOverview,
    RunProgress,
    RunSummary,
    SourceLink,
    StepSummary,
    Timeline,
    TimelineBar,
)
from stepstone.metadata.records import (
    ArtifactRecord,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
    StepStatus,
)
from stepstone.models import run_metadata
from stepstone.read_model.artifacts import artifact_fields
from stepstone.read_model.logged import logged_metadata
from stepstone.read_model.run_fields import run_fields
from stepstone.read_model.sources import SOURCE_MEMO_SIZE, SourceRun, resolve_sources, source_for
from stepstone.read_model.steps import step_fields

if TYPE_CHECKING:
    from stepstone.client import Client

MAX_PER_PAGE = 200


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def _segment(value: str) -> str:
    """A URL path segment (ids and step names are nearly always plain: skip the slow path)."""
    return value if _PLAIN.fullmatch(value) else quote(value, safe="")


class Links:
    """Paths of the dashboard's pages (``None`` where a view has no page to link to)."""

    def run(self, run_id: str) -> str | None:
        return f"/runs/{_segment(run_id)}"

    def step(self, run_id: str, name: str) -> str | None:
        return f"/runs/{_segment(run_id)}/steps/{_segment(name)}"

    def step_run(self, step_run_id: str) -> str | None:
        return f"/step-runs/{_segment(step_run_id)}"

    def artifact(self, artifact_id: str) -> str | None:
        return f"/artifacts/{_segment(artifact_id)}"


class AnchorLinks(Links):
    """Links inside one exported run page: steps are anchors, everything else plain text."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def run(self, run_id: str) -> str | None:
        return None

    def step(self, run_id: str, name: str) -> str | None:
        return f"#step-{_segment(name)}" if run_id == self.run_id else None

    def step_run(self, step_run_id: str) -> str | None:
        return None

    def artifact(self, artifact_id: str) -> str | None:
        return None


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max((end - start).total_seconds(), 0.0)


def _signature(run: PipelineRunRecord, waiting: Sequence[str] = ()) -> str:
    """Changes whenever a step run is recorded, a step starts or stops waiting for another
    run, or the run ends (what a live page redraws on).

    Step runs are written once, when they finish, so the counts and the end say it all, with
    the names of the ``waiting`` steps, and a poll costs a small query or two instead of
    reading every step run.
    """
    text = f"{run.status}|{run.step_count}|{run.cached_count}|{run.ended_at}|{sorted(waiting)}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class DashboardData:
    """Everything the pages show, as models; one instance per app (it holds no request state)."""

    def __init__(self, client: Client, links: Links | None = None) -> None:
        self.client = client
        self.links = links or Links()
        self._sources: dict[str, SourceRun] = {}
        self._run_names: dict[str, str] = {}

    def forget(self) -> None:
        """Drop what was remembered (resolved sources, run names)."""
        self._sources.clear()
        self._run_names.clear()

    @property
    def metadata(self) -> Any:
        return self.client.stores.metadata

    # -- runs -------------------------------------------------------------------------------

    def run_summary(self, record: PipelineRunRecord) -> RunSummary:
        return RunSummary(**run_fields(record), href=self.links.run(record.id) or "")

    def runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> RunList:
        """A page of runs, newest first."""
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        total = self.metadata.count_runs(pipeline, status=status)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(page, 1), pages)
        records = self.metadata.list_runs(
            pipeline, status=status, limit=per_page, offset=(page - 1) * per_page
        )
        return RunList(
            total=total,
            page=page,
            per_page=per_page,
            pages=pages,
            pipeline=pipeline,
            status=status,
            runs=[self.run_summary(record) for record in records],
        )

    # -- one run ----------------------------------------------------------------------------

    def artifact_ref(self, name: str, record: ArtifactRecord) -> ArtifactRef:
        return ArtifactRef(
            **artifact_fields(name, record), href=self.links.artifact(record.id) or ""
        )

    def input_ref(
        self,
        record: StepRunRecord,
        node: graphs.PlannedNode | None,
        name: str,
        artifact: ArtifactRecord,
    ) -> ArtifactRef:
        """An input, with the step of the same run that fed it (if any)."""
        ref = self.artifact_ref(name, artifact)
        source = node.inputs.get(name) if node else None
        if source is not None:
            ref.producer_name = source[0]
            ref.producer_href = self.links.step(record.run_id, source[0])
        elif artifact.producer_step_run_id:
            ref.producer_href = self.links.step_run(artifact.producer_step_run_id)
        return ref

    def sources(self, records: Sequence[StepRunRecord]) -> dict[str, SourceRun]:
        """``cached_from`` step run id -> the execution it names, and that execution's run.

        :func:`~stepstone.read_model.sources.resolve_sources`, remembering what was resolved (a
        recorded step run never changes): a deleted source run then still shows its name,
        and its link finds nothing, the same as any link to a deleted run.
        """
        return resolve_sources(self.metadata, records, self._known_run_name, self._sources)

    def _known_run_name(self, run_id: str) -> str | None:
        name = self.run_name(run_id)
        return None if name == run_id else name

    def run_name(self, run_id: str) -> str:
        """A run's name (names never change, so they are remembered)."""
        name = self._run_names.get(run_id)
        if name is None:
            record = self.metadata.get_run(run_id)
            name = record.name if record is not None else run_id
            if len(self._run_names) > SOURCE_MEMO_SIZE:
                self._run_names.clear()
            self._run_names[run_id] = name
        return name

    def source_link(self, source: SourceRun | None) -> SourceLink | None:
        if source is None:
            return None
        href = self.links.step(source.run_id, source.step) if source.run_id and source.step else ""
        return SourceLink(**source.model_dump(), href=href or "")

    def step_summary(
        self,
        record: StepRunRecord,
        node: graphs.PlannedNode | None,
        sources: dict[str, SourceRun],
    ) -> StepSummary:
        return StepSummary(
            **step_fields(record, self.source_link(source_for(record, sources))),
            inputs=[self.input_ref(record, node, n, a) for n, a in record.inputs.items()],
            outputs=[self.artifact_ref(n, a) for n, a in record.outputs.items()],
            upstream=list(node.upstream) if node else [],
            href=self.links.step(record.run_id, record.name),
        )

    def steps(
        self, run: PipelineRunRecord, *, with_sources: bool
    ) -> tuple[list[graphs.PlannedNode], list[StepRunRecord], list[StepSummary]]:
        """A run's structure, its step runs, and a summary of every step (recorded or planned)."""
        records = self.metadata.get_step_runs(run.id)
        structure = graphs.merge_structure(
            graphs.structure_from_graph(getattr(run, "graph", None)), records
        )
        sources = self.sources(records) if with_sources else {}
        nodes = {node.name: node for node in structure}
        recorded = {record.name: record for record in records}
        steps = [self.step_summary(r, nodes.get(r.name), sources) for r in records]
        # What was logged and the artifact versions, as ``runs show --json`` has them.
        logged = logged_metadata(self.metadata, run, records)
        for step, step_record in zip(steps, records, strict=True):
            for field, value in logged.step_fields(step_record).items():
                setattr(step, field, value)
            logged.name_versions([*step.inputs, *step.outputs])
        # A step waiting for another run that executes the same cache key (single-flight).
        waiting = (
            {wait.step_name for wait in self.metadata.waiting_steps(run.id)}
            if run.status == RunStatus.RUNNING
            else set()
        )
        for node in structure:
            if node.name in recorded:
                continue
            if run.status != RunStatus.RUNNING:
                status = "skipped"
            elif node.name in waiting:
                status = "waiting"
            elif all(
                name in recorded
                and recorded[name].status in (StepStatus.COMPLETED, StepStatus.CACHED)
                for name in node.upstream
            ):
                status = "running"
            else:
                status = "pending"
            steps.append(
                StepSummary(
                    name=node.name,
                    definition_name=node.definition_name,
                    status=status,
                    id=None,
                    position=None,
                    started_at=None,
                    ended_at=None,
                    duration=None,
                    cache_key=None,
                    cached_from=None,
                    parameters={},
                    inputs=[],
                    outputs=[],
                    error=None,
                    upstream=list(node.upstream),
                    href=self.links.step(run.id, node.name),
                )
            )
        return structure, records, steps

    def run_record(self, run: str) -> PipelineRunRecord:
        return self.client.get_run(run).record

    def run(self, run: str) -> RunDetail:
        """A run with its steps, DAG, timeline and the time its cached steps saved."""
        record = self.run_record(run)
        structure, records, steps = self.steps(record, with_sources=True)
        nodes = []
        for step in steps:
            source = step.cached_from
            nodes.append(
                graphs.step_node(
                    step.name,
                    step.status,
                    step.duration,
                    step.href,
                    definition_name=step.definition_name,
                    source_run=source.run_name if source else None,
                    pipeline_name=record.pipeline_name,
                    source_href=(
                        self.links.run(source.run_id) if source and source.run_id else None
                    ),
                )
            )
        graph = graphs.draw(nodes, graphs.step_edges(structure))
        saved = sum(
            (s.cached_from.duration or 0.0) for s in steps if s.status == "cached" and s.cached_from
        )
        return RunDetail(
            run=RunOverview(
                **self.run_summary(record).model_dump(),
                run_metadata=run_metadata(self.metadata, record.id, records),
            ),
            steps=steps,
            graph=graph,
            timeline=self.timeline(record, steps),
            time_saved=saved,
            live=record.status == "running",
            signature=_signature(record, [s.name for s in steps if s.status == "waiting"]),
        )

    def timeline(self, run: PipelineRunRecord, steps: Sequence[StepSummary]) -> Timeline:
        """Each recorded step's span from the run's start; unfinished steps run to now."""
        now = datetime.now(UTC)
        bars = []
        for step in steps:
            if step.started_at is None:
                continue
            offset = max((step.started_at - run.started_at).total_seconds(), 0.0)
            duration = step.duration
            if duration is None:
                duration = _seconds(step.started_at, step.ended_at or now) or 0.0
            bars.append(
                TimelineBar(
                    name=step.name,
                    status=step.status,
                    offset=offset,
                    duration=0.0 if step.status == "cached" else duration,
                    href=step.href,
                )
            )
        end = _seconds(run.started_at, run.ended_at or now) or 0.0
        total = max([end, *(bar.offset + bar.duration for bar in bars)])
        return Timeline(total=total, bars=bars)

    def progress(self, run: str) -> RunProgress:
        """What a live page polls to know whether to redraw: one small read."""
        record = self.run_record(run)
        waiting = (
            [wait.step_name for wait in self.metadata.waiting_steps(record.id)]
            if record.status == RunStatus.RUNNING
            else []
        )
        return RunProgress(
            id=record.id,
            status=record.status,
            step_count=record.step_count,
            cached_count=record.cached_count,
            signature=_signature(record, waiting),
        )
