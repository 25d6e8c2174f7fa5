"""Where the caching example's images come from: ``digits``, ``mnist`` or a folder of IDX files.

* ``digits`` (the default): the 1,797 8x8 digits bundled with scikit-learn, split 75/25 with
  a fixed seed. Nothing to download.
* ``mnist``: the four standard MNIST files (60,000 training and 10,000 test images, 28x28),
  downloaded once from the first mirror that answers into the user cache directory
  (on Linux ``~/.cache/stepstone/mnist``), each checked against its SHA-256 sum. Later runs
  read the verified files from there, offline.
* a folder: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
  ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally ``.gz``.
  A folder with only the ``t10k`` pair is split 75/25 with a fixed seed.

Why a folder is declared as a cache dependency (see ``run.py``): its path alone says nothing
about its content, so the importer's key also hashes every file in it; editing the data
makes the importer run again. The ``mnist`` files need no such thing: their checksums are
fixed here, so the name ``mnist`` always means the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

if __package__:
    from .idx import read_idx
else:  # a pulled copy, run as ``python run.py`` from its folder
    from idx import read_idx  # type: ignore[no-redef]

__all__ = [
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "DataSourceError",
    "download_mnist",
    "load_idx_folder",
    "load_source",
    "mnist_cache_dir",
    "resolve_source",
]

SPLIT_SEED = 42
"""Seed of every split made here, so a rerun produces byte-identical arrays."""

MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
"""Tried in this order; the first to deliver a file with the right checksum wins."""

MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""File name -> SHA-256 of the compressed file, as the mirrors serve it."""

_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_TEST_STEMS = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class DataSourceError(ValueError):
    """A data source cannot be used: unknown name, missing files, or a failed download."""


def mnist_cache_dir() -> Path:
    """Where downloaded MNIST files are kept: ``<user cache dir>/stepstone/mnist``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("stepstone", appauthor=False)) / "mnist"


def resolve_source(data: str | os.PathLike[str]) -> str:
    """``"digits"``, ``"mnist"``, or the absolute path of an existing folder of IDX files.

    Raises:
        DataSourceError: neither a known name nor an existing folder.
    """
    text = os.fspath(data)
    if text in ("digits", "mnist"):
        return text
    folder = Path(text).expanduser()
    if folder.is_dir():
        return str(folder.resolve())
    raise DataSourceError(
        f"Unknown data source {text!r}: use 'digits' (bundled with scikit-learn), 'mnist' "
        "(downloaded once) or the path of a folder holding MNIST-style IDX files "
        "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...)."
    )


def load_source(source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, y_train, X_test, y_test`` of a source resolved by :func:`resolve_source`."""
    if source == "digits":
        return _load_digits()
    if source == "mnist":
        return load_idx_folder(download_mnist())
    return load_idx_folder(Path(source))


def _load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images, labels = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.25, random_state=SPLIT_SEED, stratify=labels
    )
    return X_train, y_train, X_test, y_test


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx_folder(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the MNIST-style IDX files of ``folder`` (see the module docstring for names).

    Raises:
        DataSourceError: neither the train nor the t10k pair is there, or the images and
            labels of a pair have different counts.
    """
    train = [_find(folder, stem) for stem in _STEMS]
    test = [_find(folder, stem) for stem in _TEST_STEMS]
    if None in test:
        missing = [s for s, p in zip(_TEST_STEMS, test, strict=True) if p is None]
        raise DataSourceError(
            f"{folder} has no {' and no '.join(missing)} (plain or .gz). A data folder needs "
            "at least the t10k images and labels; with the train pair too, both are used."
        )
    X_test, y_test = _read_pair(test[0], test[1])  # type: ignore[arg-type]
    if None in train:
        return _split(X_test, y_test)
    X_train, y_train = _read_pair(train[0], train[1])  # type: ignore[arg-type]
    return X_train, y_train, X_test, y_test


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if len(images) != len(labels):
        raise DataSourceError(
            f"{images_path.name} holds {len(images):,} images but {labels_path.name} holds "
            f"{len(labels):,} labels; they must be the same count."
        )
    return images, labels


def _split(
    images: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded 75/25 split (numpy only, so Keras and PyTorch users need no scikit-learn)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(images))
    cut = round(len(images) * 0.75)
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download_mnist(
    folder: Path | None = None,
    mirrors: tuple[str, ...] = MNIST_MIRRORS,
    timeout: float = 30.0,
) -> Path:
    """The folder holding the four verified MNIST files, downloading those not there yet.

    A file already in ``folder`` with the right checksum is not fetched again; one with a
    wrong checksum is fetched again. Each download goes to a temporary name and is renamed
    only once its checksum matched, so an interrupted download never passes for a good one.

    Raises:
        DataSourceError: a file could not be fetched from any mirror (offline, say); the
            message lists every URL tried and how to use local files instead.
    """
    folder = folder or mnist_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, checksum in MNIST_FILES.items():
        target = folder / name
        if target.is_file() and _sha256(target) == checksum:
            continue
        _fetch(name, checksum, target, mirrors, timeout)
    return folder


def _fetch(
    name: str, checksum: str, target: Path, mirrors: tuple[str, ...], timeout: float
) -> None:
    failures: list[str] = []
    partial = target.with_name(target.name + ".part")
    for mirror in mirrors:
        url = mirror + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https mirrors
                partial.write_bytes(response.read())
        except (OSError, urllib.error.URLError) as exc:
            failures.append(f"{url} ({getattr(exc, 'reason', exc)})")
            continue
        actual = _sha256(partial)
        if actual == checksum:
            partial.replace(target)
            return
        failures.append(f"{url} (checksum {actual[:12]}..., expected {checksum[:12]}...)")
    partial.unlink(missing_ok=True)
    tried = "\n  ".join(failures)
    raise DataSourceError(
        f"Could not download MNIST file {name}. Tried:\n  {tried}\n"
        f"If you are offline, copy the MNIST IDX files (train-images-idx3-ubyte.gz, "
        f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
        f"into a folder and pass it instead: --data /path/to/folder "
        f"(or put them in {target.parent} to use --data mnist)."
    )
