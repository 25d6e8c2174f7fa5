"""Small text formats shared by the templates (as Jinja filters) and the graph labels.

None of these mark anything safe: every result is plain text that Jinja's autoescape escapes
wherever it lands, in HTML or in SVG.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from stepstone.units import format_duration, format_size

KNOWN_STATUSES = frozenset(
    {
        "completed",
        "cached",
        "failed",
        "running",
        "waiting",
        "interrupted",
        "pending",
        "skipped",
        "artifact",
    }
)


def status_class(status: str | None) -> str:
    """A CSS class for a status; anything unexpected maps to ``unknown`` (no class injection)."""
    return status if status in KNOWN_STATUSES else "unknown"


def format_time(moment: datetime | None) -> str:
    """A stored time in UTC, to the second (the server cannot know the reader's zone)."""
    if moment is None:
        return "-"
    return moment.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def show_value(value: Any) -> str:
    """A parameter or summary value as JSON text (strings quoted, so types stay visible)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def short_run_name(run_name: str | None, pipeline_name: str | None = None) -> str:
    """A run name without its pipeline prefix: ``2026_01_02-10_11_12_123456`` is what differs."""
    if not run_name:
        return "?"
    if pipeline_name and run_name.startswith(pipeline_name + "-"):
        return run_name[len(pipeline_name) + 1 :]
    return run_name


_GENERATED = re.compile(r"(\d{4})_(\d\d)_(\d\d)-(\d\d)_(\d\d)_(\d\d)_\d+")


def run_moment(run_name: str | None, pipeline_name: str | None = None) -> str:
    """A generated run name as its start time (``2026-01-02 10:11:12``), others shortened."""
    short = short_run_name(run_name, pipeline_name)
    match = _GENERATED.fullmatch(short)
    if match is None:
        return short
    year, month, day, hour, minute, second = match.groups()
    return f"{year}-{month}-{day} {hour}:{minute}:{second}"


def short_type(data_type: str) -> str:
    """``numpy.ndarray`` -> ``ndarray``."""
    return data_type.rsplit(".", 1)[-1]


FILTERS = {
    "duration": format_duration,
    "size": format_size,
    "time": format_time,
    "show": show_value,
    "truncate_text": truncate,
    "short_run": short_run_name,
    "short_type": short_type,
    "status_class": status_class,
}
"""The Jinja filters of every dashboard template."""
