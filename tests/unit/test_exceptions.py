"""The error tree: one family, a user-error branch the CLI can trust, and typed raise sites."""

from __future__ import annotations

import ast
import inspect
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from shared_fixtures import SRC
from stepstone import Client, StepDefinitionError, StepExecutionError, exceptions, pipeline, step
from stepstone.artifacts.materializers.builtin_json import BuiltinsJsonMaterializer
from stepstone.artifacts.registry import register_materializer, resolve_materializer
from stepstone.cli.errors import is_user_error
from stepstone.exceptions import (
    ArtifactIntegrityError,
    ArtifactMissingError,
    ArtifactNotFoundError,
    ConfigError,
    DefinitionError,
    ExampleExistsError,
    ExampleNotFoundError,
    InvalidDurationError,
    InvalidRecordError,
    MaintenanceError,
    MaterializerRegistrationError,
    NotFoundError,
    RunNotFoundError,
    StepNotFoundError,
    StepOutputError,
    StepRunNotFoundError,
    StepstoneError,
    StorageError,
    UnhashableParameterError,
    UsageError,
    UserError,
)
from stepstone.maintenance import parse_duration
from stepstone.metadata import StepRunWrite

PACKAGE = Path(SRC) / "stepstone"


def _error_classes() -> list[type[BaseException]]:
    return [
        value
        for value in vars(exceptions).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and not issubclass(value, Warning)
        and value.__module__ == exceptions.__name__
    ]


def test_every_error_class_derives_from_stepstone_error() -> None:
    classes = _error_classes()
    assert len(classes) > 20
    assert all(issubclass(cls, StepstoneError) for cls in classes)


def test_the_docstring_draws_every_error_class() -> None:
    drawn = exceptions.__doc__ or ""
    missing = [cls.__name__ for cls in _error_classes() if cls.__name__ not in drawn]
    assert missing == []


def test_no_public_error_class_is_defined_outside_exceptions_py() -> None:
    # Private classes (a leading underscore) that never leave their module are allowed, and
    # so are the examples' own modules: 'stepstone example pull' copies them out as user code.
    outside = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "exceptions.py" or path.parent.parent == PACKAGE / "examples":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
                # A BaseException child is an interrupt like KeyboardInterrupt (SIGTERM as
                # an exception), not an error: ``except Exception`` must never catch it.
                bases.discard("BaseException")
                if any(base.endswith(("Error", "Exception")) for base in bases):
                    outside.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert outside == []


@pytest.mark.parametrize(
    "cls",
    [
        DefinitionError,
        ConfigError,
        UsageError,
        MaintenanceError,
        NotFoundError,
        RunNotFoundError,
        StepNotFoundError,
        StepRunNotFoundError,
        ArtifactNotFoundError,
        ExampleNotFoundError,
        ExampleExistsError,
        MaterializerRegistrationError,
        InvalidDurationError,
    ],
)
def test_user_mistakes_are_user_errors(cls: type[StepstoneError]) -> None:
    assert issubclass(cls, UserError)


def test_missing_bytes_and_a_query_that_matches_nothing_are_different_errors() -> None:
    assert issubclass(ArtifactMissingError, ArtifactIntegrityError)
    assert not issubclass(ArtifactMissingError, NotFoundError)
    assert not issubclass(ArtifactNotFoundError, ArtifactIntegrityError)
    assert not is_user_error(ArtifactMissingError("gone"))
    assert is_user_error(ArtifactNotFoundError("ab12", "No single artifact matches 'ab12'."))
    assert not is_user_error(StorageError("database unreachable"))


def test_a_missing_step_run_says_so_and_names_the_id() -> None:
    with pytest.raises(StepRunNotFoundError, match="No step run has id 'nope'") as info:
        Client().get_step_run("nope")
    assert info.value.step_run_id == "nope"
    assert "No run matches" not in str(info.value)


def test_an_artifact_query_that_matches_nothing_is_not_found() -> None:
    with pytest.raises(ArtifactNotFoundError, match="No single artifact matches 'ab12'") as info:
        Client().get_artifact("ab12")
    assert info.value.query == "ab12"


def test_step_not_found_suggests_what_its_message_offers() -> None:
    error = StepNotFoundError("trian", "run-1", ["train", "trail", "evaluate"])
    assert len(error.suggestions) == 1
    assert f"Did you mean '{error.suggestions[0]}'?" in str(error)
    assert (error.invocation_name, error.run_name) == ("trian", "run-1")
    unknown = StepNotFoundError("zzz", "run-1", ["train"])
    assert unknown.suggestions == []
    assert "Its steps: train." in str(unknown)


def test_registering_something_that_is_not_a_materializer_is_a_typed_error() -> None:
    with pytest.raises(MaterializerRegistrationError, match="expected a Materializer subclass"):
        register_materializer(int, dict)  # type: ignore[call-overload]
    with pytest.raises(MaterializerRegistrationError, match=r"by class or by 'module\.QualName'"):
        register_materializer("int", BuiltinsJsonMaterializer)
    with pytest.raises(TypeError, match="must be a Materializer subclass or name"):
        resolve_materializer(42)  # type: ignore[arg-type]


def test_a_malformed_duration_is_a_typed_error_that_still_reads_as_a_value_error() -> None:
    with pytest.raises(InvalidDurationError, match=r"'3 fortnights' is not a duration.*e\.g\. 30d"):
        parse_duration("3 fortnights")
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration("")


@step
def nothing_declared() -> None:
    return 3  # type: ignore[return-value]


@step
def scaled(factor: object) -> int:
    return 1


def test_a_step_returning_undeclared_outputs_fails_with_step_output_error() -> None:
    @pipeline
    def returns_too_much() -> None:
        nothing_declared()

    with pytest.raises(StepExecutionError, match="Step 'nothing_declared' failed") as info:
        returns_too_much()
    cause = info.value.__cause__
    assert isinstance(cause, StepOutputError)
    assert (cause.invocation_name, cause.definition_name) == ("nothing_declared",) * 2
    assert cause.run_id == info.value.run_id
    assert "declares no outputs (-> None) but returned a int" in str(cause)


def test_an_unhashable_parameter_error_names_the_parameter_and_the_step() -> None:
    @pipeline
    def unencodable() -> None:
        scaled(factor=object())

    with pytest.raises(StepDefinitionError, match="parameter 'factor'") as info:
        unencodable()
    cause = info.value.__cause__
    assert isinstance(cause, UnhashableParameterError)
    assert info.value.definition_name == "scaled"
    assert (cause.parameter, cause.invocation_name) == ("factor", "scaled")


def test_a_contradictory_record_is_refused_with_a_typed_error() -> None:
    @pipeline
    def once() -> None:
        scaled(factor=2)

    run = once()
    record = run.steps["scaled"].record
    contradictory = replace(record, id=uuid.uuid4().hex, cache_key=None)
    metadata = Client().stores.metadata
    with pytest.raises(InvalidRecordError, match="asks for a cache entry but has no cache_key"):
        metadata.record_step_runs([StepRunWrite(contradictory, (), cache_entry=True)])
    assert isinstance(InvalidRecordError("x"), ValueError)
    assert metadata.get_step_run(contradictory.id) is None
