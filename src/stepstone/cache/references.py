"""Finding what a piece of code refers to, statically.

A step's fingerprint must cover the helpers it calls, so we list the names its code loads
from outside itself (``scale``, ``features.scale``, ``np.mean``) and the constructs whose
target cannot be known without running the code (``getattr(obj, name)`` with a computed
name, ``eval``, ``exec``, ``importlib.import_module(name)`` with a computed name). The
fingerprint then resolves the names against the function's closure and globals; for dynamic
constructs it falls back to hashing the whole defining module. An import by a literal name
(``importlib.import_module("plugins.fast")``, ``__import__("plugins")``) is no mystery: it
is listed as that module.

Which names are external is decided by :mod:`symtable` — Python's own scoping rules — so
a nested function's parameter that shadows a global never hides that global from the
outer function. Imports inside the code are followed through an alias table.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass, field

_DYNAMIC_CALLS = frozenset({"eval", "exec", "__import__", "globals", "locals", "vars"})
_ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})


@dataclass(frozen=True, slots=True)
class LocalImport:
    """A name bound by an import inside the code: ``module`` and, for from-imports, ``name``."""

    module: str
    name: str | None
    level: int = 0


@dataclass(frozen=True, slots=True)
class LiteralImport:
    """``importlib.import_module(name, package)`` or ``__import__(name)`` with a literal name.

    ``package`` is the literal package of a relative name, or ``"__package__"`` /
    ``"__name__"`` when the code passes that global (read from the module's namespace).
    """

    name: str
    package: str | None = None


@dataclass(slots=True)
class References:
    """What a piece of code refers to outside itself.

    Attributes:
        chains: dotted name chains (``("features", "scale")``) whose head is an external
            name (a global, closure variable or builtin) or a local import alias.
        imports: local import alias -> what it imports.
        dynamic: notes of references that cannot be resolved statically.
        modules: modules imported by a literal name at run time.
        exact: whether every chain head is a name the code really loads from outside. Chains
            read from compiled bytecode (no source) are every name the code mentions,
            attribute names included, so a head missing from the namespace proves nothing.
    """

    chains: set[tuple[str, ...]] = field(default_factory=set)
    imports: dict[str, LocalImport] = field(default_factory=dict)
    dynamic: list[str] = field(default_factory=list)
    modules: list[LiteralImport] = field(default_factory=list)
    exact: bool = True


def _chain(node: ast.expr) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return tuple(reversed(parts))
    return None


class _Collector(ast.NodeVisitor):
    """Collects every loaded name chain, local imports and dynamic constructs."""

    def __init__(self) -> None:
        self.chains: set[tuple[str, ...]] = set()
        self.imports: dict[str, LocalImport] = {}
        self.dynamic: list[str] = []
        self.modules: list[LiteralImport] = []

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _chain(node)
        if chain is not None and isinstance(node.ctx, ast.Load):
            self.chains.add(chain)
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.chains.add((node.id,))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.imports[alias.asname] = LocalImport(alias.name, None)
            else:
                head = alias.name.split(".")[0]
                self.imports[head] = LocalImport(head, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.dynamic.append(f"'from {node.module} import *' at line {node.lineno}")
                continue
            local = alias.asname or alias.name
            self.imports[local] = LocalImport(node.module or "", alias.name, node.level)

    def visit_Call(self, node: ast.Call) -> None:
        name = _chain(node.func)
        if name is not None:
            dotted = ".".join(name)
            literal = _literal_import(node, name)
            if literal is not None:
                self.modules.append(literal)
            elif dotted in _DYNAMIC_CALLS:
                self.dynamic.append(f"{dotted}() at line {node.lineno}")
            elif dotted in _ATTRIBUTE_FUNCTIONS and len(node.args) >= 2:
                if not isinstance(node.args[1], ast.Constant):
                    self.dynamic.append(f"{dotted}() with a computed name at line {node.lineno}")
            elif name[-1] == "import_module":
                self.dynamic.append(f"{dotted}() at line {node.lineno}")
        self.generic_visit(node)


def _literal_import(node: ast.Call, name: tuple[str, ...]) -> LiteralImport | None:
    """The module an ``import_module``/``__import__`` call names literally, if it does."""
    if name[-1] not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    package: ast.expr | None = node.args[1] if len(node.args) > 1 else None
    for keyword in node.keywords:
        if keyword.arg == "package":
            package = keyword.value
    if name[-1] == "__import__" or package is None:
        return LiteralImport(first.value)
    if isinstance(package, ast.Constant) and isinstance(package.value, str | type(None)):
        return LiteralImport(first.value, package.value)
    if isinstance(package, ast.Name) and package.id in ("__package__", "__name__"):
        return LiteralImport(first.value, package.id)
    return None


def _external_names(source: str) -> set[str]:
    """Names the code takes from outside: referenced globals (in any scope) and top-level uses.

    The code is parsed as a module, so the definition's own closure variables look global
    here too; the resolver checks the real closure before the globals.
    """
    try:
        root = symtable.symtable(source, "<fingerprint>", "exec")
    except SyntaxError:
        return set()
    defined_at_root = {child.get_name() for child in root.get_children()}
    names = {
        symbol.get_name()
        for symbol in root.get_symbols()
        if symbol.is_referenced() and symbol.get_name() not in defined_at_root
    }
    pending = list(root.get_children())
    while pending:
        table = pending.pop()
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (symbol.is_global() or symbol.is_declared_global()):
                names.add(symbol.get_name())
        pending.extend(table.get_children())
    return names


def find_references(source: str, tree: ast.AST) -> References:
    """The external name chains, local imports and dynamic constructs of ``tree``.

    Args:
        source: the dedented source ``tree`` was parsed from (for scope analysis).
        tree: the parsed definition.
    """
    collector = _Collector()
    collector.visit(tree)
    external = _external_names(source)
    chains = {
        chain for chain in collector.chains if chain[0] in external or chain[0] in collector.imports
    }
    return References(
        chains=chains,
        imports=collector.imports,
        dynamic=collector.dynamic,
        modules=collector.modules,
    )
