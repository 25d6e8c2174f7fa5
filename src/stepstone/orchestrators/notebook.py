"""Live progress in a Jupyter notebook: one display per run whose step states update in place.

In a terminal every event is a line (:func:`~stepstone.orchestrators.events.log_to_console`);
in a notebook a hundred-step run would fill the cell with two hundred of them. There the
default listener is :class:`NotebookProgress` instead: it shows one block (a progress bar,
the counts, a chip per step) through an IPython display handle and updates it as events
arrive, at most every ``interval`` seconds, and always when the run ends. Every name is
escaped. IPython is only looked at when it is already imported: a script never loads it.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from stepstone.orchestrators.events import (
    CachedResultUnusable,
    Event,
    Listener,
    RunFinished,
    RunStarted,
    StepCached,
    StepFailed,
    StepFinished,
    StepStarted,
    log_to_console,
)
from stepstone.units import format_duration

_COLOURS = {
    "pending": ("#57606a", "#f6f8fa"),
    "running": ("#9a6700", "#fff8c5"),
    "completed": ("#1a7f37", "#dafbe1"),
    "cached": ("#0550ae", "#ddf4ff"),
    "failed": ("#cf222e", "#ffebe9"),
}


def _kernel_shell() -> Any:
    """The IPython shell of a Jupyter kernel this process is, else None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if type(shell).__name__ == "ZMQInteractiveShell" else None


def default_listeners() -> list[Listener]:
    """What a run reports to when the caller names no listener: a notebook or the console."""
    if _kernel_shell() is not None:
        return [NotebookProgress()]
    return [log_to_console]


class NotebookProgress:
    """One updating display of a run's progress (a listener of the run's events)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.run_name = ""
        self.pipeline_name = ""
        self.states: dict[str, str] = {}
        self.summary = ""
        self._handle: Any = None
        self._drawn_at = 0.0

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted(run_name=run, pipeline_name=pipeline, invocation_names=names):
                self.run_name, self.pipeline_name = run, pipeline
                self.states = dict.fromkeys(names, "pending")
            case StepStarted(invocation_name=name) | CachedResultUnusable(invocation_name=name):
                self.states[name] = "running"
            case StepFinished(invocation_name=name):
                self.states[name] = "completed"
            case StepCached(invocation_name=name):
                self.states[name] = "cached"
            case StepFailed(invocation_name=name):
                self.states[name] = "failed"
            case RunFinished(status=status, duration=duration) as finished:
                self.summary = (
                    f"{status} in {format_duration(duration)}: {len(finished.ran)} ran, "
                    f"{len(finished.cached)} cached"
                )
                if finished.saved_seconds:
                    self.summary += f", the cache saved {format_duration(finished.saved_seconds)}"
                self._draw(force=True)
                return
            case _:
                return
        self._draw(force=isinstance(event, RunStarted))

    def html(self) -> str:
        """The block as it stands: bar, counts and a chip per step."""
        from html import escape  # here: only a notebook draws, and a script need not import it

        done = sum(state in ("completed", "cached", "failed") for state in self.states.values())
        total = len(self.states)
        chips = "".join(
            f'<span data-step="{escape(name, quote=True)}" data-state="{state}" '
            f'style="color:{_COLOURS[state][0]};background:{_COLOURS[state][1]};'
            f'padding:0 6px;margin:0 4px 4px 0;border-radius:8px;display:inline-block">'
            f"{escape(name)} · {state}</span>"
            for name, state in self.states.items()
        )
        status = escape(self.summary) if self.summary else f"{done}/{total} steps"
        return (
            '<div class="stepstone-progress" style="font-family:system-ui,sans-serif;'
            'font-size:13px">'
            f"<div><b>{escape(self.pipeline_name)}</b> <code>{escape(self.run_name)}</code> "
            f'<progress max="{total}" value="{done}"></progress> {status}</div>'
            f"<div>{chips}</div></div>"
        )

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        from IPython.display import HTML, display

        if self._handle is None:
            self._handle = display(HTML(self.html()), display_id=True)
        else:
            self._handle.update(HTML(self.html()))
