"""``stepstone run FILE.py[:PIPELINE] [-p key=value ...] [--config config.yaml] [--no-cache]
[--refresh STEP ...] [--executor EXECUTOR]``.

Loading the file and converting parameters is :mod:`stepstone.cli.loading`; running is the
library's own driver. What this command adds is the choice of view (a live table in a
terminal, one line per event elsewhere: both are listeners on the same events) and the
message after a failure: the failing step, its error, where to read its traceback, and the
exact command to run again, which reuses every step that finished.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stepstone.cli.errors import FAILURE_EXIT_CODE, debug_requested

if TYPE_CHECKING:
    from stepstone.exceptions import StepExecutionError
    from stepstone.models import PipelineRun
    from stepstone.orchestrators.events import Listener
    from stepstone.pipeline import Pipeline


def stdout_is_terminal() -> bool:
    """Whether to draw the live table (a function, so tests can choose either view)."""
    return sys.stdout.isatty()


def run(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="FILE.py[:PIPELINE]",
            help="The file defining the pipeline; add :NAME if it defines several.",
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A pipeline parameter, converted to its annotated type (repeatable). "
            "Lists and dicts are JSON: -p 'layers=[64, 32]'.",
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="CONFIG.yaml",
            help="A YAML run configuration (parameters, enable_cache, steps, ...); the "
            "options given here win over it.",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Execute every step; reuse nothing from the cache."),
    ] = False,
    refresh: Annotated[
        list[str] | None,
        typer.Option(
            "--refresh",
            metavar="STEP",
            help="Execute this step again even if cached (repeatable, or comma-separated).",
        ),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            "-e",
            metavar="EXECUTOR",
            help="Where steps run: local, threads[:N], processes[:N], dask[:N] or a Dask "
            "scheduler tcp://HOST:PORT (default: the executor setting, else local).",
        ),
    ] = None,
) -> None:
    """Run a pipeline from a file; unchanged steps are reused.

    FILE.py is imported with its folder on sys.path (its `if __name__ == "__main__"` block
    does not run); name the pipeline with FILE.py:NAME if the file defines several.
    Parameters are converted to the pipeline function's annotated types.
    """
    from stepstone.cli.loading import (
        find_pipeline,
        load_module,
        on_sys_path,
        parse_parameters,
        parse_target,
    )
    from stepstone.exceptions import StepExecutionError

    parsed = parse_target(target)
    with on_sys_path(parsed.path.resolve().parent):
        module = load_module(parsed.path)
        pipeline = find_pipeline(module, parsed)
        _refuse_class_based(pipeline)
        parameters = parse_parameters(pipeline, param or [])
        options: dict[str, Any] = {}
        if config:
            options["config_path"] = config
        if no_cache:
            options["enable_cache"] = False
        steps = [name.strip() for item in refresh or [] for name in item.split(",") if name.strip()]
        if steps:
            options["refresh"] = steps
        if executor:
            options["executor"] = _checked_executor(executor)
        if options:
            pipeline = pipeline.with_options(**options)
        try:
            result = _execute(pipeline, parameters)
        except StepExecutionError as exc:
            if debug_requested(ctx):
                raise
            _report_failure(exc, target, param or [], no_cache, config)
            raise typer.Exit(FAILURE_EXIT_CODE) from None
    typer.echo(f"Inspect it with: stepstone runs show {result.name}")


def _refuse_class_based(pipeline: Pipeline) -> None:
    """A class-based pipeline takes steps, which a command line cannot give: say how to run it."""
    from stepstone.exceptions import UsageError
    from stepstone.pipelines import ClassBasedPipeline

    if isinstance(pipeline, ClassBasedPipeline) and pipeline.takes_steps():
        raise UsageError(
            f"Pipeline '{pipeline.name}' is class-based: its arguments are steps "
            f"({', '.join(pipeline.signature.parameters)}), which 'stepstone run' cannot pass. "
            "Run the file with python, where it makes the instance and calls .run()."
        )


def _checked_executor(text: str) -> str:
    """``text`` if it names an executor, else a usage error saying what would."""
    from stepstone.exceptions import ExecutorError, UsageError
    from stepstone.orchestrators.executors import parse_executor

    try:
        return str(parse_executor(text))
    except ExecutorError as exc:
        raise UsageError(f"--executor: {exc}") from None


def _execute(pipeline: Pipeline, parameters: dict[str, object]) -> PipelineRun:
    """Run with the view that fits stdout: one listener or the other, same events."""
    from stepstone.orchestrators.driver import run_pipeline
    from stepstone.orchestrators.events import log_to_console

    if not stdout_is_terminal():
        return run_pipeline(pipeline, (), parameters, listeners=[log_to_console])
    from stepstone.cli.progress import LiveProgress

    with LiveProgress() as progress:  # stops drawing even if the run raises
        listeners: list[Listener] = [progress]
        return run_pipeline(pipeline, (), parameters, listeners=listeners)


def rerun_command(target: str, params: list[str], no_cache: bool, config: str | None = None) -> str:
    """The command line that runs the same pipeline with the same parameters again.

    ``--refresh`` is left out on purpose: the refreshed steps that finished were recorded,
    and running them a third time is not what "resume" means.
    """
    words = ["stepstone", "run", target]
    for assignment in params:
        words += ["-p", assignment]
    if config:
        words += ["--config", config]
    if no_cache:
        words.append("--no-cache")
    return shlex.join(words)


def _report_failure(
    exc: StepExecutionError,
    target: str,
    params: list[str],
    no_cache: bool,
    config: str | None = None,
) -> None:
    """Failing step, its error, where its traceback is, and the command that resumes."""
    headline = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.invocation_name
    run_ref = (exc.run_id or "latest")[:12]
    typer.echo(f"Error: {headline}", err=True)
    typer.echo(f"Traceback and logs: stepstone logs {run_ref} {exc.invocation_name}", err=True)
    resume = (
        "Fix it and run again:"
        if no_cache
        else "Fix it and run again; the steps that finished are reused from the cache:"
    )
    typer.echo(resume, err=True)
    typer.echo(f"  {rerun_command(target, params, no_cache, config)}", err=True)
