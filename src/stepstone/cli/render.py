"""Rendering for the CLI: Rich tables for people (JSON for scripts is in ``documents``).

Two views of the same facts: :mod:`stepstone.cli.documents` builds the JSON documents
(stable keys, ISO times, full ids and hashes) and ``print_*`` here draws tables from the
same objects (local times, short ids, human sizes). The JSON half imports no Rich, so
``--json`` output starts faster.

Anything a user or a step wrote (run names, parameters, error text) is escaped before Rich
sees it: a ``[red]`` inside a parameter must print as text, not as colour.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from stepstone.cli.fit import Column, fitted_table
from stepstone.units import format_duration, format_size

if TYPE_CHECKING:
    from stepstone.config import Settings
    from stepstone.examples import Example
    from stepstone.metadata.records import StepWait
    from stepstone.models import PipelineRun, StepRun
    from stepstone.read_model.sources import SourceRun
    from stepstone.read_model.table import RunColumn

_STATUS_STYLES = {
    "completed": "green",
    "cached": "cyan",
    "running": "yellow",
    "interrupted": "dark_orange",
    "waiting": "magenta",
    "failed": "bold red",
}


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout or stderr (made per call: test runners swap them)."""
    return Console(highlight=False, stderr=stderr)


# -- formatting ------------------------------------------------------------------------------


def format_time(moment: datetime | None) -> str:
    """A stored (UTC) time in the user's local zone, to the second."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_parameters(parameters: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in parameters.items()) or "-"


def status_markup(status: str) -> str:
    style = _STATUS_STYLES.get(status, "")
    text = escape(status)
    return f"[{style}]{text}[/{style}]" if style else text


def status_text(status: str) -> Text:
    """A status, coloured, as a cell of a :func:`~stepstone.cli.fit.fitted_table`."""
    return Text(status, style=_STATUS_STYLES.get(status, ""))


def short_type(data_type: str) -> str:
    """``numpy.ndarray`` -> ``ndarray``: the module is noise in a table (JSON keeps it)."""
    return data_type.rsplit(".", 1)[-1]


# -- tables ----------------------------------------------------------------------------------


def _table_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def print_runs(
    rows: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    columns: Sequence[RunColumn],
    total: int,
    *,
    filtered: bool,
    hint: str = "",
) -> None:
    """The ``runs list`` table, or a sentence saying why there is nothing to show.

    Each row is a run's view fields (:func:`~stepstone.read_model.run_fields.run_fields`, or a
    runs table's ``RunView``) and its value per column of ``columns`` (a ``RunTable``'s): the
    table needs no view model, so listing runs does not import pydantic. After the run's own
    columns come the table's parameters and metrics, which stay while the less needed run
    columns give way to a narrow terminal.
    """
    out = console()
    if not rows:
        what = "No runs match these filters." if filtered else "No runs recorded yet."
        out.print(f"{what} {escape(hint)}".strip())
        if not filtered:
            out.print("Run a pipeline, or try 'stepstone example run caching'.")
        return
    # A run's name already starts with its pipeline and its start time, so a narrow
    # terminal drops those two columns first, then shortens the name, never wraps a row.
    # Parameters and metrics outlast every run column and the name's full length; the last
    # of them go first.
    fitted = [
        Column("name", elide=True, min_width=16),
        Column("id"),
        Column("pipeline", drop=2, elide=True),
        Column("status"),
        Column("steps", drop=4 if columns else 0, justify="right"),
        Column("started", drop=3),
        Column("duration", drop=1, justify="right"),
        *(
            Column(c.name, drop=i + 1, justify="right" if c.numeric else "left", last_resort=True)
            for i, c in enumerate(columns)
        ),
    ]
    cells: list[list[str | Text]] = [
        [
            run["name"],
            run["id"][:8],
            run["pipeline_name"],
            status_text(run["status"]),
            f"{run['step_count']} ({run['cached_count']} cached)",
            format_time(run["started_at"]),
            format_duration(run["duration"]),
            *(_table_value(values.get(c.name)) for c in columns),
        ]
        for run, values in rows
    ]
    out.print(fitted_table("Pipeline runs", fitted, cells, out.width))
    if total > len(rows):
        out.print(f"Showing the newest {len(rows)} of {total} runs; see more with --limit.")


def _source_cell(step: StepRun, sources: Mapping[str, SourceRun]) -> str:
    if not step.cached_from:
        return "-"
    source = sources.get(step.cached_from)
    if source is None or source.run_name is None:
        return f"step run {step.cached_from[:12]}"
    if source.remote is not None:
        return escape(f"{source.run_name} (from remote {source.remote})")
    return escape(source.run_name)


def _run_header(run: PipelineRun) -> Table:
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    header.add_row("Run", escape(run.name))
    header.add_row("ID", run.id)
    header.add_row("Pipeline", escape(run.pipeline_name))
    status = status_markup(run.status)
    if run.status == "interrupted":
        status += escape(
            f" (its process {run.record.pid} on {run.record.host} is gone; the run never "
            "finished: rerun the pipeline to redo only its unfinished steps)"
        )
    header.add_row("Status", status)
    header.add_row("Started", format_time(run.started_at))
    header.add_row("Duration", format_duration(run.duration))
    header.add_row("Parameters", escape(format_parameters(run.parameters)))
    config = run.config
    for label, value in (("Settings", config.settings), ("Extra", config.extra)):
        if value:
            header.add_row(label, escape(format_parameters(value)))
    if config.run_config:  # the YAML run configuration, as the file said it
        header.add_row("Run config", escape(str(config.run_config.get("path") or "(text)")))
        header.add_row("", escape(str(config.run_config.get("yaml") or "").rstrip()))
    for step in run.steps.values():
        own = step.config
        for label, value, inherited in (
            ("settings", own.settings, config.settings),
            ("extra", own.extra, config.extra),
        ):
            if value and value != inherited:
                header.add_row(f"  {step.name} {label}", escape(format_parameters(value)))
    return header


def _steps_table(
    run: PipelineRun, sources: Mapping[str, SourceRun], waits: Sequence[StepWait]
) -> Table:
    table = Table(title="Steps", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("step", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    table.add_column("cached from run", overflow="fold")
    for position, step in enumerate(run.steps.values(), start=1):
        table.add_row(
            str(position),
            escape(step.name),
            status_markup(step.status),
            # A cached step executed nothing; its recorded zero would read as "instant".
            "-" if step.status == "cached" else format_duration(step.duration),
            _source_cell(step, sources),
        )
    for wait in waits:
        holder = wait.holder
        table.add_row(
            "-",
            escape(wait.step_name),
            status_markup("waiting"),
            "-",
            "-"
            if holder is None
            else escape(f"waiting for {holder.run_name} ({holder.pid}, {holder.host})"),
        )
    return table


def _outputs_table(run: PipelineRun) -> Table | None:
    """One row per output artifact: outputs get their own table so each fits on one line."""
    rows = [(step, name, a) for step in run.steps.values() for name, a in step.outputs.items()]
    if not rows:
        return None
    table = Table(title="Outputs", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("step", overflow="fold")
    table.add_column("output", overflow="fold")
    table.add_column("type", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("hash", no_wrap=True)
    for step, name, artifact in rows:
        table.add_row(
            escape(step.name),
            escape(name),
            escape(short_type(artifact.data_type)),
            format_size(artifact.size),
            artifact.content_hash[:12],
        )
    return table


def print_run_detail(
    run: PipelineRun, sources: Mapping[str, SourceRun], waits: Sequence[StepWait] = ()
) -> None:
    """The ``runs show`` view: the run's facts, its steps, their outputs, then any errors.

    ``waits`` are the steps of a running run waiting for another run that executes the same
    cache key (listed after the recorded steps, with the run they wait for).
    """
    out = console()
    out.print(_run_header(run))
    out.print()
    out.print(_steps_table(run, sources, waits))
    outputs = _outputs_table(run)
    if outputs is not None:
        out.print(outputs)
    logged = run.run_metadata
    if logged:
        table = Table(title="Metadata", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("key", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key, value in logged.items():
            table.add_row(escape(key), escape(json.dumps(value, default=str)))
        out.print(table)
    for step in run.steps.values():
        if step.status == "failed":
            out.print(f"[bold red]Step '{escape(step.name)}' failed:[/bold red]")
            out.print(escape((step.error or "no error recorded").rstrip()))


def print_init(home: Path, settings: Settings, *, already: bool) -> None:
    """Say what ``init`` made and where runs will be stored from now on."""
    out = console()
    verb = "Already initialized" if already else "Initialized"
    out.print(f"{verb} stepstone project stores in {escape(str(home))}")
    if settings.home != home:
        out.print(
            f"[yellow]Note:[/yellow] STEPSTONE_HOME is set, so runs are stored in "
            f"{escape(str(settings.home))} until you unset it."
        )
    out.print(f"  metadata:  {escape(settings.metadata_url)}")
    out.print(f"  artifacts: {escape(settings.artifact_root)}")
    out.print("List runs with 'stepstone runs list'.")


def print_examples(examples: Iterable[Example]) -> None:
    table = Table(title="Examples", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True)
    table.add_column("description", ratio=2)
    table.add_column("path", overflow="fold", ratio=1)
    for example in examples:
        table.add_row(escape(example.name), escape(example.description), escape(str(example.path)))
    console().print(table)
    console().print(
        "Copy one with 'stepstone example pull NAME'; run it with 'stepstone example run NAME'."
    )


def print_pulled(name: str, files: list[Path], dest: Path) -> None:
    out = console()
    out.print(f"Copied example '{escape(name)}' to {escape(str(dest))}:")
    for path in files:
        out.print(f"  {escape(path.name)}")
    out.print(f"Run it with: cd {escape(str(dest))} && python run.py")
