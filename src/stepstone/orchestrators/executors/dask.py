"""Running steps on Dask: a ``LocalCluster`` for the run, or an existing scheduler.

:class:`DaskExecutor` is a :class:`concurrent.futures.Executor` over a
``distributed.Client``. Each submit becomes one Dask task with a unique key (``step-uuid``:
Dask never merges two executions) and the step's ``resources=`` as worker resources, passed
to ``Client.submit`` explicitly (``dask.annotate`` is not honoured on every cluster). The
task is the small :class:`~stepstone.execution.StepTask`; what comes back is the step's
:class:`~stepstone.execution.StepResult` (descriptors and logs, never data: the worker
read and wrote the artifact store itself). The Dask future is released the moment its
result is fetched, so a finished step holds no memory on the cluster and is not recomputed
if a worker is lost later.

A ``distributed.Client`` batches what it sends to the scheduler, one batch at most every
10 ms: a task submitted within 10 ms of the previous message (the release of the step before
it, the submit of its neighbour) waits for the rest of that interval, which was most of what
a quick step cost on Dask. A client a run uses sends at once from then on (messages made
while a batch is being written still travel together, so a burst of submits stays one
batch). It is not put back after the run: the release of the run's last step may still be
on its way then, and would hold the next run's first submit for 10 ms.

What a step prints on a worker process reaches the driver's console while it runs: the
worker sends its lines as events on the topic named after the driver's client, which the
client subscribes to from the run's first submit to its end (see
:mod:`stepstone.execution.live`).

A worker that dies under a step (the scheduler gives up after its ``allowed-failures``)
surfaces as ``KilledWorker``: the driver reports "worker died, likely out of memory" and
retries when the step asks for ``retries=``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import Any, TypeVar

from stepstone.exceptions import ExecutorError
from stepstone.execution import StepTask
from stepstone.execution.live import LiveChannel, show_event
from stepstone.orchestrators.executors.choice import Placement

T = TypeVar("T")
CONNECT_TIMEOUT = 5.0
"""Seconds to reach a scheduler before saying it is unreachable."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(
            "The dask executor needs Dask distributed, which is not installed. "
            "Install it with: stepstone integration install dask"
        ) from None
    return distributed


def dask_resources(resources: Mapping[str, float | str]) -> dict[str, float]:
    """``{"GPU": 1, "memory": "4GB"}`` as Dask worker resources (sizes in bytes)."""
    from dask.utils import parse_bytes

    return {
        name: float(parse_bytes(amount) if isinstance(amount, str) else amount)
        for name, amount in resources.items()
    }


class DaskExecutor(Executor):
    """Submits each call as one Dask task and relays its outcome to a plain future.

    Args:
        client: the ``distributed.Client``.
        direct: fetch results from the workers themselves rather than through the
            scheduler (two hops fewer per step); None does what the client was told
            (``direct_to_workers``), which is through the scheduler unless asked.
        live: the channel the workers stream lines through; the client listens to it from
            the first submit to :meth:`shutdown` (a run that submits nothing, fully cached,
            sends the scheduler nothing at all).
    """

    def __init__(
        self, client: Any, direct: bool | None = None, live: LiveChannel | None = None
    ) -> None:
        self.client = client
        self.direct = direct
        self.live = live
        self._listening = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self.live is not None and not self._listening:
            _listen(self.client, self.live.topic)
            self._listening = True
        task = next((a for a in args if isinstance(a, StepTask)), None)
        name = task.invocation_id if task is not None else getattr(fn, "__name__", "call")
        resources = dask_resources(task.resources) if task is not None else {}
        remote = self.client.submit(
            fn,
            *args,
            key=f"{name}-{uuid.uuid4().hex}",
            pure=False,
            resources=resources or None,
            **kwargs,
        )
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()
        self.client.loop.add_callback(self._relay, remote, future)
        return future

    async def _relay(self, remote: Any, future: Future[Any]) -> None:
        """Wait for ``remote`` on the client's event loop, then hand its outcome on.

        Waiting there, not in a done-callback (which Dask runs in a thread of its own that
        then waits on the loop to fetch the result), saves two thread switches per step. The
        Dask future is released before the driver sees the result, so the release reaches
        the scheduler before the driver's next submit.
        """
        try:
            gathered = self.client.gather([remote], direct=self.direct, asynchronous=True)
            result = (await gathered)[0]
        except BaseException as exc:
            remote.release()
            future.set_exception(exc)
        else:
            remote.release()
            future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop listening to the workers' lines; the client and its cluster stay."""
        if self._listening and self.live is not None:
            _stop_listening(self.client, self.live.topic)
            self._listening = False


def _send_at_once(client: Any) -> None:
    """No batching delay on ``client``'s messages to the scheduler (see the module docs)."""
    stream: Any = getattr(client, "scheduler_comm", None)
    if isinstance(getattr(stream, "interval", None), float):  # the distributed this knows
        stream.interval = 0.0


_LISTENING: dict[str, int] = {}
"""Client id -> runs streaming through its topic now (runs in threads may share a client)."""
_LISTENING_LOCK = threading.Lock()


def _listen(client: Any, topic: str) -> None:
    """Show the lines the workers send to ``topic`` (until as many stops as listens)."""
    with _LISTENING_LOCK:
        if not _LISTENING.get(topic):
            client.subscribe_topic(topic, show_event)
        _LISTENING[topic] = _LISTENING.get(topic, 0) + 1


def _stop_listening(client: Any, topic: str) -> None:
    # Before the client closes: a topic named after a client still subscribed when it
    # leaves makes the scheduler log a failed send of its "remove-client" event.
    with _LISTENING_LOCK:
        _LISTENING[topic] -= 1
        if not _LISTENING[topic]:
            del _LISTENING[topic]
            client.unsubscribe_topic(topic)


def _workers_here(client: Any, address: str) -> bool:
    """Whether ``client``'s workers are on this machine (a ``LocalCluster``, a loopback
    scheduler), so this process can surely reach them."""
    from urllib.parse import urlsplit

    if type(getattr(client, "cluster", None)).__name__ == "LocalCluster":
        return True
    return urlsplit(address).hostname in ("127.0.0.1", "localhost", "::1")


@contextmanager
def client_placement(client: Any, label: str | None = None) -> Iterator[Placement]:
    """The placement for ``client``: workers in this process print to its console, others
    stream to it. Results come straight from workers on this machine, unless the client
    was told otherwise."""
    address = str(client.scheduler.address)
    label = label or f"dask {address}"
    direct = getattr(client, "direct_to_workers", None)
    if direct is None and _workers_here(client, address):
        direct = True
    _send_at_once(client)
    if address.startswith("inproc://"):
        executor = DaskExecutor(client, direct)
        yield Placement(executor, label, separate_processes=False, shares_console=True)
        return
    live = LiveChannel("dask", str(client.id))
    executor = DaskExecutor(client, direct, live)
    try:
        yield Placement(executor, label, True, shares_console=True, live=live)
    finally:
        executor.shutdown()


@contextmanager
def dask_executor(address: str | None, workers: int | None) -> Iterator[Placement]:
    """Connect to the scheduler at ``address``, or start a ``LocalCluster`` for the run."""
    distributed = _distributed()
    if address is not None:
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"Cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT:g} s "
                f"({exc}). Check the address and that the scheduler is running "
                "(dask scheduler --port PORT), and that this machine can reach it."
            ) from None
        try:
            with client_placement(client, address) as placement:
                yield placement
        finally:
            client.close()  # the cluster is the caller's: it keeps running
        return
    import os

    cluster = distributed.LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free port: 8787 may be taken
        silence_logs=logging.ERROR,
    )
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            with client_placement(client, "dask") as placement:
                yield placement
        finally:
            client.close()
    finally:
        cluster.close()
