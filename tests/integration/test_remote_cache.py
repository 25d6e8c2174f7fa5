"""Push, pull and read-through between two homes, through a directory and a moto bucket.

Alice runs a pipeline and pushes; Bob, with his own home and no shared database, pulls (or
reads through) and finds every step cached. Then what must be refused is: a tampered
artifact, a tampered signed entry, an unsigned pickle, unsigned entries under require_signed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from s3_servers import S3Server
from stepstone import pipeline, step
from stepstone.cli.app import app
from stepstone.config import set_config_value
from stepstone.exceptions import (
    PickleFallbackWarning,
    RemoteEntryWarning,
    RemoteUnreachableWarning,
)
from stepstone.models import PipelineRun
from stepstone.remote.config import add_remote
from stepstone.stores import close_all_stores, get_stores

CALLS: list[str] = []


class Model:
    """No materializer handles this type: it is stored with pickle."""

    def __init__(self, weights: list[int]) -> None:
        self.weights = weights


@step
def load(n: int) -> list:
    CALLS.append("load")
    return list(range(n))


@step
def total(xs: list) -> int:
    CALLS.append("total")
    return sum(xs)


@step
def fit(xs: list) -> Model:
    CALLS.append("fit")
    return Model(xs)


@pipeline
def numbers(n: int = 10):
    total(load(n))


@step
def double(xs: list) -> list:
    CALLS.append("double")
    return [2 * x for x in xs]


@pipeline
def doubling(n: int = 10):
    double(load(n))


@pipeline
def modelling(n: int = 10):
    fit(load(n))


def _statuses(run: PipelineRun) -> dict[str, str]:
    return {name: s.status for name, s in run.steps.items()}


@pytest.fixture(params=["directory", "moto"])
def remote_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "directory":
        return str(tmp_path / "shared-remote")
    server: S3Server = request.getfixturevalue("moto_s3")
    monkeypatch = request.getfixturevalue("monkeypatch")
    for variable, value in server.environment().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return f"s3://{server.new_bucket()}/cache"


class Teammates:
    """Two homes on one machine; ``be(name)`` switches this process to one of them."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
        self.tmp_path, self.monkeypatch = tmp_path, monkeypatch
        for name in ("alice", "bob"):
            add_remote(self.home(name), "team", url)

    def home(self, name: str) -> Path:
        return self.tmp_path / name

    def be(self, name: str) -> Path:
        close_all_stores()
        self.monkeypatch.setenv("STEPSTONE_HOME", str(self.home(name)))
        CALLS.clear()
        return self.home(name)

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote_url: str) -> Teammates:
    return Teammates(tmp_path, monkeypatch, remote_url)


def test_push_then_pull_makes_every_step_a_hit(team: Teammates) -> None:
    team.be("alice")
    numbers()
    assert "Pushed 2 entries to 'team' (2 artifacts uploaded, unsigned)" in team.cli(
        "cache", "push", "--all"
    )
    # Idempotent: nothing is written twice.
    assert "Pushed 0 entries" in team.cli("cache", "push", "--all")

    team.be("bob")
    assert "Imported 2 entries from 'team'" in team.cli("cache", "pull")
    run = numbers()
    assert CALLS == []
    assert _statuses(run) == {"load": "cached", "total": "cached"}
    assert run.steps["total"].output.load() == 45
    source = run.steps["total"].record.cached_from
    assert source is not None
    assert "Imported 0 entries from 'team'; 2 already local" in team.cli("cache", "pull")
    shown = json.loads(team.cli("runs", "list", "--json"))
    assert any(r["name"].startswith("from-remote-team-") for r in shown["runs"])


def test_read_through_fetches_a_miss_from_the_remote(team: Teammates) -> None:
    team.be("alice")
    numbers(n=5)
    team.cli("cache", "push", "--all")

    home = team.be("bob")
    set_config_value(home, "cache_remote", "team")
    run = numbers(n=5)
    assert CALLS == []
    assert _statuses(run) == {"load": "cached", "total": "cached"}
    assert run.steps["load"].output.load() == [0, 1, 2, 3, 4]
    # A key the remote lacks executes locally, as before.
    run = numbers(n=6)
    assert CALLS == ["load", "total"]


def _local_hashes() -> set[str]:
    return set(get_stores().artifacts.iter_hashes())


def test_read_through_downloads_only_what_an_executing_step_reads(team: Teammates) -> None:
    team.be("alice")
    numbers(n=5)
    team.cli("cache", "push", "--all")

    home = team.be("bob")
    set_config_value(home, "cache_remote", "team")
    run = numbers(n=5)
    assert CALLS == []
    loaded, summed = (run.steps[name].output.content_hash for name in ("load", "total"))
    assert _local_hashes().isdisjoint({loaded, summed})  # hits feeding hits: no bytes

    # A step that executes reads its input: that one, and only it, is downloaded.
    doubled = doubling(n=5)
    assert CALLS == ["double"]
    assert _statuses(doubled) == {"load": "cached", "double": "completed"}
    assert loaded in _local_hashes()
    assert summed not in _local_hashes()
    # A result the user asks for comes when it is loaded.
    assert run.steps["total"].output.load() == 10
    assert summed in _local_hashes()


def test_explain_and_runs_show_name_the_remote_of_a_hit(team: Teammates) -> None:
    team.be("alice")
    numbers(n=5)
    team.cli("cache", "push", "--all")

    home = team.be("bob")
    set_config_value(home, "cache_remote", "team")
    run = numbers(n=5)
    assert "from remote team" in str(run.steps["total"].explain())
    shown = team.cli("runs", "show", run.name)
    assert "(from remote team)" in shown
    document = json.loads(team.cli("runs", "show", run.name, "--json"))
    assert {step["cached_from"]["remote"] for step in document["steps"]} == {"team"}


def test_an_unreachable_remote_warns_once_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "carol"
    home.mkdir()
    # Nothing listens on port 9 of this machine: every request is refused at once.
    (home / "config.toml").write_text(
        'cache_remote = "gone"\n\n[remotes.gone]\nurl = "s3://nowhere/cache"\n'
        'endpoint_url = "http://127.0.0.1:9"\n'
    )
    monkeypatch.setenv("STEPSTONE_HOME", str(home))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    close_all_stores()
    CALLS.clear()

    with pytest.warns(RemoteUnreachableWarning, match="'gone'.*local cache only") as caught:
        run = numbers(n=3)

    assert [w.category for w in caught].count(RemoteUnreachableWarning) == 1
    assert _statuses(run) == {"load": "completed", "total": "completed"}
    assert CALLS == ["load", "total"]
    assert run.steps["total"].output.load() == 3


def test_push_of_one_run(team: Teammates) -> None:
    team.be("alice")
    first = numbers(n=3)
    numbers(n=4)
    assert "Pushed 2 entries" in team.cli("cache", "push", "--run", first.id)
    team.be("bob")
    assert "Imported 2 entries" in team.cli("cache", "pull")


def _remote_dir(team: Teammates) -> Path:
    return team.tmp_path / "shared-remote" / "v1"


@pytest.mark.parametrize("remote_url", ["directory"], indirect=True)
def test_a_tampered_artifact_is_refused(team: Teammates) -> None:
    team.be("alice")
    numbers()
    team.cli("cache", "push", "--all")
    # Someone rewrites total's stored value (45) on the remote, keeping its size.
    for file in (_remote_dir(team) / "cas").rglob("*"):
        if file.is_file() and file.read_bytes().strip() == b"45":
            file.write_bytes(b"99")
    team.be("bob")
    with pytest.warns(RemoteEntryWarning, match="Step 'total' from remote 'team'.*damaged"):
        assert "Imported 1 entry" in team.cli("cache", "pull")
    run = numbers()
    assert CALLS == ["total"]
    assert run.steps["total"].output.load() == 45


def _sign_setup(team: Teammates) -> str:
    alice = team.be("alice")
    output = team.cli("remote", "keygen", "--name", "alice-1")
    public_key = output.strip().splitlines()[-1]
    assert public_key.startswith("alice-1:")
    set_config_value(team.home("bob"), "trusted_keys", public_key)
    assert (alice / "keys" / "alice-1.key").stat().st_mode & 0o077 == 0
    return public_key


@pytest.mark.parametrize("remote_url", ["directory"], indirect=True)
def test_a_tampered_signed_entry_is_refused(team: Teammates) -> None:
    _sign_setup(team)
    team.be("alice")
    numbers()
    assert "signed by alice-1" in team.cli("cache", "push", "--all")
    entries = sorted((_remote_dir(team) / "entries").rglob("*.json"))
    document = json.loads(entries[0].read_bytes())
    document["duration"] = 0.5  # any change to a signed field breaks the signature
    entries[0].write_text(json.dumps(document))
    team.be("bob")
    with pytest.warns(RemoteEntryWarning, match="does not verify"):
        assert "Imported 1 entry" in team.cli("cache", "pull")


@pytest.mark.parametrize("remote_url", ["directory"], indirect=True)
def test_require_signed_ignores_unsigned_entries(team: Teammates) -> None:
    team.be("alice")
    numbers()
    team.cli("cache", "push", "--all")
    home = team.be("bob")
    set_config_value(home, "require_signed", "on")
    with pytest.warns(RemoteEntryWarning, match="is not signed and require_signed is on"):
        assert "Imported 0 entries" in team.cli("cache", "pull")


def _pickle_pushed_by_alice_read_by_bob(team: Teammates) -> PipelineRun:
    """Alice runs and pushes ``modelling`` (fit's Model is pickled); Bob reads through."""
    team.be("alice")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PickleFallbackWarning)
        modelling()
    team.cli("cache", "push", "--all")
    home = team.be("bob")
    set_config_value(home, "cache_remote", "team")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PickleFallbackWarning)
        return modelling()


@pytest.mark.parametrize("remote_url", ["directory"], indirect=True)
def test_an_unsigned_pickle_is_refused(team: Teammates) -> None:
    refused = r"output 'output' \(.*Model\) is stored with pickle .* not signed by a trusted key"
    with pytest.warns(RemoteEntryWarning, match=refused):
        run = _pickle_pushed_by_alice_read_by_bob(team)
    assert CALLS == ["fit"]  # load came from the remote, fit's pickle was refused
    assert _statuses(run) == {"load": "cached", "fit": "completed"}


@pytest.mark.parametrize("remote_url", ["directory"], indirect=True)
def test_a_pickle_signed_by_a_trusted_key_is_used(team: Teammates) -> None:
    _sign_setup(team)
    run = _pickle_pushed_by_alice_read_by_bob(team)
    assert CALLS == []
    assert run.steps["fit"].output.load().weights == list(range(10))
