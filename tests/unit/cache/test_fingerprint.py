"""Code fingerprints follow meaning: formatting, comments and docstrings don't count."""

from __future__ import annotations

import textwrap
import types

from stepstone.cache import fingerprint_function


def _define(source: str, tmp_path, name: str = "work") -> types.FunctionType:
    """Define a function from source in a real file, as a user module would."""
    path = tmp_path / f"mod_{abs(hash(source))}.py"
    path.write_text(textwrap.dedent(source))
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace[name]  # type: ignore[return-value]


BASE = """
def work(x):
    return x * 2 + 1
"""


def test_comments_docstrings_and_formatting_do_not_change_the_fingerprint(tmp_path) -> None:
    edited = '''
def work( x ):
    """Doubles and adds one."""
    # a comment that changes nothing
    return (x * 2
            + 1)
'''
    assert fingerprint_function(_define(BASE, tmp_path)).digest == (
        fingerprint_function(_define(edited, tmp_path)).digest
    )


def test_a_changed_expression_changes_the_fingerprint(tmp_path) -> None:
    changed = """
def work(x):
    return x * 2 + 2
"""
    assert fingerprint_function(_define(BASE, tmp_path)).digest != (
        fingerprint_function(_define(changed, tmp_path)).digest
    )


def test_decorators_do_not_count_but_defaults_do(tmp_path) -> None:
    decorated = """
import functools
def deco(f):
    return f
@deco
def work(x):
    return x * 2 + 1
"""
    default = """
def work(x=3):
    return x * 2 + 1
"""
    base = fingerprint_function(_define(BASE, tmp_path)).digest
    assert fingerprint_function(_define(decorated, tmp_path)).digest == base
    assert fingerprint_function(_define(default, tmp_path)).digest != base


def test_functions_without_source_fall_back_to_bytecode_and_say_so() -> None:
    namespace: dict[str, object] = {}
    exec("def generated(x):\n    return x + 1\n", namespace)
    fingerprint = fingerprint_function(namespace["generated"])  # type: ignore[arg-type]
    assert list(fingerprint.fallbacks.values()) == ["source unavailable; hashed compiled bytecode"]
    assert fingerprint.objects


def test_fingerprints_list_objects_by_qualified_name(tmp_path) -> None:
    fingerprint = fingerprint_function(_define(BASE, tmp_path))
    assert [name.rsplit(".", 1)[-1] for name in fingerprint.objects] == ["work"]
