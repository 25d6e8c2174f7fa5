"""``stepstone run FILE.py[:PIPELINE] -p key=value``: from a file and strings to a pipeline call.

Loading a file
    The file is imported as a module named after it (``train.py`` -> ``train``), with its
    folder first on ``sys.path``, exactly as ``python -c "import train"`` run from that folder
    would: sibling modules import, and ``if __name__ == "__main__":`` blocks do *not* run, so
    a file that runs its pipeline when executed as a script can be given to ``stepstone run``
    unchanged. The module is registered in ``sys.modules`` because code fingerprints and
    pickled values find a function's module there. Its name must not shadow a module that is
    already imported (a file called ``json.py``): that would break the process, so it is
    refused with a message instead.

Choosing the pipeline
    ``FILE.py:NAME`` names it (by variable name or pipeline name); without a name the file
    must hold exactly one (pipelines it only imports count when it defines none).

Parameters
    ``-p key=value`` strings are converted to the pipeline function's annotated types by
    pydantic (:func:`convert`): int, float, bool (the on/off words of
    :data:`stepstone.config.BOOLEAN_WORDS`, which are pydantic's too), str, paths, enum
    values, literals, ``X | None`` (``none``), and list/dict/tuple/set, dataclasses and
    pydantic models from JSON. A parameter without an annotation takes the type of its
    default, else JSON, else the string. A value that does not convert is a
    :class:`~stepstone.exceptions.ParameterValueError` naming the parameter, the value and
    the expected type; other mistakes are :class:`~stepstone.exceptions.UsageError`.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import (
    InvalidBooleanError,
    ParameterValueError,
    UsageError,
    did_you_mean,
)

if TYPE_CHECKING:
    from pydantic import ValidationError

    from stepstone.pipeline import Pipeline

_MARKER = "__stepstone_cli_loaded__"
"""Set on modules this loader made, so loading the same name again may replace them."""

_RUNS_COMMANDS = {
    "list": "list recorded runs",
    "show": "show a recorded run",
    "compare": "compare two runs",
    "delete": "delete runs",
}
"""The ``stepstone runs`` commands, which ``stepstone run NAME`` is a likely slip for."""

_NONE = {"none", "null"}


@dataclass(frozen=True, slots=True)
class Target:
    """``FILE.py[:PIPELINE]`` split in two."""

    path: Path
    pipeline: str | None

    def __str__(self) -> str:
        return f"{self.path}:{self.pipeline}" if self.pipeline else str(self.path)


def parse_target(text: str) -> Target:
    """Split ``path/to/file.py:name``; a colon that is part of the path (``C:\\``) stays."""
    head, sep, tail = text.rpartition(":")
    if sep and tail.isidentifier() and head and not head.endswith(("\\", "/")):
        return Target(Path(head), tail)
    return Target(Path(text), None)


@contextmanager
def on_sys_path(folder: Path) -> Iterator[None]:
    """Put ``folder`` first on ``sys.path`` for the block (a step may import lazily)."""
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


def load_module(path: Path) -> types.ModuleType:
    """Import ``path`` as a module named after the file (see the module docstring)."""
    if not path.is_file():
        hint = " It is a folder; give the .py file inside it." if path.is_dir() else ""
        if not hint and str(path) in _RUNS_COMMANDS:
            # 'stepstone run list': the singular command runs a file; the plural lists runs.
            hint = f" To {_RUNS_COMMANDS[str(path)]}, use 'stepstone runs {path}'."
        raise UsageError(f"No such file: {path}.{hint}")
    if path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file: give the .py file defining the pipeline.")
    resolved = path.resolve()
    name = resolved.stem
    existing = sys.modules.get(name)
    if existing is not None and not getattr(existing, _MARKER, False):
        same_file = getattr(existing, "__file__", None) == str(resolved)
        if not same_file:
            raise UsageError(
                f"{path} would be imported as module '{name}', which is already the name of "
                f"an installed module ({getattr(existing, '__file__', None) or 'built in'}). "
                "Rename the file."
            )
        return existing
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a spec
        raise UsageError(f"Cannot import {path} as a Python module.")
    module = importlib.util.module_from_spec(spec)
    setattr(module, _MARKER, True)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise UsageError(f"Cannot load {path}: {_describe_import_error(exc, resolved)}") from exc
    return module


def _describe_import_error(exc: Exception, path: Path) -> str:
    """``SyntaxError: invalid syntax (line 3)`` or the last line of the user's code that failed."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    line = None
    for frame in reversed(inspect.getinnerframes(exc.__traceback__) if exc.__traceback__ else []):
        if Path(frame.filename).resolve() == path:
            line = frame.lineno
            break
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}: {exc}{where}. Run with --debug for the traceback."


def find_pipeline(module: types.ModuleType, target: Target) -> Pipeline:
    """The pipeline ``target`` names in ``module`` (see the module docstring)."""
    from stepstone.pipeline import Pipeline

    found: dict[str, Pipeline] = {}
    for attribute, value in vars(module).items():
        if isinstance(value, Pipeline) and all(value is not p for p in found.values()):
            found[attribute] = value
    if target.pipeline is not None:
        for attribute, candidate in found.items():
            if target.pipeline in (attribute, candidate.name):
                return candidate
        names = sorted(found)
        known = f" Pipelines in it: {', '.join(names)}." if names else ""
        raise UsageError(
            f"{target.path} has no pipeline '{target.pipeline}'."
            f"{did_you_mean(target.pipeline, names)}{known}"
        )
    if not found:
        raise UsageError(
            f"{target.path} defines no pipeline: decorate a function with @pipeline, or "
            "point at another file."
        )
    own = {a: p for a, p in found.items() if p.func.__module__ == module.__name__}
    choices = own or found
    if len(choices) > 1:
        listed = ", ".join(sorted(choices))
        first = sorted(choices)[0]
        raise UsageError(
            f"{target.path} defines several pipelines ({listed}): pick one, e.g. "
            f"'stepstone run {target.path}:{first}'."
        )
    return next(iter(choices.values()))


# -- parameters -------------------------------------------------------------------------------


def parse_parameters(pipeline: Pipeline, assignments: Sequence[str]) -> dict[str, Any]:
    """``["epochs=3", "lr=0.01"]`` -> ``{"epochs": 3, "lr": 0.01}`` by the pipeline's annotations.

    Raises:
        UsageError: a malformed assignment, an unknown or repeated name, a value that does not
            convert, or a required parameter left out.
    """
    signature = pipeline.signature
    hints = _type_hints(pipeline)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    named = {
        name: p
        for name, p in signature.parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    values: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"Parameter '{assignment}' must be KEY=VALUE, e.g. -p epochs=3.")
        if name in values:
            raise UsageError(f"Parameter '{name}' is given twice; pass it once.")
        parameter = named.get(name)
        if parameter is None and not accepts_any:
            raise UsageError(
                f"Pipeline '{pipeline.name}' has no parameter '{name}'."
                f"{did_you_mean(name, named)} {describe_parameters(pipeline)}"
            )
        annotation = hints.get(name, inspect.Parameter.empty)
        default = parameter.default if parameter is not None else inspect.Parameter.empty
        values[name] = convert(
            text, annotation, default, parameter=name, pipeline_name=pipeline.name
        )
    missing = [
        name
        for name, p in named.items()
        if p.default is inspect.Parameter.empty and name not in values
    ]
    if missing:
        flags = " ".join(f"-p {name}=VALUE" for name in missing)
        raise UsageError(
            f"Pipeline '{pipeline.name}' needs parameter(s) {', '.join(missing)}: pass {flags}."
        )
    return values


def describe_parameters(pipeline: Pipeline) -> str:
    """``Its parameters: epochs (int = 1), lr (float = 0.001).`` for error messages."""
    hints = _type_hints(pipeline)
    parts = []
    for name, parameter in pipeline.signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = hints.get(name, inspect.Parameter.empty)
        kind = "" if annotation is inspect.Parameter.empty else _type_name(annotation)
        default = "" if parameter.default is inspect.Parameter.empty else f"= {parameter.default!r}"
        detail = " ".join(part for part in (kind, default) if part)
        parts.append(f"{name} ({detail})" if detail else name)
    return f"Its parameters: {', '.join(parts)}." if parts else "It takes no parameters."


def _type_hints(pipeline: Pipeline) -> dict[str, Any]:
    try:
        return typing.get_type_hints(pipeline.func, include_extras=True)
    except Exception:  # an annotation naming something not importable: use what is there
        return {
            name: p.annotation
            for name, p in pipeline.signature.parameters.items()
            if not isinstance(p.annotation, str)
        }


def _type_name(annotation: Any) -> str:
    """``int``, ``list[int] | None``, ``Literal['fast', 'slow']``: an annotation as written."""
    if annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if origin is not None and args:
        return f"{_type_name(origin)}[{', '.join(_type_name(arg) for arg in args)}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _admits(annotation: Any, kind: Any) -> bool:
    """Whether ``annotation`` is ``kind`` or a union with it (``None``: ``X | None``)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _admits(typing.get_args(annotation)[0], kind)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_admits(arg, kind) for arg in typing.get_args(annotation))
    return annotation is kind or (kind is type(None) and annotation is None)


def convert(
    text: str,
    annotation: Any,
    default: Any = inspect.Parameter.empty,
    *,
    parameter: str = "value",
    pipeline_name: str | None = None,
) -> Any:
    """Convert one ``-p`` value to ``annotation`` (or, without one, to the default's type).

    pydantic's ``TypeAdapter`` does the converting: the text as a string first (``3``,
    ``blue``, ``results/x``), then as JSON (``[64, 32]``, ``{"name": "adam"}``, ``1`` for
    ``Literal[1, 2]``). pydantic is imported here, not at start-up: only ``stepstone run``
    with ``-p`` pays for it.

    Raises:
        ParameterValueError: neither reading converts, naming ``parameter``, the text and
            the annotation, with pydantic's reason.
    """
    if annotation is inspect.Parameter.empty or annotation is Any:
        if default is not inspect.Parameter.empty and default is not None:
            annotation = type(default)
        else:
            return _json_or_text(text)
    if text.strip().lower() in _NONE and _admits(annotation, type(None)):
        return None
    # pydantic reads bool from the on/off words of parse_bool (BOOLEAN_WORDS), but not with
    # the surrounding spaces parse_bool ignores: one vocabulary, read the same everywhere.
    reading = text.strip() if _admits(annotation, bool) else text
    from pydantic import PydanticSchemaGenerationError, TypeAdapter, ValidationError

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except PydanticSchemaGenerationError:  # a type pydantic cannot build: JSON, else the text
        return _json_or_text(text)
    try:
        return adapter.validate_strings(reading)
    except ValidationError as as_text:
        try:
            return adapter.validate_json(reading)
        except ValidationError as as_json:
            reason = _reason(as_text, as_json)
    raise ParameterValueError(
        parameter, text, _type_name(annotation), reason, pipeline_name=pipeline_name
    )


def _reason(as_text: ValidationError, as_json: ValidationError) -> str:
    """pydantic's first complaint about the reading that got further.

    Text that parses as JSON failed on its content (a missing field); text that does not
    failed as a string, unless the type wanted a container or an object, whose JSON syntax
    error then says what is wrong.
    """
    text_error, json_error = as_text.errors()[0], as_json.errors()[0]
    if json_error["type"] != "json_invalid" or text_error["type"].endswith("_type"):
        error = json_error
    else:
        error = text_error
    if error["type"] == "bool_parsing":
        return f"use {InvalidBooleanError.expected}"
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _json_or_text(text: str) -> Any:
    """Without a type to go by: a JSON value if the text is one (``3``, ``[1]``), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
