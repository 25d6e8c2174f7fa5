"""Is the process that drives a ``running`` run still there?

A run is recorded ``running`` when it starts and ``completed`` or ``failed`` when its driver
finishes it. A driver killed with ``kill -9``, by the out-of-memory killer or with its container
never gets to finish the run, so the row says ``running`` for ever, and ``gc`` would refuse to
collect beside it. Each run therefore records its driver's host name and process id; a reader on
the same host can ask the operating system whether that process still exists, and shows a run
whose process is gone as :attr:`~stepstone.metadata.records.RunStatus.INTERRUPTED`.

The stored status is not rewritten: reading stays a read (a read-only home, a reader on another
host), and a run that is only slow is never changed under its driver. A run driven on another
host is judged by nobody here: it reads ``running`` until that host's driver finishes it (``gc``
treats it as dead a day after it started, see :mod:`stepstone.maintenance`).

Process ids are reused. On Linux the process's start time (``/proc/<pid>/stat``) is compared
with the run's start: a process that started after the run is another program with the same id,
and a zombie (exited, not yet reaped) is gone too.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from stepstone.metadata.records import PipelineRunRecord, RunStatus

#: The boot time in ``/proc/stat`` is whole seconds; a process started this much after the run's
#: recorded start still counts as its driver.
START_SLACK = timedelta(seconds=2)


@cache
def this_host() -> str:
    """This machine's host name, as recorded on the runs it drives."""
    return socket.gethostname()


def _linux_start(pid: int) -> tuple[str, datetime] | None:
    """The process's state letter and start time from ``/proc``, ``None`` if unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
    except (OSError, StopIteration):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rpartition(")")[2].split()
    ticks = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    started = datetime.fromtimestamp(int(boot.split()[1]) + ticks).astimezone()
    return fields[0], started


def process_alive(pid: int, since: datetime) -> bool:
    """Whether process ``pid`` on this host exists and may be the one that started at ``since``.

    Windows has no harmless "does it exist" signal (``os.kill`` terminates there), so every
    process counts as alive: runs read ``running`` as before.
    """
    if sys.platform == "win32":
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    found = _linux_start(pid) if sys.platform.startswith("linux") else None
    if found is None:
        return True
    state, started = found
    return state != "Z" and started <= since + START_SLACK


def observed(run: PipelineRunRecord) -> PipelineRunRecord:
    """``run`` as readers show it: ``interrupted`` if it is ``running`` and its driver is gone."""
    if (
        run.status is not RunStatus.RUNNING
        or run.pid is None
        or run.host != this_host()
        or process_alive(run.pid, run.started_at)
    ):
        return run
    return dataclasses.replace(run, status=RunStatus.INTERRUPTED)
