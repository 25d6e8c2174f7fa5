"""Metadata: runs, step runs, artifacts, lineage, logs and the cache index.

:class:`MetadataStore` is the interface; records are plain frozen dataclasses. The SQL
implementation lives in :mod:`stepstone.metadata.sql` and is imported only by
:func:`open_metadata_store`, so importing this package does not import SQLAlchemy.

Example:
    >>> from stepstone.metadata import open_metadata_store
    >>> with open_metadata_store("sqlite://") as store:
    ...     store.count_runs()
    0
"""

from __future__ import annotations

from stepstone.metadata.records import (
    ArtifactLink,
    ArtifactRecord,
    CacheEntryRecord,
    CacheHit,
    DeletedRun,
    PipelineRunRecord,
    RunStatus,
    StepRunRecord,
    StepRunWrite,
    StepStatus,
)
from stepstone.metadata.store import MetadataStore

__all__ = [
    "ArtifactLink",
    "ArtifactRecord",
    "CacheEntryRecord",
    "CacheHit",
    "DeletedRun",
    "MetadataStore",
    "PipelineRunRecord",
    "RunStatus",
    "StepRunRecord",
    "StepRunWrite",
    "StepStatus",
    "open_metadata_store",
]


def open_metadata_store(url: str) -> MetadataStore:
    """Open the metadata store at a SQLAlchemy ``url``, creating or upgrading its schema.

    ``sqlite:///path/metadata.db`` (the parent folder is created), ``sqlite://`` (in memory,
    for tests), ``postgresql+psycopg://user:pw@host/db``, ``mysql+pymysql://user:pw@host/db``
    (``pip install 'stepstone[mysql]'``; MySQL 8 or MariaDB 10.5+).

    Raises:
        MetadataStoreError: the URL is malformed, the database is unreachable or its schema is
            newer than this version of stepstone.
    """
    from stepstone.metadata.sql import SqlMetadataStore

    return SqlMetadataStore(url)
