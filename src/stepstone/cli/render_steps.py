"""Rendering of what happened to steps: ``runs compare``, ``explain`` and ``logs``.

Same rule as :mod:`stepstone.cli.render`: JSON documents carry full ids and raw values,
tables carry short ids and sentences, and anything a user or a step wrote is escaped
before Rich sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.markup import escape
from rich.table import Table

from stepstone.cli.render import console, status_markup

if TYPE_CHECKING:
    from stepstone.cache.explain import Explanation
    from stepstone.read_model.comparison import RunComparison, StepComparison

_VERDICT_STYLES = {
    "same": "green",
    "cached": "cyan",
    "re-ran": "yellow",
    "added": "magenta",
    "removed": "magenta",
}


def _verdict_markup(verdict: str) -> str:
    style = _VERDICT_STYLES.get(verdict, "")
    return f"[{style}]{verdict}[/{style}]" if style else verdict


def _why(step: StepComparison) -> str:
    if step.verdict == "same":
        return "nothing it depends on changed"
    if step.verdict == "added":
        return "only in the second run"
    if step.verdict == "removed":
        return "only in the first run"
    lines = [reason.message for reason in step.reasons]
    if step.verdict == "cached" and step.source and step.source.run_name:
        lines.append(f"reused from run {step.source.run_name}")
    if step.verdict == "re-ran" and not step.outputs_changed:
        lines.append("outputs identical to the first run's")
    return "\n".join(lines) or "-"


def print_comparison(comparison: RunComparison) -> None:
    """Both runs, one row per step with its verdict and the reasons, then the counts."""
    a, b = comparison.a, comparison.b
    out = console()
    out.print(f"[bold]A[/bold]  {escape(a.name)}  ({a.id[:8]}, {status_markup(a.status)})")
    out.print(f"[bold]B[/bold]  {escape(b.name)}  ({b.id[:8]}, {status_markup(b.status)})")
    if a.pipeline_name != b.pipeline_name:
        out.print(
            f"[yellow]Note:[/yellow] different pipelines ({escape(a.pipeline_name)}, "
            f"{escape(b.pipeline_name)}); steps are matched by name."
        )
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("step", overflow="fold")
    table.add_column("A", no_wrap=True)
    table.add_column("B", no_wrap=True)
    table.add_column("in B", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=1)
    for step in comparison.steps:
        table.add_row(
            escape(step.name),
            status_markup(step.status_a) if step.status_a else "-",
            status_markup(step.status_b) if step.status_b else "-",
            _verdict_markup(step.verdict),
            escape(_why(step)),
        )
    out.print(table)
    counts = comparison.summary
    out.print(", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n) or "No steps.")


def print_explanation(explanation: Explanation) -> None:
    out = console()
    lines = str(explanation).splitlines()
    out.print(f"[bold]{escape(lines[0])}[/bold]")
    for line in lines[1:]:
        out.print(escape(line))


def print_logs_header(step_name: str, run_name: str, source_run: str | None, cached: bool) -> None:
    """Say whose logs follow: a cached step's logs are those of the run that executed it.

    Printed on stderr, so that ``stepstone logs RUN STEP > file`` stores only the logs.
    """
    err = console(stderr=True)
    if cached:
        origin = f"run {escape(source_run)}" if source_run else "an earlier run (since deleted)"
        err.print(
            f"[cyan]Step '{escape(step_name)}' was cached in run {escape(run_name)}; "
            f"these are the logs of {origin}, which executed it.[/cyan]"
        )
