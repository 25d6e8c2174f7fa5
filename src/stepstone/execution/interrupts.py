"""Exits and interrupts inside a step: recorded as the step's failure, then honoured.

``sys.exit(3)``, Ctrl-C (``KeyboardInterrupt``) and ``SIGTERM`` (``docker stop``, a scheduler
cancelling the job) are not errors of the step's code, but they end it. Letting them fly past
the step would lose its record and leave the run ``running``. Instead the runner catches them
like any failure, so the step run is recorded ``failed`` with the cause ("step called
sys.exit(3)", "interrupted"), the run is marked ``failed``, and only then is the exit carried
out as asked: the same exit code, the ``KeyboardInterrupt`` raised again, or the process ended
by the same signal.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):
    """Raised in the main thread when the process receives ``SIGTERM`` during a run."""

    def __init__(self) -> None:
        super().__init__("the process received SIGTERM")


#: What ends a step without being an error of its code.
INTERRUPTS: tuple[type[BaseException], ...] = (SystemExit, KeyboardInterrupt, Terminated)


def exit_cause(error: BaseException) -> str | None:
    """The cause recorded for an exit or interrupt, ``None`` for other errors."""
    if isinstance(error, SystemExit):
        code = "" if error.code is None else repr(error.code)
        return f"step called sys.exit({code})"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt, e.g. Ctrl-C)"
    if isinstance(error, Terminated):
        return "interrupted (the process received SIGTERM)"
    return None


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While the block runs, ``SIGTERM`` raises :class:`Terminated` in the main thread.

    Outside the main thread (a run started from a worker thread) signals cannot be handled,
    and the default behaviour is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(_signal: int, _frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_as_asked(error: BaseException) -> BaseException:
    """Carry out an exit or interrupt once it is recorded; returns it for ``raise`` otherwise.

    ``SIGTERM`` is delivered again with its default action, so the process ends by the signal
    (exit status 143 to a shell), exactly as it would have without stepstone.
    """
    if isinstance(error, Terminated):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    return error


def ctrl_c_ends_the_process() -> None:
    """From now on Ctrl-C ends the process at once, by the signal's default action.

    Threads cannot be stopped, so after an interrupted run Python waits at exit for the steps
    still running, and the user is told a second Ctrl-C stops now. Python's own handler would
    raise ``KeyboardInterrupt`` inside that wait, or inside the printing of the first one's
    traceback, where it is lost. The run is recorded by then, and every artifact is written
    whole or not at all, so ending the process loses nothing. A handler the program installed
    itself is left alone, and outside the main thread signals cannot be handled.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
