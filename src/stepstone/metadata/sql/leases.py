"""Leases on cache keys, and the steps waiting on them: rows of ``step_leases`` and ``step_waits``.

Granting inserts the row if no row has the key (epoch 1), else takes it over if it has expired
(epoch + 1, the new holder's fields, a fresh expiry); the request got the lease if the row then
names its owner. An executed step pays for it, so on SQLite and PostgreSQL it is one
autocommitted statement, ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <expired> RETURNING``:
it returns the row when it granted the lease, nothing when another live lease holds the key
(whose row a second statement reads). MySQL/MariaDB have no ``RETURNING``: there it is one
transaction of three statements (insert if absent, take over if expired, a locking read).

Two live grants of one key cannot happen: SQLite runs the statement (or transaction) under its
write lock; on PostgreSQL and MySQL/MariaDB the insert waits on the key's row lock, and the
takeover's ``WHERE expires_at < now`` is checked against the row it locked (the latest
committed one), so of two runs taking over one expired lease, one wins. No advisory lock is
involved, so connection poolers and killed clients strand nothing: a holder that stops
renewing simply lets its row expire.

Expiry is on the database server's clock (seconds since the epoch, ``now`` below), never a
client's: runs on several machines compare one clock. Renewing and releasing match on owner
*and* epoch, so a holder that stalled past its expiry and comes back changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn

from stepstone.exceptions import MetadataStoreError
from stepstone.metadata.records import Lease, LeaseClaim, LeaseRecord, StepWait
from stepstone.metadata.sql.columns import STEP_LEASES, STEP_WAITS
from stepstone.metadata.sql.connection import DriverConnection
from stepstone.metadata.sql.flavor import Flavor
from stepstone.metadata.sql.statements import insert
from stepstone.text import storable_text

#: The server's clock in seconds since the epoch, per backend.
_NOW = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
    "mysql": "UNIX_TIMESTAMP(NOW(6))",
    "mariadb": "UNIX_TIMESTAMP(NOW(6))",
}

_COLUMNS = ", ".join(STEP_LEASES.names)
#: Grants tried in one transaction when the row vanishes between the insert and the read.
_ATTEMPTS = 5
_HOLDER = ("run_id", "run_name", "step_name", "pid", "host")
#: Backends granting in one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``.
_RETURNING = ("sqlite", "postgresql")


def _wait_upsert(flavor: Flavor) -> str:
    """The clause making the insert of a wait replace the step's earlier one."""
    if flavor.name in ("mysql", "mariadb"):
        return " ON DUPLICATE KEY UPDATE cache_key = VALUES(cache_key), since = VALUES(since)"
    return (
        " ON CONFLICT (run_id, step_name)"
        " DO UPDATE SET cache_key = excluded.cache_key, since = excluded.since"
    )


def _grant_statements(flavor: Flavor, now: str) -> dict[str, str]:
    """The statements granting a lease (see the module docstring for why two shapes)."""
    insert_lease = (
        f"INSERT INTO step_leases ({_COLUMNS})"  # noqa: S608 - constants only
        f" VALUES (?, ?, 1, ?, ?, ?, ?, ?, {now}, {now} + ?)"
    )
    read = f"SELECT {_COLUMNS} FROM step_leases WHERE cache_key = ?"  # noqa: S608
    if flavor.name in _RETURNING:
        taken = ", ".join(f"{name} = excluded.{name}" for name in ("owner", *_HOLDER))
        # SQLite's statement runs under the write lock on the latest commit, so whether the
        # key has a cache entry is exact there (the granted step skips its second lookup).
        # A PostgreSQL statement reads its snapshot from before any wait on the key's row.
        recorded = (
            ", EXISTS (SELECT 1 FROM cache_entries c WHERE c.cache_key = step_leases.cache_key)"
            if flavor.name == "sqlite"
            else ", NULL"
        )
        return {
            "grant": (
                f"{insert_lease} ON CONFLICT (cache_key) DO UPDATE SET {taken},"
                " epoch = step_leases.epoch + 1, acquired_at = excluded.acquired_at,"
                " expires_at = excluded.expires_at"
                f" WHERE step_leases.expires_at < {now} OR step_leases.epoch = ?"
                f" RETURNING {_COLUMNS}{recorded}"
            ),
            "read": read,  # autocommitted: the latest committed row
        }
    holder = ", ".join(f"{name} = ?" for name in _HOLDER)
    return {
        "grant": f"{insert_lease} ON DUPLICATE KEY UPDATE cache_key = cache_key",
        "take_over": (
            f"UPDATE step_leases SET owner = ?, epoch = epoch + 1, {holder},"  # noqa: S608
            f" acquired_at = {now}, expires_at = {now} + ?"
            f" WHERE cache_key = ? AND (expires_at < {now} OR epoch = ?)"
        ),
        # A locking read: the latest committed row, not the transaction's snapshot.
        "read": f"{read} FOR UPDATE",
    }


def _statements(flavor: Flavor) -> dict[str, str]:
    now = _NOW[flavor.name]
    sql = {
        **_grant_statements(flavor, now),
        "renew": (
            f"UPDATE step_leases SET expires_at = {now} + ?"  # noqa: S608
            " WHERE cache_key = ? AND owner = ? AND epoch = ?"
        ),
        "release": "DELETE FROM step_leases WHERE cache_key = ? AND owner = ? AND epoch = ?",
        "end_wait": "DELETE FROM step_waits WHERE run_id = ? AND step_name = ?",
        "wait": insert(STEP_WAITS) + _wait_upsert(flavor),
        "waits": (
            f"SELECT w.step_name, w.cache_key, w.since,"  # noqa: S608
            f" {', '.join('l.' + name for name in STEP_LEASES.names)}"
            " FROM step_waits w LEFT JOIN step_leases l ON l.cache_key = w.cache_key"
            " WHERE w.run_id = ? ORDER BY w.since, w.step_name"
        ),
    }
    return {name: flavor.sql(statement) for name, statement in sql.items()}


def _record(row: Sequence[Any], recorded: bool | None = None) -> LeaseRecord:
    key, owner, epoch, run_id, run_name, step_name, pid, host, acquired, expires = row
    return LeaseRecord(
        key,
        owner,
        int(epoch),
        run_id,
        run_name,
        step_name,
        int(pid),
        host,
        float(acquired),
        float(expires),
        recorded,
    )


class LeaseStatements:
    """The lease and wait statements of one store, on its driver connection."""

    def __init__(self, hot: DriverConnection) -> None:
        self.hot = hot
        self.sql = _statements(hot.flavor)

    def acquire(
        self, claim: LeaseClaim, timeout: float, dead_epoch: int | None = None
    ) -> LeaseRecord:
        """Grant ``claim`` a lease of ``timeout`` seconds unless another live one holds its key.

        ``dead_epoch`` takes over the lease at that epoch even before it expires (its holder
        is known to be dead). Returns the key's lease row after the attempt: the claim's own
        when granted, else the holder's.
        """
        holder = (
            storable_text(claim.run_id),
            storable_text(claim.run_name),
            storable_text(claim.step_name),
            claim.pid,
            storable_text(claim.host),
        )
        sql = self.sql
        action = f"take the lease of step '{claim.step_name}'"
        epoch = -1 if dead_epoch is None else dead_epoch
        if self.hot.flavor.name in _RETURNING:
            for _ in range(_ATTEMPTS):
                granted = self.hot.query(
                    action, sql["grant"], (claim.cache_key, claim.owner, *holder, timeout, epoch)
                )
                if granted:
                    *row, recorded = granted[0]
                    return _record(row, None if recorded is None else bool(recorded))
                rows = self.hot.query(action, sql["read"], (claim.cache_key,))
                if rows:
                    return _record(rows[0])
                # The holder released the row between the two statements: ask again.
            return self._gave_up(action)

        def grant(cursor: Any) -> LeaseRecord | None:
            for _ in range(_ATTEMPTS):
                cursor.execute(sql["grant"], (claim.cache_key, claim.owner, *holder, timeout))
                cursor.execute(
                    sql["take_over"],
                    (claim.owner, *holder, timeout, claim.cache_key, epoch),
                )
                cursor.execute(sql["read"], (claim.cache_key,))
                row = cursor.fetchone()
                if row is not None:
                    return _record(row)
                # The holder released the row between the insert (which saw it) and the read.
                # The key is free now: ask again.
            return None

        record = self.hot.write(action, grant)
        return record if record is not None else self._gave_up(action)

    @staticmethod
    def _gave_up(action: str) -> NoReturn:
        raise MetadataStoreError(
            f"Metadata store: could not {action}: its lease row was released and taken again "
            f"{_ATTEMPTS} times while asking; run the pipeline again"
        )

    def renew(self, cursor: Any, lease: Lease, timeout: float) -> bool:
        """Extend ``lease`` by ``timeout`` seconds from now; False if it is no longer held."""
        cursor.execute(self.sql["renew"], (timeout, lease.cache_key, lease.owner, lease.epoch))
        return bool(cursor.rowcount)

    def release(self, cursor: Any, leases: Sequence[Lease]) -> None:
        """Delete the rows of ``leases`` still held at their epoch (others are left alone)."""
        rows = sorted((lease.cache_key, lease.owner, lease.epoch) for lease in leases)
        cursor.executemany(self.sql["release"], rows)

    def set_wait(self, cursor: Any, run_id: str, step_name: str, key: str | None) -> None:
        """Record that ``step_name`` of ``run_id`` waits on ``key`` (``None``: it stopped).

        One statement either way. A delete then an insert would deadlock on MySQL/MariaDB: the
        delete of a row that is not there takes a gap lock, and two runs each holding one then
        insert into the other's gap.
        """
        if key is None:
            cursor.execute(self.sql["end_wait"], (run_id, storable_text(step_name)))
        else:
            since = self.hot.dt_in(datetime.now(UTC))
            cursor.execute(self.sql["wait"], (run_id, storable_text(step_name), key, since))

    def waits(self, run_id: str) -> list[StepWait]:
        """The steps of ``run_id`` waiting on a lease, longest waiting first."""
        rows = self.hot.query(
            f"read the waiting steps of run {run_id}", self.sql["waits"], (run_id,)
        )
        return [
            StepWait(
                run_id=run_id,
                step_name=name,
                cache_key=key,
                since=self.hot.dt_out(since),  # type: ignore[arg-type]
                holder=None if lease[0] is None else _record(lease),
            )
            for name, key, since, *lease in rows
        ]
