# ruff: noqa: E501 - written by scripts/sqlite_schema: each literal is one line of the DDL
"""The current schema as SQLite DDL: a new SQLite store is created without SQLAlchemy.

Written by ``scripts/sqlite_schema`` from the Core tables of :mod:`.tables` (what
``create_all`` runs, :func:`.schema.sqlite_statements`); a test holds the two equal. The store
uses these statements only while :data:`REVISION` is the code's schema revision, so after a
schema change a stale copy is never used: new stores then go through SQLAlchemy until the
module is written again.
"""

from __future__ import annotations

REVISION = "0008"

STATEMENTS = (
    (
        "CREATE TABLE pipelines (\n"
        "\tid INTEGER NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_pipelines PRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_pipelines_name UNIQUE (name)\n"
        ")"
    ),
    (
        "CREATE TABLE artifacts (\n"
        "\tid VARCHAR(64) NOT NULL, \n"
        "\tcontent_hash VARCHAR(64) NOT NULL, \n"
        "\turi TEXT NOT NULL, \n"
        "\tdata_type VARCHAR(255) NOT NULL, \n"
        "\tmaterializer VARCHAR(255) NOT NULL, \n"
        "\tmaterializer_version VARCHAR(64) NOT NULL, \n"
        "\tsize BIGINT NOT NULL, \n"
        "\tproducer_step_run_id VARCHAR(64), \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tsummary TEXT NOT NULL, \n"
        "\tCONSTRAINT pk_artifacts PRIMARY KEY (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_artifacts_content_hash ON artifacts (content_hash)"),
    ("CREATE INDEX ix_artifacts_created_at ON artifacts (created_at)"),
    ("CREATE INDEX ix_artifacts_producer_step_run_id ON artifacts (producer_step_run_id)"),
    (
        "CREATE TABLE run_metadata (\n"
        "\tresource_type VARCHAR(16) NOT NULL, \n"
        "\tresource_id VARCHAR(64) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tvalue TEXT NOT NULL, \n"
        "\tCONSTRAINT pk_run_metadata PRIMARY KEY (resource_type, resource_id, name)\n"
        ")"
    ),
    (
        "CREATE TABLE step_leases (\n"
        "\tcache_key VARCHAR(64) NOT NULL, \n"
        "\towner VARCHAR(64) NOT NULL, \n"
        "\tepoch BIGINT NOT NULL, \n"
        "\trun_id VARCHAR(32) NOT NULL, \n"
        "\trun_name VARCHAR(255) NOT NULL, \n"
        "\tstep_name VARCHAR(255) NOT NULL, \n"
        "\tpid INTEGER NOT NULL, \n"
        "\thost VARCHAR(255) NOT NULL, \n"
        "\tacquired_at DOUBLE NOT NULL, \n"
        "\texpires_at DOUBLE NOT NULL, \n"
        "\tCONSTRAINT pk_step_leases PRIMARY KEY (cache_key)\n"
        ")"
    ),
    (
        "CREATE TABLE step_waits (\n"
        "\trun_id VARCHAR(32) NOT NULL, \n"
        "\tstep_name VARCHAR(255) NOT NULL, \n"
        "\tcache_key VARCHAR(64) NOT NULL, \n"
        "\tsince DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_step_waits PRIMARY KEY (run_id, step_name)\n"
        ")"
    ),
    (
        "CREATE TABLE models (\n"
        "\tid VARCHAR(64) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tdetails TEXT NOT NULL, \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_models PRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_models_name UNIQUE (name)\n"
        ")"
    ),
    (
        "CREATE TABLE pipeline_runs (\n"
        "\tid VARCHAR(32) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tpipeline_id INTEGER NOT NULL, \n"
        "\tstatus VARCHAR(16) NOT NULL, \n"
        "\tstarted_at DATETIME NOT NULL, \n"
        "\tended_at DATETIME, \n"
        "\tparameters TEXT NOT NULL, \n"
        "\tgraph TEXT, \n"
        "\thost VARCHAR(255), \n"
        "\tpid INTEGER, \n"
        "\tCONSTRAINT pk_pipeline_runs PRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_pipeline_runs_name UNIQUE (name), \n"
        "\tCONSTRAINT fk_pipeline_runs_pipeline_id_pipelines FOREIGN KEY(pipeline_id) REFERENCES pipelines (id)\n"
        ")"
    ),
    (
        "CREATE INDEX ix_pipeline_runs_pipeline_id_started_at_id ON pipeline_runs (pipeline_id, started_at, id)"
    ),
    ("CREATE INDEX ix_pipeline_runs_started_at_id ON pipeline_runs (started_at, id)"),
    (
        "CREATE TABLE artifact_tags (\n"
        "\tartifact_id VARCHAR(64) NOT NULL, \n"
        "\ttag VARCHAR(255) NOT NULL, \n"
        "\tCONSTRAINT pk_artifact_tags PRIMARY KEY (artifact_id, tag), \n"
        "\tCONSTRAINT fk_artifact_tags_artifact_id_artifacts FOREIGN KEY(artifact_id) REFERENCES artifacts (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_artifact_tags_tag ON artifact_tags (tag)"),
    (
        "CREATE TABLE artifact_versions (\n"
        "\tartifact_id VARCHAR(64) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tversion VARCHAR(64) NOT NULL, \n"
        "\tnumber INTEGER, \n"
        "\tartifact_type VARCHAR(32) NOT NULL, \n"
        "\thas_custom_name INTEGER NOT NULL, \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_artifact_versions PRIMARY KEY (artifact_id), \n"
        "\tCONSTRAINT uq_artifact_versions_name_version UNIQUE (name, version), \n"
        "\tCONSTRAINT fk_artifact_versions_artifact_id_artifacts FOREIGN KEY(artifact_id) REFERENCES artifacts (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_artifact_versions_name_number ON artifact_versions (name, number)"),
    (
        "CREATE TABLE model_versions (\n"
        "\tid VARCHAR(64) NOT NULL, \n"
        "\tmodel_id VARCHAR(64) NOT NULL, \n"
        "\tname VARCHAR(64) NOT NULL, \n"
        "\tnumber INTEGER NOT NULL, \n"
        "\tstage VARCHAR(16), \n"
        "\trun_id VARCHAR(32), \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_model_versions PRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_model_versions_model_id_name UNIQUE (model_id, name), \n"
        "\tCONSTRAINT uq_model_versions_model_id_number UNIQUE (model_id, number), \n"
        "\tCONSTRAINT fk_model_versions_model_id_models FOREIGN KEY(model_id) REFERENCES models (id)\n"
        ")"
    ),
    (
        "CREATE TABLE step_runs (\n"
        "\tid VARCHAR(64) NOT NULL, \n"
        "\trun_id VARCHAR(32) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tstep_name VARCHAR(255) NOT NULL, \n"
        "\tstatus VARCHAR(16) NOT NULL, \n"
        "\tposition INTEGER NOT NULL, \n"
        "\tstarted_at DATETIME NOT NULL, \n"
        "\tended_at DATETIME, \n"
        "\tduration DOUBLE, \n"
        "\tcache_key VARCHAR(64), \n"
        "\tcache_components TEXT NOT NULL, \n"
        "\tparameters TEXT NOT NULL, \n"
        "\tcached_from VARCHAR(64), \n"
        "\terror TEXT, \n"
        "\tCONSTRAINT pk_step_runs PRIMARY KEY (id), \n"
        "\tCONSTRAINT fk_step_runs_run_id_pipeline_runs FOREIGN KEY(run_id) REFERENCES pipeline_runs (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_step_runs_cache_key ON step_runs (cache_key)"),
    ("CREATE INDEX ix_step_runs_name ON step_runs (name)"),
    ("CREATE INDEX ix_step_runs_run_id_position_status ON step_runs (run_id, position, status)"),
    (
        "CREATE TABLE model_version_artifacts (\n"
        "\tmodel_version_id VARCHAR(64) NOT NULL, \n"
        "\tartifact_id VARCHAR(64) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tkind VARCHAR(8) NOT NULL, \n"
        "\tCONSTRAINT pk_model_version_artifacts PRIMARY KEY (model_version_id, artifact_id), \n"
        "\tCONSTRAINT fk_model_version_artifacts_model_version_id_model_versions FOREIGN KEY(model_version_id) REFERENCES model_versions (id), \n"
        "\tCONSTRAINT fk_model_version_artifacts_artifact_id_artifacts FOREIGN KEY(artifact_id) REFERENCES artifacts (id)\n"
        ")"
    ),
    (
        "CREATE INDEX ix_model_version_artifacts_artifact_id ON model_version_artifacts (artifact_id)"
    ),
    (
        "CREATE TABLE step_run_artifacts (\n"
        "\tstep_run_id VARCHAR(64) NOT NULL, \n"
        "\tartifact_id VARCHAR(64) NOT NULL, \n"
        "\tdirection VARCHAR(8) NOT NULL, \n"
        "\tname VARCHAR(255) NOT NULL, \n"
        "\tCONSTRAINT pk_step_run_artifacts PRIMARY KEY (step_run_id, direction, name), \n"
        "\tCONSTRAINT fk_step_run_artifacts_step_run_id_step_runs FOREIGN KEY(step_run_id) REFERENCES step_runs (id), \n"
        "\tCONSTRAINT fk_step_run_artifacts_artifact_id_artifacts FOREIGN KEY(artifact_id) REFERENCES artifacts (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_step_run_artifacts_artifact_id ON step_run_artifacts (artifact_id)"),
    (
        "CREATE TABLE step_logs (\n"
        "\tstep_run_id VARCHAR(64) NOT NULL, \n"
        "\ttext TEXT NOT NULL, \n"
        "\tCONSTRAINT pk_step_logs PRIMARY KEY (step_run_id), \n"
        "\tCONSTRAINT fk_step_logs_step_run_id_step_runs FOREIGN KEY(step_run_id) REFERENCES step_runs (id)\n"
        ")"
    ),
    (
        "CREATE TABLE cache_entries (\n"
        "\tcache_key VARCHAR(64) NOT NULL, \n"
        "\tstep_run_id VARCHAR(64) NOT NULL, \n"
        "\tpipeline_name VARCHAR(255) NOT NULL, \n"
        "\tstep_name VARCHAR(255) NOT NULL, \n"
        "\tcreated_at DATETIME NOT NULL, \n"
        "\tCONSTRAINT pk_cache_entries PRIMARY KEY (cache_key), \n"
        "\tCONSTRAINT fk_cache_entries_step_run_id_step_runs FOREIGN KEY(step_run_id) REFERENCES step_runs (id)\n"
        ")"
    ),
    ("CREATE INDEX ix_cache_entries_created_at ON cache_entries (created_at)"),
    ("CREATE INDEX ix_cache_entries_step_run_id ON cache_entries (step_run_id)"),
    (
        "CREATE TABLE alembic_version (\n"
        "\tversion_num VARCHAR(32) NOT NULL, \n"
        "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
        ")"
    ),
)
