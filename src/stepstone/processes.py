"""This machine's processes: its host name, and whether a process recorded earlier is still there.

Runs record the host and process id of their driver, and staging folders those of their
writer; a reader on the same host asks the operating system whether that process still exists
before treating the record as abandoned (see :mod:`stepstone.metadata.liveness` and
:mod:`stepstone.artifacts.sweep`).

Process ids are reused. On Linux, when the caller knows when the process it means started,
the process's own start time (``/proc/<pid>/stat``) is compared with it: a process that started
later is another program with the same id. A zombie (exited, not yet reaped) is gone too.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

#: The boot time in ``/proc/stat`` is whole seconds; a process started this much after the
#: moment it is checked against still counts as the one meant.
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


def process_alive(pid: int, since: datetime | None = None) -> bool:
    """Whether process ``pid`` on this host exists (and, given ``since``, may have started then).

    Windows has no harmless "does it exist" signal (``os.kill`` terminates there), so every
    process counts as alive.
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
    return state != "Z" and (since is None or started <= since + START_SLACK)
