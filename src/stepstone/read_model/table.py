"""Runs side by side: the parameters that differ between them and the numbers they logged."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from stepstone.exceptions import ColumnNotFoundError
from stepstone.metadata.records import ArtifactRecord, PipelineRunRecord, StepRunRecord
from stepstone.read_model.logged import logged_metadata
from stepstone.read_model.runs import RunView

if TYPE_CHECKING:
    from stepstone.metadata.store import MetadataStore


ColumnKind = Literal["parameter", "metric", "output"]


class RunColumn(BaseModel):
    """A column of the runs table.

    ``name`` is what ``--columns`` and ``--sort`` take: a pipeline parameter or a metric by its
    key (``lr``, ``accuracy``), or, where two steps share a key, ``step.key``; a step's numeric
    output by the step's name (``evaluator``, or ``step.output`` for one of several).
    """

    name: str
    kind: ColumnKind = Field(description="parameter, metric (logged metadata) or output.")
    numeric: bool = Field(description="Every value in it is a number (it can be charted).")


class RunRow(BaseModel):
    """One run and its value in each column (absent where the run has none)."""

    run: RunView
    values: dict[str, Any]


class RunTable(BaseModel):
    """Runs side by side: the parameters that differ between them and the numbers they logged.

    Built once here for ``stepstone runs list`` and the dashboard's pipeline page
    (:meth:`stepstone.Client.run_table`), so both show the same columns and values.
    """

    columns: list[RunColumn]
    rows: list[RunRow]

    def column(self, name: str) -> RunColumn:
        """The column called ``name``; raises ``ColumnNotFoundError`` naming the close ones."""
        for column in self.columns:
            if column.name == name:
                return column
        raise ColumnNotFoundError(name, [c.name for c in self.columns])

    def numbers(self, name: str) -> list[tuple[RunView, float]]:
        """(run, value) for every row with a number in column ``name``, in row order."""
        return [
            (row.run, float(row.values[name])) for row in self.rows if _number(row.values.get(name))
        ]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _output_number(record: ArtifactRecord) -> float | int | None:
    """The value of a stored int or float, from the summary written with it (no bytes read)."""
    summary = record.summary or {}
    if summary.get("type") not in ("int", "float") or "repr" not in summary:
        return None
    try:
        value = float(summary["repr"])
    except (TypeError, ValueError):
        return None
    return int(value) if summary["type"] == "int" else value


def _short_names(full: Iterable[tuple[str, str]], taken: set[str]) -> dict[tuple[str, str], str]:
    """(step, key) -> ``key`` where only one step has the key, else ``step.key``."""
    pairs = sorted(set(full))
    owners: dict[str, set[str]] = {}
    for step, key in pairs:
        owners.setdefault(key, set()).add(step)
    return {
        (step, key): key if len(owners[key]) == 1 and key not in taken else f"{step}.{key}"
        for step, key in pairs
    }


def run_row_values(
    metadata: MetadataStore, run: PipelineRunRecord, steps: list[StepRunRecord]
) -> tuple[dict[str, Any], dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """A run's parameters, its logged numbers by (step or "", key) and its numeric outputs."""
    logged = logged_metadata(metadata, run, steps)
    metrics: dict[tuple[str, str], Any] = {
        ("", key): value for key, value in logged.run.items() if "::" not in key and _number(value)
    }
    outputs: dict[tuple[str, str], Any] = {}
    for step in steps:
        for key, value in logged.steps.get(step.id, {}).items():
            if _number(value):
                metrics[(step.name, key)] = value
        for name, artifact in step.outputs.items():
            number = _output_number(artifact)
            if number is not None:
                outputs[(step.name, name)] = number
    return dict(run.parameters), metrics, outputs


def run_table(
    metadata: MetadataStore,
    runs: Iterable[PipelineRunRecord],
    *,
    columns: Iterable[str] | None = None,
    sort: str | None = None,
) -> RunTable:
    """The runs table of ``runs`` (read with four queries a run, plus its step runs).

    By default the columns are the parameters whose values differ between the runs, then
    every logged number, then the numeric outputs that are not a logged number again.
    ``columns`` picks (and orders) them by name.
    ``sort`` orders the rows by a column, ascending, or descending with a leading ``-``;
    rows without a value go last.

    Raises:
        ColumnNotFoundError: ``columns`` or ``sort`` names a column no run has.
    """
    records = list(runs)
    gathered = [run_row_values(metadata, r, metadata.get_step_runs(r.id)) for r in records]
    parameter_names = sorted({name for params, _, _ in gathered for name in params})
    metric_names = _short_names(
        (key for _, metrics, _ in gathered for key in metrics), set(parameter_names)
    )
    output_names = {
        (step, output): step if output == "output" else f"{step}.{output}"
        for _, _, outputs in gathered
        for step, output in outputs
    }
    rows = []
    for record, (params, metrics, outputs) in zip(records, gathered, strict=True):
        values = dict(params)
        values.update({metric_names[key]: value for key, value in metrics.items()})
        values.update({output_names[key]: value for key, value in outputs.items()})
        rows.append(RunRow(run=RunView.of(record), values=values))

    def column(name: str, kind: ColumnKind) -> RunColumn:
        present = [row.values[name] for row in rows if name in row.values]
        return RunColumn(name=name, kind=kind, numeric=bool(present) and all(map(_number, present)))

    available = [column(name, "parameter") for name in parameter_names]
    available += [column(name, "metric") for name in sorted(set(metric_names.values()))]
    available += [column(name, "output") for name in sorted(set(output_names.values()))]
    table = RunTable(columns=available, rows=rows)
    if columns is not None:
        table.columns = [table.column(name) for name in columns]
    else:
        logged_names = [c.name for c in available if c.kind == "metric"]
        table.columns = [
            c
            for c in available
            if (c.kind != "parameter" or _differs(rows, c.name))
            and not (c.kind == "output" and any(_same(rows, c.name, m) for m in logged_names))
        ]
    if sort:
        key = table.column(sort.removeprefix("-")).name
        present = [row for row in table.rows if row.values.get(key) is not None]
        present.sort(key=lambda row: _sort_key(row.values[key]), reverse=sort.startswith("-"))
        table.rows = present + [row for row in table.rows if row.values.get(key) is None]
    return table


def _differs(rows: list[RunRow], name: str) -> bool:
    """Whether the runs do not all have the same value (or all lack one) for ``name``."""
    return len({json.dumps(row.values.get(name), sort_keys=True, default=str) for row in rows}) > 1


def _same(rows: list[RunRow], name: str, other: str) -> bool:
    """Whether two columns hold the same values (a step returning the metric it logs)."""
    return all(row.values.get(name) == row.values.get(other) for row in rows)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers by value, then other values by their text."""
    return (0, value) if _number(value) else (1, str(value))
