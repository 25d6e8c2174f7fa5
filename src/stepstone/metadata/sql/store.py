"""``SqlMetadataStore``: the metadata store on SQLite, PostgreSQL or MySQL.

Layout of the work:

* opening — an existing SQLite file at the code's schema revision is opened (a new one
  created) directly with ``sqlite3`` (:mod:`.sqlite_direct`), without importing SQLAlchemy;
  anything else goes through
  :mod:`.engine`, which makes the engine (SQLite pragmas, error wrapping), and :mod:`.schema`,
  which brings the database to the code's schema revision;
* writing and the cache lookup — here, as hand-written SQL (:mod:`.statements`, built from the
  column specs of :mod:`.columns`) on the one driver connection of :mod:`.connection` (these run
  once per step of every run, so microseconds count);
* the runs page (list, count, find, get) — :mod:`.runs`, driver SQL on that same connection;
* other reading — :mod:`.reads`, SQLAlchemy Core on pooled connections (client, CLI, dashboard);
  the engine is made on first need;
* deleting runs and cache entries — :mod:`.manage`, Core in one write transaction on a pooled
  connection (``BEGIN IMMEDIATE`` on SQLite, like the hot path's writes).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stepstone.exceptions import InvalidRecordError, MetadataStoreError, RunNotFoundError
from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    ArtifactTag,
    ArtifactVersionRecord,
    CacheEntryRecord,
    CacheHit,
    DeletedRun,
    Lease,
    LeaseClaim,
    LeaseRecord,
    MetadataEntry,
    MetadataResource,
    ModelArtifactLink,
    ModelRecord,
    ModelVersionRecord,
    ModelVersionRequest,
    NewArtifactVersion,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
    StepWait,
)
from stepstone.metadata.sql import (
    artifact_versions,
    cache_entries,
    models,
    run_metadata,
    runs,
    sqlite_direct,
    statements,
    step_runs,
)
from stepstone.metadata.sql.codec import (
    ARTIFACT_CODEC,
    PIPELINE_RUN_CODEC,
    STEP_RUN_CODEC,
    artifact_from_row,
)
from stepstone.metadata.sql.columns import ARTIFACTS, CACHE_ENTRIES
from stepstone.metadata.sql.connection import Connector, DriverConnection, datetime_codecs
from stepstone.metadata.sql.flavor import SQLITE
from stepstone.metadata.sql.leases import LeaseStatements
from stepstone.metadata.sql.revision import SCHEMA_REVISION
from stepstone.metadata.sql.statements import LOOKUP_HIT_FIELDS, chunks
from stepstone.metadata.store import MetadataStore
from stepstone.text import storable_text

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL


#: Writes of automatically numbered artifact versions, before a clash is given up on.
_VERSION_WRITE_TRIES = 20


def _automatic(versions: Sequence[NewArtifactVersion]) -> bool:
    """Whether any version is numbered by the store (what a clash can be retried for)."""
    return any(version.version is None for version in versions)


#: Positions of a lookup row's values, by the field names of ``LOOKUP_HIT_FIELDS``; the output
#: artifact's columns follow them.
_KEY, _STEP_RUN_ID, _RUN_ID, _RUN_NAME, _CREATED_AT, _DURATION, _OUTPUT = map(
    LOOKUP_HIT_FIELDS.index,
    ("cache_key", "step_run_id", "run_id", "run_name", "created_at", "duration", "output"),
)
_ARTIFACT = len(LOOKUP_HIT_FIELDS)


class _StepRunRows:
    """The rows of a batch of :class:`StepRunWrite`, gathered in one pass over the writes.

    Built before the transaction, so a transaction written again (a deadlock, a version
    clash) only executes the statements.
    """

    def __init__(self, writes: Sequence[StepRunWrite], dt_in: Any) -> None:
        self.step_runs: list[tuple[Any, ...]] = []
        self.artifacts: dict[str, tuple[Any, ...]] = {}
        self.edges: list[tuple[str, str, str, str]] = []
        self.logs: list[tuple[str, str]] = []
        self.cache_entries: list[tuple[str, str, str, str]] = []
        self.versions: list[NewArtifactVersion] = []
        self.metadata: list[MetadataEntry] = []
        self.tags: list[ArtifactTag] = []
        self.links: list[ModelArtifactLink] = []
        self.releases: list[Lease] = []
        for write in writes:
            self._add(write, dt_in)

    def _add(self, write: StepRunWrite, dt_in: Any) -> None:
        step_run = write.step_run
        self.step_runs.append(STEP_RUN_CODEC.row(step_run, dt_in))
        for artifact in write.new_artifacts:
            if artifact.id not in self.artifacts:
                self.artifacts[artifact.id] = ARTIFACT_CODEC.row(artifact, dt_in)
        for name, artifact in step_run.inputs.items():
            self.edges.append((step_run.id, artifact.id, "input", name))
        for name, artifact in step_run.outputs.items():
            self.edges.append((step_run.id, artifact.id, "output", name))
        if write.logs is not None:
            self.logs.append((step_run.id, storable_text(write.logs)))
        if write.cache_entry:
            if step_run.cache_key is None:
                raise InvalidRecordError(
                    f"step run {step_run.name!r} asks for a cache entry but has no cache_key"
                )
            self.cache_entries.append(
                (step_run.cache_key, step_run.id, step_run.run_id, step_run.definition_name)
            )
        self.versions += write.versions
        self.metadata += write.metadata
        self.tags += write.tags
        self.links += write.model_links
        if write.release is not None:
            self.releases.append(write.release)


class SqlMetadataStore(MetadataStore):
    """The metadata store on any SQLAlchemy URL of SQLite, PostgreSQL or MySQL.

    Opening creates or upgrades the schema when needed (safe with several processes opening at
    once). Instances are safe to share between threads.

    Example:
        >>> store = SqlMetadataStore("sqlite://")
        >>> store.lookup_cache(["0" * 64])
        {}
        >>> store.close()

    Raises:
        MetadataStoreError: the database cannot be reached or migrated, or has a newer schema.
    """

    def __init__(self, url: str) -> None:
        self._url_text = url
        self._engine_made: Engine | None = None
        self._sa_url: URL | None = None
        self._engine_lock = threading.Lock()
        path = sqlite_direct.sqlite_file_of(url)
        first = sqlite_direct.open_if_current(path, SCHEMA_REVISION) if path else None
        connector: Connector
        if path is not None and first is not None:
            # Up to date already: no SQLAlchemy, no Alembic (see sqlite_direct).
            flavor, codecs, secret, self._masked_url = SQLITE, datetime_codecs(None), "", url
            connector = sqlite_direct.SqliteConnector(path, first, self._forget_engine_in_child)
        else:
            from stepstone.metadata.sql.engine import (
                EngineConnector,
                flavor_of,
                is_memory_sqlite,
                make_engine,
                mask_url,
            )
            from stepstone.metadata.sql.schema import ensure_schema

            engine, sa_url = make_engine(url)
            try:
                flavor = flavor_of(engine)
                ensure_schema(engine, sa_url)
            except BaseException:
                engine.dispose()
                raise
            self._engine_made, self._sa_url = engine, sa_url
            self._masked_url, secret = mask_url(sa_url), str(sa_url.password or "")
            connector = EngineConnector(engine, shared=is_memory_sqlite(sa_url))
            codecs = datetime_codecs(engine.dialect)
        self._hot = DriverConnection(connector, self._masked_url, flavor, codecs, secret)
        # A shared (in-memory) connection serves reads too, so they must take the same lock.
        self._read_lock: Any = self._hot.lock if connector.shared else nullcontext()
        self._pipeline_of_run: dict[str, str] = {}
        self._closed = False
        self._insert_step_run = flavor.sql(statements.INSERT_STEP_RUN)
        self._insert_artifact = flavor.insert_if_absent(ARTIFACTS.name, ARTIFACTS.names)
        self._insert_edge = flavor.sql(statements.INSERT_EDGE)
        self._insert_log = flavor.sql(statements.INSERT_LOG)
        self._annotations = run_metadata.AnnotationStatements(flavor)
        self._versions = artifact_versions.VersionStatements(self._hot)
        self._models = models.ModelStatements(flavor)
        self._leases = LeaseStatements(self._hot)
        self._insert_cache = flavor.insert_if_absent(CACHE_ENTRIES.name, CACHE_ENTRIES.names)
        self._insert_pipeline = flavor.insert_if_absent("pipelines", statements.PIPELINE_COLUMNS)
        self._select_pipeline_id = flavor.sql(statements.SELECT_PIPELINE_ID)
        self._insert_run = flavor.sql(statements.INSERT_RUN)
        self._finish_run = flavor.sql(statements.FINISH_RUN)
        self._lookup_array = flavor.sql(statements.LOOKUP_CACHE_ARRAY)

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self._masked_url

    @property
    def _engine(self) -> Engine:
        """The SQLAlchemy engine, made on first need (Core reads and deletes)."""
        if self._engine_made is None:
            with self._engine_lock:
                if self._engine_made is None:
                    from stepstone.metadata.sql.engine import make_engine

                    self._engine_made, self._sa_url = make_engine(self._url_text)
        return self._engine_made

    @property
    def _url(self) -> URL:
        self._engine  # noqa: B018 - makes the engine and its parsed URL
        assert self._sa_url is not None
        return self._sa_url

    def _forget_engine_in_child(self) -> None:
        """After a fork, drop (without closing) the parent's pooled connections."""
        if self._engine_made is not None:
            self._engine_made.dispose(close=False)

    def __repr__(self) -> str:
        return f"SqlMetadataStore({self.url!r})"

    # -- writing ---------------------------------------------------------------------------

    def create_run(self, run: PipelineRunRecord) -> None:
        dt_in = self._hot.dt_in
        action = f"record the start of run '{run.name}'"
        pipeline_name = storable_text(run.pipeline_name)

        def write(cursor: Any) -> None:
            cursor.execute(self._insert_pipeline, (pipeline_name, dt_in(datetime.now(UTC))))
            cursor.execute(self._select_pipeline_id, (pipeline_name,))
            pipeline_id = cursor.fetchone()[0]
            cursor.execute(
                self._insert_run, PIPELINE_RUN_CODEC.row(run, dt_in, pipeline_id=pipeline_id)
            )

        self._hot.write(action, write, pipelined=True)
        self._pipeline_of_run[run.id] = pipeline_name

    def finish_run(self, run_id: str, status: str, ended_at: datetime) -> None:
        def write(cursor: Any) -> None:
            cursor.execute(self._finish_run, (status, self._hot.dt_in(ended_at), run_id))
            if cursor.rowcount == 0:
                raise RunNotFoundError(run_id)

        self._hot.write(f"record the end of run {run_id}", write)

    def record_step_runs(self, writes: Sequence[StepRunWrite]) -> None:
        if not writes:
            return
        rows = _StepRunRows(writes, self._hot.dt_in)
        action = f"record {len(writes)} step run(s) of run {writes[0].step_run.run_id}"
        self._numbering(
            _automatic(rows.versions),
            lambda: self._hot.write(
                action, lambda cursor: self._insert_step_runs(cursor, rows), pipelined=True
            ),
        )

    def _insert_step_runs(self, cursor: Any, rows: _StepRunRows) -> None:
        """The statements of :meth:`record_step_runs`: only executes (it may run again)."""
        cursor.executemany(self._insert_step_run, rows.step_runs)
        if rows.artifacts:
            # Rows that may already exist go in key order: concurrent writers then lock
            # them in the same order and cannot deadlock (PostgreSQL, MySQL).
            cursor.executemany(self._insert_artifact, sorted(rows.artifacts.values()))
        if rows.edges:
            cursor.executemany(self._insert_edge, rows.edges)
        if rows.logs:
            cursor.executemany(self._insert_log, rows.logs)
        if rows.versions:
            self._versions.write(cursor, rows.versions, self._hot.dt_in)
        if rows.links:
            self._models.write_links(cursor, rows.links)
        if rows.metadata or rows.tags:
            self._annotations.write(cursor, rows.metadata, rows.tags)
        if rows.releases:
            self._leases.release(cursor, rows.releases)
        if rows.cache_entries:
            cache_rows = rows.cache_entries
            pipeline_of = self._pipeline_names(cursor, {row[2] for row in cache_rows})
            now = self._hot.dt_in(datetime.now(UTC))
            ordered = sorted(cache_rows, key=lambda row: row[0])  # the first of a key still wins
            cursor.executemany(
                self._insert_cache,
                [(key, sid, pipeline_of[rid], step, now) for key, sid, rid, step in ordered],
            )

    def _numbering(self, retry: bool, write: Callable[[], None]) -> None:
        """Call ``write``, a transaction that numbers versions: again after a clash if ``retry``.

        Two writers on MySQL may both read a name's highest number before either commits; the
        second insert breaks the unique key, its transaction is rolled back and written again,
        reading the number the first one took (SQLite and PostgreSQL number under a lock). A
        clash of an artifact version the user gave is no race: it fails every time, so callers
        do not retry it. A model version found by name is retried: the clash means another run
        just created it, and the next try finds it.
        """
        tries = _VERSION_WRITE_TRIES if retry else 1
        for attempt in range(tries):
            try:
                write()
                return
            except MetadataStoreError as exc:
                if attempt + 1 == tries or not artifact_versions.is_version_clash(exc):
                    raise
            # Apart, so racing writers do not meet again at once.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - not security

    def save_artifact_versions(
        self,
        artifacts: Sequence[ArtifactRecord],
        versions: Sequence[NewArtifactVersion],
        metadata: Sequence[MetadataEntry] = (),
        tags: Sequence[ArtifactTag] = (),
    ) -> list[ArtifactVersionRecord]:
        dt_in = self._hot.dt_in
        rows = sorted(ARTIFACT_CODEC.row(artifact, dt_in) for artifact in artifacts)

        def write(cursor: Any) -> None:
            cursor.executemany(self._insert_artifact, rows)
            self._versions.write(cursor, versions, dt_in)
            if metadata or tags:
                self._annotations.write(cursor, metadata, tags)

        action = f"save {len(versions)} artifact version(s)"
        self._numbering(_automatic(versions), lambda: self._hot.write(action, write))
        saved = self.get_artifact_versions([version.artifact_id for version in versions])
        return [saved[version.artifact_id] for version in versions]

    def log_metadata(
        self, entries: Sequence[MetadataEntry], tags: Sequence[ArtifactTag] = ()
    ) -> None:
        if not entries and not tags:
            return
        self._hot.write(
            f"record {len(entries)} metadata value(s)",
            lambda cursor: self._annotations.write(cursor, entries, tags),
        )

    def get_metadata(
        self, resource_type: MetadataResource, ids: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        return run_metadata.read_metadata(self._hot, MetadataResource(resource_type), ids)

    def get_tags(self, artifact_ids: Sequence[str]) -> dict[str, list[str]]:
        return run_metadata.read_tags(self._hot, artifact_ids)

    def _pipeline_names(self, cursor: Any, run_ids: set[str]) -> dict[str, str]:
        """Pipeline name of each run (remembered from ``create_run``, else read)."""
        missing = sorted(run_ids - self._pipeline_of_run.keys())
        for part in chunks(missing):
            cursor.execute(
                self._hot.sql_for("pipeline_of_runs", len(part), statements.pipeline_of_runs),
                list(part),
            )
            self._pipeline_of_run.update(cursor.fetchall())
        return self._pipeline_of_run

    # -- artifact versions -----------------------------------------------------------------

    def get_artifact_version(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionRecord | None:
        return artifact_versions.get_version(self._hot, name, version)

    def list_artifact_versions(
        self, name: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ArtifactVersionRecord]:
        return artifact_versions.list_versions(self._hot, name, limit, offset)

    def get_artifact_versions(
        self, artifact_ids: Sequence[str]
    ) -> dict[str, ArtifactVersionRecord]:
        return artifact_versions.versions_of(self._hot, artifact_ids)

    def artifact_names(self, limit: int = 1000) -> list[str]:
        return artifact_versions.version_names(self._hot, limit)

    # -- models ------------------------------------------------------------------------------

    def model_version_for_run(self, request: ModelVersionRequest) -> ModelVersionRecord:
        found: list[ModelVersionRecord] = []
        action = f"find or create a version of model '{request.model_name}'"

        def write(cursor: Any) -> ModelVersionRecord:
            return self._models.version_for_run(cursor, request, self._hot.dt_in, self._hot.dt_out)

        self._numbering(True, lambda: found.append(self._hot.write(action, write)))
        return found[-1]

    def get_model(self, name: str) -> ModelRecord | None:
        return models.get_model(self._hot, name)

    def list_models(self) -> list[ModelRecord]:
        return models.list_models(self._hot)

    def list_model_versions(self, model_name: str) -> list[ModelVersionRecord]:
        return models.list_versions(self._hot, model_name)

    def get_model_version(self, model_name: str, ref: str) -> ModelVersionRecord | None:
        return models.get_version(self._hot, model_name, ref)

    def set_model_stage(self, version: ModelVersionRecord, stage: str, force: bool) -> None:
        action = f"set the stage of version {version.name} of model '{version.model_name}'"

        def write(cursor: Any) -> None:
            self._models.set_stage(cursor, version, stage, force)

        self._hot.write(action, write)

    def model_version_artifacts(
        self, version_id: str
    ) -> list[tuple[ModelArtifactLink, ArtifactRecord]]:
        return models.version_artifacts(self._hot, version_id)

    # -- the cache -------------------------------------------------------------------------

    def lookup_cache(self, keys: Sequence[str]) -> dict[str, CacheHit]:
        unique = list(dict.fromkeys(keys))
        hits: dict[str, CacheHit] = {}
        dt_out = self._hot.dt_out
        by_array = self._hot.flavor.name == "postgresql"
        for part in chunks(unique):
            params: Sequence[Any]
            if by_array and len(part) > 1:
                statement, params = self._lookup_array, [list(part)]
            else:
                statement = self._hot.sql_for("lookup", len(part), statements.lookup_cache)
                params = part
            for row in self._hot.query("look up cache keys", statement, params):
                key = row[_KEY]
                hit = hits.get(key)
                if hit is None:
                    hit = hits[key] = CacheHit(
                        cache_key=key,
                        step_run_id=row[_STEP_RUN_ID],
                        run_id=row[_RUN_ID],
                        run_name=row[_RUN_NAME],
                        created_at=dt_out(row[_CREATED_AT]),  # type: ignore[arg-type]
                        duration=row[_DURATION],
                        outputs={},
                    )
                if row[_OUTPUT] is not None:
                    hit.outputs[row[_OUTPUT]] = artifact_from_row(row[_ARTIFACT:], dt_out)
        return hits

    def delete_cache_entries(self, keys: Sequence[str]) -> int:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return 0

        def delete(cursor: Any) -> int:
            removed = 0
            for part in chunks(unique):
                statement = self._hot.sql_for("delete", len(part), statements.delete_cache_entries)
                cursor.execute(statement, list(part))
                removed += max(cursor.rowcount, 0)
            return removed

        return self._hot.write(f"delete {len(unique)} cache entries", delete)

    # -- leases ----------------------------------------------------------------------------

    def acquire_lease(
        self, claim: LeaseClaim, timeout: float, *, dead_epoch: int | None = None
    ) -> LeaseRecord:
        return self._leases.acquire(claim, timeout, dead_epoch)

    def renew_leases(self, leases: Sequence[Lease], timeout: float) -> list[Lease]:
        if not leases:
            return []
        return self._hot.write(
            f"renew {len(leases)} lease(s)",
            lambda cursor: [
                lease for lease in leases if not self._leases.renew(cursor, lease, timeout)
            ],
        )

    def release_leases(self, leases: Sequence[Lease]) -> None:
        if leases:
            self._hot.write(
                f"release {len(leases)} lease(s)",
                lambda cursor: self._leases.release(cursor, leases),
            )

    def set_waiting(self, run_id: str, step_name: str, cache_key: str | None) -> None:
        self._hot.write(
            f"record that step '{step_name}' waits",
            lambda cursor: self._leases.set_wait(cursor, run_id, step_name, cache_key),
        )

    def waiting_steps(self, run_id: str) -> list[StepWait]:
        return self._leases.waits(run_id)

    # -- reading ---------------------------------------------------------------------------

    @contextmanager
    def _reading(self, action: str) -> Iterator[Connection]:
        from stepstone.metadata.sql.engine import store_errors

        engine = self._engine
        with self._read_lock, store_errors(action, self._url), engine.connect() as connection:
            yield connection

    def list_runs(
        self,
        pipeline_name: str | None = None,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[PipelineRunRecord]:
        return runs.list_runs(self._hot, pipeline_name, status, limit, offset)

    def count_runs(self, pipeline_name: str | None = None, *, status: str | None = None) -> int:
        return runs.count_runs(self._hot, pipeline_name, status)

    def get_run(self, run_id: str) -> PipelineRunRecord | None:
        return runs.get_run(self._hot, run_id)

    def find_runs(self, query: str, limit: int = 10) -> list[PipelineRunRecord]:
        return runs.find_runs(self._hot, query, limit)

    def run_names(self, limit: int = 1000) -> list[str]:
        return runs.run_names(self._hot, limit)

    def get_step_runs(self, run_id: str) -> list[StepRunRecord]:
        return step_runs.get_step_runs(self._hot, run_id)

    def get_step_run(self, step_run_id: str) -> StepRunRecord | None:
        return step_runs.get_step_run(self._hot, step_run_id)

    def get_logs(self, step_run_id: str) -> str | None:
        from stepstone.metadata.sql import reads

        with self._reading(f"read the logs of step run {step_run_id}") as connection:
            return reads.get_logs(connection, step_run_id)

    def previous_step_runs(
        self,
        pipeline_name: str,
        name: str,
        before: datetime,
        exclude_run_id: str | None = None,
        *,
        limit: int = 1,
    ) -> list[StepRunRecord]:
        from stepstone.metadata.sql import reads

        with self._reading(f"find the previous runs of step '{name}'") as connection:
            return reads.previous_step_runs(
                connection, pipeline_name, name, before, exclude_run_id, limit
            )

    # -- artifacts and lineage ---------------------------------------------------------------

    def get_artifact(self, artifact_id: str) -> ArtifactRecord | None:
        from stepstone.metadata.sql import reads

        with self._reading(f"read artifact {artifact_id}") as connection:
            return reads.get_artifact(connection, artifact_id)

    def find_artifacts(self, query: str, limit: int = 10) -> list[ArtifactRecord]:
        from stepstone.metadata.sql import reads

        with self._reading(f"find artifacts matching '{query}'") as connection:
            return reads.find_artifacts(connection, query, limit)

    def list_artifacts(
        self, run_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ArtifactRecord]:
        from stepstone.metadata.sql import reads

        with self._reading("list artifacts") as connection:
            return reads.list_artifacts(connection, run_id, limit, offset)

    def artifact_links(self, artifact_id: str) -> list[ArtifactLink]:
        from stepstone.metadata.sql import reads

        with self._reading(f"read the lineage of artifact {artifact_id}") as connection:
            return reads.artifact_links(connection, artifact_id)

    def referenced_content_hashes(self) -> set[str]:
        from stepstone.metadata.sql import reads

        with self._reading("list the content hashes of artifacts") as connection:
            return reads.referenced_content_hashes(connection)

    # -- managing --------------------------------------------------------------------------

    @contextmanager
    def _writing(self, action: str) -> Iterator[Connection]:
        """A Core connection inside one write transaction (committed unless the block raises)."""
        from stepstone.metadata.sql.engine import BEGIN_OPTION, store_errors

        engine = self._engine
        with self._read_lock, store_errors(action, self._url), engine.connect() as connection:
            connection = connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with connection.begin():
                yield connection

    def delete_run(self, run_id: str) -> DeletedRun:
        from stepstone.metadata.sql import manage

        with self._writing(f"delete run {run_id}") as connection:
            return manage.delete_run(connection, run_id)

    def delete_step_run(self, step_run_id: str) -> None:
        from stepstone.metadata.sql import manage

        with self._writing(f"delete step run {step_run_id}") as connection:
            manage.delete_step_run(connection, step_run_id)

    def list_cache_entries(
        self,
        *,
        invocation_name: str | None = None,
        pipeline_name: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CacheEntryRecord]:
        return cache_entries.list_cache_entries(
            self._hot, invocation_name, pipeline_name, limit, offset
        )

    def clear_cache_entries(
        self,
        *,
        invocation_name: str | None = None,
        pipeline_name: str | None = None,
        older_than: datetime | None = None,
    ) -> int:
        from stepstone.metadata.sql import manage

        with self._writing("clear cache entries") as connection:
            return manage.clear_cache_entries(
                connection, invocation_name, pipeline_name, older_than
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._hot.close()
        if self._engine_made is not None:
            self._engine_made.dispose()
