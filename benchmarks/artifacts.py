"""Artifact throughput: saving and loading a large array against plain ``np.save``/``np.load``.

    python benchmarks/artifacts.py                    # 1 GB array, 5 rounds, temp folder
    python benchmarks/artifacts.py --dir /mnt/data --array-mb 1000 --repeat 9

Budgets (issue 4): hashing >= 1 GB/s; saving and loading a 1 GB NumPy array within 1.5x
of ``np.save``/``np.load`` of the same array to a file in the same folder. Every round
runs each case once, interleaved, so all see the same disk, page cache and machine load;
medians are printed with the ratio to the baseline of the same round. BLAS threads are
pinned to one (``OMP_NUM_THREADS=1``), so only stepstone's own threads compete.

Load cases:
  * ``verified, cold``: what a fresh process (or another worker) pays: every byte is
    hashed (BLAKE3) while the array is read;
  * ``verified, stamped``: the same process loads what it saved (the usual in-process
    run: a step's output read by the next step); unchanged files are trusted by stat;
  * ``verify=False``: the read alone.

The same array stored with cloudpickle shows what verifying *before* reading costs (every
materializer not declared ``safe_on_damaged_bytes`` pays it): a cold load hashes the whole
file through its descriptor, then unpickles it from the page cache, against
``pickle.load`` of the same bytes from a plain file.
Nothing here asserts: benchmarks print, tests assert behaviour.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stepstone.artifacts import ArtifactStore, hash_bytes
from stepstone.artifacts.hashing import hash_file
from stepstone.artifacts.integrity import stamps


def rounds(cases: dict[str, Callable[[int], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each case; one warm-up round, then ``repeat`` interleaved."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(-1, repeat):
        for name, case in cases.items():
            start = time.perf_counter()
            case(i)
            if i >= 0:
                times[name].append(time.perf_counter() - start)
    return times


def report(title: str, times: dict[str, list[float]], baseline: str, gigabytes: float) -> None:
    print(f"\n{title} (median of {len(times[baseline])}; GB/s of the array)")
    base = statistics.median(times[baseline])
    for name, values in times.items():
        seconds = statistics.median(values)
        print(
            f"  {name:32s} {seconds * 1e3:8.1f} ms  {gigabytes / seconds:6.2f} GB/s"
            f"  x{seconds / base:5.2f}   [min {min(values) * 1e3:.0f} ms]"
        )


def hashing(array: np.ndarray, folder: Path, repeat: int) -> None:
    path = folder / "hash-me.bin"
    array.tofile(path)
    gigabytes = array.nbytes / 1e9
    times = rounds(
        {
            "hash_bytes (memory)": lambda _: hash_bytes(array),
            "hash_file (page cache, mmap)": lambda _: hash_file(str(path)),
        },
        repeat,
    )
    report("hashing", times, "hash_bytes (memory)", gigabytes)
    path.unlink()


def saving(array: np.ndarray, store: ArtifactStore, folder: Path, repeat: int) -> None:
    def plain(i: int) -> None:
        path = folder / f"plain-{i}.npy"
        np.save(path, array, allow_pickle=False)
        path.unlink()

    def ours(i: int) -> None:
        array[0] = i  # a new value each round: a real write, not an already-stored hit
        stored = store.save(array)
        store.delete(stored.uri)

    times = rounds({"np.save": plain, "ArtifactStore.save": ours}, repeat)
    report("save (file deleted after each)", times, "np.save", array.nbytes / 1e9)


def loading(array: np.ndarray, store: ArtifactStore, folder: Path, repeat: int) -> None:
    path = folder / "plain.npy"
    np.save(path, array, allow_pickle=False)
    stored = store.save(array)
    uri, name, kind = stored.uri, stored.materializer, stored.data_type

    def cold(_: int) -> None:
        stamps.forget()  # as in a process that did not write or check it
        store.load(uri, name, kind)

    times = rounds(
        {
            "np.load": lambda _: np.load(path, allow_pickle=False),
            "load, verified, cold": cold,
            "load, verified, stamped": lambda _: store.load(uri, name, kind),
            "load, verify=False": lambda _: store.load(uri, name, kind, verify=False),
        },
        repeat,
    )
    report("load (page cache warm)", times, "np.load", array.nbytes / 1e9)
    path.unlink()


def loading_verified_first(
    array: np.ndarray, store: ArtifactStore, folder: Path, repeat: int
) -> None:
    import pickle

    from stepstone.artifacts.materializers import CloudpickleMaterializer

    path = folder / "plain.pkl"
    path.write_bytes(pickle.dumps(array, protocol=5))
    stored = store.save(array, materializer=CloudpickleMaterializer)
    uri, name, kind = stored.uri, stored.materializer, stored.data_type

    def plain(_: int) -> None:
        with path.open("rb") as file:
            pickle.load(file)

    def cold(_: int) -> None:
        stamps.forget()
        store.load(uri, name, kind)

    times = rounds(
        {
            "pickle.load": plain,
            "load pickle, verified first, cold": cold,
            "load pickle, stamped": lambda _: store.load(uri, name, kind),
            "load pickle, verify=False": lambda _: store.load(uri, name, kind, verify=False),
        },
        repeat,
    )
    report("load with cloudpickle (verify first)", times, "pickle.load", array.nbytes / 1e9)
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="folder for the files (default: a temp folder)")
    parser.add_argument("--array-mb", type=int, default=1000, help="array size (MB)")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds per case")
    args = parser.parse_args()

    array = np.random.default_rng(0).random(args.array_mb * 1_000_000 // 8)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{array.nbytes / 1e9:.2f} GB float64 array, cpus {os.cpu_count()}, load {load:.1f}")
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="stepstone-bench-") as name:
        folder = Path(name)
        store = ArtifactStore(folder / "artifacts")
        hashing(array, folder, args.repeat)
        saving(array, store, folder, args.repeat)
        loading(array, store, folder, args.repeat)
        loading_verified_first(array, store, folder, args.repeat)


if __name__ == "__main__":
    main()
