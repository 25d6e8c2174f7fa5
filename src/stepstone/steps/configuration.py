"""Configuration of steps and runs as recorded: what ``run.config`` and ``step.config`` return.

A step or pipeline is configured in code (decorator arguments, ``configure`` in place,
``with_options`` on a copy). What a run actually used is stored with the run (in its graph
document) and read back as these value objects, so ``run.config.parameters`` and
``run.steps["trainer"].config.parameters`` work on a run just made and on one read back by
the :class:`~stepstone.client.Client` alike.

Precedence (as ZenML documents it): a step's own setting beats the pipeline's; a copy made
with ``with_options`` at run time carries its changes over both; ``settings`` and ``extra``
dictionaries are merged key by key with the same order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stepstone.exceptions import did_you_mean

DICT_OPTIONS = ("parameters", "settings", "extra")
"""Options whose values are dictionaries: ``configure(merge=True)`` merges them key by key."""


def merged(changes: Mapping[str, Any], current: Mapping[str, Any], merge: bool) -> dict[str, Any]:
    """``changes`` with each dictionary option merged over ``current``'s when ``merge``."""
    result = dict(changes)
    for key in DICT_OPTIONS:
        value = result.get(key)
        if value is None and key in result:
            result[key] = {}
        elif isinstance(value, Mapping):  # anything else is refused by the options' checks
            result[key] = layered(current.get(key) or {}, value) if merge else dict(value)
    return result


def layered(under: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged onto ``under``, one level deep: a settings key both give as a
    dictionary (``"resources"``) keeps the keys only ``under`` sets."""
    result = dict(under)
    for key, value in over.items():
        below = result.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            result[key] = {**below, **value}
        else:
            result[key] = value
    return result


def changed_options(
    options: Any, changes: Mapping[str, Any], merge: bool, unknown: Callable[[str], Exception]
) -> Any:
    """``options`` (a step's or pipeline's options dataclass) with ``changes`` applied.

    A name that is not an option raises ``unknown(message)`` with a "did you mean".
    """
    fields = [f.name for f in dataclasses.fields(options)]
    for key in changes:
        if key not in fields:
            raise unknown(
                f"unknown option '{key}'.{did_you_mean(key, fields)} Options: {', '.join(fields)}."
            )
    current = {key: getattr(options, key) for key in DICT_OPTIONS}
    return dataclasses.replace(options, **merged(changes, current, merge))


def _recorded(data: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The fields both configurations share, from what :meth:`to_json` stored."""
    return {
        "enable_cache": data.get("enable_cache"),
        "enable_step_logs": data.get("enable_step_logs"),
        "parameters": dict(parameters),
        "settings": dict(data.get("settings") or {}),
        "extra": dict(data.get("extra") or {}),
    }


@dataclass(frozen=True, slots=True)
class StepConfiguration:
    """What one step run was configured with.

    Attributes:
        name: the step's definition name.
        enable_cache: the step's own setting (``None``: it followed the pipeline's).
        enable_step_logs: whether its output was stored (``None``: the default, yes).
        parameters: parameter name -> value as recorded (long values are shortened).
        settings: free-form settings, the pipeline's merged under the step's.
        extra: free-form extra data, merged the same way.
    """

    name: str
    enable_cache: bool | None = None
    enable_step_logs: bool | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """What is stored (parameters are stored with the step run itself)."""
        return {
            "name": self.name,
            "enable_cache": self.enable_cache,
            "enable_step_logs": self.enable_step_logs,
            "settings": self.settings,
            "extra": self.extra,
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], parameters: Mapping[str, Any], name: str
    ) -> StepConfiguration:
        """Read back what :meth:`to_json` stored; a run recorded before it gives defaults."""
        return cls(name=str(data.get("name", name)), **_recorded(data, parameters))


@dataclass(frozen=True, slots=True)
class RunConfiguration:
    """What a pipeline run was configured with (``run.config``).

    Attributes:
        name: the pipeline's name.
        run_name: the run's name.
        enable_cache: the pipeline's setting (``None``: the process default).
        enable_step_logs: the pipeline's setting for every step without its own.
        parameters: the pipeline function's arguments, as recorded.
        settings: free-form settings.
        extra: free-form extra data.
        run_config: the YAML run configuration the run was made with: its ``path``, its
            text (``yaml``) and its ``model`` section; ``None`` for a run without one.
    """

    name: str
    run_name: str
    enable_cache: bool | None = None
    enable_step_logs: bool | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    run_config: dict[str, Any] | None = None

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, name: str, run_name: str, parameters: Mapping[str, Any]
    ) -> RunConfiguration:
        """Read back the run's stored configuration (see ``RunPlan.describe``)."""
        recorded = data.get("run_config")
        return cls(
            name=name,
            run_name=run_name,
            run_config=dict(recorded) if isinstance(recorded, Mapping) else None,
            **_recorded(data, parameters),
        )
