"""The JSON documents of ``--json``: the read model's view models, dumped as JSON.

Every listing and detail command takes ``--json``; its output is printed by
:func:`print_json`, so scripts get stable keys, full ids and hashes, ISO 8601 times and
sizes in bytes, whatever the terminal. Runs, steps, comparisons, explanations, artifacts
with their lineage, cache entries, a step's logs, the settings and what a deletion or ``gc``
removed are the view models of :mod:`stepstone.read_model`, the ones the dashboard's
``/api/v1`` serves where it shows the same thing.
Nothing here imports Rich: ``stepstone runs list --json`` in a script loop should not pay
for drawing tables it never draws.
"""

from __future__ import annotations

import json
from typing import Any

import typer


def print_json(data: Any) -> None:
    """Plain JSON on stdout: no colour, no wrapping, so ``jq`` and ``json.loads`` read it.

    View models anywhere in ``data`` are dumped as JSON documents.
    """
    typer.echo(json.dumps(data, indent=2, default=jsonable))


def jsonable(value: Any) -> Any:
    """A view model as JSON-ready data (times in ISO 8601); anything else as its text."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)
