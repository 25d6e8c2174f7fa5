"""Credentials among the ``[artifact_storage]`` options never travel with a task."""

from __future__ import annotations

import pickle

from stepstone.artifacts.storage import StorageOptions
from stepstone.execution import StoreSpec

OPTIONS = {
    "key": "AKIA-driver",
    "secret": "driver-secret",
    "requester_pays": True,
    "client_kwargs": {"aws_session_token": "driver-token", "verify": False},
    "s3_additional_kwargs": {"SSEKMSKeyId": "alias/team", "ServerSideEncryption": "aws:kms"},
}


def test_a_store_spec_keeps_every_option_but_the_credentials() -> None:
    spec = StoreSpec("s3://team/cache", storage=StorageOptions(region="eu-west-1", options=OPTIONS))
    assert spec.storage is not None
    assert spec.storage.options == {
        "requester_pays": True,
        "client_kwargs": {"verify": False},
        "s3_additional_kwargs": {"SSEKMSKeyId": "alias/team", "ServerSideEncryption": "aws:kms"},
    }
    assert spec.storage.region == "eu-west-1"
    assert spec.storage.withheld == (("key",), ("secret",), ("client_kwargs", "aws_session_token"))
    sent = pickle.dumps(spec)
    assert not any(word in sent for word in (b"AKIA-driver", b"driver-secret", b"driver-token"))


def test_a_worker_fills_the_withheld_credentials_from_its_own_options() -> None:
    spec = StoreSpec("s3://team/cache", storage=StorageOptions(options=OPTIONS))
    assert spec.storage is not None
    own = StorageOptions(
        options={"key": "AKIA-worker", "client_kwargs": {"aws_session_token": "t"}}
    )
    filled = spec.storage.with_credentials_of(own)
    assert filled.withheld == ()
    assert filled.options["key"] == "AKIA-worker"
    assert "secret" not in filled.options  # the worker's own has none: its environment's
    assert filled.options["client_kwargs"] == {"verify": False, "aws_session_token": "t"}
    assert spec.storage.with_credentials_of(None).options == spec.storage.options
