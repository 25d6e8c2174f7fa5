"""Events of a run, published by the driver as they happen.

The console log, the live progress table and tests all consume the same frozen events,
so what a user sees and what a test asserts cannot drift apart. A step is named by its
``invocation_name`` (``trainer_2``, its name in the pipeline, as ``StepRunRecord.name``);
:class:`StepStarted` also carries the ``@step`` ``definition_name`` (``trainer``).
Every cache decision is published (:class:`StepDecided`, just before the step is reused
or started), misses, refreshes and expiries included; the console prints nothing for it,
since the lines that follow already say what happened.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from stepstone.cache.manifest import Decision


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    run_name: str
    pipeline_name: str
    invocation_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StepDecided:
    """The driver decided to reuse (``Decision.HIT``) or execute a step, and why."""

    run_id: str
    invocation_name: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step was handed to the executor; ``definition_name`` is its ``@step``'s name."""

    run_id: str
    invocation_name: str
    definition_name: str


@dataclass(frozen=True, slots=True)
class StepFinished:
    run_id: str
    invocation_name: str
    duration: float


@dataclass(frozen=True, slots=True)
class StepCached:
    run_id: str
    invocation_name: str
    source_run_name: str
    saved_seconds: float


@dataclass(frozen=True, slots=True)
class StepWaiting:
    """Another run is executing the step's cache key: this one waits, then reuses its result.

    ``holder_run_name``, ``pid`` and ``host`` say who holds the key's lease. Published again
    only when the holder changes (a waiter took over, a new holder started).
    """

    run_id: str
    invocation_name: str
    holder_run_name: str
    pid: int
    host: str


@dataclass(frozen=True, slots=True)
class StepTakenOver:
    """The run holding the step's lease is gone (killed, its machine lost): its lease expired,
    or its process on this machine ended, and this run executes the step itself."""

    run_id: str
    invocation_name: str
    holder_run_name: str
    pid: int
    host: str


@dataclass(frozen=True, slots=True)
class CachedResultUnusable:
    """A cache entry matched but its artifacts were missing; the step executes instead."""

    run_id: str
    invocation_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class StepFailed:
    run_id: str
    invocation_name: str
    duration: float
    error: str


@dataclass(frozen=True, slots=True)
class RunFinished:
    run_id: str
    run_name: str
    pipeline_name: str
    status: str
    duration: float
    ran: tuple[str, ...]
    cached: tuple[str, ...]
    saved_seconds: float


Event = (
    RunStarted
    | StepDecided
    | StepStarted
    | StepFinished
    | StepCached
    | StepWaiting
    | StepTakenOver
    | CachedResultUnusable
    | StepFailed
    | RunFinished
)
Listener = Callable[[Event], None]

logger = logging.getLogger("stepstone")


class _StdoutHandler(logging.Handler):
    """Writes to whatever ``sys.stdout`` is at emit time (so redirection keeps working).

    Without a formatter of its own it writes what ``logging``'s default ``"%(message)s"``
    makes of a plain record, the message, without building the format's values (one record
    per step, cached or not); a record with a traceback or stack goes through the formatter.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            plain = not (record.exc_info or record.exc_text or record.stack_info)
            if self.formatter is None and plain:
                text = record.getMessage()
            else:
                text = self.format(record)
            sys.stdout.write(text + "\n")
        except Exception:  # a closed or broken stdout must not fail a run
            self.handleError(record)


def _ensure_console_handler() -> None:
    if not logger.handlers:
        handler = _StdoutHandler()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def console_line(event: Event) -> str | None:
    """The one-line log text of an event (``None`` for events that print nothing)."""
    match event:
        case RunStarted(run_name=run_name, pipeline_name=pipeline_name):
            return f"Initiating a new run for the pipeline: `{pipeline_name}` ({run_name})."
        case StepStarted(invocation_name=name):
            return f"Step `{name}` has started."
        case StepFinished(invocation_name=name, duration=duration):
            return f"Step `{name}` has finished in {duration:.3f}s."
        case StepCached(invocation_name=name, source_run_name=source, saved_seconds=saved):
            return f"Using cached version of step `{name}` (from run {source}, saved {saved:.3f}s)."
        case StepWaiting(invocation_name=name, holder_run_name=holder, pid=pid, host=host):
            return f"Step `{name}` is running in run {holder} ({pid}, {host}); waiting."
        case StepTakenOver(invocation_name=name, holder_run_name=holder, pid=pid, host=host):
            return (
                f"Step `{name}`: run {holder} ({pid}, {host}) that was executing it is gone; "
                "executing the step here."
            )
        case CachedResultUnusable(invocation_name=name, reason=reason):
            return f"Cached result of step `{name}` cannot be used ({reason}); running it again."
        case StepFailed(invocation_name=name, duration=duration, error=error):
            return f"Step `{name}` failed after {duration:.3f}s: {error}"
        case RunFinished(run_name=run_name, status=status, duration=duration) as finished:
            verb = "has finished" if status == "completed" else "has failed"
            return (
                f"Pipeline run `{run_name}` {verb} in {duration:.3f}s: "
                f"{len(finished.ran)} step(s) ran, {len(finished.cached)} cached "
                f"(saved {finished.saved_seconds:.3f}s)."
            )
    return None


def log_to_console(event: Event) -> None:
    """The default listener: one plain line per event on stdout."""
    line = console_line(event)
    if line is not None:
        _ensure_console_handler()
        if isinstance(event, StepFailed | CachedResultUnusable | StepTakenOver):
            logger.warning(line)
        else:
            logger.info(line)
