"""Capturing what a step prints and logs, while still showing it live.

stdout and stderr are replaced by tees (the console keeps seeing output as it happens)
and a handler on the root logger records log lines. Everything lands in one text log,
in the order it happened, stored with the step run so that a cached step can still show
the logs of the run that produced it.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

MAX_LOG_CHARS = 2_000_000
"""Logs longer than this keep their head and tail: a runaway print loop must not fill the db."""


class _Tee(io.TextIOBase):
    def __init__(self, original: TextIO, sink: _LogSink) -> None:
        self._original = original
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink.append(text)
        return self._original.write(text)

    def flush(self) -> None:
        self._original.flush()

    def isatty(self) -> bool:
        return self._original.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", "utf-8")

    def fileno(self) -> int:
        return self._original.fileno()


class _LogSink:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._lock = threading.Lock()

    def append(self, text: str) -> None:
        with self._lock:
            self._parts.append(text)
            self._size += len(text)

    def text(self) -> str:
        joined = "".join(self._parts)
        if len(joined) <= MAX_LOG_CHARS:
            return joined
        half = MAX_LOG_CHARS // 2
        dropped = len(joined) - 2 * half
        return f"{joined[:half]}\n… [{dropped} characters dropped] …\n{joined[-half:]}"


class _SinkHandler(logging.Handler):
    """Records log lines; echoes warnings to the console when no other handler would.

    With no handler configured, Python prints warnings through its last-resort handler,
    which this handler's presence disables; echoing keeps the console as it would have been.
    """

    def __init__(self, sink: _LogSink, echo_to: TextIO | None) -> None:
        super().__init__(logging.NOTSET)
        self._sink = sink
        self._echo_to = echo_to
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("stepstone"):
            return
        try:
            line = self.format(record) + "\n"
            self._sink.append(line)
            if self._echo_to is not None and record.levelno >= logging.WARNING:
                self._echo_to.write(record.getMessage() + "\n")
        except Exception:  # a broken log record must not fail the step
            self.handleError(record)


class CapturedLogs:
    """The log text of one step execution, readable after the capture ends."""

    def __init__(self, sink: _LogSink) -> None:
        self._sink = sink

    @property
    def text(self) -> str:
        return self._sink.text()


@contextmanager
def capture_output() -> Iterator[CapturedLogs]:
    """Tee stdout/stderr and record logging records for the duration of the block."""
    sink = _LogSink()
    root = logging.getLogger()
    old_out, old_err = sys.stdout, sys.stderr
    handler = _SinkHandler(sink, echo_to=None if root.handlers else old_err)
    sys.stdout = _Tee(old_out, sink)
    sys.stderr = _Tee(old_err, sink)
    root.addHandler(handler)
    try:
        yield CapturedLogs(sink)
    finally:
        root.removeHandler(handler)
        sys.stdout, sys.stderr = old_out, old_err
