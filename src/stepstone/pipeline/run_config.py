"""YAML run configuration: ``my_pipeline.with_options(config_path="config.yaml")``.

The file follows ZenML's documented schema; every key is optional::

    enable_cache: false          # the pipeline's options
    enable_step_logs: true
    run_name: nightly-{date}-{time}
    model: {name: classifier}    # recorded with the run
    parameters: {epochs: 2}      # the pipeline function's arguments
    settings: {resources: {memory: 4GB}}
    extra: {team: vision}
    steps:
      trainer:                   # a step's id in the pipeline (its name, trainer_2, ...)
        enable_cache: false
        parameters: {lr: 0.01}
        settings: {...}
        extra: {...}

Precedence, as ZenML documents it: the file's values replace what the decorators and
``configure`` set; options given in code at run time (in the same ``with_options`` call, a
later one, or ``stepstone run --no-cache``) replace the file's; a step's own values beat the
pipeline's, and ``settings``/``extra`` merge one level deep. A *parameter* is different: one
given in the file and also passed in code with another value is an error naming both, so a
run never silently uses a value its file does not show.

Everything is checked when the file is read, naming the file and the dotted key: unknown
keys get a "did you mean", values of the wrong type are refused with the value, and
parameters are validated against the function's annotations (pydantic, so ``"0.1"`` for a
float is refused while ``1`` for a float is accepted as ``1.0``). Step ids are known only
once the pipeline is traced, so an unknown one is refused then, before anything runs.

What the file said is recorded with the run (``run.config.run_config``: its path and text),
shown by ``stepstone runs show`` and on the dashboard's run page.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stepstone.exceptions import RunConfigError, did_you_mean
from stepstone.steps.artifact_config import placeholder_values

PIPELINE_KEYS = (
    "enable_cache",
    "enable_step_logs",
    "run_name",
    "model",
    "parameters",
    "settings",
    "extra",
    "steps",
)
STEP_KEYS = ("enable_cache", "enable_step_logs", "parameters", "settings", "extra")
_BOOLEANS = ("enable_cache", "enable_step_logs")
_MAPPINGS = ("parameters", "settings", "extra")


@dataclass(frozen=True, slots=True)
class RunConfig:
    """A parsed run configuration file.

    Attributes:
        path: the file it was read from (``None`` when given as text or a dictionary).
        text: the file's content, recorded with every run made with it.
        options: pipeline option changes (``enable_cache``, ``parameters``, ...).
        steps: step id -> that step's option changes.
        run_name: the run's name; ``{date}`` and ``{time}`` are replaced when it starts.
        model: the ``model`` section as written (recorded with the run).
    """

    path: str | None
    text: str
    options: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_name: str | None = None
    model: dict[str, Any] | None = None

    def error(self, key: str, message: str) -> RunConfigError:
        return RunConfigError(self.path, key, message)

    def checked_parameters(self, func: Callable[..., Any]) -> dict[str, Any]:
        """The ``parameters`` section, checked against the pipeline function ``func``."""
        arguments = inspect.signature(func).parameters
        hints = _resolved_hints(func)
        values = self.options.get("parameters")
        return _checked_parameters(self, "parameters", values, arguments, hints)

    def step_changes(
        self, step_id: str, arguments: Collection[str], hints: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The option changes for the step called ``step_id``, parameters checked against
        its ``arguments`` and their resolved ``hints``; ``None`` when the file has none."""
        changes = self.steps.get(step_id)
        if changes is None:
            return None
        if "parameters" not in changes:
            return dict(changes)
        key = f"steps.{step_id}.parameters"
        values = changes["parameters"]
        return {**changes, "parameters": _checked_parameters(self, key, values, arguments, hints)}

    def check_steps(self, step_ids: Collection[str]) -> None:
        """Refuse a ``steps`` entry that names no step of the traced pipeline."""
        for name in self.steps:
            if name not in step_ids:
                raise self.error(
                    f"steps.{name}",
                    f"the pipeline has no step '{name}'.{did_you_mean(name, step_ids)} "
                    f"Its steps: {', '.join(step_ids)}.",
                )

    def format_run_name(self, started_at: datetime) -> str | None:
        """``run_name`` with ``{date}`` and ``{time}`` filled in (``None`` if not set)."""
        if self.run_name is None:
            return None
        try:
            return self.run_name.format(**placeholder_values(started_at))
        except (KeyError, IndexError, ValueError) as exc:
            raise self.error(
                "run_name", f"{self.run_name!r} has a placeholder other than {{date}} and {{time}}"
            ) from exc

    def check_run_name_free(self, name: str, find_runs: Callable[[str], Iterable[Any]]) -> None:
        """Refuse ``name`` (this file's ``run_name``, filled in) when a run already has it:
        run names are unique, so a fixed one works once."""
        if any(getattr(run, "name", None) == name for run in find_runs(name)):
            raise self.error(
                "run_name",
                f"a run named '{name}' already exists; run names are unique. Add {{time}} "
                f"to '{self.run_name}', or change it.",
            )

    def describe(self) -> dict[str, Any]:
        """What is recorded with the run."""
        return {"path": self.path, "yaml": self.text, "model": self.model}


def _resolved_hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func)
    except Exception:  # unresolvable forward references: such arguments go unchecked
        return {}


def _checked_parameters(
    config: RunConfig,
    key: str,
    values: Any,
    arguments: Collection[str],
    hints: Mapping[str, Any],
) -> dict[str, Any]:
    if values is None:
        return {}
    checked = {}
    for name, value in values.items():
        if name not in arguments:
            raise config.error(
                f"{key}.{name}",
                f"the function takes no argument '{name}'.{did_you_mean(name, arguments)} "
                f"It takes: {', '.join(arguments) or 'nothing'}.",
            )
        annotation = hints.get(name, inspect.Parameter.empty)
        checked[name] = _validated(config, f"{key}.{name}", value, annotation)
    return checked


def _validated(config: RunConfig, key: str, value: Any, annotation: Any) -> Any:
    """``value`` as the annotation's type (pydantic, lax, except that text never stands for
    a number or a boolean: ``"0.1"`` in YAML is a string the user quoted)."""
    if annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return value
    shown = getattr(annotation, "__name__", repr(annotation))
    if isinstance(value, str) and annotation in (int, float, bool):
        raise config.error(key, f"{value!r} is text, not {shown}. Write it unquoted.")
    import pydantic

    try:
        adapter = pydantic.TypeAdapter(annotation)
    except (pydantic.PydanticSchemaGenerationError, TypeError):
        return value  # a type pydantic cannot check: the step sees the value as written
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        raise config.error(
            key, f"{value!r} ({type(value).__name__}) is not a valid {shown}: {_first_line(exc)}"
        ) from None


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if len(lines) > 1 else (lines[0] if lines else type(exc).__name__)


def _mapping(config: RunConfig, key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise config.error(
            key, f"takes a mapping of names to values, not {value!r} ({type(value).__name__})."
        )
    return dict(value)


def _boolean(config: RunConfig, key: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise config.error(key, f"takes true or false, not {value!r} ({type(value).__name__}).")


def _known_keys(
    config: RunConfig, where: str, data: Mapping[str, Any], keys: tuple[str, ...]
) -> None:
    for name in data:
        if name not in keys:
            label = f"{where}.{name}" if where else str(name)
            raise config.error(
                label,
                f"unknown key '{name}'.{did_you_mean(str(name), keys)} Known: {', '.join(keys)}.",
            )


def _option_changes(config: RunConfig, where: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The options one section sets (keys it leaves out or sets to null change nothing)."""
    prefix = f"{where}." if where else ""
    changes: dict[str, Any] = {}
    for name in _BOOLEANS:
        flag = _boolean(config, prefix + name, data.get(name))
        if flag is not None:
            changes[name] = flag
    for name in _MAPPINGS:
        mapping = _mapping(config, prefix + name, data.get(name))
        if mapping:  # an empty one merges into nothing
            changes[name] = mapping
    return changes


def run_config_from_dict(data: Any, *, path: str | None = None, text: str = "") -> RunConfig:
    """Check a configuration given as a dictionary (what the YAML file parses to)."""
    config = RunConfig(path=path, text=text)
    if data is None:
        return config
    if not isinstance(data, Mapping):
        raise config.error("", f"holds {type(data).__name__}, not a mapping of option names.")
    _known_keys(config, "", data, PIPELINE_KEYS)
    steps: dict[str, dict[str, Any]] = {}
    for step_id, section in _mapping(config, "steps", data.get("steps")).items():
        where = f"steps.{step_id}"
        body = _mapping(config, where, section)
        _known_keys(config, where, body, STEP_KEYS)
        steps[step_id] = _option_changes(config, where, body)
    run_name = data.get("run_name")
    if run_name is not None and not isinstance(run_name, str):
        raise config.error("run_name", f"takes text, not {run_name!r} ({type(run_name).__name__}).")
    model = data.get("model")
    if model is not None:
        if isinstance(model, str):
            model = {"name": model}
        model = _mapping(config, "model", model)
        if not isinstance(model.get("name"), str):
            raise config.error(
                "model.name", f"needs the model's name as text, not {model.get('name')!r}."
            )
    return RunConfig(
        path=path,
        text=text,
        options=_option_changes(config, "", data),
        steps=steps,
        run_name=run_name,
        model=model,
    )


def parse_run_config(text: str, *, path: str | None = None) -> RunConfig:
    """Parse and check YAML text (PyYAML's safe loader: no tags that build objects)."""
    try:
        import yaml
    except ImportError:
        raise RunConfigError(
            path, "", "reading YAML needs PyYAML. Install it: stepstone integration install yaml"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RunConfigError(path, "", f"is not valid YAML: {exc}") from None
    return run_config_from_dict(data, path=path, text=text)


def load_run_config(path: str | Path) -> RunConfig:
    """Read and check the run configuration file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RunConfigError(str(path), "", f"cannot be read: {exc.strerror or exc}.") from None
    except UnicodeDecodeError as exc:
        raise RunConfigError(str(path), "", f"is not UTF-8 text: {exc}.") from None
    return parse_run_config(text, path=str(path))
