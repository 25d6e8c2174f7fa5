"""Reading a step function's signature: its arguments and its named outputs.

Outputs come from the return annotation:

* no annotation, or any single type -> one output named ``output``;
* ``Annotated[T, "name"]`` -> one output named ``name`` (an ``ArtifactConfig(name=...)`` in the
  metadata names it too, and says how it is recorded as an artifact version);
* ``tuple[Annotated[A, "a"], Annotated[B, "b"]]`` (or ``typing.Tuple``) -> outputs ``a`` and ``b``;
* ``None`` -> no outputs;
* ``Output(a=A, b=B)`` (the class-based API) -> outputs ``a`` and ``b``, as the tuple above;
* ``tuple[A, B]`` without names follows ZenML's rule: when the function's own body returns a
  tuple literal (``return a, b``) the members are outputs ``output_0``, ``output_1``; when it
  returns something else (``return pair``) the whole tuple is one output, ``output``. A member
  left unnamed beside named ones is ``output_<position>``. Only a function whose source cannot
  be read (so the rule cannot be applied) is refused: guessing would store the wrong artifacts.

Arguments are split into input artifacts and parameters only when the step is called
(by what is passed), so the signature records names, defaults and annotations.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from stepstone.exceptions import StepDefinitionError
from stepstone.steps.artifact_config import ArtifactConfig
from stepstone.steps.step_output import Output

RESERVED_ARGUMENTS = frozenset({"id", "after"})
"""Keyword arguments a step call takes for itself: the invocation id and ordering."""

SINGLE_OUTPUT_NAME = "output"


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """One declared output: its name and its annotated type (``Any`` if unannotated).

    ``config`` is the output's :class:`~stepstone.steps.artifact_config.ArtifactConfig`, if its
    annotation has one; ``custom`` the artifact name the annotation gives (an ``Annotated``
    string or the config's name), ``None`` for ZenML's default name (:meth:`artifact_name`).
    """

    name: str
    annotation: Any
    config: ArtifactConfig | None = None
    custom: str | None = None

    def artifact_name(self, pipeline_name: str, invocation_name: str) -> str:
        """The name of the artifact this output becomes in a run of ``pipeline_name``.

        A name given in the annotation (``{date}``/``{time}`` not yet filled), else ZenML's
        default ``<pipeline>::<step>::<output>``.
        """
        if self.config is not None and self.config.name is not None:
            return self.config.name
        if self.custom is not None:
            return self.custom
        return f"{pipeline_name}::{invocation_name}::{self.name}"


@dataclass(frozen=True, slots=True)
class StepSignature:
    """What a step function takes and returns.

    Attributes:
        function: the function's own :class:`inspect.Signature` (read it through
            :attr:`parameters` and :meth:`bind_partial`).
        outputs: the declared outputs, in order.
        annotations: the resolved annotations of the arguments that have one.
        returns: the resolved return annotation (``inspect.Signature.empty`` if none).
    """

    function: inspect.Signature
    outputs: tuple[OutputSpec, ...]
    annotations: dict[str, Any]
    returns: Any = inspect.Signature.empty
    output_names: tuple[str, ...] = field(init=False)
    """The declared outputs' names, in order (read on every call of the step in a trace)."""
    _positional: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _positional_only: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(output.name for output in self.outputs)
        object.__setattr__(self, "output_names", names)
        kinds = [(p.name, p.kind) for p in self.function.parameters.values()]
        positional = tuple(name for name, kind in kinds if kind in _POSITIONAL)
        only = frozenset(name for name, kind in kinds if kind is inspect.Parameter.POSITIONAL_ONLY)
        object.__setattr__(self, "_positional", positional)
        object.__setattr__(self, "_positional_only", only)

    @property
    def parameters(self) -> Mapping[str, inspect.Parameter]:
        """The function's arguments by name, in order."""
        return self.function.parameters

    def bind_partial(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A call's arguments by name, bound like :meth:`inspect.Signature.bind_partial`.

        Every step is traced once per call, and a step has no ``*args``/``**kwargs``: a call
        that fills positions and names without overlap is bound by zipping, without the
        general binder. Any other call (too many positions, a name given twice, a
        positional-only name given by keyword) goes to it, which raises its ``TypeError``.
        """
        positional = self._positional
        if len(args) <= len(positional):
            bound = dict(zip(positional, args, strict=False))
            if not any(name in bound or name in self._positional_only for name in kwargs):
                bound.update(kwargs)
                return bound
        return dict(self.function.bind_partial(*args, **kwargs).arguments)

    @property
    def argument_names(self) -> tuple[str, ...]:
        return tuple(self.function.parameters)

    @property
    def returns_tuple(self) -> bool:
        """True when the function returns its outputs as a tuple (several declared outputs)."""
        return len(self.outputs) > 1


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _resolve_hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        return dict(getattr(func, "__annotations__", {}))


def _annotated_name(annotation: Any) -> tuple[Any, str | None, ArtifactConfig | None]:
    """Split ``Annotated[T, "name", ...]`` into ``(T, "name", config)``.

    The name is the first string in the metadata, else the name of an ``ArtifactConfig`` there;
    other types give ``(T, None, None)``.
    """
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        names = [extra for extra in extras if isinstance(extra, str)]
        configs = [extra for extra in extras if isinstance(extra, ArtifactConfig)]
        config = configs[0] if configs else None
        name = names[0] if names else (config.name if config is not None else None)
        return base, name, config
    return annotation, None, None


def _is_tuple(annotation: Any) -> bool:
    return get_origin(annotation) is tuple


def parse_outputs(
    definition_name: str, annotation: Any, returned_lengths: Collection[int] | None = ()
) -> tuple[OutputSpec, ...]:
    """Turn a return annotation into output specs, refusing ambiguous ones.

    ``returned_lengths`` are the lengths of the tuple literals the function returns
    (:func:`_returned_tuple_lengths`; ``None`` when its source cannot be read): they decide
    whether an unnamed ``tuple[A, B]`` is several outputs or one.
    """
    if annotation is inspect.Signature.empty:
        return (OutputSpec(SINGLE_OUTPUT_NAME, Any),)
    if annotation is None or annotation is type(None):
        return ()
    if isinstance(annotation, Output):
        return tuple(OutputSpec(name, kind) for name, kind in annotation.items())
    base, name, config = _annotated_name(annotation)
    if name is not None or config is not None:
        return (OutputSpec(name or SINGLE_OUTPUT_NAME, base, config, custom=name),)
    if not _is_tuple(annotation):
        return (OutputSpec(SINGLE_OUTPUT_NAME, annotation),)
    members = get_args(annotation)
    if not members or (len(members) == 2 and members[1] is Ellipsis):
        return (OutputSpec(SINGLE_OUTPUT_NAME, annotation),)
    split = [_annotated_name(member) for member in members]
    if all(name is None for _, name, _ in split):
        if returned_lengths is None:
            shown = getattr(members[0], "__name__", repr(members[0]))
            raise StepDefinitionError(
                definition_name,
                f"output 0 ({shown}) has no name and the function's source cannot be read to "
                "tell one tuple from several outputs. Name each output: "
                f"tuple[Annotated[{shown}, 'name'], ...], or annotate one tuple as "
                "Annotated[tuple[...], 'name'].",
            )
        if not returned_lengths:  # `return pair`: the tuple is one value
            return (OutputSpec(SINGLE_OUTPUT_NAME, annotation),)
    outputs = [
        OutputSpec(f"output_{position}" if name is None else name, member_type, config, name)
        for position, (member_type, name, config) in enumerate(split)
    ]
    names = [output.name for output in outputs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StepDefinitionError(definition_name, f"output name '{duplicates[0]}' is used twice.")
    return tuple(outputs)


def _returned_tuple_lengths(func: Callable[..., Any]) -> set[int] | None:
    """Lengths of the tuple literals the function's own body returns (nested defs excluded);
    ``None`` when its source cannot be read (built in a string, a lambda, a C function)."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    lengths: set[int] = set()
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            if not any(isinstance(elt, ast.Starred) for elt in node.value.elts):
                lengths.add(len(node.value.elts))
        pending.extend(ast.iter_child_nodes(node))
    return lengths


def parse_signature(definition_name: str, func: Callable[..., Any]) -> StepSignature:
    """Read and check a step function's signature at decoration time."""
    signature = inspect.signature(func)
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise StepDefinitionError(
                definition_name,
                f"argument '{parameter.name}' is variadic (*args/**kwargs). Steps need named "
                "arguments so each input and parameter can be recorded; list them explicitly.",
            )
        if parameter.name in RESERVED_ARGUMENTS:
            raise StepDefinitionError(
                definition_name,
                f"argument name '{parameter.name}' is reserved: a step call uses "
                f"'{parameter.name}=' for itself. Rename the argument.",
            )
    hints = _resolve_hints(func)
    return_annotation = hints.get("return", signature.return_annotation)
    if "return" not in hints and signature.return_annotation is inspect.Signature.empty:
        return_annotation = inspect.Signature.empty
    lengths = _returned_tuple_lengths(func) if _is_tuple(return_annotation) else set()
    outputs = parse_outputs(definition_name, return_annotation, lengths)
    if len(outputs) > 1:
        for length in lengths or ():
            if length != len(outputs):
                raise StepDefinitionError(
                    definition_name,
                    f"returns {length} values but declares {len(outputs)} outputs "
                    f"({', '.join(o.name for o in outputs)}). Return one value per output.",
                )
    annotations = {name: hints[name] for name in signature.parameters if name in hints}
    return StepSignature(
        function=signature, outputs=outputs, annotations=annotations, returns=return_annotation
    )
