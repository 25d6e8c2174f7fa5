"""The JSON documents of ``--json``: the read model's view models, dumped as JSON.

Every listing and detail command takes ``--json``; its output is printed by
:func:`print_json`, so scripts get stable keys, full ids and hashes, ISO 8601 times and
sizes in bytes, whatever the terminal. Runs, steps, comparisons, explanations, artifacts
with their lineage and cache entries are the view models of :mod:`stepstone.read_model`,
the same the dashboard's ``/api/v1`` serves; other records (deletions, garbage reports) are
dumped field by field from their dataclasses.
Nothing here imports Rich: ``stepstone runs list --json`` in a script loop should not pay
for drawing tables it never draws.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from stepstone.config import SettingValue


def print_json(data: Any) -> None:
    """Plain JSON on stdout: no colour, no wrapping, so ``jq`` and ``json.loads`` read it.

    View models and record dataclasses anywhere in ``data`` are dumped as JSON documents.
    """
    typer.echo(json.dumps(data, indent=2, default=jsonable))


def jsonable(value: Any) -> Any:
    """A view model or a record dataclass as JSON-ready data (times in ISO 8601)."""
    from pydantic import BaseModel, TypeAdapter

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return TypeAdapter(type(value)).dump_python(value, mode="json")
    return str(value)


def settings_to_dict(
    home: str, source: str, config_file: str, values: Sequence[SettingValue]
) -> dict[str, Any]:
    return {
        "home": home,
        "home_source": source,
        "config_file": config_file,
        "settings": {
            value.key: {"value": value.value, "source": value.source, "env": value.variable}
            for value in values
        },
    }
