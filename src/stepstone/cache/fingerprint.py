"""Code fingerprints: a hash of what a step's code *means*, not how it is formatted.

The step function's source is parsed and its AST dumped without positions, docstrings or
decorators, so comments, docstrings, blank lines and formatting do not change the hash,
while any changed expression does. When no source is available (a function built at run
time), the compiled code object is hashed instead and the fallback is recorded.

A :class:`CodeFingerprint` lists one hash per code object it covers, by qualified name, so
that a later run can say *which* object changed. Fingerprints are computed once per process
per function and reused.
"""

from __future__ import annotations

import ast
import inspect
import marshal
import textwrap
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepstone.cache.hashing import digest


@dataclass(frozen=True, slots=True)
class CodeFingerprint:
    """The hash of a step's code and the per-object hashes it was built from.

    Attributes:
        digest: one hash over every object below.
        objects: qualified name -> hash of that object's normalized code.
        fallbacks: objects hashed without source (bytecode), with the reason.
    """

    digest: str
    objects: dict[str, str]
    fallbacks: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {"digest": self.digest, "objects": self.objects, "fallbacks": self.fallbacks}


class _StripDocstrings(ast.NodeTransformer):
    """Remove docstrings and decorators: neither changes what the code computes here."""

    def _strip(self, node: Any) -> Any:
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        return self._strip(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> Any:
        return self._strip(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        return self._strip(node)


def normalized_source_hash(node: ast.AST) -> str:
    """Hash an AST node without positions, docstrings or (top-level) decorators."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        node.decorator_list = []
    cleaned = _StripDocstrings().visit(node)
    return digest(ast.dump(cleaned, annotate_fields=False, include_attributes=False).encode())


def _parse_definition(func: Callable[..., Any]) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    if tree.body and isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return tree.body[0]
    if tree.body and isinstance(tree.body[0], ast.Expr):  # a lambda assigned inline
        return tree.body[0]
    return None


def _bytecode_hash(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    if code is None:
        return digest(repr(func).encode())
    return digest(marshal.dumps(code.replace(co_filename="", co_firstlineno=1)))


def qualified_name(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None) or "?"
    return f"{module}.{getattr(func, '__qualname__', getattr(func, '__name__', repr(func)))}"


_CACHE: weakref.WeakKeyDictionary[Callable[..., Any], CodeFingerprint] = (
    weakref.WeakKeyDictionary()
)


def fingerprint_function(func: Callable[..., Any]) -> CodeFingerprint:
    """Fingerprint one step function (computed once per process, then reused).

    This covers the function's own normalized code. The seam for following the helpers it
    calls is :func:`fingerprint_function` itself: it returns per-object hashes, so adding
    reached objects changes no caller.
    """
    cached = _CACHE.get(func)
    if cached is not None:
        return cached
    name = qualified_name(func)
    node = _parse_definition(func)
    fallbacks: dict[str, str] = {}
    if node is not None:
        object_hash = normalized_source_hash(node)
    else:
        object_hash = _bytecode_hash(func)
        fallbacks[name] = "source unavailable; hashed compiled bytecode"
    objects = {name: object_hash}
    result = CodeFingerprint(
        digest=digest("\n".join(f"{k}={v}" for k, v in sorted(objects.items())).encode()),
        objects=objects,
        fallbacks=fallbacks,
    )
    try:
        _CACHE[func] = result
    except TypeError:  # not weak-referenceable (rare builtins); recompute next time
        pass
    return result
