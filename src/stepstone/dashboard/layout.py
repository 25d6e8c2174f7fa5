"""Drawing a DAG without graphviz: layered layout, left to right.

The classic Sugiyama recipe, kept small:

1. **Layers** by longest path from the sources (a node sits one column right of its deepest
   parent), so every edge points right.
2. **Dummy nodes** split an edge that spans several columns into one-column hops; they take
   part in ordering, so long edges route around nodes instead of through them.
3. **Order within a column** by the barycenter heuristic: sweep right, then left, placing each
   node at the mean position of its neighbours in the column just fixed. A handful of sweeps
   removes most crossings; the order with the fewest crossings seen is kept.
4. **Coordinates**: columns at a fixed pitch; within a column each node goes as close as it can
   to the mean height of its parents (chains come out straight), then overlaps are pushed apart.

Everything here is pure and linear-ish in nodes plus edges per sweep, so a 500-step run lays out
in milliseconds. The result is plain numbers; :mod:`stepstone.dashboard.graphs` turns them into
SVG geometry.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

Node = Hashable

COLUMN_GAP = 120.0
"""Horizontal room between columns (edge labels live here)."""
ROW_GAP = 22.0
"""Vertical room between two nodes of one column."""
DUMMY_HEIGHT = 10.0
"""Height a long edge takes where it crosses a column."""
MARGIN = 16.0
SWEEPS = 8
LARGE = 800
"""Graphs with more nodes (dummies included) than this get plain sweeps, unscored."""


@dataclass(frozen=True, slots=True)
class Box:
    """A placed node: top-left corner and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def center_y(self) -> float:
        return self.y + self.height / 2


@dataclass(slots=True)
class Layout:
    """Placed nodes, and for each edge (by index) the points its line passes through."""

    boxes: dict[Node, Box]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    layers: dict[Node, int] = field(default_factory=dict)


def _layers(nodes: Sequence[Node], edges: Sequence[tuple[Node, Node]]) -> dict[Node, int]:
    """Longest-path layering in a topological order; edges closing a cycle are ignored."""
    successors: dict[Node, list[Node]] = defaultdict(list)
    indegree = dict.fromkeys(nodes, 0)
    for source, target in edges:
        successors[source].append(target)
        indegree[target] += 1
    layer = dict.fromkeys(nodes, 0)
    queue = [node for node in nodes if indegree[node] == 0]
    seen = 0
    while seen < len(nodes):
        if not queue:  # a cycle (never in a recorded run): release the earliest blocked node
            queue = [next(node for node in nodes if indegree[node] > 0)]
            indegree[queue[0]] = 0
        next_queue: list[Node] = []
        for node in queue:
            seen += 1
            for target in successors[node]:
                if indegree[target] <= 0:
                    continue
                layer[target] = max(layer[target], layer[node] + 1)
                indegree[target] -= 1
                if indegree[target] == 0:
                    next_queue.append(target)
        queue = next_queue
    return layer


def _crossings(upper: list[Node], lower_pos: dict[Node, int], down: dict[Node, list[Node]]) -> int:
    """Crossings between two adjacent columns: pairs of edges whose ends are in opposite order.

    Edges sorted by their upper end; each crosses every earlier edge that lands further down,
    counted with ``bisect`` on a sorted list (C-fast, O(E log E) comparisons).
    """
    pairs = sorted((i, lower_pos[t]) for i, node in enumerate(upper) for t in down[node])
    seen: list[int] = []
    crossings = 0
    for _, target in pairs:
        crossings += len(seen) - bisect.bisect_right(seen, target)
        bisect.insort(seen, target)
    return crossings


def _sweep(
    columns: list[list[Node]],
    forward: bool,
    down: dict[Node, list[Node]],
    up: dict[Node, list[Node]],
) -> None:
    """One barycenter pass: each column sorted by the mean position of its fixed neighbours."""
    neighbours = up if forward else down
    indices = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
    for index in indices:
        fixed = columns[index - 1] if forward else columns[index + 1]
        position = {node: i for i, node in enumerate(fixed)}
        keyed = []
        for rank, node in enumerate(columns[index]):
            linked = [position[n] for n in neighbours[node] if n in position]
            keyed.append((sum(linked) / len(linked) if linked else float(rank), rank, node))
        keyed.sort(key=lambda item: item[:2])
        columns[index] = [node for _, _, node in keyed]


def _order(
    columns: list[list[Node]], down: dict[Node, list[Node]], up: dict[Node, list[Node]]
) -> list[list[Node]]:
    """Barycenter sweeps; returns the column orders with the fewest crossings seen.

    A large graph gets three plain sweeps (down, up, down) without scoring: counting crossings
    after every sweep costs more than the sweeps, and three passes already remove most.
    """
    current = [list(column) for column in columns]
    if sum(map(len, columns)) > LARGE:
        for forward in (True, False, True):
            _sweep(current, forward, down, up)
        return current

    def total(cols: list[list[Node]]) -> int:
        result = 0
        for upper, lower in itertools.pairwise(cols):
            result += _crossings(upper, {n: i for i, n in enumerate(lower)}, down)
        return result

    best = [list(column) for column in columns]
    best_score = total(best)
    for sweep in range(SWEEPS):
        if best_score == 0:
            break
        _sweep(current, sweep % 2 == 0, down, up)
        score = total(current)
        if score < best_score:
            best, best_score = [list(column) for column in current], score
    return best


def _heights(
    columns: list[list[Node]],
    sizes: dict[Node, tuple[float, float]],
    up: dict[Node, list[Node]],
) -> dict[Node, float]:
    """Top y of every node: near the mean of its parents, without overlapping in a column.

    Each column is placed twice, once pushing overlapping nodes down and once pushing them up;
    the mean of the two keeps every gap (both do) and keeps blocks centred on their parents.
    """
    top: dict[Node, float] = {}
    for column in columns:
        heights = [sizes[node][1] for node in column]
        wanted = []
        for index, node in enumerate(column):
            parents = [top[p] + sizes[p][1] / 2 for p in up[node] if p in top]
            if parents:
                wanted.append(sum(parents) / len(parents) - heights[index] / 2)
            else:  # a source: stack below the previous node
                wanted.append(wanted[-1] + heights[index - 1] + ROW_GAP if wanted else 0.0)
        down_pass = list(wanted)
        for i in range(1, len(column)):
            down_pass[i] = max(wanted[i], down_pass[i - 1] + heights[i - 1] + ROW_GAP)
        up_pass = list(wanted)
        for i in range(len(column) - 2, -1, -1):
            up_pass[i] = min(wanted[i], up_pass[i + 1] - heights[i] - ROW_GAP)
        for node, low, high in zip(column, down_pass, up_pass, strict=True):
            top[node] = (low + high) / 2
    return top


def layered_layout(
    nodes: Sequence[Node],
    edges: Sequence[tuple[Node, Node]],
    sizes: dict[Node, tuple[float, float]],
    column_gap: float = COLUMN_GAP,
) -> Layout:
    """Place ``nodes`` (in their given order as a tie-breaker) in columns, edges pointing right.

    Args:
        nodes: node keys, e.g. in execution order (the initial order within a column).
        edges: (source, target) pairs; self-loops and unknown nodes are ignored.
        sizes: width and height of every node.
        column_gap: room between columns (edge labels need more than bare edges).

    Returns:
        A :class:`Layout`; ``routes[i]`` is the polyline of ``edges[i]`` from the right side of
        its source to the left side of its target (empty for an ignored edge).
    """
    known = set(nodes)
    kept = [(s, t) for s, t in edges if s in known and t in known and s != t]
    layer = _layers(nodes, kept)
    column_count = max(layer.values(), default=-1) + 1
    columns: list[list[Node]] = [[] for _ in range(column_count)]
    for node in nodes:
        columns[layer[node]].append(node)
    all_sizes: dict[Node, tuple[float, float]] = dict(sizes)
    column_width = max((sizes[n][0] for n in nodes), default=0.0)
    down: dict[Node, list[Node]] = defaultdict(list)
    up: dict[Node, list[Node]] = defaultdict(list)
    chains: dict[tuple[Node, Node], list[Node]] = {}
    for source, target in dict.fromkeys(kept):
        a, b = (source, target) if layer[source] < layer[target] else (target, source)
        chain: list[Node] = [a]
        for hop in range(layer[a] + 1, layer[b]):
            dummy = ("__dummy__", a, b, hop)
            columns[hop].append(dummy)
            all_sizes[dummy] = (column_width, DUMMY_HEIGHT)
            chain.append(dummy)
        chain.append(b)
        for first, second in itertools.pairwise(chain):
            down[first].append(second)
            up[second].append(first)
        chains[(source, target)] = chain
    columns = _order(columns, down, up)
    top = _heights(columns, all_sizes, up)
    shift = MARGIN - min(top.values(), default=0.0)
    pitch = column_width + column_gap
    boxes: dict[Node, Box] = {}
    for index, column in enumerate(columns):
        for node in column:
            width, height = all_sizes[node]
            boxes[node] = Box(MARGIN + index * pitch, top[node] + shift, width, height)
    routes: list[list[tuple[float, float]]] = []
    for source, target in edges:
        chain = chains.get((source, target), [])
        if not chain:
            routes.append([])
            continue
        if chain[0] != source:  # an edge drawn against the layering (only in a cycle)
            chain = chain[::-1]
        points = [(boxes[source].x + boxes[source].width, boxes[source].center_y)]
        for waypoint in chain[1:-1]:  # a long edge runs straight across each column it passes
            box = boxes[waypoint]
            points += [(box.x, box.center_y), (box.x + box.width, box.center_y)]
        points.append((boxes[target].x, boxes[target].center_y))
        routes.append(points)
    width = max((b.x + b.width for b in boxes.values()), default=0.0) + MARGIN
    height = max((b.y + b.height for b in boxes.values()), default=0.0) + MARGIN
    return Layout({n: boxes[n] for n in nodes}, routes, width, height, layer)
