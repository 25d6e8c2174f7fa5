"""``stepstone lineage RUN -o run.html``: one run as a single self-contained HTML file.

The file holds the same view as the run page (DAG, timeline, steps) and every step's page
below it, built from the same view data with :class:`~stepstone.dashboard.views.AnchorLinks`:
a click on a node jumps to that step's section. The stylesheet is inlined, the graphs are
inline SVG, and there is no script and no link to anything outside the file, so it opens from
a disk, an e-mail or a CI artifact store with no server and no network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from stepstone.dashboard.details import all_step_details
from stepstone.dashboard.rendering import render, stylesheet
from stepstone.dashboard.views import AnchorLinks, DashboardData

if TYPE_CHECKING:
    from stepstone.client import Client


def export_run_html(client: Client, run: str) -> str:
    """The self-contained HTML document of ``run`` (an id, unique prefix, name or ``latest``)."""
    run_id = client.get_run(run).id
    data = DashboardData(client, AnchorLinks(run_id))
    detail = data.run(run_id)
    detail.live = False  # a file cannot poll; it shows the run as it was when exported
    steps = all_step_details(data, run_id)
    css = stylesheet()
    if "</" in css:  # never true for the packaged stylesheet; guards the raw <style> block
        raise ValueError("the dashboard stylesheet must not contain '</'")
    return render(
        "export.html",
        detail=detail,
        steps=steps,
        exported_at=datetime.now(UTC),
        static_export=True,
        inline_css=Markup(css),  # noqa: S704 - the package's own stylesheet, checked above
    )


def write_run_html(client: Client, run: str, output: str | Path) -> Path:
    """Write :func:`export_run_html` to ``output`` (parent folders created) and return the path."""
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_run_html(client, run), encoding="utf-8")
    return path
