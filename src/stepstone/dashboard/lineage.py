"""An artifact's page: what it is, who produced it, who used it, and its lineage graph.

The lineage graph alternates artifacts and the step runs between them. Upstream it follows
the producer of each artifact and that step run's inputs, back to the sources; downstream it
follows the step runs that consumed the artifact and their outputs. Only executions appear as
step-run nodes: a cached step run consumed and "produced" the very same artifacts as the
execution it reused, so drawing it too would only repeat a node (the tables list them all).

Runs share artifacts, so a popular artifact can reach many runs: the walk stops at
:data:`MAX_NODES` nodes and says so (``lineage_truncated``).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from stepstone.dashboard import graphs
from stepstone.dashboard.formatting import run_moment
from stepstone.dashboard.schemas import (
    ArtifactDetail,
    ArtifactList,
    ArtifactVersionLink,
    LinkView,
)
from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    MetadataResource,
    StepRunRecord,
)
from stepstone.models import LinkRole
from stepstone.read_model.artifacts import artifact_document_fields, version_views
from stepstone.read_model.lineage import link_fields

if TYPE_CHECKING:
    from stepstone.dashboard.views import DashboardData

MAX_NODES = 80
VERSIONS_SHOWN = 20
"""How many versions of its name an artifact's page lists (the newest)."""
DOWNSTREAM_STEPS = 3
"""How many step runs deep the downstream walk goes (upstream goes to the sources)."""


class _Walk:
    """Collects the nodes and edges of a lineage graph, reading each step run once."""

    def __init__(self, data: DashboardData, focus: ArtifactRecord) -> None:
        self.data = data
        self.metadata = data.metadata
        self.focus = focus
        self.nodes: dict[str, graphs.NodeSpec] = {}
        self.edges: dict[tuple[str, str], graphs.EdgeSpec] = {}
        self.step_runs: dict[str, StepRunRecord | None] = {}
        self.run_names: dict[str, tuple[str, str | None]] = {}
        self.truncated = False

    def step_run(self, step_run_id: str) -> StepRunRecord | None:
        if step_run_id not in self.step_runs:
            self.step_runs[step_run_id] = self.metadata.get_step_run(step_run_id)
        return self.step_runs[step_run_id]

    def run_name(self, run_id: str) -> tuple[str, str | None]:
        """(run name, pipeline name) of a run, read once."""
        if run_id not in self.run_names:
            run = self.metadata.get_run(run_id)
            self.run_names[run_id] = (run.name, run.pipeline_name) if run else (run_id, None)
        return self.run_names[run_id]

    def full(self) -> bool:
        if len(self.nodes) >= MAX_NODES:
            self.truncated = True
        return self.truncated

    def add_artifact(self, record: ArtifactRecord, name: str) -> str:
        key = f"a:{record.id}"
        node = self.nodes.get(key)
        if node is None:
            self.nodes[key] = graphs.artifact_node(
                key,
                name,
                record.data_type,
                record.size,
                self.data.links.artifact(record.id) or "",
                focus=record.id == self.focus.id,
            )
        elif node.label == "output" and name != "output":  # prefer a meaningful name
            node.label = name
        return key

    def add_step_run(self, record: StepRunRecord) -> str:
        key = f"s:{record.id}"
        if key not in self.nodes:
            run_name, pipeline = self.run_name(record.run_id)
            self.nodes[key] = graphs.NodeSpec(
                key=key,
                kind="step_run",
                label=record.name,
                detail=f"run {run_moment(run_name, pipeline)}",
                status=record.status,
                href=self.data.links.step(record.run_id, record.name),
                title=f"step {record.name} in run {run_name}: {record.status}",
            )
        return key

    def edge(self, source: str, target: str) -> None:
        self.edges.setdefault((source, target), graphs.EdgeSpec(source, target))

    def upstream(self, start: ArtifactRecord, name: str) -> None:
        queue = deque([(start, name)])
        while queue and not self.full():
            artifact, label = queue.popleft()
            key = self.add_artifact(artifact, label)
            producer_id = artifact.producer_step_run_id
            producer = self.step_run(producer_id) if producer_id else None
            if producer is None:
                continue
            output = next((n for n, a in producer.outputs.items() if a.id == artifact.id), label)
            if output != "output":
                self.nodes[key].label = output
            seen = f"s:{producer.id}" in self.nodes
            step_key = self.add_step_run(producer)
            self.edge(step_key, key)
            if seen:
                continue
            for input_name, input_artifact in producer.inputs.items():
                self.edge(self.add_artifact(input_artifact, input_name), step_key)
                queue.append((input_artifact, input_name))

    def downstream(self, start: ArtifactRecord, name: str) -> None:
        queue = deque([(start, name, 0)])
        expanded: set[str] = set()
        while queue and not self.full():
            artifact, label, depth = queue.popleft()
            key = self.add_artifact(artifact, label)
            if artifact.id in expanded or depth >= DOWNSTREAM_STEPS:
                continue
            expanded.add(artifact.id)
            for link in self.metadata.artifact_links(artifact.id):
                if link.direction != "input" or link.step_status == "cached" or self.full():
                    continue
                consumer = self.step_run(link.step_run_id)
                if consumer is None:
                    continue
                step_key = self.add_step_run(consumer)
                self.edge(key, step_key)
                for output_name, output in consumer.outputs.items():
                    self.edge(step_key, self.add_artifact(output, output_name))
                    queue.append((output, output_name, depth + 1))


def _link_view(
    data: DashboardData, link: ArtifactLink, producer_step_run_id: str | None
) -> LinkView:
    return LinkView(
        **link_fields(link, producer_step_run_id),
        href=data.links.step(link.run_id, link.invocation_name) or "",
        run_href=data.links.run(link.run_id) or "",
    )


def artifact_detail(data: DashboardData, artifact_id: str) -> ArtifactDetail:
    """The artifact page's data (``artifact_id`` may be a unique id or content-hash prefix)."""
    record = data.client.get_artifact(artifact_id).record
    links = data.metadata.artifact_links(record.id)
    views = [_link_view(data, link, record.producer_step_run_id) for link in links]
    producer = next((view for view in views if view.role == LinkRole.PRODUCER), None)
    reused = [view for view in views if view.role == LinkRole.REUSED]
    consumers = [view for view in views if view.role == LinkRole.CONSUMER]
    names = list(dict.fromkeys(link.name for link in links)) or ["artifact"]
    walk = _Walk(data, record)
    # A single anonymous ``output`` is better called by the name its consumers gave it.
    meaningful = [n for n in names if n != "output"]
    name = producer.name if producer and producer.name != "output" else (meaningful or names)[0]
    walk.upstream(record, name)
    walk.downstream(record, name)
    nodes = list(walk.nodes.values())
    version = data.metadata.get_artifact_versions([record.id]).get(record.id)
    versions = (
        data.metadata.list_artifact_versions(version.name, limit=VERSIONS_SHOWN)
        if version is not None
        else []
    )
    links = {
        view.id: ArtifactVersionLink(**view.model_dump(), href=data.links.artifact(view.id) or "")
        for view in version_views(data.metadata, [*versions, *([version] if version else [])])
    }
    document = artifact_document_fields(record, None, version)
    return ArtifactDetail(
        **{
            **document,
            "name": name,
            "producer": producer,
        },
        artifact_version=links[record.id] if version is not None else None,
        names=names,
        reused_by=reused,
        consumers=consumers,
        lineage=graphs.draw(nodes, walk.edges.values(), column_gap=graphs.LINEAGE_GAP),
        lineage_truncated=walk.truncated,
        tags=data.metadata.get_tags([record.id]).get(record.id, []),
        run_metadata=data.metadata.get_metadata(MetadataResource.ARTIFACT_VERSION, [record.id]).get(
            record.id, {}
        ),
        versions=[links[v.artifact_id] for v in versions],
    )


def artifact_list(data: DashboardData, run: str | None, limit: int, offset: int) -> ArtifactList:
    """Artifacts newest first; with ``run``, those its steps produced or used."""
    limit = min(max(limit, 1), 500)
    artifacts = data.client.list_artifacts(run, limit=limit, offset=max(offset, 0))
    return ArtifactList(
        artifacts=[data.artifact_ref("", artifact.record) for artifact in artifacts],
        limit=limit,
        offset=max(offset, 0),
    )
