"""The DAG and the timeline as SVG text, written directly (a 500-step run has ~2,000 shapes).

A Jinja macro spent more time on a big graph than laying it out did; string building here is
several times faster. The rule is the templates' rule: every value that reaches the SVG goes
through :func:`html.escape` (text and attributes alike), and statuses become CSS classes only
through :func:`~stepstone.dashboard.formatting.status_class`. The result is returned as
:class:`markupsafe.Markup` so Jinja inserts it as is.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from stepstone.dashboard.formatting import status_class, truncate
from stepstone.dashboard.schemas import GraphView, Timeline
from stepstone.units import format_duration

LABEL_WIDTH = 180
CHART_WIDTH = 620
ROW_HEIGHT = 20


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def dag_svg(graph: GraphView, label: str, prefix: str = "dag") -> Markup:
    """A laid-out graph as an ``<svg class="dag">`` (nodes link to their pages)."""
    p = _e(prefix)
    w, h = graph.width, graph.height
    out = [
        '<div class="graph-scroll">',
        f'<svg class="dag" id="{p}" xmlns="http://www.w3.org/2000/svg" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{_e(label)}">',
        f'<defs><marker id="{p}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path class="arrow-head" '
        'd="M0,0 L10,5 L0,10 z"/></marker></defs>',
        '<g class="edges">',
    ]
    for edge in graph.edges:
        title = edge.title or f"{edge.source} → {edge.target}"
        out.append(
            f'<g class="edge" data-source="{_e(edge.source)}" data-target="{_e(edge.target)}">'
            f"<title>{_e(title)}</title>"
            f'<path d="{_e(edge.path)}" marker-end="url(#{p}-arrow)"/>'
        )
        if edge.label:
            out.append(
                f'<text class="edge-label" x="{edge.label_x}" y="{edge.label_y}" '
                f'text-anchor="middle">{_e(edge.label)}</text>'
            )
        out.append("</g>")
    out.append('</g><g class="nodes">')
    for node in graph.nodes:
        x, y = node.x, node.y
        focus = " focus" if node.focus else ""
        out.append(
            f'<g class="node node-{_e(node.kind)} status-{status_class(node.status)}{focus}" '
            f'data-key="{_e(node.key)}" data-status="{_e(node.status)}">'
            f"<title>{_e(node.title)}</title>"
        )
        if node.href:
            out.append(f'<a class="node-link" href="{_e(node.href)}">')
        out.append(
            f'<rect class="box" x="{x}" y="{y}" width="{node.width}" height="{node.height}" '
            f'rx="8"/><rect class="stripe" x="{x}" y="{y}" width="6" height="{node.height}" '
            f'rx="3"/><text class="node-label" x="{x + 14}" y="{y + 19}">{_e(node.label)}</text>'
            f'<text class="node-detail" x="{x + 14}" y="{y + 35}">{_e(node.detail)}</text>'
        )
        if node.href:
            out.append("</a>")
        if node.source_label:
            text = (
                f'<text class="node-source" x="{x + 14}" y="{y + 51}">'
                f"{_e(node.source_label)}</text>"
            )
            if node.source_href:
                text = f'<a class="source-link" href="{_e(node.source_href)}">{text}</a>'
            out.append(text)
        out.append("</g>")
    out.append("</g></svg></div>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()


def timeline_svg(timeline: Timeline) -> Markup:
    """Each step's span on the run's time axis, one row per step; cached steps as a mark."""
    total = timeline.total if timeline.total > 0 else 1.0
    height = 30 + ROW_HEIGHT * len(timeline.bars)
    out = [
        '<div class="timeline-scroll">',
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" '
        f'width="{LABEL_WIDTH + CHART_WIDTH + 90}" height="{height}" role="img" '
        'aria-label="Step durations">',
    ]
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = LABEL_WIDTH + CHART_WIDTH * fraction
        out.append(
            f'<line class="grid" x1="{x}" y1="18" x2="{x}" y2="{height}"/>'
            f'<text class="tick" x="{x}" y="12" text-anchor="middle">'
            f"{_e(format_duration(timeline.total * fraction))}</text>"
        )
    for index, bar in enumerate(timeline.bars):
        y = 24 + index * ROW_HEIGHT
        x = LABEL_WIDTH + CHART_WIDTH * bar.offset / total
        title = (
            f"{bar.name}: {bar.status}, {format_duration(bar.duration)} "
            f"from {format_duration(bar.offset)}"
        )
        name = (
            f'<text class="row-label" x="{LABEL_WIDTH - 8}" y="{y + 12}" text-anchor="end">'
            f"{_e(truncate(bar.name, 26))}</text>"
        )
        if bar.href:
            name = f'<a href="{_e(bar.href)}">{name}</a>'
        out.append(
            f'<g class="row status-{status_class(bar.status)}"><title>{_e(title)}</title>{name}'
        )
        if bar.status == "cached":
            out.append(
                f'<rect class="mark" x="{x - 4:.1f}" y="{y + 3}" width="8" height="10" rx="2"/>'
                f'<text class="bar-text" x="{x + 9:.1f}" y="{y + 12}">cached</text>'
            )
        else:
            width = max(CHART_WIDTH * bar.duration / total, 2.0)
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="12" '
                f'rx="2"/><text class="bar-text" x="{x + width + 5:.1f}" y="{y + 12}">'
                f"{_e(format_duration(bar.duration))}</text>"
            )
        out.append("</g>")
    out.append("</svg></div>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()
