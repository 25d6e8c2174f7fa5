"""A step's output on its way from a worker process to the driver's console, as it is made.

In the driver's process (``local``, ``threads``, a Dask cluster of threads) the capture's
tees write to the driver's console while the step prints. A worker in another process has a
console of its own, or none the user sees; there the capture hands every write to
:class:`LiveLines` instead, which sends it to the driver over the run's :class:`LiveChannel`:

- ``pipe``: a process pool's pipe, whose write end each worker process gets when it starts
  (:func:`install_pipe`). Every message is at most ``PIPE_BUF`` bytes, which the operating
  system writes atomically: the pool's processes share the pipe without a lock, so a worker
  killed mid-step cannot leave one held;
- ``dask``: an event on a topic of the scheduler (``Worker.log_event``), the topic named
  after the driver's Dask client, which subscribes to it (the scheduler keeps a topic's
  last events only, and drops them after the client left).

The lines are sent when a line ends, on ``flush()``, and when a few kilobytes are pending,
so a chatty step sends few messages; each message names the run and the step, and the
driver writes its parts to its own ``sys.stdout`` or ``sys.stderr`` of the moment
(:func:`show`), unprefixed, as a local step's lines appear. What is stored with the step
run is the capture's log, recorded on the worker as always; the live copy is only shown. A
step printing without end stops being streamed after :data:`LIVE_CHARS` characters (its
stored log keeps its head and tail).
"""

from __future__ import annotations

import pickle
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from stepstone.text import storable_text

Part = tuple[str, str | bytes]
"""One write: the stream (``stdout`` or ``stderr``) and what was written to it."""

LIVE_CHARS = 2_000_000
"""Characters of one step's output streamed live; the rest is only stored."""
_SEND_AT = 8192
_PIPE_MESSAGE = 4000
"""Bytes of one message on a pool's pipe: below ``PIPE_BUF`` (4096 on Linux, 512 by POSIX,
and the message header takes 4), so each write is atomic."""
_TOPIC_MARK = "stepstone-live"


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """How a worker in another process reaches the driver's console.

    Attributes:
        kind: ``pipe`` (the process pool's pipe, installed in each of its processes) or
            ``dask`` (an event topic on the scheduler).
        topic: the Dask topic the driver listens on.
    """

    kind: Literal["pipe", "dask"]
    topic: str = ""


class LiveLines:
    """A step's writes, gathered and sent on at each line end, flush, or few kilobytes."""

    def __init__(self, send: Callable[[list[Part]], None]) -> None:
        self._send = send
        self._pending: list[Part] = []
        self._pending_size = 0
        self._budget = LIVE_CHARS
        self._lock = threading.Lock()  # threads that copied the step's context share it

    def write(self, stream: str, part: str | bytes) -> None:
        if not part:
            return
        with self._lock:
            if self._budget <= 0:
                return
            if len(part) > self._budget:
                part = part[: self._budget]
            self._budget -= len(part)
            self._pending.append((stream, part))
            self._pending_size += len(part)
            ends_line = b"\n" in part if isinstance(part, bytes) else "\n" in part
            if ends_line or self._pending_size >= _SEND_AT or self._budget <= 0:
                self._send_pending()

    def flush(self) -> None:
        with self._lock:
            self._send_pending()

    def _send_pending(self) -> None:
        parts, self._pending, self._pending_size = self._pending, [], 0
        if self._budget <= 0:
            parts.append(
                ("stderr", f"\n[output beyond {LIVE_CHARS} characters is not shown live]\n")
            )
            self._budget = -1  # said once; nothing more is sent
        if parts:
            try:
                self._send(parts)
            except Exception:  # a channel gone (the driver stopped): the log is still stored
                self._budget = -1


# -- the process pool's pipe ----------------------------------------------------------------

_PIPE: Any = None


def install_pipe(writer: Any) -> None:
    """Keep ``writer`` (a process pool's pipe) for the steps of this worker process."""
    global _PIPE
    _PIPE = writer


def _messages(run_id: str, step: str, parts: list[Part]) -> list[bytes]:
    """``parts`` as pickled messages small enough for one atomic pipe write each."""
    message = pickle.dumps((run_id, step, parts))
    if len(message) <= _PIPE_MESSAGE:
        return [message]
    if len(parts) > 1:
        half = len(parts) // 2
        return _messages(run_id, step, parts[:half]) + _messages(run_id, step, parts[half:])
    stream, part = parts[0]
    half = len(part) // 2
    return _messages(run_id, step, [(stream, part[:half])]) + _messages(
        run_id, step, [(stream, part[half:])]
    )


def send_end(token: str) -> bool:
    """Say through the pool's pipe that call ``token`` returns: behind every line it sent."""
    pipe = _PIPE
    if pipe is None:
        return False
    try:
        pipe.send_bytes(pickle.dumps(("end", token)))
    except OSError:
        return False
    return True


def read_pipe(reader: Any, ended: Callable[[str], None]) -> None:
    """Show what the pool's processes send, and pass on the ends of calls (see
    :func:`send_end`), until the empty message that ends it."""
    while True:
        try:
            data = reader.recv_bytes()
        except (EOFError, OSError):
            return
        if not data:
            return
        message = pickle.loads(data)  # noqa: S301 (the pool's own processes)
        if len(message) == 2:
            ended(message[1])
        else:
            show(message[2])


# -- opening a channel on the worker, showing on the driver ---------------------------------


def open_live(channel: LiveChannel | None, run_id: str, step: str) -> LiveLines | None:
    """The live lines of ``step`` on this worker, or None where the channel is not here."""
    if channel is None:
        return None
    if channel.kind == "pipe":
        pipe = _PIPE
        if pipe is None:
            return None

        def send_to_pipe(parts: list[Part]) -> None:
            for message in _messages(run_id, step, parts):
                pipe.send_bytes(message)

        return LiveLines(send_to_pipe)
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not on a Dask worker
        return None
    mark = {"kind": _TOPIC_MARK, "run": run_id, "step": step}

    def send_event(parts: list[Part]) -> None:
        try:
            worker.log_event(channel.topic, {**mark, "parts": [list(p) for p in parts]})
        except TypeError:  # text msgpack cannot encode (a lone surrogate): shown escaped
            shown = [[s, p if isinstance(p, bytes) else storable_text(p)] for s, p in parts]
            worker.log_event(channel.topic, {**mark, "parts": shown})

    return LiveLines(send_event)


def show_event(event: tuple[float, Any]) -> None:
    """Show a Dask event of the driver's topic, if it carries a step's lines."""
    message = event[1]
    if isinstance(message, dict) and message.get("kind") == _TOPIC_MARK:
        show([(stream, part) for stream, part in message.get("parts", ())])


def show(parts: list[Part]) -> None:
    """Write a step's parts to this process's ``sys.stdout``/``sys.stderr`` as they are now.

    A console that is closed or broken loses the lines, never the run: they are stored.
    """
    try:
        _write(parts)
    except (OSError, ValueError):
        pass


def _write(parts: list[Part]) -> None:
    touched = []
    for stream_name, part in parts:
        stream = sys.stderr if stream_name == "stderr" else sys.stdout
        if isinstance(part, bytes):
            buffer = getattr(stream, "buffer", None)
            if buffer is not None:
                stream.flush()
                buffer.write(part)
                buffer.flush()
                continue
            part = part.decode("utf-8", "backslashreplace")
        try:
            stream.write(part)
        except UnicodeEncodeError:  # a console that cannot show it: escaped, as stored
            stream.write(storable_text(part))
        if stream not in touched:
            touched.append(stream)
    for stream in touched:
        stream.flush()
