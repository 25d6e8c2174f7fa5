"""A pipeline's page: its runs side by side (the read model's run table) and charted.

The table is :meth:`stepstone.Client.run_table`, the one ``stepstone runs list --pipeline``
prints, with each row's page added. The chart shows one numeric column against the runs in
the order they ran, or against a parameter; the parallel-coordinates view shows every
numeric column at once. :mod:`stepstone.dashboard.charts` draws both.
"""

from __future__ import annotations

from stepstone.dashboard.schemas import (
    ChartPoint,
    ParallelAxis,
    ParallelLine,
    PipelineDetail,
    PipelineRunRow,
)
from stepstone.dashboard.views import DashboardData
from stepstone.exceptions import PipelineNotFoundError
from stepstone.read_model.table import RunTable

RUN_AXIS = "run"
"""``against`` for a chart over the runs in the order they ran."""


def _label(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _points(data: DashboardData, table: RunTable, metric: str, against: str) -> list[ChartPoint]:
    oldest_first = list(reversed(table.rows))
    points = []
    for index, row in enumerate(oldest_first, start=1):
        y = row.values.get(metric)
        if not isinstance(y, int | float) or isinstance(y, bool):
            continue
        if against == RUN_AXIS:
            x: object = index
        elif against in row.values and row.values[against] is not None:
            x = row.values[against]
        else:
            continue
        numeric = isinstance(x, int | float) and not isinstance(x, bool)
        points.append(
            ChartPoint(
                run_id=row.run.id,
                run_name=row.run.name,
                href=data.links.run(row.run.id) or "",
                x=float(x) if numeric else None,  # type: ignore[arg-type]
                x_label=_label(x),
                y=float(y),
            )
        )
    if any(p.x is None for p in points):  # a parameter with a text value: every x a slot
        points = [p.model_copy(update={"x": None}) for p in points]
    return points


def _parallel(
    data: DashboardData, table: RunTable, names: list[str]
) -> tuple[list[ParallelAxis], list[ParallelLine]]:
    axes = []
    for name in names:
        numbers = [v for _, v in table.numbers(name)]
        axes.append(ParallelAxis(name=name, low=min(numbers), high=max(numbers)))
    lines = []
    for row in table.rows:
        values: list[float | None] = []
        for name in names:
            value = row.values.get(name)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            values.append(float(value) if numeric and value is not None else None)
        lines.append(
            ParallelLine(
                run_id=row.run.id,
                run_name=row.run.name,
                href=data.links.run(row.run.id) or "",
                values=values,
            )
        )
    return axes, lines


def pipeline_detail(
    data: DashboardData,
    name: str,
    *,
    metric: str | None = None,
    against: str = RUN_AXIS,
    limit: int = 200,
) -> PipelineDetail:
    """The newest ``limit`` runs of ``name``, ``metric`` charted against ``against``.

    Raises:
        PipelineNotFoundError: no run of that pipeline is recorded.
        ColumnNotFoundError: ``metric`` or ``against`` names no column of these runs.
    """
    client = data.client
    table = client.run_table(name, limit=limit)
    if not table.rows:
        raise PipelineNotFoundError(name, client.pipeline_names())
    numeric = [c.name for c in table.columns if c.numeric]
    charted = [c.name for c in table.columns if c.numeric and c.kind != "parameter"]
    parameters = [c.name for c in table.columns if c.kind == "parameter"]
    if metric is not None:
        metric = table.column(metric).name
    elif charted or numeric:
        metric = (charted or numeric)[0]
    if against != RUN_AXIS:
        against = table.column(against).name
    axes, lines = _parallel(data, table, numeric)
    return PipelineDetail(
        pipeline=name,
        total=client.count_runs(name),
        columns=table.columns,
        rows=[
            PipelineRunRow(**row.model_dump(), href=data.links.run(row.run.id) or "")
            for row in table.rows
        ],
        metric=metric,
        against=against,
        metrics=numeric,
        parameters=parameters,
        points=_points(data, table, metric, against) if metric else [],
        axes=axes,
        lines=lines,
    )
