"""Access control: loopback needs no token; anything else requires one on every request."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stepstone import Client
from stepstone.cli.dashboard import app as dashboard_cli
from stepstone.cli.dashboard import served_address
from stepstone.dashboard import create_app
from stepstone.dashboard.security import TOKEN_COOKIE, is_loopback, loopback_hosts

TOKEN = "s3cret-token"


@pytest.fixture
def guarded(isolated_home: Path) -> TestClient:
    return TestClient(create_app(Client(isolated_home), token=TOKEN))


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    assert not is_loopback("example.org")


def test_every_request_needs_the_token(guarded: TestClient) -> None:
    for path in ("/", "/api/v1/runs", "/api/v1/openapi.json", "/static/style.css", "/nope"):
        response = guarded.get(path)
        assert response.status_code == 401, path
    assert guarded.get("/api/v1/runs").json()["detail"].startswith("This stepstone dashboard")
    wrong = guarded.get("/api/v1/runs", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_bearer_header_grants_access(guarded: TestClient) -> None:
    response = guarded.get("/api/v1/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json()["total"] == 0


def test_query_token_sets_a_cookie_and_leaves_the_address(guarded: TestClient) -> None:
    response = guarded.get(
        "/?token=" + TOKEN + "&status=failed",
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/?status=failed"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{TOKEN_COOKIE}={TOKEN}") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    # The client keeps the cookie: later requests need no token.
    assert guarded.get("/").status_code == 200
    assert guarded.get("/api/v1/runs").status_code == 200


def test_loopback_app_refuses_foreign_host_headers(isolated_home: Path) -> None:
    app = create_app(Client(isolated_home), allowed_hosts=["localhost", "127.0.0.1"])
    local = TestClient(app, base_url="http://127.0.0.1:8237")
    assert local.get("/").status_code == 200
    rebound = TestClient(app, base_url="http://attacker.example:8237")
    assert rebound.get("/api/v1/runs").status_code == 400


def test_cli_refuses_a_public_address_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPSTONE_DASHBOARD_TOKEN", raising=False)
    result = CliRunner().invoke(dashboard_cli, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "needs an access token" in result.output


def test_cli_starts_uvicorn_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, object] = {}

    def fake_run(app: object, **options: object) -> None:
        started.update(options, app=app)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setenv("STEPSTONE_DASHBOARD_TOKEN", TOKEN)
    result = CliRunner().invoke(dashboard_cli, ["dashboard", "--host", "0.0.0.0", "--port", "9999"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("0.0.0.0", 9999)
    client = TestClient(started["app"])  # type: ignore[arg-type]
    assert client.get("/api/v1/runs").status_code == 401
    assert (
        client.get("/api/v1/runs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    )


def test_cli_defaults_to_loopback_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.update(options))
    monkeypatch.delenv("STEPSTONE_DASHBOARD_TOKEN", raising=False)
    result = CliRunner().invoke(dashboard_cli, ["dashboard"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8237)
    assert "http://localhost:8237/" in result.output


def test_loopback_dashboard_on_another_address_prints_the_address_that_answers(
    isolated_home: Path,
) -> None:
    """A real dashboard process bound to 127.1.2.3: the printed URL is that address, and it
    answers (the host check allows the address the dashboard listens on)."""
    with socket.socket() as probe:
        probe.bind(("127.1.2.3", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stepstone.cli",
            "dashboard",
            "--host",
            "127.1.2.3",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        address = f"http://127.1.2.3:{port}/"
        assert address in first
        for _attempt in range(300):  # the server starts listening after it printed
            try:
                with urllib.request.urlopen(address + "api/v1/runs", timeout=10) as response:
                    assert response.status == 200
                    break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail(f"nothing answered on {address}")
    finally:
        process.terminate()
        process.wait(30)
        assert process.stdout is not None
        process.stdout.close()


def test_printed_address_for_each_kind_of_host() -> None:
    assert served_address("127.0.0.1", 8237) == "http://localhost:8237/"
    assert served_address("::1", 8) == "http://[::1]:8/"
    assert served_address("[::1]", 8) == "http://[::1]:8/"
    assert served_address("10.0.0.5", 8) == "http://10.0.0.5:8/"
    assert loopback_hosts("::2")[-2:] == ["::2", "[::2]"]
