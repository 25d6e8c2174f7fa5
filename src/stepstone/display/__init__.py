"""How runs, steps and artifacts look in a notebook: the ``_repr_html_`` of the models.

Jupyter calls ``_repr_html_`` on the value a cell ends with. :mod:`.html` draws a run as the
dashboard does (the same view data and the same DAG SVG, with cached steps marked and what
they saved), inside one block whose stylesheet is scoped to it, so nothing leaks into the
notebook page. Every value is escaped. Nothing here runs until a notebook asks for it: the
models import it when their HTML is wanted, and it needs only what the dashboard's view data
needs (pydantic, and markupsafe, which Jupyter installs).
"""
