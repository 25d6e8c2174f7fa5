"""``stepstone example list|pull|run`` and the registry behind them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stepstone.cli.app import app
from stepstone.examples import (
    ExampleExistsError,
    ExampleNotFoundError,
    get_example,
    list_examples,
    pull_example,
    run_example,
)


def test_registry_lists_the_caching_example() -> None:
    examples = {example.name: example for example in list_examples()}
    assert "caching" in examples
    caching = examples["caching"]
    assert caching.description
    assert (caching.path / "run.py").is_file()
    assert (caching.path / "README.md").is_file()


def test_unknown_example_suggests_a_close_name() -> None:
    with pytest.raises(
        ExampleNotFoundError, match=r"No example named 'cachng'\. Did you mean 'caching'"
    ):
        get_example("cachng")
    with pytest.raises(ExampleNotFoundError, match="Available examples: caching"):
        run_example("nothing-like-it")


def test_pull_copies_the_files_a_user_edits(tmp_path: Path) -> None:
    dest = tmp_path / "mine"
    copied = pull_example("caching", dest)
    expected = ["README.md", "caching.ipynb", "data.py", "frameworks.py", "idx.py", "run.py"]
    assert sorted(path.name for path in copied) == expected
    packaged = get_example("caching").path
    assert (dest / "run.py").read_text() == (packaged / "run.py").read_text()
    assert not (dest / "__init__.py").exists()


def test_pull_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    pull_example("caching", tmp_path)
    edited = tmp_path / "run.py"
    edited.write_text("# my edits\n")
    with pytest.raises(ExampleExistsError, match="--force") as info:
        pull_example("caching", tmp_path)
    assert edited in info.value.paths
    assert edited.read_text() == "# my edits\n"  # nothing was copied
    pull_example("caching", tmp_path, force=True)
    assert edited.read_text() != "# my edits\n"


def test_cli_example_list(runner: CliRunner) -> None:
    result = runner.invoke(app, ["example", "list"])
    assert result.exit_code == 0, result.output
    assert "caching" in result.stdout
    assert "stepstone example pull NAME" in result.stdout


def test_cli_example_pull_into_path(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["example", "pull", "caching", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "caching" / "run.py").is_file()
    assert (tmp_path / "caching" / "README.md").is_file()
    assert "python run.py" in result.stdout


def test_cli_example_pull_defaults_to_a_folder_in_the_working_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["example", "pull", "caching"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "stepstone_examples" / "caching" / "run.py").is_file()


def test_cli_example_pull_twice_is_a_user_error(runner: CliRunner, tmp_path: Path) -> None:
    args = ["example", "pull", "caching", "--path", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert again.stderr.startswith("Error: Pulling would overwrite")
    assert "--force" in again.stderr
    assert "Traceback" not in again.output
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output


@pytest.mark.parametrize("command", ["pull", "run"])
def test_cli_unknown_example_exits_2_with_a_suggestion(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, ["example", command, "cachin"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "No example named 'cachin'. Did you mean 'caching'?" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_cli_example_run_caching(runner: CliRunner) -> None:
    pytest.importorskip("sklearn")
    result = runner.invoke(app, ["example", "run", "caching"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Step `trainer` has started." in out
    assert "Using cached version of step `importer`" in out
    assert "speed-up" in out
    follow_up = runner.invoke(app, ["runs", "list", "--pipeline", "mnist_pipeline", "--json"])
    assert '"total": 3' in follow_up.stdout


def test_cli_example_with_a_missing_dependency_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    import stepstone.examples as examples

    needy = dataclasses.replace(get_example("caching"), requires=("no_such_module_for_stepstone",))
    monkeypatch.setattr(examples, "_REGISTRY", (needy,))
    result = runner.invoke(app, ["example", "run", "caching"])
    assert result.exit_code == 1  # not a typo, but nothing the command line can fix either
    assert "needs no_such_module_for_stepstone" in result.stderr
    assert "pip install 'stepstone[examples]'" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output
