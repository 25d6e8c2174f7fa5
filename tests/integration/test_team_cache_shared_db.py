"""A team sharing one PostgreSQL metadata store and one bucket: each hits the other's cache.

Two teammates: their own homes, their own checkouts (the same code in different directories),
one metadata URL and one ``s3://`` artifact root (a moto server). Real processes run the
pipeline, as ``python pipeline.py`` would on each machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from s3_servers import S3Server
from stepstone.artifacts.hashing import MANIFEST_NAME
from stepstone.metadata import open_metadata_store

PIPELINE = """
import json
from stepstone import pipeline, step


@step
def load(n: int) -> list:
    return list(range(n))


@step
def total(xs: list) -> int:
    return sum(xs)


@pipeline
def team(n: int = 10):
    total(load(n))


if __name__ == "__main__":
    run = team()
    print(json.dumps({name: s.status for name, s in run.steps.items()}))
"""


def _teammate(
    tmp_path: Path, name: str, environment: dict[str, str]
) -> tuple[Path, dict[str, str]]:
    checkout = tmp_path / name / "project"
    checkout.mkdir(parents=True)
    (checkout / "pipeline.py").write_text(PIPELINE)
    return checkout, {**environment, "STEPSTONE_HOME": str(tmp_path / name / "home")}


def _run(checkout: Path, environment: dict[str, str]) -> tuple[dict[str, str], str]:
    done = subprocess.run(
        [sys.executable, "pipeline.py"],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_teammates_hit_each_others_entries(
    tmp_path: Path, postgres_url: str, moto_s3: S3Server
) -> None:
    bucket = moto_s3.new_bucket()
    shared = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STEPSTONE_")},
        **moto_s3.environment(),
        "STEPSTONE_METADATA_URL": postgres_url,
        "STEPSTONE_ARTIFACT_ROOT": f"s3://{bucket}/team",
    }
    shared.pop("AWS_ENDPOINT_URL", None)
    alice, alice_env = _teammate(tmp_path, "alice", shared)
    bob, bob_env = _teammate(tmp_path, "bob", shared)

    assert _run(alice, alice_env)[0] == {"load": "completed", "total": "completed"}
    statuses, _ = _run(bob, bob_env)
    assert statuses == {"load": "cached", "total": "cached"}

    # An object of load's output vanishes from the bucket: Bob's hit becomes a miss, with a
    # warning; the same bytes again keep the consumer cached.
    with open_metadata_store(postgres_url) as metadata:
        first = metadata.list_runs()[-1]
        load = next(s for s in metadata.get_step_runs(first.id) if s.name == "load")
    content_hash = next(iter(load.outputs.values())).content_hash
    client = moto_s3.client()
    prefix = f"team/{content_hash[:2]}/{content_hash}/"
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    data = [o["Key"] for o in listed if not o["Key"].endswith(MANIFEST_NAME)]
    assert data
    client.delete_object(Bucket=bucket, Key=data[0])
    statuses, stderr = _run(bob, bob_env)
    assert statuses == {"load": "completed", "total": "cached"}
    assert "CacheMissWarning" in stderr and "Step 'load'" in stderr
    assert _run(alice, alice_env)[0] == {"load": "cached", "total": "cached"}
