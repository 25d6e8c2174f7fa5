"""``my_pipeline.write_run_configuration_template(path)``: every option, commented.

The template is valid YAML that changes nothing as written: options are ``null`` (not set)
and parameters are commented out with their defaults and types, because a parameter set in
the file and passed differently in code is an error. Uncomment what you want to set.

Steps are listed by the ids a trace of the pipeline gives them. Tracing runs the pipeline
function without running any step; arguments without a default are traced as ``None``. A
pipeline that cannot be traced that way gets a template without its ``steps`` listed, and
a comment that says why.
"""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import StepstoneError

if TYPE_CHECKING:
    from stepstone.pipeline.definition import Pipeline
    from stepstone.steps import Invocation


def _type_name(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return "any type"
    return str(getattr(annotation, "__name__", annotation)).replace("typing.", "")


def _yaml_value(value: Any) -> str:
    """A literal in YAML flow style (JSON is YAML); values JSON cannot write are shown as text."""
    if hasattr(type(value), "model_dump"):  # a pydantic model: its fields
        value = value.model_dump(mode="json")
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return json.dumps(repr(value))


def _parameter_lines(parameters: list[tuple[str, Any, Any]], indent: str) -> list[str]:
    """``parameters:`` with one commented line per (name, annotation, value or empty)."""
    lines = [f"{indent}parameters:"]
    for name, annotation, value in parameters:
        kind = _type_name(annotation)
        if value is inspect.Parameter.empty:
            lines.append(f"{indent}  # {name}: ...   # {kind}, required")
        else:
            lines.append(f"{indent}  # {name}: {_yaml_value(value)}   # {kind}")
    if len(lines) == 1:
        lines.append(f"{indent}  # (none)")
    return lines


def _option_lines(indent: str, whose: str) -> list[str]:
    return [
        f"{indent}# false: execute {whose} even when a cached result exists.",
        f"{indent}enable_cache: null",
        f"{indent}# false: keep what {whose} prints and logs out of the metadata store.",
        f"{indent}enable_step_logs: null",
    ]


def _dictionary_lines(indent: str) -> list[str]:
    return [
        f"{indent}# Free-form settings recorded with the run; merged one level deep.",
        f"{indent}settings: {{}}",
        f"{indent}# Free-form extra data, recorded and merged the same way.",
        f"{indent}extra: {{}}",
    ]


def _traced_steps(pipeline: Pipeline) -> tuple[dict[str, Invocation], str | None]:
    """Step id -> invocation of one trace, or none and the reason the trace failed."""
    arguments = {
        name: None
        for name, parameter in pipeline.signature.parameters.items()
        if parameter.default is inspect.Parameter.empty and name not in pipeline.options.parameters
    }
    try:
        graph = pipeline.trace(**arguments)
    except (StepstoneError, TypeError, ValueError, AttributeError, KeyError) as exc:
        return {}, f"{type(exc).__name__}: {exc}"
    return {name: graph.invocations[name] for name in graph.order}, None


def run_configuration_template(pipeline: Pipeline) -> str:
    """The commented YAML template of every option of ``pipeline`` and its steps."""
    lines = [
        f"# Run configuration of pipeline '{pipeline.name}'. Use it with",
        f'#   {pipeline.name}.with_options(config_path="this.yaml")()',
        "# or: stepstone run FILE.py --config this.yaml",
        "# Every key is optional. Values given in code at run time win over this file;",
        "# a parameter set here and passed with another value in code is an error.",
        "",
        *_option_lines("", "every step"),
        "# The run's name; {date} and {time} are filled in. Default: <pipeline>-<date>-<time>.",
        "run_name: null",
        "# The model this run belongs to, recorded with the run, e.g.",
        "#   model: {name: digits-classifier, version: null, description: ..., tags: []}",
        "model: null",
        "# The pipeline function's arguments.",
        *_parameter_lines(
            [(n, p.annotation, p.default) for n, p in pipeline.signature.parameters.items()], ""
        ),
        *_dictionary_lines(""),
        "# Per step, by its id in the pipeline; a step's values beat the pipeline's.",
    ]
    steps, problem = _traced_steps(pipeline)
    if problem is not None:
        lines.append(f"# The steps could not be listed: tracing the pipeline failed ({problem}).")
    lines.append("steps:" if steps else "steps: {}")
    for step_id, invocation in steps.items():
        hints = invocation.step.signature.annotations
        literals = [
            (name, hints.get(name, inspect.Parameter.empty), value)
            for name, value in invocation.literals.items()
            if name != invocation.step.class_based.context_argument
        ]
        lines.append(f"  {step_id}:")
        lines.extend(_option_lines("    ", "this step"))
        lines.extend(_parameter_lines(literals, "    "))
        lines.extend(_dictionary_lines("    "))
    return "\n".join(lines) + "\n"
