"""The caching example's three trainers: scikit-learn, Keras 3 and PyTorch.

Each ``train_*`` function fits a small classifier on normalized images (any shape: they are
flattened) and each ``accuracy_*`` function scores one, so the steps in ``run.py`` stay
one line each. The libraries are imported inside the functions: a user who runs the
example with scikit-learn needs neither Keras nor PyTorch installed.

Every trainer is seeded, so the same data and parameters train the same model; that is
what makes a cached model interchangeable with a retrained one.

Keras needs a backend. Unless ``KERAS_BACKEND`` is set, the first one installed of
TensorFlow, PyTorch and JAX is chosen before Keras is imported (Keras itself defaults to
TensorFlow and fails to import without it).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from typing import Any

import numpy as np

__all__ = [
    "FRAMEWORKS",
    "MissingFrameworkError",
    "accuracy_keras",
    "accuracy_sklearn",
    "accuracy_torch",
    "check_framework",
    "train_keras",
    "train_sklearn",
    "train_torch",
]

SEED = 42

FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "sklearn": ("sklearn",),
    "keras": ("keras",),
    "torch": ("torch",),
}
"""Framework name -> modules it needs."""

_KERAS_BACKENDS = ("tensorflow", "torch", "jax")
_KERAS_SUGGESTED_BACKEND = "torch"
"""The backend the install command names when none is there: of the two backends that are
stepstone integrations (tensorflow, torch), the smaller download."""


class MissingFrameworkError(ImportError):
    """The chosen framework's packages are not installed; the message says how to add them."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_framework(framework: str, data: str = "digits") -> None:
    """Fail early, with the install command, when ``framework`` or ``data`` needs a package.

    Raises:
        ValueError: an unknown framework name.
        MissingFrameworkError: a needed package is not installed.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"Unknown framework {framework!r}: choose one of {', '.join(FRAMEWORKS)}.")
    needed = [m for m in FRAMEWORKS[framework] if not _installed(m)]
    if data == "digits" and not _installed("sklearn"):
        needed.append("sklearn")
    # Keras without a backend cannot even be imported: ask for both in one go, not in turn.
    backend_missing = framework == "keras" and not _keras_backend_available()
    if backend_missing:
        needed.append(_KERAS_SUGGESTED_BACKEND)
    if needed:
        integrations = list(dict.fromkeys(needed))
        what = ", ".join(integrations)
        if backend_missing:
            what = f"{what} (Keras needs a backend: tensorflow, torch or jax)"
        raise MissingFrameworkError(
            f"Running the example with --framework {framework} --data {data} needs {what}, "
            f"which {'is' if len(integrations) == 1 else 'are'} not installed. Install "
            f"{'it' if len(integrations) == 1 else 'them'} with: "
            f"stepstone integration install {' '.join(integrations)}"
        )
    if framework == "keras":
        _choose_keras_backend()


def _keras_backend_available() -> bool:
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:
        return _installed(chosen)
    return any(_installed(backend) for backend in _KERAS_BACKENDS)


def _choose_keras_backend() -> None:
    """Unless ``KERAS_BACKEND`` is set: the first installed backend (one is, see above)."""
    if os.environ.get("KERAS_BACKEND"):
        return
    for backend in _KERAS_BACKENDS:
        if _installed(backend):
            os.environ.setdefault("KERAS_BACKEND", backend)
            return


def _flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


# -- scikit-learn ---------------------------------------------------------------------------


def train_sklearn(images: np.ndarray, labels: np.ndarray, epochs: int, lr: float) -> Any:
    """A one-hidden-layer ``MLPClassifier``, ``epochs`` passes at learning rate ``lr``.

    A few epochs do not converge, and scikit-learn says so with a ConvergenceWarning; the
    example stops early on purpose, so that warning is silenced here and nowhere else.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(128,),
        max_iter=epochs,
        learning_rate_init=lr,
        batch_size=32,
        random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(_flat(images), labels)
    return model


def accuracy_sklearn(model: Any, images: np.ndarray, labels: np.ndarray) -> float:
    return float(model.score(_flat(images), labels))


# -- Keras 3 --------------------------------------------------------------------------------


def train_keras(images: np.ndarray, labels: np.ndarray, epochs: int, lr: float) -> Any:
    """The original ZenML example's model: Flatten -> Dense(10, relu) -> Dense(10) logits,
    Adam at ``lr``, sparse categorical cross-entropy from logits, ``epochs`` epochs."""
    _choose_keras_backend()
    import keras

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=images.shape[1:]),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(images, labels.astype("int64"), epochs=epochs, batch_size=32, verbose=0)
    return model


def accuracy_keras(model: Any, images: np.ndarray, labels: np.ndarray) -> float:
    logits = np.asarray(model.predict(images, batch_size=256, verbose=0))
    return float(np.mean(logits.argmax(axis=1) == labels))


# -- PyTorch --------------------------------------------------------------------------------


def _torch_module_class() -> type:
    import torch
    from torch import nn

    class _DigitNet(nn.Module):
        """Flatten -> Linear(10) -> ReLU -> Linear(10): the Keras model, in PyTorch.

        The first layer is lazy (sized by the first batch), so the same class fits 8x8
        digits and 28x28 MNIST, and ``DigitNet()`` needs no arguments: stepstone's
        ``torch.module`` materializer rebuilds a model as ``cls()`` + its state dict.
        """

        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.Sequential(
                nn.Flatten(), nn.LazyLinear(10), nn.ReLU(), nn.Linear(10, 10)
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layers(x)

    _DigitNet.__name__ = _DigitNet.__qualname__ = "DigitNet"
    _DigitNet.__module__ = __name__
    return _DigitNet


def __getattr__(name: str) -> Any:
    # ``DigitNet`` is built on first access, so importing this module does not import torch.
    if name == "DigitNet":
        cls = _torch_module_class()
        globals()["DigitNet"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def train_torch(images: np.ndarray, labels: np.ndarray, epochs: int, lr: float) -> Any:
    """``DigitNet`` trained with Adam at ``lr`` for ``epochs`` epochs of shuffled batches of 32."""
    import torch

    torch.manual_seed(SEED)
    model = __getattr__("DigitNet")()
    inputs = torch.as_tensor(np.asarray(images, dtype=np.float32))
    targets = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    model(inputs[:1])  # sizes the lazy layer before the optimizer sees the parameters
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_function = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), 32):
            batch = order[start : start + 32]
            optimizer.zero_grad()
            loss = loss_function(model(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    return model


def accuracy_torch(model: Any, images: np.ndarray, labels: np.ndarray) -> float:
    import torch

    with torch.no_grad():
        logits = model(torch.as_tensor(np.asarray(images, dtype=np.float32)))
    return float((logits.argmax(dim=1).numpy() == labels).mean())
