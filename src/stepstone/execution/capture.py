"""Capturing what a step prints and logs, while still showing it live.

Steps may run side by side (a thread pool, Dask worker threads), so nothing here swaps a
process-wide stream per step. Instead, while any step runs, ``sys.stdout`` and
``sys.stderr`` are one pair of tees, installed by the first capture and restored by the
last (reference-counted). A tee writes to the console it replaced, then appends the text to
the sink held in a :class:`contextvars.ContextVar`, which each capture sets for its own
step: a thread or task sees only its own step's sink. Logging records reach the sink through
one handler on the root logger that reads the same variable. Everything a step prints and
logs lands in one text log, in the order it happened, stored with the step run so that a
cached step can still show the logs of the run that produced it.

Who is recorded with a step follows the context variable:

- code running in the step's thread, and asyncio tasks it creates (they copy the context);
- threads started with ``contextvars.copy_context().run`` as their target;
- not a plain ``threading.Thread`` or a ``ThreadPoolExecutor`` the step starts: they begin
  with an empty context (unless the interpreter makes threads inherit it), so their output
  goes to the console only, never into another step's log.

The tees behave as the real streams do: ``buffer`` is a tee of the console's binary buffer
(bytes are logged as UTF-8, undecodable bytes escaped as ``\\xNN``), a ``str``-only
``write`` raises the console's own ``TypeError`` for bytes, and ``fileno``, ``isatty``,
``encoding``, ``errors``, ``newlines`` and everything else are the console's. A tee that
outlives the capture (a handler that kept a reference to it) keeps forwarding to the console.

A capture may be given live lines (:class:`~stepstone.execution.live.LiveLines`): in a worker
process, whose console is not the driver's, its step's writes go there instead of to the
console, and reach the driver's console while the step runs. A nested capture (a pipeline run
inside a step) streams through its parent's.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, cast

from stepstone.text import storable_text

if TYPE_CHECKING:
    from stepstone.execution.live import LiveLines

MAX_LOG_CHARS = 2_000_000
"""Logs longer than this keep their head and tail: a runaway print loop must not fill the db."""
_HALF = MAX_LOG_CHARS // 2


def _joined(parts: Iterable[str | bytes]) -> str:
    """The text of ``parts``; each run of consecutive byte writes is decoded as a whole, so a
    character split across two ``buffer.write`` calls still decodes."""
    texts: list[str] = []
    pending: list[bytes] = []
    for part in parts:
        if isinstance(part, bytes):
            pending.append(part)
            continue
        if pending:
            texts.append(b"".join(pending).decode("utf-8", "backslashreplace"))
            pending.clear()
        texts.append(part)
    if pending:
        texts.append(b"".join(pending).decode("utf-8", "backslashreplace"))
    return "".join(texts)


class _LogSink:
    """What one step execution wrote, in memory bounded by :data:`MAX_LOG_CHARS`.

    The first half of the budget is kept as written; after that only the most recent half
    is kept (older parts are dropped as new ones arrive), so a step printing gigabytes holds
    a few megabytes. A nested capture (a pipeline run inside a step) also writes to the sink
    it was started in, its ``parent``: the outer step's log shows everything, as on a console.
    """

    __slots__ = (
        "_dropped",
        "_head",
        "_head_size",
        "_lock",
        "_tail",
        "_tail_size",
        "live",
        "parent",
    )

    def __init__(self, parent: _LogSink | None, live: LiveLines | None = None) -> None:
        self.parent = parent
        self.live: LiveLines | None = live if live is not None or parent is None else parent.live
        self._head: list[str | bytes] = []
        self._head_size = 0
        self._tail: deque[str | bytes] = deque()
        self._tail_size = 0
        self._dropped = 0
        self._lock = threading.Lock()  # threads that copied the step's context share the sink

    def append(self, part: str | bytes) -> None:
        if not part:  # nothing to keep, and it must not land in the head behind the tail
            return
        with self._lock:
            if self._head_size + len(part) <= _HALF:  # the common case: a short log
                self._head.append(part)
                self._head_size += len(part)
            else:
                self._append_beyond_head(part)
        if self.parent is not None:
            self.parent.append(part)

    def _append_beyond_head(self, part: str | bytes) -> None:
        room = _HALF - self._head_size
        if room:
            self._head.append(part[:room])
            self._head_size = _HALF
            part = part[room:]
        if len(part) >= _HALF:
            self._dropped += self._tail_size + len(part) - _HALF
            self._tail = deque([part[-_HALF:]])
            self._tail_size = _HALF
            return
        self._tail.append(part)
        self._tail_size += len(part)
        while self._tail_size - len(self._tail[0]) >= _HALF:
            oldest = self._tail.popleft()
            self._tail_size -= len(oldest)
            self._dropped += len(oldest)

    def text(self) -> str:
        with self._lock:
            head, tail = list(self._head), list(self._tail)
            held, excess = self._head_size + self._tail_size, self._tail_size - _HALF
            dropped = self._dropped
        if not dropped and held <= MAX_LOG_CHARS:
            return storable_text(_joined(head + tail))
        # Keep exactly the last half of the budget (bytes count one unit each, like
        # characters). Appending keeps every tail part but the oldest needed, so the excess
        # lies within that oldest part.
        tail[0] = tail[0][excess:]
        marker = f"\n… [{dropped + excess} characters dropped] …\n"
        return storable_text(_joined(head) + marker + _joined(tail))


_current_sink: ContextVar[_LogSink | None] = ContextVar("stepstone_log_sink", default=None)


def _record(part: str | bytes) -> None:
    sink = _current_sink.get()
    if sink is not None:
        sink.append(part)


class _BufferTee:
    """``sys.stdout.buffer`` while steps run: the console's binary buffer, recorded."""

    def __init__(self, raw: BinaryIO, stream: str) -> None:
        self.raw_buffer = raw
        self.stream = stream

    def write(self, data: Any) -> int:
        sink = _current_sink.get()
        if sink is None or sink.live is None:
            written = self.raw_buffer.write(data)  # raises for str as the real buffer does
            _record(bytes(data))
            return written
        if isinstance(data, str):
            raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'")
        payload = bytes(memoryview(data))
        sink.live.write(self.stream, payload)
        sink.append(payload)
        return len(payload)

    def writelines(self, lines: Iterable[Any]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw_buffer, name)


class _TextTee:
    """``sys.stdout`` / ``sys.stderr`` while steps run: the console stream, recorded.

    Deliberately not an ``io.TextIOBase``: its defaults (``encoding = None``, ``fileno``
    raising) would hide the console's real answers, which ``__getattr__`` passes through.
    """

    def __init__(self, console: TextIO, stream: str) -> None:
        self.console = console
        self.stream = stream
        self._buffer: _BufferTee | None = None

    def write(self, text: str) -> int:
        sink = _current_sink.get()
        if sink is not None and sink.live is not None:
            if not isinstance(text, str):
                raise TypeError(f"write() argument must be str, not {type(text).__name__}")
            sink.live.write(self.stream, text)
            sink.append(text)
            return len(text)
        # The console first: it raises what a real stream raises (bytes, None), and a value
        # it refused is not recorded.
        written = self.console.write(text)
        if sink is not None and isinstance(text, str):
            sink.append(text)
        return written

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        sink = _current_sink.get()
        if sink is not None and sink.live is not None:
            sink.live.flush()
        self.console.flush()

    def fileno(self) -> int:
        return self.console.fileno()

    def isatty(self) -> bool:
        return self.console.isatty()

    @property
    def encoding(self) -> str:
        return self.console.encoding

    @property
    def errors(self) -> str | None:
        return self.console.errors

    @property
    def newlines(self) -> Any:
        return self.console.newlines

    @property
    def buffer(self) -> _BufferTee:
        raw = self.console.buffer  # AttributeError when the console has none, as without us
        if self._buffer is None or self._buffer.raw_buffer is not raw:
            self._buffer = _BufferTee(raw, self.stream)
        return self._buffer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


class _SinkHandler(logging.Handler):
    """Records log lines into the current step's sink; echoes what Python would have shown.

    With no handler configured, Python prints warnings through ``logging.lastResort``, which
    this handler's presence on the root logger disables; for such records the handler prints
    what ``lastResort`` would have, to the console (not through the tee: the sink already
    has the formatted line).
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.console_err: TextIO | None = None
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sink = _current_sink.get()
            if sink is not None and not record.name.startswith("stepstone"):
                sink.append(self.format(record) + "\n")
            last_resort = logging.lastResort
            if (
                last_resort is not None
                and self.console_err is not None
                and record.levelno >= last_resort.level
                and not self._other_handler_for(record)
            ):
                shown = last_resort.format(record) + "\n"
                if sink is not None and sink.live is not None:
                    sink.live.write("stderr", shown)
                else:
                    self.console_err.write(shown)
        except Exception:  # a broken log record must not fail the step
            self.handleError(record)

    def _other_handler_for(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            if any(handler is not self for handler in logger.handlers):
                return True
            logger = logger.parent if logger.propagate else None
        return False


class _Installation:
    """The process-wide tees and handler, present while at least one capture is open."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open_captures = 0
        self.handler = _SinkHandler()
        self.stdout: _TextTee | None = None
        self.stderr: _TextTee | None = None
        self.saved_stdout: TextIO = sys.stdout
        self.saved_stderr: TextIO = sys.stderr

    def acquire(self) -> None:
        with self.lock:
            self.open_captures += 1
            if self.open_captures > 1:
                return
            self.saved_stdout, self.saved_stderr = sys.stdout, sys.stderr
            self.stdout = _tee_around(sys.stdout, self.stdout, "stdout")
            self.stderr = _tee_around(sys.stderr, self.stderr, "stderr")
            self.handler.console_err = self.stderr.console
            sys.stdout = cast(TextIO, self.stdout)
            sys.stderr = cast(TextIO, self.stderr)
            logging.getLogger().addHandler(self.handler)

    def release(self) -> None:
        with self.lock:
            self.open_captures -= 1
            if self.open_captures:
                return
            logging.getLogger().removeHandler(self.handler)
            # Put back exactly what was there, but only where the tee is still in place: a
            # stream someone installed over it meanwhile stays (theirs to restore).
            if sys.stdout is cast(TextIO, self.stdout):
                sys.stdout = self.saved_stdout
            if sys.stderr is cast(TextIO, self.stderr):
                sys.stderr = self.saved_stderr


def _tee_around(stream: TextIO, previous: _TextTee | None, name: str) -> _TextTee:
    """A tee around ``stream``: the previous one when the console is the same (the common
    case, one step after another), and never a tee around a tee (a stale tee someone put
    back would record every line twice)."""
    console = stream.console if isinstance(stream, _TextTee) else stream
    if previous is not None and previous.console is console:
        return previous
    return _TextTee(console, name)


_installation = _Installation()


class CapturedLogs:
    """The log text of one step execution, readable after the capture ends."""

    def __init__(self, sink: _LogSink) -> None:
        self._sink = sink

    @property
    def text(self) -> str:
        """Everything recorded, safe to store in any metadata database (see storable_text)."""
        return self._sink.text()


def capture_output(live: LiveLines | None = None) -> _Capture:
    """Record what the current thread or task prints and logs during the block.

    Safe to use from several threads at once: each block records only its own context's
    output, and ``sys.stdout``/``sys.stderr`` are the original objects again once the last
    open block ends. With ``live``, what the block prints goes there instead of to the
    console; it is sent on when the block ends, at the latest.
    """
    return _Capture(live)


class _Capture:
    """The block of :func:`capture_output`: a class rather than a generator-based context
    manager, as it wraps every step execution."""

    __slots__ = ("_live", "_token")

    def __init__(self, live: LiveLines | None) -> None:
        self._live = live
        self._token: Token[_LogSink | None] | None = None

    def __enter__(self) -> CapturedLogs:
        sink = _LogSink(parent=_current_sink.get(), live=self._live)
        _installation.acquire()
        self._token = _current_sink.set(sink)
        return CapturedLogs(sink)

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None
        _current_sink.reset(self._token)
        _installation.release()
        if self._live is not None:
            self._live.flush()
