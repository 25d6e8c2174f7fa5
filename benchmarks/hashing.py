"""Artifact hashing and saving: medians, against same-process baselines.

    python benchmarks/hashing.py                      # artifacts in a fresh temp folder
    python benchmarks/hashing.py --dir /mnt/fast --size-mib 512 --repeat 9

Budgets (docs: DESIGN.md): artifact hashing >= 1 GB/s (BLAKE3); a tiny ``save`` <= ~300 us,
inside the 2 ms of an executed no-op step. Baselines: hashlib.sha256 and a plain memory copy
of the same buffer; ``np.save`` of the same array to a file in the same folder.
The 1 GB save/load budgets against np.save/np.load (and verified loads) are measured in
benchmarks/artifacts.py.
Nothing here asserts: benchmarks print, tests assert behaviour.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from stepstone.artifacts import ArtifactStore, hash_bytes


def timings(function: Callable[[int], object], repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call, ``repeat`` calls after ``warmup`` untimed ones."""
    for i in range(warmup):
        function(-1 - i)
    result = []
    for i in range(repeat):
        start = time.perf_counter()
        function(i)
        result.append(time.perf_counter() - start)
    return result


def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)]


def hashing(size_mib: int, repeat: int) -> None:
    data = np.random.default_rng(0).integers(0, 255, size_mib << 20, dtype=np.uint8).tobytes()
    target = bytearray(len(data))
    gigabytes = len(data) / 1e9
    rows = [
        ("hash_bytes (BLAKE3, all cores)", lambda _: hash_bytes(data)),
        ("hashlib.sha256", lambda _: hashlib.sha256(data).hexdigest()),
        ("memcpy (bytearray slice copy)", lambda _: target.__setitem__(slice(None), data)),
    ]
    print(f"\nhashing {size_mib} MiB, median of {repeat} (cpus: {os.cpu_count()})")
    results = {}
    for label, function in rows:
        seconds = median(timings(function, repeat))
        results[label] = seconds
        print(f"  {label:34s} {gigabytes / seconds:7.2f} GB/s   {seconds * 1e3:8.1f} ms")
    ratio = results["hashlib.sha256"] / results["hash_bytes (BLAKE3, all cores)"]
    print(f"  BLAKE3 is {ratio:.1f}x sha256")


def os_floor(folder: Path) -> Callable[[int], None]:
    """The syscalls any atomic small save needs: a staging dir, two files, one rename."""
    staging, final = folder / "floor-staging", folder / "floor-final"
    staging.mkdir()
    final.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL

    def save(i: int) -> None:
        directory = f"{staging}/{os.urandom(16).hex()}"
        os.mkdir(directory)
        for name in ("data.json", "manifest.json"):
            fd = os.open(f"{directory}/{name}", flags, 0o666)
            os.write(fd, b'{"step":"trainer"}')
            os.close(fd)
        os.rename(directory, f"{final}/{i}")

    return save


def interleaved(functions: list[Callable[[int], object]], repeat: int) -> list[list[float]]:
    """Seconds per call of each function, calls alternating so all see the same load."""
    result: list[list[float]] = [[] for _ in functions]
    for i in range(-20, repeat):
        for function, sink in zip(functions, result, strict=True):
            start = time.perf_counter()
            function(i)
            if i >= 0:
                sink.append(time.perf_counter() - start)
    return result


def tiny_saves(store: ArtifactStore, folder: Path, repeat: int) -> None:
    print(f"\ntiny saves, {repeat} calls each, interleaved (us)")
    rows: list[tuple[str, Callable[[int], object]]] = [
        ("save new tiny JSON value", lambda i: store.save({"step": "trainer", "i": i})),
        ("  os floor: mkdir+2 files+rename", os_floor(folder)),
        ("save stored tiny value (None)", lambda _: store.save(None)),
        ("save new numpy scalar", lambda i: store.save(np.float64(i))),
    ]
    stored = store.save({"step": "trainer", "i": 0})
    rows += [
        ("load tiny JSON value", lambda _: store.load(stored.uri, stored.materializer)),
        ("exists", lambda _: store.exists(stored.uri)),
    ]
    for (label, _), values in zip(rows, interleaved([f for _, f in rows], repeat), strict=True):
        print(f"  {label:34s} median {median(values) * 1e6:7.1f}   p90 {p90(values) * 1e6:7.1f}")


def large_saves(store: ArtifactStore, folder: Path, megabytes: int, repeat: int) -> None:
    array = np.random.default_rng(1).random(megabytes * 1_000_000 // 8)

    def ours(i: int) -> None:
        array[0] = i  # a new value each time: a real write, not an already-stored hit
        stored = store.save(array)
        store.delete(stored.uri)

    def numpy_save(i: int) -> None:
        path = folder / f"plain-{i}.npy"
        np.save(path, array, allow_pickle=False)
        path.unlink()

    print(f"\n{megabytes} MB float64 array, median of {repeat} (ms; files deleted after each)")
    # Interleaved, so both see the same disk and page-cache conditions.
    ours_times, numpy_times = [], []
    for i in range(repeat + 1):
        for function, sink in ((ours, ours_times), (numpy_save, numpy_times)):
            start = time.perf_counter()
            function(i)
            if i:  # first round is warm-up
                sink.append(time.perf_counter() - start)
    ours_median, numpy_median = median(ours_times), median(numpy_times)
    print(f"  {'ArtifactStore.save (numpy.npy)':34s} {ours_median * 1e3:8.1f}")
    print(f"  {'np.save to a file':34s} {numpy_median * 1e3:8.1f}")
    print(
        f"  ratio {ours_median / numpy_median:.2f}x "
        f"(hashing alone: {median(timings(lambda _: hash_bytes(array), repeat)) * 1e3:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="folder for the artifact store (default: a temp folder)")
    parser.add_argument("--size-mib", type=int, default=256, help="buffer hashed (MiB)")
    parser.add_argument("--array-mb", type=int, default=100, help="array saved (MB)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of the large cases")
    parser.add_argument("--tiny-repeat", type=int, default=2000, help="runs of the tiny cases")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="stepstone-bench-") as folder:
        store = ArtifactStore(Path(folder) / "artifacts")
        hashing(args.size_mib, args.repeat)
        tiny_saves(store, Path(folder), args.tiny_repeat)
        large_saves(store, Path(folder), args.array_mb, args.repeat)


if __name__ == "__main__":
    main()
