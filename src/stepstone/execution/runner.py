"""Run one step: load its inputs, call it, check and save its outputs.

This is the only code that touches user values. It runs wherever the executor puts it
(in the driver's process or on a Dask worker) and needs only the artifact store.
Nothing the step produced is recorded unless every output was saved, so a failure can
never leave a half-recorded step behind.
"""

from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import ArtifactIntegrityError, StepOutputError
from stepstone.execution.capture import capture_output
from stepstone.execution.context import Collected, StepContext, step_context
from stepstone.execution.declared import type_mismatch, value_type_name
from stepstone.execution.interrupts import INTERRUPTS, exit_cause
from stepstone.execution.task import StepResult, StepTask
from stepstone.steps.class_based import STEP_CONTEXT

if TYPE_CHECKING:
    from stepstone.artifacts import ArtifactStore, StoredArtifact
    from stepstone.execution.live import LiveLines


def _output_error(task: StepTask, message: str) -> StepOutputError:
    definition = task.info.definition_name if task.info is not None else None
    return StepOutputError(task.invocation_id, task.run_id, message, definition_name=definition)


def _split_outputs(task: StepTask, value: Any) -> dict[str, Any]:
    names = task.output_names
    if not names:
        if value is not None:
            raise _output_error(
                task,
                f"declares no outputs (-> None) but returned a {type(value).__name__}. "
                "Annotate the return type to store it.",
            )
        return {}
    if len(names) == 1:
        return {names[0]: value}
    if not isinstance(value, tuple | list) or len(value) != len(names):
        count = f"{len(value)} values" if isinstance(value, tuple | list) else "one value"
        raise _output_error(
            task,
            f"returned {count} but declares {len(names)} outputs ({', '.join(names)}). "
            "Return a tuple with one value per output, in the declared order.",
        )
    return dict(zip(names, value, strict=True))


def _check_types(task: StepTask, outputs: dict[str, Any]) -> None:
    """Refuse an output whose value does not have its declared type (see :mod:`.declared`)."""
    for name, value in outputs.items():
        declared = type_mismatch(value, task.output_hints.get(name, Any))
        if declared is not None:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise _output_error(
                task,
                f"step '{task.invocation_id}' output '{name}' is declared as {declared} but the "
                f"step returned a {value_type_name(value)} ({shown}). Return a value of that "
                "type, or change the annotation (Any is not checked).",
            )


def _format_error(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(exc)).rstrip()
    cause = exit_cause(exc)
    return text if cause is None else f"{cause}\n{text}"


def execute_step(task: StepTask, store: ArtifactStore, live: LiveLines | None = None) -> StepResult:
    """Execute ``task`` and save its outputs to ``store``; never raises for user errors.

    With ``live``, what the step prints is sent there as it runs (see :mod:`.live`).
    """
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    saved: dict[str, StoredArtifact] = {}
    error: BaseException | None = None
    unusable_input: str | None = None
    collected: Collected | None = None
    with capture_output(live) as logs:
        try:
            arguments = dict(task.parameters)
            for name, ref in task.inputs.items():
                try:
                    arguments[name] = store.load(ref.uri, ref.materializer, ref.data_type)
                except ArtifactIntegrityError:
                    unusable_input = name
                    raise
            for name, count in task.input_groups.items():
                arguments[name] = tuple(arguments.pop(f"{name}.{i}") for i in range(count))
            opened = step_context(task.info, store.root) if task.info else nullcontext()
            with opened as context:
                for name, argument in arguments.items():
                    if argument is STEP_CONTEXT:  # a class-based ``context: StepContext``
                        arguments[name] = context
                value = task.func(**arguments)
            if isinstance(context, StepContext):
                collected = context.collected
            outputs = _split_outputs(task, value)
            _check_types(task, outputs)
            for name, value in outputs.items():
                saved[name] = store.save(
                    value,
                    materializer=task.output_materializers.get(name),
                    type_hint=task.output_hints.get(name),
                )
        except Exception as exc:
            error = exc
        except INTERRUPTS as exc:  # recorded as the step's failure; the driver then exits
            error = exc
    duration = time.perf_counter() - clock
    return StepResult(
        invocation_id=task.invocation_id,
        started_at=started_at,
        ended_at=datetime.now(UTC),
        duration=duration,
        logs=logs.text,
        outputs=saved if error is None else {},
        error=error,
        error_text=_format_error(error) if error is not None else None,
        collected=collected if error is None and collected else None,
        unusable_input=unusable_input,
    )
