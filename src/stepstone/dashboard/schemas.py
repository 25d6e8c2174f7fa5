"""The view data of every page, as pydantic models: the JSON API returns them, templates read them.

One set of models means the HTML pages and ``/api/v1`` can never disagree: a page is its JSON
document drawn. Models are flat and hold display-ready facts (durations in seconds, links as
paths); formatting (units, local names) happens in the templates. Runs, steps, artifacts
and their lineage links, sources, explanations and comparisons are the read model's views
(:mod:`stepstone.read_model`, what the CLI's ``--json`` prints), here with the links of the
pages that show them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from stepstone.read_model.artifacts import ArtifactDocument, ArtifactVersionView, ArtifactView
from stepstone.read_model.explanations import ExplanationView
from stepstone.read_model.lineage import ArtifactLinkView
from stepstone.read_model.runs import RunView
from stepstone.read_model.sources import SourceRun
from stepstone.read_model.steps import StepView
from stepstone.read_model.table import RunColumn, RunRow


class RunSummary(RunView):
    """One pipeline run, as a row of the runs list."""

    href: str


class RunList(BaseModel):
    """A page of runs, newest first, with the filters that produced it."""

    total: int
    page: int
    per_page: int
    pages: int
    pipeline: str | None
    status: str | None
    runs: list[RunSummary]


class ArtifactRef(ArtifactView):
    """An artifact as a step's input or output."""

    href: str
    producer_name: str | None = Field(
        default=None, description="For an input: the step of the same run that output it."
    )
    producer_href: str | None = None


class SourceLink(SourceRun):
    """Where a cached step's outputs came from, with the page of the step run that executed."""

    href: str


class StepSummary(StepView):
    """One step of a run: recorded, or (in a run still going) only planned."""

    cached_from: SourceLink | None
    inputs: list[ArtifactRef]  # type: ignore[assignment]
    outputs: list[ArtifactRef]  # type: ignore[assignment]
    upstream: list[str]
    href: str | None
    # What was logged, as ``runs show --json`` has it (the run page fills these in).
    run_metadata: dict[str, Any] = Field(default_factory=dict)
    output_metadata: dict[str, dict[str, Any]] = Field(default_factory=dict)
    output_tags: dict[str, list[str]] = Field(default_factory=dict)


class GraphNode(BaseModel):
    """A placed node of a drawn graph (a step, a step run or an artifact)."""

    key: str
    kind: str = Field(description="step, step_run or artifact.")
    label: str
    detail: str
    status: str
    x: float
    y: float
    width: float
    height: float
    href: str | None
    source_label: str | None = None
    source_href: str | None = None
    focus: bool = False
    title: str


class GraphEdge(BaseModel):
    """An edge, its SVG path and the place and text of its label."""

    source: str
    target: str
    label: str
    title: str
    path: str
    label_x: float
    label_y: float


class GraphView(BaseModel):
    """A laid-out graph, ready to draw as SVG."""

    width: float
    height: float
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class TimelineBar(BaseModel):
    """One step's span on the run's time axis, in seconds from the run's start."""

    name: str
    status: str
    offset: float
    duration: float
    href: str | None


class Timeline(BaseModel):
    total: float
    bars: list[TimelineBar]


class RunOverview(RunSummary):
    """A run on its own page: the row of the runs list plus what was logged on it."""

    run_metadata: dict[str, Any] = Field(default_factory=dict)


class RunDetail(BaseModel):
    """A run with its steps, DAG, timeline and what the cache saved."""

    run: RunOverview
    steps: list[StepSummary]
    graph: GraphView
    timeline: Timeline
    time_saved: float = Field(
        description="Sum of the recorded durations of the executions cached steps reused."
    )
    live: bool = Field(description="The run is still going: pages poll for updates.")
    signature: str = Field(description="Changes whenever a step or the run changes status.")


class RunProgress(BaseModel):
    """The small document a live page polls (one read, whatever the run's size)."""

    id: str
    status: str
    step_count: int = Field(description="Step runs recorded so far.")
    cached_count: int
    signature: str = Field(description="Equals RunDetail.signature until something changes.")


class CodeObject(BaseModel):
    """One entry of the code fingerprint: a function, value, module or library version."""

    name: str
    kind: str
    fingerprint: str
    file: str | None


class StepDetail(BaseModel):
    """Everything about one step run."""

    run: RunSummary
    step: StepSummary
    decision: str | None
    cache_key: str | None
    cache_enabled: bool | None
    explanation: ExplanationView | None
    code_digest: str | None
    code_objects: list[CodeObject]
    logs: str | None
    logs_from: SourceLink | None = Field(
        description="For a cached step: the execution whose logs these are."
    )


class LinkView(ArtifactLinkView):
    """A step run that produced, reused or consumed an artifact, with its step and run pages."""

    href: str
    run_href: str


class ArtifactVersionLink(ArtifactVersionView):
    """A version of a named artifact, with the page of the stored artifact."""

    href: str


class ArtifactDetail(ArtifactDocument):
    """An artifact, who made it, who used it, and its lineage graph."""

    name: str = Field(description="The name it is best known by (an output or input name).")
    names: list[str] = Field(description="Every name a step gave it, as output or input.")
    producer: LinkView | None  # type: ignore[assignment]
    reused_by: list[LinkView]
    consumers: list[LinkView]
    lineage: GraphView
    lineage_truncated: bool
    artifact_version: ArtifactVersionLink | None = Field(
        default=None,
        description="The artifact version it is, in full (null for values passed in); "
        "artifact_name and version give its name and number, as everywhere.",
    )
    tags: list[str] = Field(default_factory=list)
    run_metadata: dict[str, Any] = Field(
        default_factory=dict, description="Key -> value logged on it."
    )
    versions: list[ArtifactVersionLink] = Field(
        default_factory=list, description="The newest versions of its artifact name."
    )


class ArtifactList(BaseModel):
    artifacts: list[ArtifactRef]
    limit: int
    offset: int


class ChartPoint(BaseModel):
    """One run's mark on a metric chart."""

    run_id: str
    run_name: str
    href: str
    x: float | None = Field(description="The position on a numeric x axis; null for a label.")
    x_label: str
    y: float


class ParallelAxis(BaseModel):
    """One numeric column as an axis of the parallel-coordinates view."""

    name: str
    low: float
    high: float


class ParallelLine(BaseModel):
    """One run across every axis (null where it has no value)."""

    run_id: str
    run_name: str
    href: str
    values: list[float | None]


class PipelineRunRow(RunRow):
    """A row of a pipeline's runs table, with the run's page."""

    href: str


class PipelineDetail(BaseModel):
    """A pipeline's runs side by side and charted: which configuration gave which result."""

    pipeline: str
    total: int = Field(description="Runs of the pipeline recorded (the table shows the newest).")
    columns: list[RunColumn]
    rows: list[PipelineRunRow]
    metric: str | None = Field(description="The column charted (null: none is numeric).")
    against: str = Field(description="'run' (in the order they ran) or a parameter column.")
    metrics: list[str] = Field(description="Numeric columns that can be charted.")
    parameters: list[str] = Field(description="Columns a metric can be charted against.")
    points: list[ChartPoint]
    axes: list[ParallelAxis]
    lines: list[ParallelLine]
