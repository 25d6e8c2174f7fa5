"""``Output(name=Type, ...)``: the class-based API's named outputs, as a return annotation.

``-> Output(X_train=np.ndarray, y_train=np.ndarray)`` declares the outputs ``X_train`` and
``y_train``, returned as a tuple in that order; it means exactly what
``-> tuple[Annotated[np.ndarray, "X_train"], Annotated[np.ndarray, "y_train"]]`` means, so
both spellings key the cache and store artifacts the same way. A single ``Output(model=T)``
is one output named ``model``, returned as the value itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Output"]


class Output:
    """Named outputs of a step, in order: ``-> Output(X_train=np.ndarray, y_train=np.ndarray)``.

    Example:
        >>> list(Output(X_train=list, y_train=int).items())
        [('X_train', <class 'list'>), ('y_train', <class 'int'>)]
    """

    __slots__ = ("_outputs",)

    def __init__(self, **outputs: Any) -> None:
        if not outputs:
            raise TypeError("Output() needs at least one name=Type; annotate -> None for none.")
        self._outputs = dict(outputs)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, type)`` of each output, in the declared order."""
        return iter(self._outputs.items())

    def __len__(self) -> int:
        return len(self._outputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Output) and other._outputs == self._outputs

    def __hash__(self) -> int:
        return hash(tuple(self._outputs))

    def __repr__(self) -> str:
        inside = ", ".join(
            f"{name}={getattr(kind, '__name__', repr(kind))}" for name, kind in self.items()
        )
        return f"Output({inside})"
