"""Single-flight: one execution per cache key among the runs sharing a metadata store.

Before a step whose result will be cached executes on a miss, the driver takes the lease of its
key (:meth:`StepLeases.acquire`; the store's ``step_leases`` table, see
:mod:`stepstone.metadata.sql.leases`). Then:

* **granted** — the driver looks the key up once more (the previous holder may have recorded
  its result between the first lookup and the grant; on SQLite the grant itself says whether
  it did, and the lookup is made only if so) and executes the step. A heartbeat
  thread (one per process) renews every held lease each quarter of ``lease_timeout``; the
  lease is released in the same transaction that records the step run, so a waiter sees the
  cache entry the moment the lease is gone. A failed step releases it the same way, with no
  entry: the next waiter executes.
* **held by another live run** — the step *waits* (:meth:`StepLeases.wait`: a ``StepWaiting``
  event and a ``step_waits`` row, the ``waiting`` state of ``runs show`` and the dashboard).
  The driver keeps running every other ready step; waiting steps are polled from its loop
  (:meth:`StepLeases.due`), with a backoff from 50 ms to 1 s: each poll looks their keys up
  (a hit is reused as usual, the ordinary cached line) and tries the lease again.
* **holder dead** — a killed holder stops renewing; once its lease has expired a waiter's
  request takes it over at a higher epoch and executes. A holder on the same machine whose
  process is gone is taken over at once (that lease's epoch only; a pid that was reused just
  makes the waiter wait for the expiry). Should the old holder come back, its
  renewals and its release match nothing (they name the old epoch); its result, if it records
  one, is an ordinary insert-if-absent cache entry for the same key, so the lease only ever
  saves work and never decides what is correct.

Steps whose results are not cached (``enable_cache=False``, the cache off, a refresh) never
take a lease and never wait.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass

from stepstone.exceptions import ConfigError, MetadataStoreError
from stepstone.metadata.records import Lease, LeaseClaim, LeaseRecord, PipelineRunRecord
from stepstone.metadata.store import MetadataStore
from stepstone.orchestrators.state import KeyedStep
from stepstone.processes import process_alive, this_host

logger = logging.getLogger("stepstone")

#: First and longest pause between two polls of the waiting steps, in seconds.
FIRST_POLL = 0.05
LONGEST_POLL = 1.0


def covered(keyed: KeyedStep) -> bool:
    """Whether ``keyed`` executes under a lease: its result will be cached, and the cache
    decided it must execute (no static decision such as ``disabled``, ``cache_off``,
    ``refresh``)."""
    planned = keyed.planned
    return planned.enable_cache and planned.static_decision is None


@dataclass(frozen=True, slots=True)
class Claim:
    """What asking for a key's lease came to.

    ``holder``: another live run holds it (wait for it). Otherwise the lease is granted;
    ``expired`` is then the lease it was taken over from: one that expired while this step
    waited on it, or one whose holder ran on this machine and is no longer running (``None``
    for a free key or one released). ``recorded``: whether the key had a cache entry when it
    was granted, if the store said (:attr:`LeaseRecord.recorded`; ``None``: look it up).
    """

    holder: LeaseRecord | None = None
    expired: LeaseRecord | None = None
    recorded: bool | None = None


class _Heartbeat:
    """One daemon thread per process that renews the leases of every run holding some.

    A run registers while it holds leases and leaves when it ends; nothing is started or
    joined per run (starting a thread costs a run milliseconds on a busy machine). Each run
    is renewed every quarter of its own ``lease_timeout``. After a fork the child starts its
    own thread when one of its runs first holds a lease.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[StepLeases, float] = {}  # run -> when it is renewed next (monotonic)
        self._wake = threading.Event()
        self._pid = 0

    def add(self, leases: StepLeases) -> None:
        with self._lock:
            if leases in self._due:
                return
            self._due[leases] = time.monotonic() + leases.timeout / 4
            if self._pid != os.getpid():
                self._pid = os.getpid()
                thread = threading.Thread(target=self._beat, name="stepstone-leases", daemon=True)
                thread.start()
        self._wake.set()  # a shorter timeout than the others': recompute the next beat

    def remove(self, leases: StepLeases) -> None:
        with self._lock:
            self._due.pop(leases, None)

    def _beat(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                due = [leases for leases, when in self._due.items() if when <= now]
                for leases in due:
                    self._due[leases] = now + leases.timeout / 4
                wait = min(self._due.values(), default=now + LONGEST_POLL) - now
            for leases in due:
                leases.renew()
            self._wake.wait(max(wait, 0.0))
            self._wake.clear()


_HEARTBEAT = _Heartbeat()


class StepLeases:
    """The leases one run holds and the steps it has waiting on others'.

    Args:
        metadata: the run's metadata store (its connection is thread-safe; the heartbeat
            thread renews through it).
        run: the run the leases are taken for (its id and name go into every lease row).
        timeout: ``lease_timeout``, seconds a lease outlives its last renewal.
    """

    def __init__(self, metadata: MetadataStore, run: PipelineRunRecord, timeout: float) -> None:
        if not timeout > 0:
            raise ConfigError(
                f"Setting 'lease_timeout' must be a positive number of seconds, not {timeout}. "
                "Fix it in the config file or the STEPSTONE_LEASE_TIMEOUT variable."
            )
        self.metadata = metadata
        self.run = run
        self.timeout = timeout
        self.host = this_host()
        self._lock = threading.Lock()
        self._held: dict[str, Lease] = {}  # step name -> lease
        self._waiting: dict[str, KeyedStep] = {}
        self._holders: dict[str, LeaseRecord] = {}  # step name -> the lease it waits on
        self._polled: list[str] = []
        self._delay = FIRST_POLL
        self._next_poll = 0.0

    # -- holding ------------------------------------------------------------------------

    def acquire(self, keyed: KeyedStep) -> Claim:
        """Take the lease of ``keyed``'s key, unless another live run holds it."""
        name = keyed.planned.name
        claim = LeaseClaim(
            cache_key=keyed.key,
            owner=uuid.uuid4().hex,
            run_id=self.run.id,
            run_name=self.run.name,
            step_name=name,
            pid=os.getpid(),
            host=self.host,
        )
        row = self.metadata.acquire_lease(claim, self.timeout)
        gone: LeaseRecord | None = None
        if row.owner != claim.owner and row.host == self.host and not process_alive(row.pid):
            # Its holder ran on this machine and its process is gone (killed): no need to
            # wait for the lease to expire. Only that very lease (its epoch) is taken over.
            gone = row
            row = self.metadata.acquire_lease(claim, self.timeout, dead_epoch=row.epoch)
        if row.owner != claim.owner:
            return Claim(holder=row)
        waited_on = self._holders.get(name)
        self._stop_waiting(name)
        with self._lock:
            self._held[name] = row.lease
        _HEARTBEAT.add(self)
        # A higher epoch than the one waited on: that lease expired and was taken over here.
        if gone is None and waited_on is not None and row.epoch > waited_on.epoch:
            gone = waited_on
        return Claim(expired=gone, recorded=row.recorded)

    def release_with_record(self, name: str) -> Lease | None:
        """The lease step ``name`` executed under, handed to the write recording its result."""
        with self._lock:
            return self._held.pop(name, None)

    def release(self, name: str) -> None:
        """Give up step ``name``'s lease at once (its result turned out to be cached)."""
        lease = self.release_with_record(name)
        if lease is not None:
            self.metadata.release_leases([lease])

    def renew(self) -> None:
        """Extend every held lease (the heartbeat); forget those another run took over."""
        with self._lock:
            held = list(self._held.values())
        try:
            lost = self.metadata.renew_leases(held, self.timeout)
        except MetadataStoreError as exc:  # the next beat tries again; expiry is the fallback
            logger.warning("Could not renew the leases of run %s: %s", self.run.name, exc)
            return
        for lease in lost:
            logger.warning(
                "Run %s lost the lease of cache key %s (no renewal reached the database within "
                "%ss); another run may execute that step too.",
                self.run.name,
                lease.cache_key[:12],
                self.timeout,
            )
        with self._lock:
            for name, lease in list(self._held.items()):
                if lease in lost:
                    del self._held[name]

    # -- waiting ------------------------------------------------------------------------

    def wait(self, keyed: KeyedStep, holder: LeaseRecord) -> bool:
        """Park ``keyed`` until its poll; True when its holder is new (say so to the user)."""
        name = keyed.planned.name
        self._waiting[name] = keyed
        previous = self._holders.get(name)
        self._holders[name] = holder
        if previous is None:
            self.metadata.set_waiting(self.run.id, name, keyed.key)
            self._delay = FIRST_POLL
            self._next_poll = time.monotonic() + self._delay
        return previous is None or previous.lease != holder.lease

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def poll_in(self) -> float:
        """Seconds until the waiting steps are polled next (0 when due)."""
        return max(0.0, self._next_poll - time.monotonic())

    def due(self) -> list[KeyedStep]:
        """The waiting steps, taken out for a poll when it is due (else none).

        Each is then looked up and tried again; one still held elsewhere comes back through
        :meth:`wait`, and :meth:`settle` forgets those that did not.
        """
        if not self._waiting or self.poll_in() > 0:
            return []
        steps = list(self._waiting.values())
        self._polled = list(self._waiting)
        self._waiting.clear()
        self._delay = min(self._delay * 2, LONGEST_POLL)
        self._next_poll = time.monotonic() + self._delay
        return steps

    def settle(self) -> None:
        """After a poll: the polled steps that did not wait again stopped waiting."""
        for name in self._polled:
            if name not in self._waiting:
                self._stop_waiting(name)
        self._polled = []

    def _stop_waiting(self, name: str) -> None:
        if self._holders.pop(name, None) is not None:
            self._waiting.pop(name, None)
            self.metadata.set_waiting(self.run.id, name, None)

    # -- the end ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the heartbeat, give up what is still held, forget the waiting steps."""
        _HEARTBEAT.remove(self)
        with self._lock:
            held, self._held = list(self._held.values()), {}
        self.metadata.release_leases(held)
        for name in list(self._holders):
            self._stop_waiting(name)
