"""Artifacts on S3: real servers on 127.0.0.1 (moto's server mode, SeaweedFS), real runs.

What the contract suite does not cover: the commit protocol's conditional marker, the
storage options users set (endpoint, checksums, conditional writes) from the environment
and the config file, and a pipeline whose cache lives in a bucket.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from s3_servers import KEY, SECRET, S3Server
from stepstone import pipeline, step
from stepstone.artifacts import ArtifactStore
from stepstone.artifacts.hashing import MANIFEST_NAME, decode_manifest
from stepstone.artifacts.remote import PROBE_PREFIX, FsspecBackend, conditional_writes_enforced
from stepstone.artifacts.storage import StorageOptions
from stepstone.config import load_settings
from stepstone.exceptions import CacheMissWarning, ConfigError
from stepstone.execution import StoreSpec
from stepstone.maintenance import collect_garbage
from stepstone.models import PipelineRun
from stepstone.stores import get_stores


@pytest.fixture(params=["moto", "seaweedfs"])
def server(request: pytest.FixtureRequest) -> S3Server:
    return request.getfixturevalue(f"{request.param}_s3")


@pytest.fixture
def aws_env(moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The AWS variables of the moto server, as a user's shell would have them."""
    for variable, value in moto_s3.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return moto_s3


def _store(server: S3Server, tmp_path: Path, **options: object) -> ArtifactStore:
    storage = StorageOptions(endpoint_url=server.endpoint, **options)  # type: ignore[arg-type]
    return ArtifactStore(
        f"s3://{server.new_bucket()}/cache",
        staging_dir=str(tmp_path / "staging"),
        storage_options=storage,
    )


def _backend(store: ArtifactStore) -> FsspecBackend:
    backend = store._backend
    assert isinstance(backend, FsspecBackend)
    return backend


# -- the commit protocol ---------------------------------------------------------------------


def test_both_servers_enforce_the_conditional_marker(
    server: S3Server, tmp_path: Path, aws_env: S3Server
) -> None:
    backend = _backend(_store(server, tmp_path))
    assert conditional_writes_enforced(backend.fs, backend.root)
    # The probe leaves nothing behind (SeaweedFS may still list an empty "folder").
    assert [key for key in backend.fs.find(backend.root) if PROBE_PREFIX in key] == []


@pytest.mark.parametrize("conditional", [True, False], ids=["conditional", "manifest-last"])
def test_a_writer_that_lost_the_race_keeps_the_published_copy(
    server: S3Server, tmp_path: Path, aws_env: S3Server, conditional: bool
) -> None:
    """Two writers publish the same bytes; with a conditional marker it is written once.

    Bucket versioning counts the writes of the marker: the loser's conditional put is
    refused (412), while the manifest-last fallback writes the same bytes a second time.
    """
    store = _store(server, tmp_path, conditional_writes=conditional)
    backend = _backend(store)
    bucket = backend.root.split("/", 1)[0]
    server.client().put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    first = store.save({"weights": [1, 2, 3]})
    marker = f"{backend.directory(first.content_hash)}/{MANIFEST_NAME}"
    manifest = backend.fs.cat_file(marker)
    # The second writer checked before the first published, then commits the same bytes.
    staging = backend.new_staging()
    Path(staging, MANIFEST_NAME).write_bytes(manifest)
    entries = decode_manifest(manifest)
    directory = backend.directory(first.content_hash)
    for entry in entries:
        backend.fs.get_file(f"{directory}/{entry.name}", f"{staging}/{entry.name}")
    backend.commit(staging, first.content_hash, manifest, entries)
    key = marker.split("/", 1)[1]
    versions = server.client().list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert len(versions) == (1 if conditional else 2)
    assert backend.fs.cat_file(marker) == manifest
    assert not Path(staging).exists()
    assert store.load(first.uri, first.materializer) == {"weights": [1, 2, 3]}


def test_a_damaged_marker_is_replaced_by_the_next_save(
    server: S3Server, tmp_path: Path, aws_env: S3Server
) -> None:
    store = _store(server, tmp_path)
    backend = _backend(store)
    stored = store.save(np.arange(10.0))
    marker = f"{backend.directory(stored.content_hash)}/{MANIFEST_NAME}"
    good = backend.fs.cat_file(marker)
    backend.fs.pipe_file(marker, good[:-1] + b"X")  # same size, wrong bytes
    assert store.save(np.arange(10.0)) == stored
    assert backend.fs.cat_file(marker) == good
    assert np.array_equal(store.load(stored.uri, stored.materializer), np.arange(10.0))


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_every_protocol_and_checksum_setting_round_trips(
    moto_s3: S3Server, tmp_path: Path, aws_env: S3Server, conditional: bool, checksums: str
) -> None:
    store = _store(moto_s3, tmp_path, conditional_writes=conditional, checksums=checksums)
    array = np.arange(3_000_000, dtype=np.float32)  # 12 MB: a multipart upload
    stored = store.save(array)
    assert store.save(array) == stored
    assert store.verify(stored.uri)
    assert np.array_equal(store.load(stored.uri, stored.materializer), array)
    assert list(store.iter_hashes()) == [stored.content_hash]


# -- options: environment and config file -----------------------------------------------------


def test_the_endpoint_comes_from_the_option_then_the_aws_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert StorageOptions().endpoint() == "http://127.0.0.1:2"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    assert StorageOptions().endpoint() == "http://127.0.0.1:1"
    assert StorageOptions(endpoint_url="http://127.0.0.1:3").endpoint() == "http://127.0.0.1:3"
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert StorageOptions().endpoint() is None


def test_checksums_are_relaxed_only_for_servers_other_than_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    relaxed = {
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
    }
    local = StorageOptions(endpoint_url="http://127.0.0.1:9000").fsspec_options("s3")
    assert local["config_kwargs"] == relaxed
    assert local["use_listings_cache"] is False
    assert "config_kwargs" not in StorageOptions().fsspec_options("s3")
    aws = StorageOptions(endpoint_url="https://s3.eu-west-1.amazonaws.com", region="eu-west-1")
    assert "config_kwargs" not in aws.fsspec_options("s3")
    assert aws.fsspec_options("s3")["client_kwargs"] == {"region_name": "eu-west-1"}
    forced = StorageOptions(checksums="when_required").fsspec_options("s3")
    assert forced["config_kwargs"] == relaxed
    with pytest.raises(ConfigError, match=r"s3:// artifact roots only, not gs://"):
        StorageOptions(region="eu-west-1").fsspec_options("gs")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"endpoint": "http://x"}, r"unknown key 'endpoint'. Did you mean 'endpoint_url'\?"),
        ({"checksums": "sometimes"}, r"checksums must be one of auto, when_supported"),
        ({"conditional_writes": "maybe"}, r"conditional_writes must be auto, on or off"),
        ({"options": "anon"}, r"options must be a table"),
    ],
)
def test_bad_storage_tables_say_what_to_fix(
    tmp_path: Path, isolated_home: Path, table: dict[str, str], message: str
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    key, value = next(iter(table.items()))
    (isolated_home / "config.toml").write_text(f'[artifact_storage]\n{key} = "{value}"\n')
    with pytest.raises(ConfigError, match=message) as info:
        get_stores(load_settings()).artifacts.exists("0" * 64)
    assert "config.toml" in str(info.value)


def test_the_config_file_points_the_store_at_a_server(
    moto_s3: S3Server, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stepstone-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "stepstone-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = moto_s3.new_bucket()
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        f'artifact_root = "s3://{bucket}/team"\n\n'
        "[artifact_storage]\n"
        f'endpoint_url = "{moto_s3.endpoint}"\n'
        'conditional_writes = "on"\n'
    )
    store = get_stores(load_settings()).artifacts
    assert _backend(store)._conditional is True
    stored = store.save([1, 2, 3])
    assert stored.uri.startswith(f"s3://{bucket}/team/")
    listed = moto_s3.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert f"team/{stored.content_hash[:2]}/{stored.content_hash}/{MANIFEST_NAME}" in {
        item["Key"] for item in listed
    }


@step
def numbers(n: int) -> list[int]:
    return list(range(n))


@step
def total(values: list[int]) -> int:
    return sum(values)


@pipeline
def summing(n: int = 5):
    total(numbers(n))


def test_credentials_in_the_config_file_stay_in_the_driver_and_workers_read_their_own(
    moto_s3: S3Server, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No AWS variables anywhere: the key and secret are only in the config file. The tasks
    carry neither; the pool's workers find them in the same config, as the driver did."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = moto_s3.new_bucket()
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        f'artifact_root = "s3://{bucket}/team"\n\n'
        "[artifact_storage]\n"
        f'endpoint_url = "{moto_s3.endpoint}"\n'
        "[artifact_storage.options]\n"
        f'key = "{KEY}"\n'
        f'secret = "{SECRET}"\n'
        "requester_pays = false\n"
    )
    stores = get_stores(load_settings())
    spec = StoreSpec(stores.settings.artifact_root, True, stores.storage_options)
    assert spec.storage is not None and spec.storage.withheld == (("key",), ("secret",))
    assert spec.storage.options == {"requester_pays": False}
    assert SECRET.encode() not in pickle.dumps(spec)
    run = summing.with_options(executor="processes:2")(n=10)
    assert _statuses(run) == {"numbers": "completed", "total": "completed"}
    assert run.steps["total"].output.load() == 45


# -- a pipeline whose artifacts live in a bucket ----------------------------------------------

CALLS: list[str] = []


@step
def make_features(n: int) -> np.ndarray:
    CALLS.append("make_features")
    return np.arange(n, dtype=np.float64)


@step
def scale(features: np.ndarray) -> np.ndarray:
    CALLS.append("scale")
    return features / features.max()


@step
def summarize(scaled: np.ndarray) -> dict:
    CALLS.append("summarize")
    return {"mean": float(scaled.mean()), "n": int(scaled.size)}


@pipeline
def features_pipeline(n: int = 1000):
    summarize(scale(make_features(n)))


def _statuses(run: PipelineRun) -> dict[str, str]:
    return {name: s.status for name, s in run.steps.items()}


def test_a_pipeline_on_s3_is_cached_and_repairs_a_deleted_object(
    aws_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = aws_env.new_bucket()
    monkeypatch.setenv("STEPSTONE_ARTIFACT_ROOT", f"s3://{bucket}/runs")
    CALLS.clear()
    first = features_pipeline()
    assert CALLS == ["make_features", "scale", "summarize"]
    assert set(_statuses(first).values()) == {"completed"}
    CALLS.clear()
    second = features_pipeline()
    assert CALLS == []
    assert set(_statuses(second).values()) == {"cached"}
    scaled = second.steps["scale"].output
    assert scaled.uri.startswith(f"s3://{bucket}/runs/")
    assert second.steps["summarize"].output.load() == {"mean": 0.5, "n": 1000}
    assert np.array_equal(scaled.load(), np.arange(1000.0) / 999.0)

    # Someone deletes an object behind stepstone's back: the hit becomes a miss.
    content_hash = scaled.uri.rsplit("/", 1)[-1]
    key = f"runs/{content_hash[:2]}/{content_hash}/data.npy"
    aws_env.client().delete_object(Bucket=bucket, Key=key)
    CALLS.clear()
    with pytest.warns(CacheMissWarning, match="Step 'scale'"):
        third = features_pipeline()
    assert CALLS == ["scale"]  # the same bytes again: the consumer stays cached
    assert _statuses(third) == {
        "make_features": "cached",
        "scale": "completed",
        "summarize": "cached",
    }
    assert np.array_equal(third.steps["scale"].output.load(), np.arange(1000.0) / 999.0)
    assert set(_statuses(features_pipeline()).values()) == {"cached"}


def test_garbage_collection_sweeps_the_bucket(
    aws_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = aws_env.new_bucket()
    monkeypatch.setenv("STEPSTONE_ARTIFACT_ROOT", f"s3://{bucket}/runs")
    run = features_pipeline(n=10)
    stores = get_stores()
    orphan = stores.artifacts.save({"not": "referenced"})
    referenced = sorted(s.output.uri.rsplit("/", 1)[-1] for s in run.steps.values())
    assert sorted(stores.artifacts.iter_hashes()) == sorted([*referenced, orphan.content_hash])

    report = collect_garbage(stores)
    assert report.content_hashes == (orphan.content_hash,)
    assert sorted(stores.artifacts.iter_hashes()) == referenced
    keys = [item["Key"] for item in aws_env.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert not [key for key in keys if orphan.content_hash in key]
    assert set(_statuses(features_pipeline(n=10)).values()) == {"cached"}


def test_a_stored_artifact_is_checked_in_one_request_when_its_size_is_known(
    server: S3Server, tmp_path: Path, aws_env: S3Server
) -> None:
    """What a cache hit costs on object storage: one listing per output."""
    store = _store(server, tmp_path)
    backend = _backend(store)
    stored = store.save({"weights": list(range(100))})
    sent: list[str] = []
    backend.fs.s3.meta.events.register(
        "before-send.s3", lambda request, **_: sent.append(request.method)
    )
    assert store.exists(stored.uri, stored.size)
    assert len(sent) == 1
    sent.clear()
    assert store.exists(stored.uri)  # no size: the manifest is read for the file sizes
    assert len(sent) > 1
    data = f"{backend.directory(stored.content_hash)}/data.json"
    backend.fs.pipe_file(data, backend.fs.cat_file(data)[:-1])  # cut short
    assert not store.exists(stored.uri, stored.size)
    backend.fs.rm_file(data)
    assert not store.exists(stored.uri, stored.size)
