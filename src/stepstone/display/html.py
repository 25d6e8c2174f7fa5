"""HTML for a run, a step run and an artifact in a notebook cell's output.

A run shows its header (status, duration, steps cached, time saved), its parameters, the DAG
(the dashboard's :func:`~stepstone.dashboard.svg.dag_svg`, cached steps marked with the run
they reused) and a table of its steps. The view data is the dashboard's
(:class:`~stepstone.dashboard.views.DashboardData`) with no links, since a notebook has no
pages to link to. Every value goes through :func:`html.escape`; statuses become CSS classes
only through :func:`~stepstone.dashboard.formatting.status_class`. The stylesheet is scoped
to ``.stepstone-display`` and holds no ``</``, so it styles nothing else on the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from stepstone.dashboard.formatting import status_class
from stepstone.dashboard.svg import dag_svg
from stepstone.dashboard.views import DashboardData, Links
from stepstone.units import format_duration, format_size

if TYPE_CHECKING:
    from stepstone.models import Artifact, PipelineRun, StepRun

_CSS = """
.stepstone-display { font-family: system-ui, sans-serif; font-size: 13px; color: #1f2328; }
.stepstone-display h4 { margin: 0 0 6px; font-size: 14px; }
.stepstone-display table { border-collapse: collapse; margin: 6px 0; }
.stepstone-display th, .stepstone-display td { padding: 2px 10px 2px 0; text-align: left;
  vertical-align: top; }
.stepstone-display th { color: #57606a; font-weight: 600; }
.stepstone-display .badge { padding: 0 6px; border-radius: 8px; font-size: 12px; }
.stepstone-display .summary { color: #57606a; margin: 2px 0 6px; }
.stepstone-display .status-completed { color: #1a7f37; background: #dafbe1; }
.stepstone-display .status-cached { color: #0550ae; background: #ddf4ff; }
.stepstone-display .status-failed { color: #cf222e; background: #ffebe9; }
.stepstone-display .status-running { color: #9a6700; background: #fff8c5; }
.stepstone-display .status-interrupted, .stepstone-display .status-pending,
.stepstone-display .status-skipped, .stepstone-display .status-unknown {
  color: #57606a; background: #f6f8fa; }
.stepstone-display svg.dag { display: block; font-size: 12px; }
.stepstone-display .graph-scroll { overflow-x: auto; max-width: 100%; }
.stepstone-display svg.dag .edge path { fill: none; stroke: #8c959f; stroke-width: 1.4; }
.stepstone-display svg.dag .arrow-head { fill: #8c959f; }
.stepstone-display svg.dag .edge-label { fill: #57606a; font-size: 11px; }
.stepstone-display svg.dag rect.box { fill: #f6f8fa; stroke: #8c959f; stroke-width: 1.5; }
.stepstone-display svg.dag rect.stripe { fill: #8c959f; }
.stepstone-display svg.dag .node-label { font-weight: 600; font-size: 13px; fill: #1f2328; }
.stepstone-display svg.dag .node-detail { fill: #57606a; font-size: 11.5px; }
.stepstone-display svg.dag .node-source { fill: #0550ae; font-size: 11.5px; }
.stepstone-display svg.dag .status-completed rect.box { fill: #dafbe1; stroke: #1a7f37; }
.stepstone-display svg.dag .status-completed rect.stripe { fill: #1a7f37; }
.stepstone-display svg.dag .status-cached rect.box { fill: #ddf4ff; stroke: #0550ae; }
.stepstone-display svg.dag .status-cached rect.stripe { fill: #0550ae; }
.stepstone-display svg.dag .status-failed rect.box { fill: #ffebe9; stroke: #cf222e; }
.stepstone-display svg.dag .status-failed rect.stripe { fill: #cf222e; }
.stepstone-display svg.dag .status-running rect.box { fill: #fff8c5; stroke: #9a6700; }
"""


class _NoLinks(Links):
    """A notebook has no dashboard pages: every link is left out."""

    def run(self, run_id: str) -> str | None:
        return None

    def step(self, run_id: str, name: str) -> str | None:
        return None

    def step_run(self, step_run_id: str) -> str | None:
        return None

    def artifact(self, artifact_id: str) -> str | None:
        return None


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(status: object) -> str:
    return f'<span class="badge status-{status_class(str(status))}">{_e(status)}</span>'


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _e(text if len(text) <= 80 else text[:77] + "...")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table of cells that are already escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(values: Mapping[str, Any]) -> str:
    rows = [(f"<code>{_e(k)}</code>", _value(v)) for k, v in values.items()]
    return _table(("name", "value"), rows) if rows else ""


def _block(kind: str, body: str) -> str:
    return f'<div class="stepstone-display stepstone-{_e(kind)}"><style>{_CSS}</style>{body}</div>'


def run_html(run: PipelineRun) -> str:
    """A run: header, parameters, DAG with cached steps marked, and its steps."""
    from stepstone.client import Client

    data = DashboardData(Client(settings=run._stores.settings), _NoLinks())
    detail = data.run(run.id)
    overview = detail.run
    summary = (
        f"{overview.step_count} steps: {overview.ran_count} ran, "
        f"{overview.cached_count} cached · {_e(format_duration(overview.duration))}"
    )
    if detail.time_saved:
        summary += f" · the cache saved {_e(format_duration(detail.time_saved))}"
    rows = []
    for step in detail.steps:
        source = step.cached_from
        reused = f"from run {_e(source.run_name)}" if source and source.run_name else ""
        saved = format_duration(source.duration) if source and source.duration else ""
        rows.append(
            (
                f"<code>{_e(step.name)}</code>",
                _badge(step.status),
                _e(format_duration(step.duration)) if step.status != "cached" else "",
                reused,
                _e(saved),
            )
        )
    parameters = ", ".join(
        f"<code>{_e(k)}</code> = {_value(v)}" for k, v in overview.parameters.items()
    )
    body = (
        f"<h4>{_e(overview.pipeline_name)} · <code>{_e(overview.name)}</code> "
        f"{_badge(overview.status)}</h4>"
        f'<div class="summary">{summary}</div>'
        + (f'<div class="parameters">parameters: {parameters}</div>' if parameters else "")
        # str(): a Markup on the right of ``+`` would escape everything before it.
        + str(dag_svg(detail.graph, f"steps of run {overview.name}", prefix=f"dag-{overview.id}"))
        + _table(("step", "status", "took", "reused", "saved"), rows)
    )
    return _block("run", body)


def step_html(step: StepRun) -> str:
    """A step run: status, timing, where a cached one came from, parameters, outputs."""
    rows = [("status", _badge(step.status)), ("took", _e(format_duration(step.duration)))]
    if step.cached_from:
        rows.append(("reused", f"step run <code>{_e(step.cached_from)}</code>"))
    if step.error:
        rows.append(("error", f"<pre>{_e(step.error)}</pre>"))
    outputs = [
        (f"<code>{_e(name)}</code>", _e(a.record.data_type), _e(format_size(a.record.size)))
        for name, a in step.outputs.items()
    ]
    body = (
        f"<h4>step <code>{_e(step.name)}</code> ({_e(step.definition_name)})</h4>"
        + _table(("", ""), rows)
        + _pairs(step.parameters)
        + (_table(("output", "type", "size"), outputs) if outputs else "")
    )
    return _block("step", body)


def artifact_html(artifact: Artifact) -> str:
    """An artifact: its type, size, materializer and content hash (its bytes stay unread)."""
    record = artifact.record
    rows = [
        ("type", f"<code>{_e(record.data_type)}</code>"),
        ("size", _e(format_size(record.size))),
        ("materializer", _e(record.materializer)),
        ("content hash", f"<code>{_e(record.content_hash[:16])}</code>"),
    ]
    body = f"<h4>artifact <code>{_e(artifact.name)}</code></h4>" + _table(("", ""), rows)
    return _block("artifact", body)
