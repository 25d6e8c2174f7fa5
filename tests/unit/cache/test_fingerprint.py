"""Code fingerprints follow meaning and reach every helper a step's code uses."""

from __future__ import annotations

import importlib
import itertools
import linecache
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stepstone.cache import fingerprint as fingerprint_module
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


PATTERNS = """
import functools
import importlib
import threading

import numpy as np

from . import plugins


def double(x):
    return x * 2


def negate(x):
    return -x


OPS = {"double": double, "nested": [(negate,)]}
CHAIN = (double, negate)
VECTORIZED = np.vectorize(double)


@functools.lru_cache(maxsize=None)
def cached(x):
    return x + 1


class Scaler:
    def __init__(self, factor, hook):
        self.factor = factor
        self.hook = hook

    def apply(self, x):
        return self.hook(x) * self.factor


SCALER = Scaler(3, negate)
BOUND = Scaler(2, double).apply


class Registry:
    handlers = {}

    @classmethod
    def register(cls, function):
        cls.handlers[function.__name__] = function
        return function


@Registry.register
def registered(x):
    return x + 10


def use_dict(x):
    return OPS["double"](x) + OPS["nested"][0][0](x)


def use_chain(x):
    for f in CHAIN:
        x = f(x)
    return x


def use_vectorized(x):
    return VECTORIZED(x)


def use_cached(x):
    return cached(x)


def use_instance(x):
    return SCALER.apply(x)


def use_bound(x):
    return BOUND(x)


def use_registry(x):
    return Registry.handlers["registered"](x)


def use_literal_import(x):
    return importlib.import_module("proj.plugins").plugin(x)


def use_relative_import(x):
    return importlib.import_module(".plugins", __package__).plugin(x)


def unrelated(x):
    return x
"""
PLUGINS = """
def plugin(x):
    return x + 100
"""


@pytest.mark.parametrize(
    ("step", "old", "new"),
    [
        ("use_dict", "return x * 2", "return x * 3"),  # a function in a dispatch dict
        ("use_dict", "return -x", "return -x - 0"),  # nested in a list of tuples in it
        ("use_chain", "return -x", "return -x - 0"),  # a tuple of functions
        ("use_chain", "CHAIN = (double, negate)", "CHAIN = (negate, double)"),  # its order
        ("use_vectorized", "return x * 2", "return x * 3"),  # numpy.vectorize(fn).pyfunc
        ("use_cached", "return x + 1", "return x + 2"),  # lru_cache: __wrapped__
        ("use_instance", "return -x", "return -x - 0"),  # a function an instance holds
        ("use_instance", "Scaler(3, negate)", "Scaler(4, negate)"),  # the instance's state
        ("use_instance", "return self.hook(x) * self.factor", "return self.hook(x)"),
        ("use_bound", "return x * 2", "return x * 3"),  # a bound method's __self__ state
        ("use_registry", "return x + 10", "return x + 11"),  # a registry filled at import
    ],
)
def test_functions_reached_through_values_count(project, step, old, new) -> None:
    edited = PATTERNS.replace(old, new)
    assert edited != PATTERNS
    files = {"steps": PATTERNS, "plugins": PLUGINS}
    before = fingerprint_function(project(files, f"steps.{step}"))
    after = fingerprint_function(project(dict(files, steps=edited), f"steps.{step}"))
    assert before.digest != after.digest
    assert not before.unhashable


@pytest.mark.parametrize("step", ["use_literal_import", "use_relative_import"])
def test_a_literal_import_module_reaches_that_module(project, step) -> None:
    files = {"steps": PATTERNS, "plugins": PLUGINS}
    before = fingerprint_function(project(files, f"steps.{step}"))
    edited = dict(files, plugins=PLUGINS.replace("x + 100", "x + 101"))
    assert before.digest != fingerprint_function(project(edited, f"steps.{step}")).digest
    assert not any("line" in reason for reason in before.fallbacks.values())


def test_edits_out_of_reach_keep_the_fingerprint(project) -> None:
    files = {"steps": PATTERNS, "plugins": PLUGINS}
    for step in ("use_dict", "use_chain", "use_instance", "use_registry"):
        edited = dict(files, steps=PATTERNS.replace("def unrelated(x):\n    return x", "pass"))
        first = fingerprint_function(project(files, f"steps.{step}")).digest
        assert first == fingerprint_function(project(edited, f"steps.{step}")).digest, step


def test_a_computed_import_module_name_counts_the_module_whole(project) -> None:
    source = """
import importlib

def work(name):
    return importlib.import_module(name)
"""
    fingerprint = fingerprint_function(project({"steps": source}))
    assert any("import_module() at line" in reason for reason in fingerprint.fallbacks.values())


def test_a_value_that_cannot_be_hashed_counts_its_module_whole_and_says_so(project) -> None:
    source = """
import threading

LOCK = threading.Lock()

def work(x):
    with LOCK:
        return x + {n}

def other():
    return {m}
"""
    first = fingerprint_function(project({"steps": source.format(n=1, m=1)}))
    assert first.unhashable == {
        next(k for k in first.objects if k.endswith("steps.LOCK")): (
            "value `LOCK` in `steps.py` could not be hashed; its module is included whole"
        )
    }
    assert first.objects[next(k for k in first.objects if k.endswith("steps.LOCK"))] == (
        "unhashable:_thread.lock"
    )
    second = fingerprint_function(project({"steps": source.format(n=1, m=2)}))
    assert first.digest != second.digest  # any edit of the module counts
    notes = fingerprint_module.whole_module_notes(second.to_record(), first.to_record())
    assert notes == ["value `LOCK` in `steps.py` could not be hashed; its module is included whole"]


def test_a_cycle_of_values_is_described_once(project) -> None:
    source = """
LOOP = {"self": None, "f": None}
LOOP["self"] = LOOP

def helper(x):
    return x + 1

LOOP["f"] = helper

def work(x):
    return LOOP["self"]["f"](x)
"""
    first = fingerprint_function(project({"steps": source}))
    assert not first.unhashable
    assert first.digest != digest(project, {"steps": source.replace("x + 1", "x + 2")})


def test_a_local_import_of_a_library_does_not_import_it(project) -> None:
    source = """
def work(x):
    from colorsys import rgb_to_hsv
    import yaml
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression, yaml, rgb_to_hsv
"""
    for name in [m for m in sys.modules if m.split(".")[0] in ("sklearn", "yaml")]:
        del sys.modules[name]
    fingerprint = fingerprint_function(project({"steps": source}))
    assert {"library:scikit-learn", "library:pyyaml", "library:python"} <= set(fingerprint.objects)
    assert "sklearn" not in sys.modules and "yaml" not in sys.modules


def test_values_without_source_hash_the_same_in_another_process() -> None:
    code = """
import threading, functools
from stepstone.cache import fingerprint as fingerprint_module
from stepstone.cache import fingerprint_function
STATE = {"f": None, "partial": None, "items": {3, 1, "b", "a"}}
def helper(x):
    return x
STATE["f"] = helper
STATE["partial"] = functools.partial(helper, -0.0)
def work(x):
    return STATE["f"](x)
print(fingerprint_function(work).digest)
"""
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    digests = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout
        for _ in range(3)
    }
    assert len(digests) == 1


LOADED = """
class Scaler:
    factor = 2

    def apply(self, x):
        return x * self.factor


def work(x):
    return Scaler().apply(x) + 1
"""


def test_a_module_edited_after_import_is_hashed_as_loaded(project) -> None:
    """The file's new text is not the running code: hashing it would file old results under
    the new code's key, so the loaded bytecode is hashed instead, and says so."""
    loaded = project({"steps": LOADED})
    path = Path(loaded.__code__.co_filename)
    edited_text = textwrap.dedent(LOADED).replace("x * self", "x * 3 * self")
    path.write_text(edited_text.replace("+ 1", "+ 2"))
    linecache.checkcache(str(path))
    stale = fingerprint_function(loaded)
    assert stale.fallbacks["proj.steps.work"].startswith("source differs from the loaded code")
    assert stale.fallbacks["proj.steps.Scaler"].startswith("source differs from the loaded code")
    # Once the edited text is what runs, it is hashed from its source, under another key.
    reloaded = project({"steps": path.read_text()})
    current = fingerprint_function(reloaded)
    assert current.fallbacks == {}
    assert current.digest != stale.digest
