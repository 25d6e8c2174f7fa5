"""Is the process that drives a ``running`` run still there?

A run is recorded ``running`` when it starts and ``completed`` or ``failed`` when its driver
finishes it. A driver killed with ``kill -9``, by the out-of-memory killer or with its container
never gets to finish the run, so the row says ``running`` for ever, and ``gc`` would refuse to
collect beside it. Each run therefore records its driver's host name and process id; a reader on
the same host asks whether that process still exists (:mod:`stepstone.processes`, which also
tells a reused process id apart), and shows a run whose process is gone as
:attr:`~stepstone.metadata.records.RunStatus.INTERRUPTED`.

The stored status is not rewritten: reading stays a read (a read-only home, a reader on another
host), and a run that is only slow is never changed under its driver. A run driven on another
host is judged by nobody here: it reads ``running`` until that host's driver finishes it (``gc``
treats it as dead a day after it started, see :mod:`stepstone.maintenance`).
"""

from __future__ import annotations

import dataclasses

from stepstone.metadata.records import PipelineRunRecord, RunStatus
from stepstone.processes import process_alive, this_host


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
