"""Turning a run's steps (or an artifact's lineage) into a laid-out, drawable graph.

The structure of a run comes from one of two places:

* the run's recorded ``graph`` (``{"steps": [{"name", "definition_name", "upstream", "inputs":
  {arg: [producer, output]}, "outputs"}]}``, ``name`` being the invocation name as in
  ``StepRunRecord.name``), written when the run starts, so a run still going can be drawn
  whole, its unfinished steps shown as running or pending (runs recorded before the
  definition's key was renamed call it ``step_name``);
* for runs recorded before that field existed, the step runs themselves: an input artifact
  links a step to the step in the same run that output it (``manifest.input_steps``
  names the producer; the artifact id says which of its outputs).

Either way the result is a list of :class:`PlannedNode`; :func:`draw` lays them out with
:mod:`stepstone.dashboard.layout` and returns a :class:`~stepstone.dashboard.schemas.GraphView`
whose coordinates and SVG paths the templates only copy out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stepstone.dashboard.formatting import (
    format_duration,
    format_size,
    run_moment,
    short_type,
    truncate,
)
from stepstone.dashboard.layout import COLUMN_GAP, layered_layout
from stepstone.dashboard.schemas import GraphEdge, GraphNode, GraphView
from stepstone.metadata.records import StepRunRecord

STEP_SIZE = (200.0, 60.0)
"""A step of a run's DAG: name, status and time, and for a cached step the run it reused."""
STEP_RUN_SIZE = (170.0, 44.0)
ARTIFACT_SIZE = (150.0, 44.0)
LINEAGE_GAP = 56.0
"""Lineage edges carry no labels, so its columns sit closer than a run's."""
LABEL_CHARS = 18
_SIZES = {"step": STEP_SIZE, "step_run": STEP_RUN_SIZE, "artifact": ARTIFACT_SIZE}


@dataclass(slots=True)
class PlannedNode:
    """One step of a run's structure: its upstream steps and where each input comes from."""

    name: str
    definition_name: str
    upstream: list[str] = field(default_factory=list)
    inputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Input name -> (producer step name, output name)."""
    outputs: list[str] = field(default_factory=list)


def structure_from_graph(graph: dict[str, Any] | None) -> list[PlannedNode]:
    """Read the ``graph`` a run recorded at its start; ``[]`` if absent or unreadable."""
    if not isinstance(graph, dict):
        return []
    nodes = []
    for entry in graph.get("steps") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        inputs = {}
        for arg, source in (entry.get("inputs") or {}).items():
            if isinstance(source, list | tuple) and len(source) == 2:
                inputs[str(arg)] = (str(source[0]), str(source[1]))
        nodes.append(
            PlannedNode(
                name=entry["name"],
                definition_name=str(
                    entry.get("definition_name") or entry.get("step_name") or entry["name"]
                ),
                upstream=[str(name) for name in entry.get("upstream") or []],
                inputs=inputs,
                outputs=[str(name) for name in entry.get("outputs") or []],
            )
        )
    return nodes


def structure_from_step_runs(records: Sequence[StepRunRecord]) -> list[PlannedNode]:
    """Rebuild a run's structure from its step runs' input and output artifacts."""
    produced: dict[str, tuple[str, str]] = {}
    for record in records:
        for output, artifact in record.outputs.items():
            produced.setdefault(artifact.id, (record.name, output))
    names = {record.name for record in records}
    nodes = []
    for record in records:
        input_steps = record.manifest.input_steps
        inputs: dict[str, tuple[str, str]] = {}
        for arg, artifact in record.inputs.items():
            source = produced.get(artifact.id)
            producer = input_steps.get(arg)
            if source is not None and (producer is None or source[0] == producer):
                inputs[arg] = source
            elif producer in names:
                inputs[arg] = (producer, arg)
        upstream = list(dict.fromkeys(producer for producer, _ in inputs.values()))
        nodes.append(
            PlannedNode(record.name, record.definition_name, upstream, inputs, list(record.outputs))
        )
    return nodes


def merge_structure(
    planned: list[PlannedNode], records: Sequence[StepRunRecord]
) -> list[PlannedNode]:
    """The recorded graph if there is one, plus any recorded step it does not know."""
    if not planned:
        return structure_from_step_runs(records)
    known = {node.name for node in planned}
    extra = [record for record in records if record.name not in known]
    return planned + structure_from_step_runs(extra) if extra else planned


def _path(points: Sequence[tuple[float, float]]) -> str:
    """An SVG path through ``points``: smooth horizontal S-curves between them."""
    x0, y0 = points[0]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in points[1:]:
        if abs(y1 - y0) < 0.5:
            parts.append(f"L{x1:.1f},{y1:.1f}")
        else:
            middle = (x0 + x1) / 2
            parts.append(f"C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


@dataclass(slots=True)
class NodeSpec:
    """What to draw for one node, before layout."""

    key: str
    kind: str
    label: str
    detail: str
    status: str
    href: str | None
    title: str
    source_label: str | None = None
    source_href: str | None = None
    focus: bool = False


@dataclass(slots=True)
class EdgeSpec:
    source: str
    target: str
    label: str = ""
    title: str = ""


def draw(
    nodes: Sequence[NodeSpec], edges: Iterable[EdgeSpec], *, column_gap: float | None = None
) -> GraphView:
    """Lay out and convert to the drawable :class:`GraphView`."""
    edge_list = [edge for edge in edges if edge.source != edge.target]
    sizes: dict[Hashable, tuple[float, float]] = {
        node.key: _SIZES.get(node.kind, STEP_SIZE) for node in nodes
    }
    layout = layered_layout(
        [node.key for node in nodes],
        [(e.source, e.target) for e in edge_list],
        sizes,
        column_gap=COLUMN_GAP if column_gap is None else column_gap,
    )
    graph_nodes = []
    for node in nodes:
        box = layout.boxes[node.key]
        graph_nodes.append(
            GraphNode(
                key=node.key,
                kind=node.kind,
                label=truncate(node.label, 24 if node.kind == "step" else 19),
                detail=truncate(node.detail, 30 if node.kind == "step" else 25),
                status=node.status,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
                href=node.href,
                source_label=truncate(node.source_label, 30) if node.source_label else None,
                source_href=node.source_href,
                focus=node.focus,
                title=node.title,
            )
        )
    graph_edges = []
    for edge, route in zip(edge_list, layout.routes, strict=True):
        if len(route) < 2:
            continue
        if len(route) > 2:  # a long edge: label its straight run across the first column
            (x0, y0), (x1, y1) = route[1], route[2]
        else:
            (x0, y0), (x1, y1) = route[0], route[1]
        graph_edges.append(
            GraphEdge(
                source=edge.source,
                target=edge.target,
                label=truncate(edge.label, LABEL_CHARS),
                title=edge.title,
                path=_path(route),
                label_x=round((x0 + x1) / 2, 1),
                label_y=round((y0 + y1) / 2 - 4, 1),
            )
        )
    return GraphView(
        width=round(layout.width, 1),
        height=round(layout.height, 1),
        nodes=graph_nodes,
        edges=graph_edges,
    )


def step_edges(structure: Sequence[PlannedNode]) -> list[EdgeSpec]:
    """One edge per (producer, consumer) pair, labelled with the artifacts passed along it.

    The artifact's name is the producer's output name, or the consumer's input name when the
    output is the anonymous single ``output``.
    """
    names = {node.name for node in structure}
    labels: dict[tuple[str, str], list[str]] = {}
    titles: dict[tuple[str, str], list[str]] = {}
    for node in structure:
        for arg, (producer, output) in node.inputs.items():
            if producer not in names:
                continue
            pair = (producer, node.name)
            label = arg if output == "output" else output
            if label not in labels.setdefault(pair, []):
                labels[pair].append(label)
            titles.setdefault(pair, []).append(f"{producer}.{output} → {node.name}({arg})")
        for producer in node.upstream:  # ordering-only dependencies have no artifact
            if producer in names:
                labels.setdefault((producer, node.name), [])
    return [
        EdgeSpec(source, target, ", ".join(label), "; ".join(titles.get((source, target), [])))
        for (source, target), label in labels.items()
    ]


def step_node(
    name: str,
    status: str,
    duration: float | None,
    href: str | None,
    *,
    definition_name: str,
    source_run: str | None = None,
    pipeline_name: str | None = None,
    source_href: str | None = None,
) -> NodeSpec:
    """The node of one step in a run's DAG; a cached step names the run it reused."""
    if duration is None or status == "cached":
        detail = status
    else:
        detail = f"{status} · {format_duration(duration)}"
    title = f"{name} ({definition_name}): {status}"
    if source_run:
        title += f", outputs reused from run {source_run}"
    return NodeSpec(
        key=name,
        kind="step",
        label=name,
        detail=detail,
        status=status,
        href=href,
        title=title,
        source_label=f"↩ from {run_moment(source_run, pipeline_name)}" if source_run else None,
        source_href=source_href,
    )


def artifact_node(
    key: str, name: str, data_type: str, size: int, href: str, *, focus: bool = False
) -> NodeSpec:
    """The node of one artifact in a lineage graph."""
    return NodeSpec(
        key=key,
        kind="artifact",
        label=name,
        detail=f"{short_type(data_type)} · {format_size(size)}",
        status="artifact",
        href=href,
        title=f"artifact {name}: {data_type}, {size} bytes",
        focus=focus,
    )
