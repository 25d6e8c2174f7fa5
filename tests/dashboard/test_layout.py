"""The hand-written DAG layout: columns by depth, few crossings, edges routed around nodes."""

from __future__ import annotations

import itertools
import random

from stepstone.dashboard.graphs import (
    PlannedNode,
    step_edges,
    structure_from_graph,
)
from stepstone.dashboard.layout import _crossings, layered_layout

SIZE = (200.0, 60.0)


def sizes(nodes: list[str]) -> dict[str, tuple[float, float]]:
    return dict.fromkeys(nodes, SIZE)


def test_columns_follow_longest_path() -> None:
    nodes = ["importer", "normalizer", "trainer", "evaluator"]
    edges = [
        ("importer", "normalizer"),
        ("importer", "trainer"),
        ("normalizer", "trainer"),
        ("importer", "evaluator"),
        ("trainer", "evaluator"),
    ]
    layout = layered_layout(nodes, edges, sizes(nodes))
    assert layout.layers == {"importer": 0, "normalizer": 1, "trainer": 2, "evaluator": 3}
    xs = [layout.boxes[name].x for name in nodes]
    assert xs == sorted(xs) and len(set(xs)) == 4
    # importer -> evaluator skips two columns: its route bends through two dummy points each side
    long_route = layout.routes[3]
    assert len(long_route) == 2 + 2 * 2
    assert long_route[0][0] == layout.boxes["importer"].x + SIZE[0]
    assert long_route[-1][0] == layout.boxes["evaluator"].x


def test_nodes_of_a_column_never_overlap() -> None:
    nodes = ["root", *(f"leaf{i}" for i in range(12))]
    edges = [("root", f"leaf{i}") for i in range(12)]
    layout = layered_layout(nodes, edges, sizes(nodes))
    tops = sorted(layout.boxes[f"leaf{i}"].y for i in range(12))
    assert all(b - a >= SIZE[1] for a, b in itertools.pairwise(tops))
    assert min(box.y for box in layout.boxes.values()) >= 0
    assert layout.height >= max(box.y + box.height for box in layout.boxes.values())


def test_a_chain_is_drawn_straight() -> None:
    nodes = [f"s{i}" for i in range(6)]
    edges = [(a, b) for a, b in itertools.pairwise(nodes)]
    layout = layered_layout(nodes, edges, sizes(nodes))
    assert len({layout.boxes[name].y for name in nodes}) == 1


def test_barycenter_ordering_untangles_crossed_pairs() -> None:
    # Two independent chains given in an order that crosses: a0->b1, a1->b0.
    nodes = ["a0", "a1", "b1", "b0"]
    edges = [("a0", "b0"), ("a1", "b1")]
    layout = layered_layout(nodes, edges, sizes(nodes))
    above = layout.boxes["a0"].y < layout.boxes["a1"].y
    assert above == (layout.boxes["b0"].y < layout.boxes["b1"].y)


def test_crossing_count() -> None:
    down = {"a": ["y"], "b": ["x"]}
    assert _crossings(["a", "b"], {"x": 0, "y": 1}, down) == 1
    assert _crossings(["a", "b"], {"x": 1, "y": 0}, down) == 0


def test_large_random_dag_lays_out_fast_and_consistently() -> None:
    rng = random.Random(7)
    nodes = [f"n{i}" for i in range(500)]
    edges = []
    for i in range(1, 500):
        for _ in range(rng.randint(1, 3)):
            edges.append((f"n{rng.randrange(max(0, i - 30), i)}", f"n{i}"))
    layout = layered_layout(nodes, edges, sizes(nodes))
    for source, target in edges:
        assert layout.layers[source] < layout.layers[target]
    assert all(len(route) >= 2 for route in layout.routes)


def test_cycles_and_unknown_nodes_do_not_hang() -> None:
    layout = layered_layout(["a", "b"], [("a", "b"), ("b", "a"), ("a", "zzz")], sizes(["a", "b"]))
    assert set(layout.boxes) == {"a", "b"}


def test_structure_from_recorded_graph_and_edge_labels() -> None:
    graph = {
        "steps": [
            {
                "name": "load",
                "step_name": "load",
                "upstream": [],
                "inputs": {},
                "outputs": ["output"],
            },
            {
                "name": "fit",
                "definition_name": "train",
                "upstream": ["load"],
                "inputs": {"data": ["load", "output"]},
                "outputs": ["model"],
            },
            {
                "name": "after",
                "step_name": "after",
                "upstream": ["fit"],
                "inputs": {},
                "outputs": [],
            },
        ]
    }
    structure = structure_from_graph(graph)
    assert [node.name for node in structure] == ["load", "fit", "after"]
    assert structure[1].inputs == {"data": ("load", "output")}
    # the definition's name, under the key older runs recorded it by too
    assert [node.definition_name for node in structure] == ["load", "train", "after"]
    edges = {(e.source, e.target): e.label for e in step_edges(structure)}
    # an anonymous single output is named by the consumer's input; ordering-only edges stay
    assert edges == {("load", "fit"): "data", ("fit", "after"): ""}
    assert structure_from_graph({}) == [] and structure_from_graph(None) == []
    assert structure_from_graph({"steps": [{"nonsense": 1}, "x"]}) == []


def test_edges_to_unknown_steps_are_dropped() -> None:
    structure = [PlannedNode("b", "b", ["a"], {"x": ("a", "output")}, [])]
    assert step_edges(structure) == []
