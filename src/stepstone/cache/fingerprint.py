"""Code fingerprints: a hash of the code a step really runs, helpers included.

Starting from the step function, the walk follows every reference its code makes
(:mod:`stepstone.cache.references`) and hashes what it reaches:

========================== ==========================================================
reached object             what enters the fingerprint
========================== ==========================================================
project function / lambda  its normalized AST (no comments, docstrings, positions),
                           then its own references, closure values and defaults
project class              its normalized class AST (methods, attributes, decorators),
                           then its references (bases, helpers its methods call)
``functools.partial``      the wrapped function, and the bound arguments by value
step object                its function
module constant            its value's canonical encoding (arrays by bytes), else the
                           source of its assignment
library / stdlib code      distribution name and version (``numpy==2.1.0``, ``python==3.11``)
dynamic reference          the whole defining module's normalized source, with a note
========================== ==========================================================

"Project" code is code whose file lies outside the interpreter's standard library and
site-packages. Each reached object gets its own hash under its qualified name, so a later
run can name the helper that changed. A fingerprint is computed once per process per
function.
"""

from __future__ import annotations

import ast
import functools
import inspect
import marshal
import os
import sys
import textwrap
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stepstone.cache.encoding import encode_value
from stepstone.cache.hashing import digest
from stepstone.cache.libraries import is_project_file, library_version
from stepstone.cache.references import References, find_references
from stepstone.exceptions import UnhashableParameterError
from stepstone.steps import Step


@dataclass(frozen=True, slots=True)
class CodeFingerprint:
    """The hash of a step's code and the per-object hashes it was built from.

    Attributes:
        digest: one hash over every entry below.
        objects: qualified name -> hash of that object (code, value or library version).
        files: qualified name -> source file of project objects, for explanations.
        fallbacks: qualified name -> why it was hashed coarsely (no source, dynamic code).
    """

    digest: str
    objects: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "objects": self.objects,
            "files": self.files,
            "fallbacks": self.fallbacks,
        }


class _StripDocstrings(ast.NodeTransformer):
    """Remove docstrings: they do not change what code computes."""

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

    visit_FunctionDef = _strip
    visit_AsyncFunctionDef = _strip
    visit_ClassDef = _strip
    visit_Module = _strip


def _is_step_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Name) and target.id == "step") or (
        isinstance(target, ast.Attribute) and target.attr == "step"
    )


def normalized_hash(node: ast.AST) -> str:
    """Hash an AST without positions or docstrings."""
    cleaned = _StripDocstrings().visit(node)
    return digest(ast.dump(cleaned, annotate_fields=False, include_attributes=False).encode())


def _source_of(obj: Any) -> tuple[str, ast.AST] | None:
    """Dedented source and the AST node of the definition of ``obj``, if available."""
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    if not tree.body:
        return None
    node = tree.body[0]
    if getattr(obj, "__name__", None) == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if len(lambdas) == 1:
            return source, lambdas[0]
        return source, tree
    return source, node


def qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    name = (
        getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    )
    return f"{module}.{name}"


def _module_file(module_name: str) -> str | None:
    module = sys.modules.get(module_name)
    return getattr(module, "__file__", None) if module else None


class _Walker:
    """One traversal from a step function through everything its code reaches."""

    def __init__(self, root_file: str = "") -> None:
        self.root_file = root_file
        self.objects: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.fallbacks: dict[str, str] = {}
        self._seen: set[int] = set()
        self._keep_alive: list[Any] = []

    # -- entry points -----------------------------------------------------------------------

    def visit(self, obj: Any, name: str) -> None:
        """Add ``obj`` (reached under ``name``) and everything it references."""
        if id(obj) in self._seen:
            return
        self._seen.add(id(obj))
        self._keep_alive.append(obj)
        if isinstance(obj, Step):
            self.visit(obj.func, name)
        elif isinstance(obj, functools.partial):
            self.visit(obj.func, name)
            self._value(f"{name}<partial args>", (obj.args, obj.keywords))
        elif isinstance(obj, types.ModuleType):
            self._module(obj)
        elif isinstance(obj, types.MethodType):
            self.visit(obj.__func__, name)
        elif isinstance(obj, types.FunctionType):
            self._function(obj, name)
        elif isinstance(obj, type):
            self._class(obj)
        elif callable(obj) and hasattr(obj, "__wrapped__"):
            self._library(obj)
            self.visit(obj.__wrapped__, name)
        elif callable(obj) and not self._is_project_object(obj):
            self._library(obj)
        else:
            self._value(name, obj)

    def root(self, func: types.FunctionType) -> None:
        self._seen.add(id(func))
        self._function(func, qualified_name(func), is_root=True)

    # -- kinds of objects -------------------------------------------------------------------

    def _library(self, obj: Any) -> None:
        module = getattr(obj, "__module__", None) or type(obj).__module__
        name, version = library_version(module)
        if name is not None:
            self.objects[f"library:{name}"] = version

    def _is_project(self, file: str) -> bool:
        """Project code, or code beside the step itself (a step is always the user's choice)."""
        return file == self.root_file or is_project_file(file)

    def _function(
        self, func: types.FunctionType, reached_as: str, *, is_root: bool = False
    ) -> None:
        if not is_root and not self._is_project(func.__code__.co_filename):
            self._library(func)
            return
        # Functions made inside other functions share a qualified name but not their closure
        # values: name each by where it was reached so two instances never collide.
        name = reached_as if "<locals>" in func.__qualname__ else qualified_name(func)
        parsed = _source_of(func)
        if parsed is None:
            code = func.__code__.replace(co_filename="", co_firstlineno=1)
            self.objects[name] = digest(marshal.dumps(code))
            self.fallbacks[name] = "source unavailable; hashed compiled bytecode"
            references = References(chains={(n,) for n in func.__code__.co_names})
        else:
            source, node = parsed
            if is_root and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                node.decorator_list = [d for d in node.decorator_list if not _is_step_decorator(d)]
            self.objects[name] = normalized_hash(node)
            references = find_references(source, node)
        self.files[name] = func.__code__.co_filename
        closure = {}
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__, strict=False):
                try:
                    closure[var] = cell.cell_contents
                except ValueError:  # an empty cell: the variable is not bound yet
                    continue
        for index, default in enumerate(func.__defaults__ or ()):
            self._reference_value(f"{name}<default {index}>", default)
        for key, default in (func.__kwdefaults__ or {}).items():
            self._reference_value(f"{name}<default {key}>", default)
        self._resolve_all(references, name, func.__module__, func.__globals__, closure)

    def _class(self, cls: type) -> None:
        module = sys.modules.get(cls.__module__)
        file = getattr(module, "__file__", None)
        if file is None or not self._is_project(file):
            self._library(cls)
            return
        name = qualified_name(cls)
        parsed = _source_of(cls)
        if parsed is None:
            members = sorted(
                (k, v.__code__) for k, v in vars(cls).items() if isinstance(v, types.FunctionType)
            )
            self.objects[name] = digest(marshal.dumps([(k, c.co_code) for k, c in members]))
            self.fallbacks[name] = "source unavailable; hashed method bytecode"
            self.files[name] = file
            return
        source, node = parsed
        self.objects[name] = normalized_hash(node)
        self.files[name] = file
        self._resolve_all(find_references(source, node), name, cls.__module__, vars(module), {})

    def _module(self, module: types.ModuleType) -> None:
        file = getattr(module, "__file__", None)
        if file is None or not self._is_project(file):
            self._library(module)
            return
        self._whole_module(module.__name__, f"module {module.__name__} is used as a whole")

    def _whole_module(self, module_name: str, reason: str) -> None:
        module = sys.modules.get(module_name)
        file = getattr(module, "__file__", None)
        key = f"module:{module_name}"
        if key in self.objects:
            return
        try:
            with open(file or "", encoding="utf-8") as handle:
                self.objects[key] = normalized_hash(ast.parse(handle.read()))
            self.files[key] = file or ""
        except (OSError, SyntaxError, ValueError):
            self.objects[key] = digest(repr(sorted(vars(module or types.ModuleType("?")))).encode())
        self.fallbacks[key] = reason

    def _value(self, name: str, value: Any) -> None:
        if name in self.objects:
            return
        try:
            self.objects[name] = "value:" + digest(encode_value(value))
            return
        except UnhashableParameterError:
            pass
        if type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
            meta = f"{value.dtype.str}{value.shape}".encode()
            self.objects[name] = "array:" + digest(meta + value.tobytes())
            return
        if self._is_project_object(type(value)):
            self.visit(type(value), qualified_name(type(value)))
        self.objects[name] = "assignment:" + self._assignment_hash(name, value)

    def _assignment_hash(self, name: str, value: Any) -> str:
        """Hash the source that assigns a module-level name; else the value's type and repr."""
        module_name, _, attribute = name.rpartition(".")
        file = _module_file(module_name)
        if file:
            try:
                with open(file, encoding="utf-8") as handle:
                    tree = ast.parse(handle.read())
                for node in tree.body:
                    targets = (
                        node.targets
                        if isinstance(node, ast.Assign)
                        else [node.target]
                        if isinstance(node, ast.AnnAssign)
                        else []
                    )
                    if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
                        return normalized_hash(node)
            except (OSError, SyntaxError):
                pass
        self.fallbacks[name] = "value without a canonical encoding or source; hashed its repr"
        return digest(f"{qualified_name(type(value))}:{value!r}".encode())

    def _is_project_object(self, obj: Any) -> bool:
        module = sys.modules.get(getattr(obj, "__module__", "") or "")
        file = getattr(module, "__file__", None)
        return isinstance(file, str) and self._is_project(file)

    # -- resolving references ---------------------------------------------------------------

    def _reference_value(self, name: str, value: Any) -> None:
        if callable(value) or isinstance(value, types.ModuleType):
            self.visit(value, name)
        else:
            self._value(name, value)

    def _resolve_all(
        self,
        references: References,
        owner: str,
        module_name: str,
        namespace: dict[str, Any],
        closure: dict[str, Any],
    ) -> None:
        for note in references.dynamic:
            self._whole_module(module_name, f"{owner}: {note} cannot be followed statically")
        builtins = namespace.get("__builtins__", {})
        if isinstance(builtins, types.ModuleType):
            builtins = vars(builtins)
        for chain in sorted(references.chains):
            head = chain[0]
            if head in closure:
                obj, where = closure[head], f"{owner}<closure {head}>"
            elif head in references.imports:
                obj = _import(references.imports[head], module_name)
                where = f"{module_name}.{head}"
                if obj is None:
                    continue
            elif head in namespace:
                obj, where = namespace[head], f"{module_name}.{head}"
            elif head in builtins:
                continue  # builtins are covered by the Python version
            else:
                continue  # an unbound name: the code would fail when run, not cache wrongly
            for attribute in chain[1:]:
                if not isinstance(obj, types.ModuleType):
                    break
                try:
                    obj, where = getattr(obj, attribute), f"{obj.__name__}.{attribute}"
                except AttributeError:
                    break
            if callable(obj) and "<locals>" not in getattr(obj, "__qualname__", "<locals>"):
                where = qualified_name(obj)
            if isinstance(obj, types.ModuleType) or callable(obj):
                self.visit(obj, where)
            else:
                self._value(where, obj)


def _import(target: Any, module_name: str) -> Any:
    import importlib
    import importlib.util

    package = module_name.rpartition(".")[0] if module_name else None
    try:
        if target.level:
            base = importlib.util.resolve_name("." * target.level + target.module, package)
        else:
            base = target.module
        module = importlib.import_module(base)
        if not target.name:
            return module
        if not hasattr(module, target.name):  # a submodule not imported yet
            return importlib.import_module(f"{base}.{target.name}")
        return getattr(module, target.name)
    except (ImportError, AttributeError, ValueError):
        return None


def _main_relabeller() -> Callable[[str], str]:
    """Name ``__main__`` objects by the script's file stem.

    ``python flow.py`` runs the module as ``__main__``; ``stepstone run flow.py`` imports it
    as ``flow``. Same code, so the same fingerprint: objects are named ``flow.…`` either way.
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not main_file:
        return lambda name: name
    stem = os.path.splitext(os.path.basename(main_file))[0]

    def relabel(name: str) -> str:
        for prefix in ("__main__.", "module:__main__"):
            if name.startswith(prefix):
                return prefix.replace("__main__", stem) + name[len(prefix) :]
        return name

    return relabel


_CACHE: weakref.WeakKeyDictionary[Callable[..., Any], CodeFingerprint] = weakref.WeakKeyDictionary()


def fingerprint_function(func: Callable[..., Any]) -> CodeFingerprint:
    """Fingerprint a step function and everything its code reaches (once per process)."""
    cached = _CACHE.get(func)
    if cached is not None:
        return cached
    code = getattr(func, "__code__", None)
    walker = _Walker(code.co_filename if code is not None else "")
    if isinstance(func, types.FunctionType):
        walker.root(func)
    else:
        walker.visit(func, qualified_name(func))
    relabel = _main_relabeller()
    objects = dict(sorted((relabel(k), v) for k, v in walker.objects.items()))
    result = CodeFingerprint(
        digest=digest("\n".join(f"{k}={v}" for k, v in objects.items()).encode()),
        objects=objects,
        files={relabel(k): v for k, v in walker.files.items()},
        fallbacks={relabel(k): v for k, v in walker.fallbacks.items()},
    )
    try:
        _CACHE[func] = result
    except TypeError:  # not weak-referenceable: recompute next time
        pass
    return result
