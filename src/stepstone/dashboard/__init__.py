"""The read-only dashboard: runs, their DAGs, cache decisions and artifact lineage in a browser.

``create_app(client)`` builds the FastAPI app (pages and the JSON API under ``/api/v1``);
``stepstone dashboard`` serves it with uvicorn and ``stepstone lineage RUN -o run.html``
writes one run as a self-contained file. Layout of the package:

* :mod:`.views`, :mod:`.details` and :mod:`.lineage` compute the view data (the models of
  :mod:`.schemas`) that both the JSON API and the templates use;
* :mod:`.graphs` and :mod:`.layout` turn a run or a lineage into a laid-out graph, and
  :mod:`.svg` writes it (and the timeline) as escaped SVG;
* :mod:`.app` the routes, :mod:`.security` the token and headers, :mod:`.rendering` the
  Jinja environment (autoescaping everything), :mod:`.export` the static file.

Needs the ``dashboard`` extra: ``pip install 'stepstone[dashboard]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stepstone.dashboard.app import create_app
    from stepstone.dashboard.export import export_run_html, write_run_html

__all__ = ["create_app", "export_run_html", "write_run_html"]


def __getattr__(name: str) -> Any:
    # FastAPI and Jinja load only when the dashboard is used, not on `import stepstone.dashboard`.
    if name == "create_app":
        from stepstone.dashboard.app import create_app

        return create_app
    if name in ("export_run_html", "write_run_html"):
        from stepstone.dashboard import export

        return getattr(export, name)
    raise AttributeError(f"module 'stepstone.dashboard' has no attribute {name!r}")
