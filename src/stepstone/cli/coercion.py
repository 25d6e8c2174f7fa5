"""Typer parameter conversion without pydantic: ~150 ms off every ``stepstone`` command.

Typer (0.2x) converts every command-line value through a pydantic ``TypeAdapter``. Importing
pydantic and building the adapters costs more than the whole rest of ``stepstone runs list``
(measured with ``python -X importtime``; see ``benchmarks/cli_startup.py``), and the start-up
budget is 0.5 s. The parameters stepstone's commands declare are plain — ``str``, ``int``
with a minimum, ``bool``, enums, paths, lists of those — so :func:`install` replaces Typer's
factory of converters with one that handles exactly those kinds with a few lines of Python
and hands anything else back to Typer's own (pydantic) converter.

The conversions reuse Typer's own choice and path checks, so messages stay Typer's; numbers
use Click's wording. This leans on Typer internals (``typer.core.build_runtime_param``,
``typer._coercion.RuntimeParam``): if a Typer release moves them, :func:`install` does
nothing and the CLI is merely slower. ``tests/cli`` checks the behaviour either way, and
that a plain command no longer imports pydantic.

The ``-p NAME=VALUE`` values of ``stepstone run`` are another matter: their types are the
user's annotations, so :func:`stepstone.cli.loading.convert` hands them to pydantic, imported
only then. That does not make this module redundant: without it, ``stepstone version`` costs
~90 ms more CPU (``benchmarks/cli_startup.py``), every command building Typer's adapters.
"""

from __future__ import annotations

import enum
import typing
from pathlib import Path
from typing import Any

from stepstone.config import parse_bool
from stepstone.exceptions import InvalidBooleanError

_SCALARS = (str, int, float, bool)


def _plain(annotation: Any, info: Any) -> bool:
    """Whether ``annotation`` is a kind this module converts (else Typer does)."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return False
    if typing.get_origin(annotation) is list:
        args = typing.get_args(annotation)
        return len(args) == 1 and typing.get_origin(args[0]) is None and _plain(args[0], info)
    if annotation in _SCALARS:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    return (
        isinstance(annotation, type)
        and issubclass(annotation, Path)
        and getattr(info, "path_type", None) is None
    )


def _number(annotation: type, value: Any, info: Any, bad: Any) -> Any:
    if not isinstance(value, annotation) or isinstance(value, bool):
        try:
            value = annotation(str(value).strip())
        except ValueError:
            kind = "integer" if annotation is int else "float"
            raise bad(f"{value!r} is not a valid {kind}.") from None
    low, high = info.min, info.max
    if getattr(info, "clamp", False):
        if low is not None and value < low:
            return annotation(low)
        if high is not None and value > high:
            return annotation(high)
        return value
    if (low is not None and value < low) or (high is not None and value > high):
        limits = [f"x>={low}" if low is not None else "", f"x<={high}" if high is not None else ""]
        bounds = " and ".join(limit for limit in limits if limit)
        raise bad(f"{value} is not in the range {bounds}.")
    return value


def _convert(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    from typer._click.exceptions import BadParameter
    from typer._param_types import coerce_cli_choice, coerce_cli_path

    def bad(message: str) -> Exception:
        return BadParameter(message, ctx=ctx, param=param)

    if annotation is str:
        return value if isinstance(value, str) else str(value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        try:
            return parse_bool(value)
        except InvalidBooleanError as exc:
            raise bad(str(exc)) from None
    if annotation in (int, float):
        return _number(annotation, value, info, bad)
    if issubclass(annotation, enum.Enum):
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError as exc:
            raise bad(str(exc)) from None
    path = annotation(value) if isinstance(value, str) else value
    return coerce_cli_path(path, info, path_type=annotation, param=param, ctx=ctx)


def install() -> bool:
    """Route Typer's conversion of plain parameters through :func:`_convert`.

    Returns whether it could (``False`` with a Typer whose internals differ: nothing changes).
    Installing twice is harmless.
    """
    try:
        from typer import core
        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - a Typer without these internals
        return False
    original = getattr(core, "build_runtime_param", None)
    if original is None:  # pragma: no cover
        return False
    if getattr(original, "_stepstone_plain", False):
        return True

    from dataclasses import dataclass

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """Converts one plain parameter (or each item of a list of them) without pydantic."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation, info = self.annotation, self.parameter_info
            if typing.get_origin(annotation) is list:
                item = typing.get_args(annotation)[0]
                return [_convert(item, info, v, param, ctx) for v in value]
            return _convert(annotation, info, value, param, ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        annotation, info = descriptor.annotation, descriptor.parameter_info
        if getattr(descriptor, "file_annotation", None) is None and _plain(annotation, info):
            return PlainRuntimeParam(parameter_info=info, annotation=annotation)
        return original(descriptor)

    build_runtime_param._stepstone_plain = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param
    return True
