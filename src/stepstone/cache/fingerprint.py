"""Code fingerprints: a hash of the code a step really runs, helpers included.

Starting from the step function, the walk follows every reference its code makes
(:mod:`stepstone.cache.references`) and everything reachable from what it finds: the values of
globals, closure variables and defaults are taken apart (:mod:`stepstone.cache.values`), so a
function kept in a dict, a list, a ``numpy.vectorize``, a bound method, an instance or a
registry is found like one called by name.

========================== ==========================================================
reached object             what enters the fingerprint
========================== ==========================================================
project function / lambda  its normalized AST (no comments, docstrings, positions),
                           then its own references, closure values, defaults and
                           attributes
project class              its normalized class AST (methods, attributes, decorators),
                           its references (bases, helpers its methods call), and the
                           values put in its namespace at run time (registries)
step object                its function
value (constant, closure,  its canonical description: plain data by its encoding,
default, partial argument) arrays by bytes, containers and objects item by item, the
                           code inside by name (and fingerprinted in its own right)
value with no stable       its type, and its defining module whole, with a note that
description (a lock)       ``stepstone explain`` shows
project module as a value, its normalized source and everything its namespace holds
``import_module("name")``
library / stdlib code      distribution name and version (``numpy==2.1.0``, ``python==3.11``),
                           read from metadata: a library is never imported to learn this
dynamic reference          the whole defining module (as above), with a note
========================== ==========================================================

"Project" code is code whose file lies outside the interpreter's standard library and
site-packages. Each reached object gets its own hash under its qualified name, so a later
run can name the helper that changed. Nothing machine-specific enters a hash (no paths, line
numbers, ``id()`` values or ``repr`` texts of objects), so a checkout moved elsewhere keeps
its keys. A fingerprint is computed once per process per function, except for code typed
into a notebook cell, whose namespace changes under it (:mod:`stepstone.cache.interactive`).
"""

from __future__ import annotations
import __future__

import ast
import importlib
import importlib.util
import inspect
import linecache
import os
import sys
import textwrap
import types
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stepstone.cache.encoding import encode_value
from stepstone.cache.hashing import digest
from stepstone.cache.interactive import (
    cell_label,
    cell_source,
    is_bookkeeping,
    is_session_code,
    notebook_stem,
    session_label,
)
from stepstone.cache.libraries import is_project_file, library_version, locate_module
from stepstone.cache.references import LiteralImport, LocalImport, References, find_references
from stepstone.cache.values import ValueDescriber, instance_attribute, type_name
from stepstone.exceptions import UndefinedNameError, UnhashableParameterError
from stepstone.steps import Step


@dataclass(frozen=True, slots=True)
class CodeFingerprint:
    """The hash of a step's code and the per-object hashes it was built from.

    Attributes:
        digest: one hash over every entry below.
        objects: qualified name -> hash of that object (code, value or library version).
        files: qualified name -> source file of project objects, for explanations.
        fallbacks: qualified name -> why it was hashed coarsely (no source, dynamic code).
        unhashable: qualified name of a value that has no stable description -> the sentence
            explain shows for it (its module then counts whole).
    """

    digest: str
    objects: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)
    unhashable: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "objects": self.objects,
            "files": self.files,
            "fallbacks": self.fallbacks,
            "unhashable": self.unhashable,
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
        return _cell_class_source(obj) if isinstance(obj, type) else None
    if not tree.body:
        return None
    node = tree.body[0]
    if getattr(obj, "__name__", None) == "<lambda>":
        lambdas = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if len(lambdas) == 1:
            return source, lambdas[0]
        return source, tree
    return source, node


def _cell_class_source(cls: type) -> tuple[str, ast.AST] | None:
    """The source of a class typed into a notebook cell, found through one of its methods.

    :func:`inspect.getsource` looks a class up through its module's file, which a kernel's
    namespace lacks. A method's code names the cell it was compiled from, and its first line
    says which ``class`` statement of that cell holds it (a cell may define the name twice).
    """
    if not is_session_code(cls.__module__):
        return None
    for value in vars(cls).values():
        func = _unwrap_method(value)
        if func is None or not func.__qualname__.startswith(cls.__qualname__ + "."):
            continue
        cell = cell_source(func.__code__.co_filename)
        if cell is None:
            continue
        lines = cell.splitlines(keepends=True)
        line = func.__code__.co_firstlineno
        for node in ast.walk(ast.parse(cell)):
            if (
                isinstance(node, ast.ClassDef)
                and node.name == cls.__name__
                and node.lineno <= line <= (node.end_lineno or node.lineno)
            ):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                source = textwrap.dedent("".join(lines[start - 1 : node.end_lineno]))
                return source, ast.parse(source).body[0]
    return None


def _unwrap_method(value: Any) -> types.FunctionType | None:
    """The function a class attribute holds: itself, or a static/class method's or property's."""
    for attribute in ("__func__", "fget"):
        if isinstance(value, types.FunctionType):
            break
        value = getattr(value, attribute, None)
    return value if isinstance(value, types.FunctionType) else None


_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _methods(cls: type) -> list[types.FunctionType]:
    """The functions written in ``cls``'s body, as loaded (unwrapped from their descriptors)."""
    found = []
    for value in vars(cls).values():
        for attribute in ("__func__", "fget", "fset", "fdel", "func", "__wrapped__", None):
            inner = value if attribute is None else getattr(value, attribute, None)
            if (
                isinstance(inner, types.FunctionType)
                and inner.__qualname__.startswith(cls.__qualname__ + ".")
                and inner not in found
            ):
                found.append(inner)
    return found


def _is_loaded_class(cls: type, node: ast.AST) -> bool:
    """Whether a class's parsed definition compiles to the methods that are loaded.

    Only methods compiled from the class's own file are compared (a dataclass's generated
    ``__init__`` comes from ``<string>``); a class whose methods close over variables of an
    enclosing function is taken as it is read, since alone it would compile otherwise.
    """
    if not isinstance(node, ast.ClassDef):
        return False
    methods = _methods(cls)
    if not methods:
        return True
    filename = methods[0].__code__.co_filename
    loaded = [m.__code__ for m in methods if m.__code__.co_filename == filename]
    if any(set(code.co_freevars) - {"__class__"} for code in loaded):
        return True
    prelude: list[ast.stmt] = [
        ast.Import([ast.alias("_", name)]) for name in sorted(_import_bound(filename))
    ]
    module = ast.fix_missing_locations(ast.Module(body=[*prelude, node], type_ignores=[]))
    try:
        compiled = compile(
            module, "<fingerprint>", "exec", _FUTURE_FLAGS & loaded[0].co_flags, True
        )
    except (SyntaxError, ValueError, TypeError):
        return False
    written: set[str] = set()
    pending = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    while pending:  # the class body, then every function compiled within it
        item = pending.pop()
        written.add(_code_digest(item, where=False))
        pending.extend(c for c in item.co_consts if isinstance(c, types.CodeType))
    return all(_code_digest(code, where=False) in written for code in loaded)


_IMPORT_BOUND: dict[tuple[str, int], frozenset[str]] = {}


def _import_bound(filename: str) -> frozenset[str]:
    """The names the module (or cell) in ``filename`` binds by an import at its top level.

    Read from the same text :mod:`linecache` gave :func:`inspect.getsource`; once per text.
    """
    text = "".join(linecache.getlines(filename))
    memo_key = (filename, hash(text))
    known = _IMPORT_BOUND.get(memo_key)
    if known is not None:
        return known
    names: set[str] = set()
    try:
        pending: list[ast.AST] = list(ast.parse(text).body)
    except (SyntaxError, ValueError):
        pending = []
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    _IMPORT_BOUND[memo_key] = result = frozenset(names)
    return result


def _is_loaded_code(code: types.CodeType, node: ast.AST) -> bool:
    """Whether a parsed definition compiles to ``code``, the code that is loaded.

    :func:`inspect.getsource` reads the file as it is *now*: a module edited since it was
    imported gives the new text while the old code runs, and a key from that text would
    later serve the old code's results to the new code. The definition is compiled alone
    (inside a function binding its free variables, so closures compile alike) and compared
    without positions, file names or where it sits.
    """
    if isinstance(node, ast.Lambda):
        statement: ast.stmt = ast.Expr(node)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        statement = node
    elif isinstance(node, ast.Module) and node.body:
        statement = node.body[0]
    else:
        return False
    # ``name.attr()`` compiles differently when the module binds ``name`` by an import.
    prelude: list[ast.stmt] = [
        ast.Import([ast.alias("_", name)]) for name in sorted(_import_bound(code.co_filename))
    ]
    body: list[ast.stmt] = [statement]
    if code.co_freevars:
        bind = ast.Assign(
            targets=[ast.Tuple([ast.Name(v, ast.Store()) for v in code.co_freevars], ast.Store())],
            value=ast.Tuple([ast.Constant(None) for _ in code.co_freevars], ast.Load()),
        )
        outer = ast.FunctionDef(
            name="_outer",
            args=ast.arguments([], [], None, [], [], None, []),
            body=[bind, statement],
            decorator_list=[],
        )
        body = [outer]
    module = ast.fix_missing_locations(ast.Module(body=prelude + body, type_ignores=[]))
    try:
        compiled = compile(module, "<fingerprint>", "exec", _FUTURE_FLAGS & code.co_flags, True)
    except (SyntaxError, ValueError, TypeError):
        return False
    wanted = _code_digest(code, where=False)
    pending = [compiled]
    while pending:
        item = pending.pop()
        if item.co_name == code.co_name and _code_digest(item, where=False) == wanted:
            return True
        pending.extend(c for c in item.co_consts if isinstance(c, types.CodeType))
    return False


def qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    name = (
        getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    )
    return f"{module}.{name}"


def _code_digest(code: types.CodeType, *, where: bool = True) -> str:
    """A hash of compiled code without its file name, line numbers or marshal's ref flags.

    ``where=False`` also leaves out what depends on where the definition sits (its qualified
    name, whether it is nested), to compare code compiled from a definition's source alone.
    """
    parts: list[bytes] = []

    def add(item: types.CodeType) -> None:
        shape = (
            item.co_qualname if where else item.co_name,
            item.co_argcount,
            item.co_posonlyargcount,
            item.co_kwonlyargcount,
            item.co_flags if where else item.co_flags & ~inspect.CO_NESTED,
            item.co_names,
            item.co_varnames,
            item.co_freevars,
            item.co_cellvars,
        )
        parts.append(repr(shape).encode())
        parts.append(item.co_code)
        for const in item.co_consts:
            if isinstance(const, types.CodeType):
                add(const)
                continue
            try:
                parts.append(encode_value(const))
            except UnhashableParameterError:  # Ellipsis, a frozenset of code…
                parts.append(type(const).__name__.encode())

    add(code)
    return digest(b"\0".join(parts))


def unhashable_sentence(name: str, file: str | None) -> str:
    """What ``stepstone explain`` says of a value that made its module count whole."""
    short = name.rpartition(".")[2] or name
    where = os.path.basename(file) if file else name.rpartition(".")[0]
    return f"value `{short}` in `{where}` could not be hashed; its module is included whole"


def whole_module_notes(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[str]:
    """Sentences for explain: why a module entered a fingerprint whole, if that entry changed.

    Args:
        now: the code record (:meth:`CodeFingerprint.to_record`) of the run explained.
        before: the code record of the run it is compared with.
    """
    objects, previous = now.get("objects", {}), before.get("objects", {})
    changed = {
        name.removeprefix("module:")
        for name in set(objects) | set(previous)
        if name.startswith("module:") and objects.get(name) != previous.get(name)
    }
    notes = now.get("unhashable", {})
    return [
        sentence
        for value, sentence in sorted(notes.items())
        if any(value.startswith(module + ".") for module in changed)
    ]


_PENDING = "pending"
_CodeFacts = tuple[str, References, str | None]
_FACTS: dict[bool, weakref.WeakKeyDictionary[types.CodeType, _CodeFacts]] = {
    False: weakref.WeakKeyDictionary(),
    True: weakref.WeakKeyDictionary(),
}


def _code_facts(func: types.FunctionType, *, is_root: bool) -> _CodeFacts:
    """A function's code hash, its references and any fallback note; once per code object.

    Helpers shared by several steps are parsed once per process. (A step's own function is
    kept apart: its ``@step`` decorator is left out of its hash.)
    """
    memo = _FACTS[is_root]
    facts = memo.get(func.__code__)
    if facts is not None:
        return facts
    parsed = _source_of(func)
    if parsed is not None and not _is_loaded_code(func.__code__, parsed[1]):
        parsed, note = None, "source differs from the loaded code; hashed compiled bytecode"
    else:
        note = "source unavailable; hashed compiled bytecode"
    if parsed is None:
        references = References(chains={(n,) for n in func.__code__.co_names}, exact=False)
        facts = (_code_digest(func.__code__), references, note)
    else:
        source, node = parsed
        if is_root and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.decorator_list = [d for d in node.decorator_list if not _is_step_decorator(d)]
        facts = (normalized_hash(node), find_references(source, node), None)
    memo[func.__code__] = facts
    return facts


class _Walker:
    """One traversal from a step function through everything its code reaches."""

    def __init__(self, root_file: str = "") -> None:
        self.root_file = root_file
        self.reached_session = False
        self.objects: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.fallbacks: dict[str, str] = {}
        self.unhashable: dict[str, str] = {}
        self._names: dict[int, str] = {}
        self._values: set[str] = set()
        self._keep_alive: list[Any] = []
        self._relabel = _main_relabeller()

    # -- entry points -----------------------------------------------------------------------

    def root(self, func: types.FunctionType) -> None:
        self._function(func, qualified_name(func), is_root=True)

    def reference(self, obj: Any, name: str, module_name: str) -> None:
        """Add ``obj``, reached under ``name`` from code in ``module_name``."""
        if self._code_token(obj, name) is None:
            self._value(name, obj, module_name)

    # -- code -------------------------------------------------------------------------------

    def _code_token(self, obj: Any, path: str) -> bytes | None:
        """Fingerprint ``obj`` if it is code (once); its name token, or None for data."""
        if isinstance(obj, Step):
            obj = obj.func
        if not isinstance(obj, types.FunctionType | type | types.ModuleType):
            return None
        known = self._names.get(id(obj))
        if known is None:
            self._keep_alive.append(obj)
            self._names[id(obj)] = known = self._name_of(obj, path)
            if isinstance(obj, types.FunctionType):
                self._function(obj, known)
            elif isinstance(obj, type):
                self._class(obj)
            else:
                self._module(obj)
        return b"<" + self._relabel(known).encode() + b">"

    def _name_of(self, obj: Any, path: str) -> str:
        if isinstance(obj, types.ModuleType):
            return f"module:{obj.__name__}"
        # Functions made inside other functions share a qualified name but not their closure
        # values: name each by where it was reached so two instances never collide.
        if "<locals>" in getattr(obj, "__qualname__", ""):
            return path
        return qualified_name(obj)

    def _library(self, obj: Any) -> None:
        module = getattr(obj, "__module__", None) or type(obj).__module__
        self._library_module(module)

    def _library_module(self, module_name: str) -> None:
        name, version = library_version(module_name)
        if name is not None:
            self.objects[f"library:{name}"] = version

    def _is_project(self, file: str) -> bool:
        """Project code, or code beside the step itself (a step is always the user's choice)."""
        return file == self.root_file or is_project_file(file)

    def _function(self, func: types.FunctionType, name: str, *, is_root: bool = False) -> None:
        if not is_root and not self._is_project(func.__code__.co_filename):
            self._library(func)
            return
        self._names[id(func)] = name
        code_hash, references, fallback = _code_facts(func, is_root=is_root)
        self.objects[name] = code_hash
        if fallback:
            self.fallbacks[name] = fallback
        self.files[name] = cell_label(func.__code__.co_filename)
        module_name = func.__module__
        closure = {}
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__, strict=False):
                try:
                    closure[var] = cell.cell_contents
                except ValueError:  # an empty cell: the variable is not bound yet
                    continue
        for index, default in enumerate(func.__defaults__ or ()):
            self.reference(default, f"{name}<default {index}>", module_name)
        for key, default in (func.__kwdefaults__ or {}).items():
            self.reference(default, f"{name}<default {key}>", module_name)
        if func.__dict__:  # attributes a decorator or registry hung on the function
            self._value(f"{name}<attributes>", dict(func.__dict__), module_name)
        self._resolve_all(references, name, module_name, func.__globals__, closure, func.__code__)

    def _class(self, cls: type) -> None:
        module = sys.modules.get(cls.__module__)
        file = getattr(module, "__file__", None)
        if is_session_code(cls.__module__):
            file = ""  # typed into a cell: the user's own, though its module has no file
        if module is None or file is None or not self._is_project(file):
            self._library(cls)
            return
        name = qualified_name(cls)
        self.files[name] = file or session_label()
        parsed = _source_of(cls)
        stale = parsed is not None and not _is_loaded_class(cls, parsed[1])
        if stale:
            parsed = None
        if parsed is None and not file:
            # A cell's class without methods of its own (a dataclass): its namespace is all
            # there is to read, so every attribute and annotation enters by value.
            self.objects[name] = digest(repr([b.__qualname__ for b in cls.__bases__]).encode())
            self.fallbacks[name] = "source unavailable; hashed its attributes"
            namespace = {
                key: value
                for key, value in vars(cls).items()
                if key == "__annotations__" or not _is_machinery(key)
            }
            self._value(f"{name}<attributes>", namespace, cls.__module__)
            return
        if parsed is None:
            members = sorted(
                (k, v.__code__) for k, v in vars(cls).items() if isinstance(v, types.FunctionType)
            )
            self.objects[name] = digest("".join(_code_digest(c) for _, c in members).encode())
            self.fallbacks[name] = (
                "source differs from the loaded code; hashed method bytecode"
                if stale
                else "source unavailable; hashed method bytecode"
            )
        else:
            source, node = parsed
            self.objects[name] = normalized_hash(node)
            self._resolve_all(find_references(source, node), name, cls.__module__, vars(module), {})
        attributes = {
            key: value
            for key, value in vars(cls).items()
            if not _is_machinery(key) and not _defined_in(value, cls)
        }
        if attributes:  # values put there at run time: a registry a decorator fills
            self._value(f"{name}<attributes>", attributes, cls.__module__)

    def _module(self, module: types.ModuleType) -> None:
        file = getattr(module, "__file__", None)
        if file is None or not self._is_project(file):
            self._library(module)
            return
        self._whole_module(module.__name__, f"module {module.__name__} is used as a whole")

    def _whole_module(self, module_name: str, reason: str) -> None:
        """The module's normalized source, and everything its namespace holds."""
        module = sys.modules.get(module_name)
        key = f"module:{module_name}"
        if key in self.objects or module is None:
            return
        self._names[id(module)] = key
        file = getattr(module, "__file__", None)
        names = sorted(vars(module))
        if is_session_code(module_name):  # a kernel's namespace: leave its history out
            names = [n for n in names if not is_bookkeeping(n)]
        try:
            with open(file or "", encoding="utf-8") as handle:
                self.objects[key] = normalized_hash(ast.parse(handle.read()))
            self.files[key] = file or ""
        except (OSError, SyntaxError, ValueError):
            self.objects[key] = digest(repr(names).encode())
        self.fallbacks[key] = reason
        namespace = vars(module)
        for attribute in names:
            if not _is_machinery(attribute):
                self.reference(namespace[attribute], f"{module_name}.{attribute}", module_name)

    # -- values -----------------------------------------------------------------------------

    def _value(self, name: str, value: Any, module_name: str) -> None:
        """A value by its canonical description; if it has none, its module whole."""
        if name in self._values:
            return
        self._values.add(name)
        # A wrapper (``lru_cache``) has its function's name: both get an entry.
        key = f"{name}<value>" if name in self.objects else name
        self.objects[key] = _PENDING
        describer = ValueDescriber(self._code_token)  # one per value: describing nests
        description = describer.describe(value, name)
        if self.objects[key] is not _PENDING:  # the function it wraps took the name meanwhile
            key = f"{name}<value>"
        if not describer.unstable:
            self.objects[key] = "value:" + digest(description)
            return
        self.objects[key] = "unhashable:" + type_name(type(value))
        defined_in = getattr(value, "__module__", None) or type(value).__module__
        if is_session_code(module_name) and locate_module(str(defined_in)) == "library":
            # A library's object (``np.exp``, a ufunc) from a cell: its library's version
            # covers it, and a kernel's namespace taken whole would change with every cell.
            self._library_module(str(defined_in))
            return
        file = getattr(sys.modules.get(module_name), "__file__", None)
        self.unhashable[key] = unhashable_sentence(name, file)
        self.fallbacks[key] = f"could not be hashed: {describer.unstable[0]}"
        self._whole_module(module_name, self.unhashable[key])

    # -- resolving references ---------------------------------------------------------------

    def _resolve_all(
        self,
        references: References,
        owner: str,
        module_name: str,
        namespace: dict[str, Any],
        closure: dict[str, Any],
        code: types.CodeType | None = None,
    ) -> None:
        """Add what ``references`` name; ``code`` is the function's, whose loads say which
        names it needs when it runs (an annotation, evaluated where it is defined, is not one)."""
        if is_session_code(module_name):
            self.reached_session = True
        for note in references.dynamic:
            self._whole_module(module_name, f"{owner}: {note} cannot be followed statically")
        for literal in references.modules:
            self._literal_import(literal, module_name, namespace)
        builtins = namespace.get("__builtins__", {})
        if isinstance(builtins, types.ModuleType):
            builtins = vars(builtins)
        for chain in sorted(references.chains):
            head = chain[0]
            if head in closure:
                obj, where = closure[head], f"{owner}<closure {head}>"
            elif head in references.imports:
                obj = self._import(references.imports[head], namespace)
                where = f"{module_name}.{head}"
                if obj is None:
                    continue
            elif head in namespace:
                obj, where = namespace[head], f"{module_name}.{head}"
            elif head in builtins:
                continue  # builtins are covered by the Python version
            elif (
                references.exact
                and code is not None
                and is_session_code(module_name)
                and head in _names_run(code)
            ):
                # A cell's code names something the kernel does not hold: its cell was never
                # run, or it was deleted. Running would fail late with a bare NameError.
                raise UndefinedNameError(self._relabel(owner), head)
            else:
                continue  # an unbound name: the code would fail when run, not cache wrongly
            for attribute in chain[1:]:
                if not isinstance(obj, types.ModuleType):
                    break
                try:
                    obj, where = getattr(obj, attribute), f"{obj.__name__}.{attribute}"
                except AttributeError:
                    break
            self.reference(obj, where, module_name)

    def _import(self, target: LocalImport, namespace: dict[str, Any]) -> Any:
        """What an import inside the code binds; a library is only named, never imported."""
        base = _absolute(target.module, target.level, namespace)
        if base is None:
            return None
        kind = locate_module(base)
        if kind == "library":
            self._library_module(base)
            return None
        if kind == "missing":
            return None
        try:
            module = importlib.import_module(base)
            if not target.name:
                return module
            if not hasattr(module, target.name):  # a submodule not imported yet
                return importlib.import_module(f"{base}.{target.name}")
            return getattr(module, target.name)
        except (ImportError, AttributeError, ValueError):
            return None

    def _literal_import(
        self, literal: LiteralImport, module_name: str, namespace: dict[str, Any]
    ) -> None:
        """``importlib.import_module("name")``: that module, used as a whole."""
        package = literal.package
        if package in ("__package__", "__name__"):
            package = namespace.get(package)
        level = len(literal.name) - len(literal.name.lstrip("."))
        base = _absolute(literal.name[level:], level, {"__package__": package})
        if base is None:
            self._whole_module(module_name, f"import of {literal.name!r} could not be resolved")
            return
        module = self._import(LocalImport(base, None), namespace)
        if isinstance(module, types.ModuleType):
            self.reference(module, f"module:{base}", module_name)


def _names_run(code: types.CodeType) -> frozenset[str]:
    """The global and attribute names ``code`` and the code nested in it load."""
    names: set[str] = set()
    pending = [code]
    while pending:
        item = pending.pop()
        names.update(item.co_names)
        pending.extend(c for c in item.co_consts if isinstance(c, types.CodeType))
    return frozenset(names)


def _absolute(module: str, level: int, namespace: dict[str, Any]) -> str | None:
    """The absolute name of an import made in a module with globals ``namespace``."""
    if not level:
        return module or None
    package = namespace.get("__package__") or namespace.get("__name__", "").rpartition(".")[0]
    try:
        return importlib.util.resolve_name("." * level + module, package or None)
    except (ImportError, ValueError):
        return None


def _is_machinery(name: str) -> bool:
    """Dunder names and ``abc``'s cache: Python's bookkeeping, rebuilt by every import."""
    return (name.startswith("__") and name.endswith("__")) or name == "_abc_impl"


def _defined_in(value: Any, cls: type) -> bool:
    """True for a function (or a wrapper of one) written in ``cls``'s body: its AST covers it."""
    for attribute in ("__func__", "fget", "func"):
        if isinstance(value, types.FunctionType):
            break
        found, inner = instance_attribute(value, attribute)
        if found:
            value = inner
    qualname = getattr(value, "__qualname__", None)
    return isinstance(qualname, str) and qualname.startswith(cls.__qualname__ + ".")


def _main_relabeller() -> Callable[[str], str]:
    """Name ``__main__`` objects by the script's (or the notebook's) file stem.

    ``python flow.py`` runs the module as ``__main__``; ``stepstone run flow.py`` imports it
    as ``flow``. Same code, so the same fingerprint: objects are named ``flow.…`` either way,
    and so are the cells of a notebook ``flow.ipynb`` (:mod:`stepstone.cache.interactive`).
    """
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    stem = os.path.splitext(os.path.basename(main_file))[0] if main_file else notebook_stem()
    if not stem:
        return lambda name: name

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
        walker.reference(func, qualified_name(func), getattr(func, "__module__", "") or "")
    relabel = _main_relabeller()
    objects = dict(sorted((relabel(k), v) for k, v in walker.objects.items()))
    result = CodeFingerprint(
        digest=digest("\n".join(f"{k}={v}" for k, v in objects.items()).encode()),
        objects=objects,
        files={relabel(k): v for k, v in walker.files.items()},
        fallbacks={relabel(k): v for k, v in walker.fallbacks.items()},
        unhashable={relabel(k): v for k, v in walker.unhashable.items()},
    )
    if walker.reached_session:
        # A kernel's namespace changes under a function that stays the same object: a cell
        # run again rebinds the helpers it calls, a cell assigns a new constant. Only the
        # parse of each code object is kept (``_code_facts``); the walk is done again.
        return result
    try:
        _CACHE[func] = result
    except TypeError:  # not weak-referenceable: recompute next time
        pass
    return result
