"""Tables that keep one line per row at the terminal's width.

A list is read down its rows: a run name folded over three lines, or a cache entry taking
five, breaks that. So a list table is built from :class:`Column` s that say how they may give
way, and :func:`fitted_table` makes it fit the console: first it drops the columns marked
least needed (a run's name already holds its pipeline and start time), then it shortens the
long names by cutting out their middle (``numbers_pip…23_45_58_618362``: a run name's start
says the pipeline, its end tells runs apart), then drops the ``last_resort`` columns (a
run's metrics) that still do not fit, and never wraps a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.table import Table
from rich.text import Text

ELLIPSIS = "…"

_COLUMN_OVERHEAD = 3
"""Cells each column adds besides its content: a space of padding on either side, and the
separator (a space in ``SIMPLE_HEAD``) between it and the next column or the edge."""

_TABLE_OVERHEAD = 1
"""Cells a ``SIMPLE_HEAD`` table adds besides its columns: the left edge."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a list table and how it gives way to a narrow terminal.

    Attributes:
        header: the column's heading.
        drop: ``0`` keeps the column at any width; otherwise columns are dropped, highest
            ``drop`` first, while the table is too wide.
        elide: the column may be shortened, down to ``min_width``, by cutting out the
            middle of its long cells.
    """

    header: str
    drop: int = 0
    elide: bool = False
    min_width: int = 12
    justify: Literal["left", "right"] = "left"
    last_resort: bool = False
    """Dropped only when shortening the elidable columns is not enough (a metric column)."""


def elide_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: its start and end, joined by an ellipsis."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}{ELLIPSIS}{text[len(text) - tail :]}"


def fitted_table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[str | Text]], width: int
) -> Table:
    """A table of ``rows`` (plain strings, or :class:`~rich.text.Text` for styled cells)
    that fits ``width`` cells with one line per row (see the module docstring)."""
    cells = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    widths = [
        max([len(column.header), *(row[index].cell_len for row in cells)])
        for index, column in enumerate(columns)
    ]
    kept = list(range(len(columns)))

    def total() -> int:
        return _TABLE_OVERHEAD + sum(widths[i] + _COLUMN_OVERHEAD for i in kept)

    for index in sorted(
        (i for i, column in enumerate(columns) if column.drop and not column.last_resort),
        key=lambda i: -columns[i].drop,
    ):
        if total() <= width:
            break
        kept.remove(index)
    # Shorten the widest elidable column a cell at a time, so two long names share the cut.
    while total() > width:
        shrinkable = [
            i for i in kept if columns[i].elide and widths[i] > max(columns[i].min_width, 1)
        ]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    for index in sorted(
        (i for i, column in enumerate(columns) if column.last_resort),
        key=lambda i: -columns[i].drop,
    ):
        if total() <= width:
            break
        kept.remove(index)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for index in kept:
        column = columns[index]
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=True,
            overflow="ellipsis",
            max_width=widths[index] if column.elide else None,
        )
    for row in cells:
        table.add_row(*(_fit_cell(row[i], widths[i], columns[i].elide) for i in kept))
    return table


def _fit_cell(cell: Text, width: int, elide: bool) -> Text:
    if not elide or cell.cell_len <= width:
        return cell
    return Text(elide_middle(cell.plain, width), style=cell.style)
