"""Charts of a pipeline's runs as server-written SVG: a metric per run, and all columns at once.

:func:`metric_chart` draws one metric against the runs in the order they ran (a line through
the points) or against a parameter (a scatter: numbers on a linear axis, other values one
slot each). :func:`parallel_chart` draws every numeric column as a vertical axis and each
run as a line across them, so the configurations that gave the best result stand out. No
script and no library: the page stays usable offline and under the dashboard's strict CSP.
Every value goes through :func:`html.escape`; each mark has a ``<title>`` (its run and
values) and links to its run's page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

from stepstone.dashboard.schemas import ChartPoint, ParallelAxis, ParallelLine

WIDTH, HEIGHT = 640.0, 300.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 20.0, 16.0, 44.0


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.4g}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from at or below ``low`` to at or above ``high`` (1, 2 or 5 times a
    power of ten apart), so the axis ends on a labelled value."""
    if not math.isfinite(low) or not math.isfinite(high):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(index * step, 12) for index in range(first, last + 1)]


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = high - low
    if span == 0:
        return lambda value: (start + end) / 2
    return lambda value: start + (value - low) / span * (end - start)


def metric_chart(points: Sequence[ChartPoint], *, x_label: str, y_label: str) -> Markup:
    """``y_label`` against ``x_label``: a line over runs, or a scatter over a parameter."""
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    out = [
        f'<svg class="chart metric-chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH:g}" '
        f'height="{HEIGHT:g}" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" role="img" '
        f'aria-label="{_e(y_label)} against {_e(x_label)}">'
    ]
    if not points:
        out.append(
            f'<text class="empty-chart" x="{WIDTH / 2:g}" y="{HEIGHT / 2:g}" '
            f'text-anchor="middle">no run has a number for {_e(y_label)}</text></svg>'
        )
        return Markup("".join(out))  # noqa: S704 - escaped above
    ys = [p.y for p in points]
    y_ticks = nice_ticks(min(ys), max(ys))
    y_low, y_high = min([*ys, *y_ticks]), max([*ys, *y_ticks])
    y_of = _scale(y_low, y_high, plot_bottom, TOP)
    numeric_x = all(p.x is not None for p in points)
    if numeric_x:
        xs = [float(p.x) for p in points if p.x is not None]
        x_ticks = nice_ticks(min(xs), max(xs))
        x_low, x_high = min([*xs, *x_ticks]), max([*xs, *x_ticks])
        x_of = _scale(x_low, x_high, LEFT + 12, plot_right - 12)
        x_marks = [(x_of(t), _number(t)) for t in x_ticks]
        placed = [(x_of(float(p.x)), p) for p in points if p.x is not None]
    else:
        slots = list(dict.fromkeys(p.x_label for p in points))
        x_of = _scale(0, max(len(slots) - 1, 1), LEFT + 24, plot_right - 24)
        x_marks = [(x_of(i), label) for i, label in enumerate(slots)]
        placed = [(x_of(slots.index(p.x_label)), p) for p in points]
    out.append('<g class="axis y-axis">')
    for tick in y_ticks:
        y = y_of(tick)
        out.append(
            f'<line class="grid" x1="{LEFT:g}" y1="{y:.1f}" x2="{plot_right:g}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6:g}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_e(_number(tick))}</text>"
        )
    out.append(
        f'<text class="axis-label" x="14" y="{(TOP + plot_bottom) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(TOP + plot_bottom) / 2:.1f})">{_e(y_label)}</text></g>'
        '<g class="axis x-axis">'
        f'<line class="baseline" x1="{LEFT:g}" y1="{plot_bottom:g}" x2="{plot_right:g}" '
        f'y2="{plot_bottom:g}"/>'
    )
    for x, label in x_marks[:30]:
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{plot_bottom + 16:g}" text-anchor="middle">'
            f"{_e(label[:14])}</text>"
        )
    out.append(
        f'<text class="axis-label" x="{(LEFT + plot_right) / 2:.1f}" y="{HEIGHT - 6:g}" '
        f'text-anchor="middle">{_e(x_label)}</text></g>'
    )
    if x_label == "run":  # runs in the order they ran: join them
        path = " ".join(f"{x:.1f},{y_of(p.y):.1f}" for x, p in placed)
        out.append(f'<polyline class="series" points="{path}"/>')
    out.append('<g class="points">')
    for x, point in placed:
        title = f"{point.run_name}: {y_label} = {_number(point.y)}, {x_label} = {point.x_label}"
        out.append(
            f'<a href="{_e(point.href)}"><circle class="point" data-run="{_e(point.run_id)}" '
            f'cx="{x:.1f}" cy="{y_of(point.y):.1f}" r="5"><title>{_e(title)}</title></circle></a>'
        )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()


def parallel_chart(axes: Sequence[ParallelAxis], lines: Sequence[ParallelLine]) -> Markup:
    """Every numeric column as an axis, every run as a line through its values."""
    width = max(WIDTH, LEFT + RIGHT + 120.0 * max(len(axes) - 1, 1))
    plot_bottom = HEIGHT - BOTTOM
    out = [
        f'<svg class="chart parallel-chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width:g}" height="{HEIGHT:g}" viewBox="0 0 {width:g} {HEIGHT:g}" role="img" '
        'aria-label="runs across every numeric column">'
    ]
    if len(axes) < 2 or not lines:
        out.append(
            f'<text class="empty-chart" x="{width / 2:g}" y="{HEIGHT / 2:g}" '
            'text-anchor="middle">two numeric columns are needed</text></svg>'
        )
        return Markup("".join(out))  # noqa: S704 - no user value
    x_of = _scale(0, len(axes) - 1, LEFT, width - RIGHT - 40)
    scales = [_scale(a.low, a.high, plot_bottom, TOP + 8) for a in axes]
    out.append('<g class="runs">')
    for line in lines:
        points = [
            f"{x_of(i):.1f},{scales[i](value):.1f}"
            for i, value in enumerate(line.values)
            if value is not None
        ]
        title = f"{line.run_name}: " + ", ".join(
            f"{a.name} = {_number(v)}"
            for a, v in zip(axes, line.values, strict=True)
            if v is not None
        )
        out.append(
            f'<a href="{_e(line.href)}"><polyline class="run-line" data-run="{_e(line.run_id)}" '
            f'points="{" ".join(points)}"><title>{_e(title)}</title></polyline></a>'
        )
    out.append('</g><g class="axes">')
    for i, axis in enumerate(axes):
        x = x_of(i)
        out.append(
            f'<g class="axis"><line class="baseline" x1="{x:.1f}" y1="{TOP + 8:g}" x2="{x:.1f}" '
            f'y2="{plot_bottom:g}"/><text class="axis-label" x="{x:.1f}" y="{TOP:g}" '
            f'text-anchor="middle">{_e(axis.name)}</text>'
            f'<text class="tick" x="{x + 4:.1f}" y="{TOP + 18:g}">{_e(_number(axis.high))}</text>'
            f'<text class="tick" x="{x + 4:.1f}" y="{plot_bottom:g}">{_e(_number(axis.low))}'
            "</text></g>"
        )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - every value above went through escape()
