"""The one Jinja environment of the dashboard and the static export.

Autoescaping is on for every template, whatever its name: step names, parameters, logs and
summaries are user data and reach HTML, SVG text and attributes only escaped. Nothing in the
templates uses ``|safe``. Markup comes in already built from two places only: the SVG of
:mod:`.svg` (which escapes every value itself) and the export's CSS, read from the package's
own stylesheet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from stepstone.dashboard.charts import metric_chart, parallel_chart
from stepstone.dashboard.formatting import FILTERS
from stepstone.dashboard.svg import dag_svg, timeline_svg

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment (templates compile once per process)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(
        dag_svg=dag_svg,
        timeline_svg=timeline_svg,
        metric_chart=metric_chart,
        parallel_chart=parallel_chart,
    )
    return env


def render(template: str, **context: Any) -> str:
    """Render a template to text; ``static_export`` and ``inline_css`` default off."""
    context.setdefault("static_export", False)
    context.setdefault("inline_css", None)
    context.setdefault("request", None)
    return environment().get_template(template).render(**context)


def render_page(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the running dashboard (FastAPI is imported here: the static export, which
    shares this module, needs only Jinja2)."""
    from fastapi.responses import HTMLResponse

    return HTMLResponse(render(template, **context), status_code=status_code)


def stylesheet() -> str:
    """The dashboard's CSS, for inlining into a self-contained file."""
    return (STATIC_DIR / "style.css").read_text(encoding="utf-8")
