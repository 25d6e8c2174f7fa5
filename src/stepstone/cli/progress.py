"""The live progress table of ``stepstone run`` in a terminal.

It is a listener like the plain console log (:func:`stepstone.orchestrators.events.log_to_console`)
and reads the same events, so the two views cannot disagree: a terminal gets this table,
a pipe or a CI log gets one line per event.

State is one small row per step, in the order the driver will visit them; the table is
drawn from the rows on every refresh (Rich calls :meth:`LiveProgress.__rich__` from its
refresh thread), so a running step's clock ticks without any event. Events may come from
the driver's thread while Rich draws from its own, hence the lock.

``Live(redirect_stdout=True)`` makes what steps print appear above the table instead of
tearing it; the driver's output capture wraps that redirected stream, so step logs are still
recorded.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from stepstone.cli.render import status_markup
from stepstone.orchestrators.events import (
    CachedResultUnusable,
    Event,
    RunFinished,
    RunStarted,
    StepCached,
    StepFailed,
    StepFinished,
    StepStarted,
    StepTakenOver,
    StepWaiting,
    console_line,
)
from stepstone.units import format_duration

if TYPE_CHECKING:
    from types import TracebackType


@dataclass
class _Row:
    name: str
    status: str = "pending"
    started: float | None = None
    elapsed: float | None = None
    saved: float = 0.0
    note: str = ""


class LiveProgress:
    """A listener drawing a live table of the run's steps; use it as a context manager.

    Args:
        console: where to draw (default: a console on the current stdout).
        refresh_per_second: how often the running steps' clocks are redrawn.
    """

    def __init__(self, console: Console | None = None, refresh_per_second: float = 8) -> None:
        # Bound to the stdout of *now*: while Live runs, sys.stdout is Live's own proxy (and,
        # inside a step, the log capture's tee around it); a console that looked sys.stdout
        # up at each write would write into itself forever.
        self.console = console or Console(file=sys.stdout, highlight=False)
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._title = ""
        self._started = time.perf_counter()
        self._finished: RunFinished | None = None
        self._live = Live(
            self,
            console=self.console,
            refresh_per_second=refresh_per_second,
            redirect_stdout=True,
            redirect_stderr=True,
            transient=False,
        )

    # -- the listener ------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        now = time.perf_counter()
        with self._lock:
            match event:
                case RunStarted(run_name=run_name, invocation_names=names):
                    self._title = run_name
                    self._started = now
                    self._rows = {name: _Row(name) for name in names}
                case StepStarted(invocation_name=name):
                    row = self._row(name)
                    row.status, row.started = "running", now
                case StepFinished(invocation_name=name, duration=duration):
                    row = self._row(name)
                    row.status, row.elapsed = "completed", duration
                case StepCached(invocation_name=name, source_run_name=source, saved_seconds=saved):
                    row = self._row(name)
                    row.status, row.saved = "cached", saved
                    row.note = f"from {source}"
                case StepWaiting(invocation_name=name, holder_run_name=holder, pid=pid, host=host):
                    row = self._row(name)
                    row.status, row.note = "waiting", f"for run {holder} ({pid}, {host})"
                case StepTakenOver(invocation_name=name, holder_run_name=holder):
                    self._row(name).note = f"taken over from {holder} (gone)"
                case CachedResultUnusable(invocation_name=name, reason=reason):
                    self._row(name).note = f"cache unusable: {reason}"
                case StepFailed(invocation_name=name, duration=duration, error=error):
                    row = self._row(name)
                    row.status, row.elapsed = "failed", duration
                    row.note = error.splitlines()[0] if error else ""
                case RunFinished() as finished:
                    self._finished = finished
        # No redraw per event: Rich's thread redraws a few times a second, so a run of a
        # thousand cached steps does not draw a thousand tables.
        if isinstance(event, RunStarted):
            self.start()
        elif isinstance(event, RunFinished):
            self.stop()
            line = console_line(event)
            if line:
                self.console.print(escape(line))

    def _row(self, name: str) -> _Row:
        row = self._rows.get(name)
        if row is None:  # an event for a step the run did not announce: show it anyway
            row = self._rows[name] = _Row(name)
        return row

    # -- drawing -----------------------------------------------------------------------------

    def __rich__(self) -> Group:
        now = time.perf_counter()
        with self._lock:
            rows = list(self._rows.values())
            table = Table(
                title=escape(self._title) or None,
                title_justify="left",
                box=box.SIMPLE_HEAD,
            )
            table.add_column("step", overflow="fold")
            table.add_column("status", no_wrap=True)
            table.add_column("time", justify="right", no_wrap=True)
            table.add_column("saved", justify="right", no_wrap=True)
            table.add_column("", overflow="fold")
            for row in rows:
                elapsed = row.elapsed
                if row.status == "running" and row.started is not None:
                    elapsed = now - row.started
                table.add_row(
                    escape(row.name),
                    status_markup(row.status),
                    format_duration(elapsed) if elapsed is not None else "-",
                    format_duration(row.saved) if row.status == "cached" else "",
                    escape(row.note),
                )
            footer = self._footer(rows, now)
        return Group(table, footer)

    def _footer(self, rows: list[_Row], now: float) -> Text:
        done = sum(row.status in ("completed", "cached", "failed") for row in rows)
        cached = sum(row.status == "cached" for row in rows)
        saved = sum(row.saved for row in rows)
        elapsed = self._finished.duration if self._finished else now - self._started
        return Text(
            f"{done}/{len(rows)} steps done, {cached} cached, "
            f"saved {format_duration(saved)}, elapsed {format_duration(elapsed)}",
            style="dim",
        )

    # -- lifetime ----------------------------------------------------------------------------

    def start(self) -> None:
        if not self._live.is_started:
            self._live.start()

    def stop(self) -> None:
        """Stop redrawing and leave the final table on screen (safe to call twice)."""
        if self._live.is_started:
            self._live.stop()
            if not self.console.is_terminal:  # Rich ends the last frame with a newline only
                self.console.line()  # on a terminal; a file would run on into the next line

    def __enter__(self) -> LiveProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Each step's status, time and note as data (for tests and debugging)."""
        with self._lock:
            return {
                row.name: {"status": row.status, "elapsed": row.elapsed, "note": row.note}
                for row in self._rows.values()
            }
