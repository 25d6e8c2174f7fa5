"""The names of executors, parsed once for every place a user writes one.

The config layer validates the ``executor`` setting with :func:`parse_executor`, so this
module sits below it and imports nothing but the errors;
:mod:`stepstone.orchestrators.executors.choice` turns a parsed choice into an executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stepstone.exceptions import ExecutorError, did_you_mean

Kind = Literal["local", "threads", "processes", "dask"]
_KINDS: tuple[Kind, ...] = ("local", "threads", "processes", "dask")
_SCHEMES = ("dask://", "tcp://", "tls://")


@dataclass(frozen=True, slots=True)
class ExecutorChoice:
    """A parsed executor value.

    Attributes:
        kind: ``local``, ``threads``, ``processes`` or ``dask``.
        workers: the pool or cluster size asked for (``None``: one per CPU).
        address: a Dask scheduler address (``tcp://host:port``); ``None`` starts a cluster.
    """

    kind: Kind
    workers: int | None = None
    address: str | None = None

    def __str__(self) -> str:
        if self.address is not None:
            return self.address
        return self.kind if self.workers is None else f"{self.kind}:{self.workers}"


def parse_executor(text: str) -> ExecutorChoice:
    """Parse ``local``, ``threads:4``, ``dask``, ``tcp://host:8786`` and the like.

    Raises:
        ExecutorError: an unknown name (with "did you mean"), or a bad worker count.
    """
    value = text.strip()
    lowered = value.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            rest = value[len(scheme) :]
            if not rest or ":" not in rest:
                raise ExecutorError(
                    f"Executor {text!r} needs a scheduler address with a port, "
                    "e.g. tcp://10.0.0.5:8786 (or dask://10.0.0.5:8786)."
                )
            address = "tcp://" + rest if scheme == "dask://" else scheme + rest
            return ExecutorChoice("dask", address=address)
    name, _, count = lowered.partition(":")
    if name not in _KINDS:
        raise ExecutorError(
            f"Unknown executor {text!r}.{did_you_mean(name, _KINDS)} Use one of: local, "
            "threads[:N], processes[:N], dask[:N], or a scheduler address tcp://HOST:PORT."
        )
    if not count:
        return ExecutorChoice(name)
    if name == "local":
        raise ExecutorError(f"Executor {text!r}: 'local' takes no worker count.")
    if not count.isdigit() or int(count) < 1:
        raise ExecutorError(
            f"Executor {text!r}: the worker count must be a whole number >= 1, e.g. {name}:4."
        )
    return ExecutorChoice(name, int(count))
