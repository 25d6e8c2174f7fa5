"""The root command: help, version, init, error handling, and the installed executable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone import __version__
from stepstone.cli.app import app
from stepstone.exceptions import RunNotFoundError

COMMANDS = (
    "init",
    "run",
    "runs",
    "logs",
    "explain",
    "artifacts",
    "models",
    "cache",
    "gc",
    "remote",
    "dashboard",
    "lineage",
    "materializers",
    "config",
    "integration",
    "example",
    "version",
)


def test_help_lists_every_command_in_order(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = [
        line.split()[0]
        for line in result.stdout.split("Commands:", 1)[1].splitlines()
        if line.startswith("  ") and line.split()
    ]
    assert listed == list(COMMANDS)
    assert "--debug" in result.stdout


@pytest.mark.parametrize(
    ("group", "subcommands"),
    [
        ("runs", ("list", "show", "compare", "delete")),
        ("artifacts", ("list", "show", "export")),
        ("models", ("list", "show", "stage")),
        ("cache", ("list", "clear", "prune", "push", "pull")),
        ("remote", ("add", "list", "remove", "keygen")),
        ("integration", ("list", "install")),
        ("config", ("show", "set", "unset")),
    ],
)
def test_each_group_lists_its_commands(
    runner: CliRunner, group: str, subcommands: tuple[str, ...]
) -> None:
    result = runner.invoke(app, [group, "--help"])
    assert result.exit_code == 0
    for subcommand in subcommands:
        assert f"  {subcommand} " in result.stdout


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(["rnus"], "'runs'"), (["runs", "lst"], "'list'"), (["cache", "claer"], "'clear'")],
)
def test_an_unknown_command_suggests_one_and_exits_2(
    runner: CliRunner, args: list[str], suggestion: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"No such command '{args[-1]}'. Did you mean {suggestion}?" in result.stderr
    assert "Traceback" not in result.output


def test_shell_completion_script(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0
    assert "complete" in result.stdout
    assert "stepstone" in result.stdout.lower()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("stepstone ru", {"run", "runs"}),
        ("stepstone runs ", {"list", "show", "compare", "delete"}),
        ("stepstone runs list --status ", {"running", "completed", "failed", "interrupted"}),
    ],
)
def test_shell_completion_reaches_every_command(
    runner: CliRunner, words: str, expected: set[str]
) -> None:
    env = {
        "_STEPSTONE_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    result = runner.invoke(app, [], env=env, prog_name="stepstone")
    assert result.exit_code == 0, result.output
    assert set(result.stdout.split()) == expected


@pytest.mark.parametrize(
    ("argv", "imported"),
    [
        (["version"], "[]"),
        # The JSON documents are the read model's pydantic views, drawn by no table.
        (["runs", "list", "--limit", "5", "--json"], "['pydantic']"),
        # A table of runs draws the view fields without building the view models.
        (["runs", "list", "--limit", "5"], "['rich']"),
    ],
)
def test_commands_do_not_import_pydantic_or_rich_needlessly(
    tmp_path: Path, argv: list[str], imported: str
) -> None:
    """Start-up: plain parameters skip Typer's pydantic converters; JSON output skips Rich."""
    script = (
        "import sys\n"
        "from stepstone.cli.app import app\n"
        "try:\n"
        f"    app({argv!r}, prog_name='stepstone')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'rich'}))\n"
    )
    env = {**os.environ, "STEPSTONE_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == imported


def test_version_command_and_flag(runner: CliRunner) -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert f"stepstone {__version__}" in result.stdout
    assert "Python" in result.stdout
    flag = runner.invoke(app, ["--version"])
    assert flag.exit_code == 0
    assert flag.stdout.strip() == f"stepstone {__version__}"


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with no STEPSTONE_HOME set, so the home is found from the folder."""
    monkeypatch.delenv("STEPSTONE_HOME", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return project


def test_init_creates_the_project_stores_and_says_where(
    runner: CliRunner, project_dir: Path
) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    home = project_dir / ".stepstone"
    assert (home / "artifacts").is_dir()
    assert (home / "metadata.db").is_file()  # init opens the database, creating the schema
    assert "Initialized" in result.stdout
    assert str(home) in result.stdout
    assert "metadata.db" in result.stdout
    assert str(home / "artifacts") in result.stdout


def test_init_is_idempotent(runner: CliRunner, project_dir: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    marker = project_dir / ".stepstone" / "artifacts" / "keep-me"
    marker.write_text("user data")
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0, again.output
    assert "Already initialized" in again.stdout
    assert marker.read_text() == "user data"


def test_init_takes_a_path(runner: CliRunner, project_dir: Path) -> None:
    result = runner.invoke(app, ["init", "sub/project"])
    assert result.exit_code == 0, result.output
    assert (project_dir / "sub" / "project" / ".stepstone" / "metadata.db").is_file()


def test_init_warns_when_stepstone_home_points_elsewhere(
    runner: CliRunner, tmp_path: Path, isolated_home: Path
) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "elsewhere")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere" / ".stepstone").is_dir()
    assert "STEPSTONE_HOME is set" in result.stdout
    assert str(isolated_home) in result.stdout


def test_user_errors_exit_2_with_one_line_and_no_traceback(runner: CliRunner) -> None:
    result = runner.invoke(app, ["runs", "show", "no-such-run"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: No run matches 'no-such-run'.")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_debug_flag_lets_the_exception_through(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--debug", "runs", "show", "no-such-run"])
    assert isinstance(result.exception, RunNotFoundError)
    assert result.exit_code != 0


def _stepstone_executable() -> str | None:
    beside_python = Path(sys.executable).parent / "stepstone"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("stepstone")


@pytest.mark.slow
def test_installed_executable_inits_and_lists_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = _stepstone_executable()
    if executable is None:
        pytest.skip("the stepstone executable is not installed (pip install -e .)")
    monkeypatch.delenv("STEPSTONE_HOME", raising=False)
    env = {**os.environ, "COLUMNS": "200"}

    def stepstone(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [executable, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    init = stepstone("init")
    assert init.returncode == 0, init.stderr
    assert str(tmp_path / ".stepstone") in init.stdout
    listed = stepstone("runs", "list")
    assert listed.returncode == 0, listed.stderr
    assert "No runs recorded yet." in listed.stdout
    as_json = stepstone("runs", "list", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"total": 0, "limit": 20, "runs": []}
    missing = stepstone("runs", "show", "latest")
    assert missing.returncode == 2
    assert missing.stderr.startswith("Error: No run matches 'latest': no runs are recorded yet")
    assert "Traceback" not in missing.stderr


@pytest.mark.slow
def test_installed_executable_runs_a_pipeline_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = _stepstone_executable()
    if executable is None:
        pytest.skip("the stepstone executable is not installed (pip install -e .)")
    from .pipelines import FLOW_SOURCE

    project = tmp_path / "project"
    project.mkdir()
    (project / "e2e_flow.py").write_text(FLOW_SOURCE)
    env = {**os.environ, "COLUMNS": "200", "STEPSTONE_HOME": str(tmp_path / "home")}

    def stepstone(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [executable, *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    ran = stepstone("run", "e2e_flow.py", "-p", "n=5", "-p", "factor=2")
    assert ran.returncode == 0, ran.stderr
    assert "Step `load` has started." in ran.stdout  # a pipe gets the plain event log
    assert "loading 5 numbers" in ran.stdout
    failed = stepstone("run", "e2e_flow.py:numbers", "-p", "n=5", "-p", "factor=-1")
    assert failed.returncode == 1
    assert "Error: Step 'total' failed" in failed.stderr
    assert "stepstone run e2e_flow.py:numbers -p n=5 -p factor=-1" in failed.stderr
    listed = stepstone("runs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["total"] == 2
    newest, oldest = document["runs"]
    assert (newest["status"], oldest["status"]) == ("failed", "completed")
    assert oldest["parameters"] == {"n": 5, "factor": 2.0, "tags": None, "loud": False}
    assert newest["cached_count"] == 1  # load was reused by the failed run
