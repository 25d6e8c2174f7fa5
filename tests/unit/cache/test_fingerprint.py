"""Code fingerprints follow meaning and reach every helper a step's code uses."""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stepstone.cache import fingerprint_function

_counter = itertools.count()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Write a package ``proj`` of modules and import a function from it.

    Each call writes a fresh copy in its own directory and drops the previous modules, so
    two versions of the same project are compared as two processes would see them.
    """

    def forget() -> None:
        for name in [m for m in sys.modules if m == "proj" or m.startswith("proj.")]:
            del sys.modules[name]

    def load(files: dict[str, str], target: str = "steps.work") -> Any:
        forget()
        root = tmp_path / f"copy{next(_counter)}"
        (root / "proj").mkdir(parents=True)
        (root / "proj" / "__init__.py").write_text("")
        for name, source in files.items():
            (root / "proj" / f"{name}.py").write_text(textwrap.dedent(source))
        sys.path.insert(0, str(root))
        try:
            importlib.invalidate_caches()
            module_name, _, attribute = target.rpartition(".")
            return getattr(importlib.import_module(f"proj.{module_name}"), attribute)
        finally:
            sys.path.remove(str(root))

    yield load
    forget()


def digest(project: Callable[..., Any], files: dict[str, str]) -> str:
    return fingerprint_function(project(files)).digest


STEP = """
from .helpers import scale
from . import helpers
THRESHOLD = 3

def local_helper(x):
    return x + 1

def work(x):
    return scale(local_helper(x)) + helpers.shift(x) + THRESHOLD
"""
HELPERS = """
def scale(x):
    return x * 2

def shift(x):
    return x - 1

def unrelated():
    return 42
"""


def test_formatting_comments_and_docstrings_do_not_count(project) -> None:
    reformatted = STEP.replace(
        "def local_helper(x):\n    return x + 1",
        'def local_helper( x ):\n    """Adds one."""\n    # comment\n    return (x\n + 1)',
    )
    assert digest(project, {"steps": STEP, "helpers": HELPERS}) == digest(
        project, {"steps": reformatted, "helpers": HELPERS}
    )


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("steps", "return x + 1", "return x + 2"),  # helper in the same module
        ("helpers", "return x * 2", "return x * 3"),  # from-imported helper in another module
        ("helpers", "return x - 1", "return x - 2"),  # helper reached as module.attribute
        ("steps", "THRESHOLD = 3", "THRESHOLD = 4"),  # module constant
    ],
)
def test_edits_to_reached_code_change_the_fingerprint(project, module, old, new) -> None:
    files = {"steps": STEP, "helpers": HELPERS}
    edited = dict(files, **{module: files[module].replace(old, new)})
    assert edited[module] != files[module]
    assert digest(project, files) != digest(project, edited)


def test_unrelated_edits_do_not(project) -> None:
    edited = HELPERS.replace("return 42", "return 43")
    assert digest(project, {"steps": STEP, "helpers": HELPERS}) == digest(
        project, {"steps": STEP, "helpers": edited}
    )


def test_objects_are_listed_by_qualified_name_with_their_files(project) -> None:
    fingerprint = fingerprint_function(project({"steps": STEP, "helpers": HELPERS}))
    names = {name.split(".", 1)[1] for name in fingerprint.objects if name.startswith("proj.")}
    assert {"steps.work", "steps.local_helper", "helpers.scale", "helpers.shift"} <= names
    assert any(name.endswith("steps.THRESHOLD") for name in fingerprint.objects)
    assert not any(name.endswith("unrelated") for name in fingerprint.objects)
    scale = next(name for name in fingerprint.files if name.endswith("helpers.scale"))
    assert fingerprint.files[scale].endswith("helpers.py")


CLASSES = """
class Base:
    factor = 2
    def base_method(self):
        return self.factor

class Model(Base):
    def predict(self, x):
        return x * self.base_method()

def work(x):
    return Model().predict(x)
"""


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("return x * self.base_method()", "return x + self.base_method()"),
        ("factor = 2", "factor = 5"),
    ],
)
def test_methods_and_attributes_of_used_classes_and_their_bases_count(project, old, new) -> None:
    assert digest(project, {"steps": CLASSES}) != digest(
        project, {"steps": CLASSES.replace(old, new)}
    )


CLOSURES = """
import functools

def make(k):
    def inner(x):
        return x * k
    return inner

def deco(f):
    @functools.wraps(f)
    def wrapper(*a):
        return f(*a) + 1
    return wrapper

@deco
def decorated(x):
    return x

def power(x, p):
    return x ** p

triple = make(3)
square = functools.partial(power, p=2)
halve = lambda x: x / 2

def defaults(x, scale=make(2)):
    return scale(x)

def work(x):
    return triple(x) + square(x) + halve(x) + decorated(x) + defaults(x)
"""


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("triple = make(3)", "triple = make(4)"),  # closure value
        ("square = functools.partial(power, p=2)", "square = functools.partial(power, p=3)"),
        ("halve = lambda x: x / 2", "halve = lambda x: x / 3"),  # lambda body
        ("return f(*a) + 1", "return f(*a) + 2"),  # decorator
        ("scale=make(2)", "scale=make(5)"),  # default argument value
        ("return x ** p", "return x ** p + 0"),  # function behind a partial
    ],
)
def test_closures_partials_lambdas_decorators_and_defaults_count(project, old, new) -> None:
    edited = CLOSURES.replace(old, new)
    assert edited != CLOSURES
    assert digest(project, {"steps": CLOSURES}) != digest(project, {"steps": edited})


def test_a_nested_parameter_does_not_hide_a_global_the_outer_function_uses(project) -> None:
    source = """
def helper(x):
    return x + {n}

def work(x):
    def inner(helper):
        return helper
    return helper(inner(x))
"""
    assert digest(project, {"steps": source.format(n=1)}) != digest(
        project, {"steps": source.format(n=2)}
    )


def test_libraries_count_by_version_not_source(project) -> None:
    source = "import json\nimport numpy as np\n\ndef work(x):\n    return np.mean(json.loads(x))\n"
    fingerprint = fingerprint_function(project({"steps": source}))
    assert fingerprint.objects["library:numpy"] == importlib.import_module("numpy").__version__
    assert fingerprint.objects["library:python"] == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_dynamic_references_fall_back_to_the_whole_module_and_say_so(project) -> None:
    source = """
def helper_a(x):
    return x + {n}

def work(x, name="helper_a"):
    return globals()[name](x)
"""
    first = fingerprint_function(project({"steps": source.format(n=1)}))
    assert any("globals() at line" in reason for reason in first.fallbacks.values())
    assert first.digest != digest(project, {"steps": source.format(n=2)})


def test_functions_without_source_fall_back_to_bytecode_and_say_so() -> None:
    namespace: dict[str, object] = {}
    exec("def generated(x):\n    return x + 1\n", namespace)
    fingerprint = fingerprint_function(namespace["generated"])  # type: ignore[arg-type]
    assert "source unavailable; hashed compiled bytecode" in fingerprint.fallbacks.values()


def test_the_step_decorator_does_not_count_but_user_decorators_do(project) -> None:
    plain = "from stepstone import step\n\n@step\ndef work(x):\n    return x\n"
    configured = (
        "from stepstone import step\n\n@step(enable_cache=False)\ndef work(x):\n    return x\n"
    )
    first = fingerprint_function(project({"steps": plain}).func)
    second = fingerprint_function(project({"steps": configured}).func)
    assert first.digest == second.digest


def test_imports_inside_the_function_are_followed(project) -> None:
    source = """
def work(x):
    from .helpers import scale
    from . import helpers as h
    return scale(x) + h.shift(x)
"""
    files = {"steps": source, "helpers": HELPERS}
    for old, new in (("return x * 2", "return x * 3"), ("return x - 1", "return x - 2")):
        edited = dict(files, helpers=HELPERS.replace(old, new))
        assert digest(project, files) != digest(project, edited)


def test_a_fingerprint_is_computed_once_per_process(project, monkeypatch) -> None:
    from stepstone.cache import fingerprint as module

    work = project({"steps": STEP, "helpers": HELPERS})
    first = fingerprint_function(work)
    monkeypatch.setattr(module, "_Walker", None)  # a second walk would now fail
    assert fingerprint_function(work) is first
