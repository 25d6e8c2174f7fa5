"""The metadata store contract, leases: one live holder per cache key, expiry and takeover with a
higher epoch, a stale holder fenced out, release with the step's record, waiting steps. Public
interface only, on every backend.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import replace

import pytest

from contracts.metadata_factories import executed, key, started
from stepstone.metadata import MetadataStore, open_metadata_store
from stepstone.metadata.records import Lease, LeaseClaim


def claim(cache_key: str, run_name: str = "run-a", step: str = "trainer") -> LeaseClaim:
    return LeaseClaim(
        cache_key=cache_key,
        owner=uuid.uuid4().hex,
        run_id=uuid.uuid4().hex,
        run_name=run_name,
        step_name=step,
        pid=os.getpid(),
        host="host-a",
    )


def test_a_free_key_is_granted_and_a_live_lease_is_refused(metadata_store: MetadataStore) -> None:
    first, second = claim(key("k"), "run-a"), claim(key("k"), "run-b")

    granted = metadata_store.acquire_lease(first, 30.0)
    refused = metadata_store.acquire_lease(second, 30.0)

    assert (granted.owner, granted.epoch, granted.run_name) == (first.owner, 1, "run-a")
    assert granted.expires_at - granted.acquired_at == pytest.approx(30.0, abs=0.01)
    # The second request learns who holds the key, to tell its user.
    assert refused == granted
    assert (refused.pid, refused.host, refused.step_name) == (os.getpid(), "host-a", "trainer")


def test_an_expired_lease_is_taken_over_with_a_higher_epoch(metadata_store: MetadataStore) -> None:
    stale, waiter = claim(key("k"), "run-a"), claim(key("k"), "run-b")
    old = metadata_store.acquire_lease(stale, 0.2)
    time.sleep(0.3)

    new = metadata_store.acquire_lease(waiter, 30.0)

    assert (new.owner, new.epoch, new.run_name) == (waiter.owner, old.epoch + 1, "run-b")
    # The stale holder comes back: it can neither renew nor release the new holder's lease.
    assert metadata_store.renew_leases([old.lease], 30.0) == [old.lease]
    metadata_store.release_leases([old.lease])
    assert metadata_store.acquire_lease(claim(key("k")), 30.0) == new


def test_renewing_keeps_a_lease_alive_past_its_first_expiry(metadata_store: MetadataStore) -> None:
    holder = metadata_store.acquire_lease(claim(key("k")), 0.5)
    for _ in range(3):
        time.sleep(0.25)
        assert metadata_store.renew_leases([holder.lease], 0.5) == []

    assert metadata_store.acquire_lease(claim(key("k")), 30.0).owner == holder.owner


def test_a_released_lease_is_granted_to_the_next_request(metadata_store: MetadataStore) -> None:
    holder = metadata_store.acquire_lease(claim(key("k")), 30.0)
    metadata_store.release_leases([holder.lease])

    after = claim(key("k"), "run-b")
    assert metadata_store.acquire_lease(after, 30.0).owner == after.owner


def test_recording_the_step_releases_its_lease_in_the_same_write(
    metadata_store: MetadataStore,
) -> None:
    run = started(metadata_store)
    held = metadata_store.acquire_lease(claim(key("k")), 30.0)
    taken_over = Lease(key("other"), uuid.uuid4().hex, 7)  # not held: releasing it is a no-op

    write = executed(run, "trainer", 0, cache=key("k"))
    metadata_store.record_step_runs([replace(write, release=held.lease)])
    metadata_store.record_step_runs([replace(executed(run, "x", 1), release=taken_over)])

    assert key("k") in metadata_store.lookup_cache([key("k")])
    after = claim(key("k"))
    assert metadata_store.acquire_lease(after, 30.0).owner == after.owner


def test_a_grant_knows_the_key_was_recorded_or_says_it_does_not_know(
    metadata_store: MetadataStore,
) -> None:
    """``recorded`` spares a granted step its second lookup only when it is exact."""
    run = started(metadata_store)
    metadata_store.record_step_runs([executed(run, "trainer", 0, cache=key("done"))])

    fresh = metadata_store.acquire_lease(claim(key("new")), 30.0)
    done = metadata_store.acquire_lease(claim(key("done")), 30.0)
    refused = metadata_store.acquire_lease(claim(key("new")), 30.0)

    assert (fresh.recorded, done.recorded) in {(False, True), (None, None)}
    assert refused.recorded is None  # a holder's row says nothing about the cache


def test_one_of_many_racing_requests_gets_the_lease(metadata_url: str) -> None:
    """Threads with their own store (connection) race for one key: exactly one is granted."""
    claims = [claim(key("race"), f"run-{i}") for i in range(6)]
    granted: list[str] = []
    barrier = threading.Barrier(len(claims))

    def take(request: LeaseClaim) -> None:
        with open_metadata_store(metadata_url) as store:
            barrier.wait()
            if store.acquire_lease(request, 30.0).owner == request.owner:
                granted.append(request.run_name)

    open_metadata_store(metadata_url).close()  # the schema exists before the race
    threads = [threading.Thread(target=take, args=(request,)) for request in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 1


def test_waiting_steps_are_listed_with_the_lease_they_wait_on(
    metadata_store: MetadataStore,
) -> None:
    run = started(metadata_store)
    holder = metadata_store.acquire_lease(claim(key("k"), "run-a"), 30.0)

    metadata_store.set_waiting(run.id, "trainer", key("k"))
    metadata_store.set_waiting(run.id, "scorer", key("gone"))
    waits = {wait.step_name: wait for wait in metadata_store.waiting_steps(run.id)}

    assert waits["trainer"].holder == holder
    assert waits["trainer"].cache_key == key("k")
    assert waits["scorer"].holder is None
    assert waits["trainer"].since.tzinfo is not None

    metadata_store.set_waiting(run.id, "trainer", None)
    metadata_store.set_waiting(run.id, "scorer", None)
    assert metadata_store.waiting_steps(run.id) == []


def test_a_live_lease_whose_holder_is_dead_is_taken_over_at_its_epoch_only(
    metadata_store: MetadataStore,
) -> None:
    dead = metadata_store.acquire_lease(claim(key("k"), "run-a"), 30.0)

    wrong = metadata_store.acquire_lease(claim(key("k")), 30.0, dead_epoch=dead.epoch + 5)
    waiter = claim(key("k"), "run-b")
    taken = metadata_store.acquire_lease(waiter, 30.0, dead_epoch=dead.epoch)

    assert wrong == dead  # another epoch: the live lease stays
    assert (taken.owner, taken.epoch) == (waiter.owner, dead.epoch + 1)
