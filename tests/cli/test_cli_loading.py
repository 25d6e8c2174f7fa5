"""``stepstone run`` inputs: FILE.py[:PIPELINE] targets and ``-p`` values to annotated types."""

from __future__ import annotations

import enum
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel

from stepstone import pipeline
from stepstone.cli.loading import (
    convert,
    describe_parameters,
    find_pipeline,
    load_module,
    parse_parameters,
    parse_target,
)
from stepstone.exceptions import ParameterValueError, UsageError, UserError


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Window:
    start: int
    end: int


class Optimizer(BaseModel):
    name: str
    lr: float = 0.1


@pipeline
def typed(
    epochs: int,
    lr: float = 0.001,
    shuffle: bool = True,
    name: str = "run",
    layers: list[int] | None = None,
    extra: dict[str, Any] | None = None,
    colour: Colour = Colour.RED,
    mode: Literal["fast", "slow"] = "fast",
    out: Path = Path("out"),
    window: Window | None = None,
    optimizer: Optimizer | None = None,
    shape: tuple[int, ...] = (1,),
    untyped=3,
    anything=None,
) -> None:
    pass


def test_target_splits_an_optional_pipeline_name() -> None:
    assert parse_target("flows/train.py:training").pipeline == "training"
    assert parse_target("flows/train.py:training").path == Path("flows/train.py")
    assert parse_target("train.py").pipeline is None
    assert parse_target("C:\\work\\train.py").pipeline is None  # a drive letter is no name


def test_parameters_convert_to_the_annotated_types() -> None:
    values = parse_parameters(
        typed,
        [
            "epochs=3",
            "lr=1e-2",
            "shuffle=no",
            "name=a=b",
            "layers=[64, 32]",
            'extra={"k": [1]}',
            "colour=blue",
            "mode=slow",
            "out=results/x",
            'window={"start": 1, "end": 5}',
            'optimizer={"name": "adam"}',
            "shape=[2, 3]",
            "untyped=7",
            "anything=[1, 2]",
        ],
    )
    assert values == {
        "epochs": 3,
        "lr": 0.01,
        "shuffle": False,
        "name": "a=b",
        "layers": [64, 32],
        "extra": {"k": [1]},
        "colour": Colour.BLUE,
        "mode": "slow",
        "out": Path("results/x"),
        "window": Window(1, 5),
        "optimizer": Optimizer(name="adam"),
        "shape": (2, 3),
        "untyped": 7,
        "anything": [1, 2],
    }
    assert type(values["lr"]) is float


@pytest.mark.parametrize(
    ("text", "annotation", "expected"),
    [
        ("none", int | None, None),
        ("5", int | None, 5),
        ("true", bool, True),
        ("ON", bool, True),
        ("0", bool, False),
        ("  42 ", int, 42),
        ("hello", Any, "hello"),
        ("3.5", Annotated[float, "doc"], 3.5),
        ("[1]", set[int], {1}),
        ("2", Literal[1, 2], 2),
        ("null", list[int] | None, None),
        ('{"start": "1", "end": 2}', Window, Window(1, 2)),
    ],
)
def test_convert_single_values(text: str, annotation: Any, expected: Any) -> None:
    assert convert(text, annotation) == expected


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        (
            "epochs=ten",
            r"^Parameter 'epochs' of pipeline 'typed' expects int, not 'ten': .*valid integer",
        ),
        ("lr=fast", r"expects float, not 'fast': .*valid number"),
        (
            "shuffle=maybe",
            r"expects bool, not 'maybe': use on or off \(also 1/0, true/false, yes/no\)\.$",
        ),
        ("layers=64,32", r"expects list\[int\] \| None, not '64,32': Invalid JSON: "),
        ("extra=[1]", r"expects dict\[str, Any\] \| None, not '\[1\]': .*object\.$"),
        ("optimizer={}", r"expects Optimizer \| None, not '\{\}': name: Field required\.$"),
        ("colour=green", r"expects Colour, not 'green': .*'red' or 'blue'"),
        ("mode=medium", r"expects Literal\['fast', 'slow'\], not 'medium'"),
        ("window=[1]", r"expects Window \| None, not '\[1\]'"),
        ('shape=[1, "x"]', r"expects tuple\[int, \.\.\.\], not .*: 1: .*valid integer"),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_the_type(
    assignment: str, message: str
) -> None:
    with pytest.raises(ParameterValueError, match=message) as caught:
        assignments = [assignment] if assignment.startswith("epochs") else ["epochs=1", assignment]
        parse_parameters(typed, assignments)
    name, _, value = assignment.partition("=")
    assert (caught.value.parameter, caught.value.value) == (name, value)
    assert caught.value.pipeline_name == "typed"
    assert isinstance(caught.value, UserError)  # exit status 2 in the CLI


def test_pydantic_is_imported_only_to_convert_a_value() -> None:
    """``stepstone run`` without ``-p`` (and every other command) starts without it."""
    script = (
        "import sys\n"
        "from stepstone.cli.loading import convert\n"
        "before = 'pydantic' in sys.modules\n"
        "convert('3', int)\n"
        "print(before, 'pydantic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_unknown_repeated_malformed_and_missing_parameters() -> None:
    with pytest.raises(UsageError, match=r"has no parameter 'epoch'\. Did you mean 'epochs'\?"):
        parse_parameters(typed, ["epoch=3"])
    with pytest.raises(UsageError, match=r"Its parameters: epochs \(int\), lr \(float = 0\.001\)"):
        parse_parameters(typed, ["epoch=3"])
    with pytest.raises(UsageError, match="given twice"):
        parse_parameters(typed, ["epochs=3", "epochs=4"])
    with pytest.raises(UsageError, match=r"must be KEY=VALUE, e\.g\. -p epochs=3"):
        parse_parameters(typed, ["epochs"])
    with pytest.raises(UsageError, match=r"needs parameter\(s\) epochs: pass -p epochs=VALUE"):
        parse_parameters(typed, [])


def test_describe_parameters_of_a_pipeline_without_any() -> None:
    @pipeline
    def bare() -> None:
        pass

    assert describe_parameters(bare) == "It takes no parameters."


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(source)
    return path


TWO_PIPELINES = """
from stepstone import pipeline, step

@step
def one() -> int:
    return 1

@pipeline
def first():
    one()

@pipeline(name="second_pipeline")
def second():
    one()
"""


def test_find_pipeline_by_variable_or_pipeline_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "cli_loading_two.py", TWO_PIPELINES)
    module = load_module(path)
    assert find_pipeline(module, parse_target(f"{path}:first")).name == "first"
    assert find_pipeline(module, parse_target(f"{path}:second_pipeline")).name == "second_pipeline"
    with pytest.raises(UsageError, match=r"defines several pipelines \(first, second\)"):
        find_pipeline(module, parse_target(str(path)))
    with pytest.raises(UsageError, match=r"has no pipeline 'frist'\. Did you mean 'first'\?"):
        find_pipeline(module, parse_target(f"{path}:frist"))


def test_loading_the_same_file_twice_replaces_the_module(tmp_path: Path) -> None:
    path = _write(tmp_path, "cli_loading_again.py", "VALUE = 1\n")
    assert load_module(path).VALUE == 1
    path.write_text("VALUE = 2\n")
    assert load_module(path).VALUE == 2


def test_loading_refuses_to_shadow_an_imported_module(tmp_path: Path) -> None:
    path = _write(tmp_path, "json.py", "X = 1\n")
    with pytest.raises(UsageError, match=r"already the name of an installed module.*Rename"):
        load_module(path)


def test_loading_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"No such file: .*missing\.py"):
        load_module(tmp_path / "missing.py")
    with pytest.raises(UsageError, match=r"is not a Python file"):
        load_module(_write(tmp_path, "notes.txt", "hi"))
    broken = _write(tmp_path, "cli_loading_broken.py", "def f(:\n")
    with pytest.raises(UsageError, match=r"Cannot load .*: SyntaxError: .*\(line 1\)"):
        load_module(broken)
    raising = _write(tmp_path, "cli_loading_raises.py", "x = 1\nraise RuntimeError('no data')\n")
    with pytest.raises(UsageError, match=r"RuntimeError: no data \(line 2\)"):
        load_module(raising)
