"""Driver overhead per step, whole-process cost of a cached 1,000-step chain, import time.

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/overhead.py``
(``--instructions`` instead counts the instructions of one step with valgrind's callgrind).

Every figure is a median over repeats and is printed next to a baseline measured in the
same process (the same functions called directly; joblib.Memory for a cached call, where
installed), because this machine's two shared cores make absolute numbers drift.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPEATS = 5

CHAIN_MODULE = textwrap.dedent(
    """
    from stepstone import pipeline, step

    @step
    def inc(x: int, salt: int = 0) -> int:
        return x + 1

    @pipeline
    def chain(n: int = 100, salt: int = 0):
        value = inc(0, salt=salt)
        for _ in range(n - 1):
            value = inc(value, salt=salt)
    """
)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _timed(function, repeats: int = REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return _median(samples)


def _subprocess_seconds(code: str, env: dict[str, str], cwd: str, repeats: int = REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=cwd, check=True, capture_output=True
        )
        samples.append(time.perf_counter() - start)
    return _median(samples)


def per_step_overheads(workdir: Path) -> None:
    sys.path.insert(0, str(workdir))
    from chain_steps import chain, inc  # type: ignore[import-not-found]

    from stepstone.orchestrators.driver import run_pipeline

    def direct(n: int) -> None:
        value = 0
        for _ in range(n):
            value = inc.func(value)

    salt = iter(range(1_000_000))
    print("chain  | executed no-op / step | cached / step | direct call / step")
    for n in (100, 1000):
        run_pipeline(chain, (n, 0), {}, listeners=[])  # warm: fingerprints, schema, store
        executed = _timed(lambda n=n: run_pipeline(chain, (n, next(salt)), {}, listeners=[]), 3)
        run_pipeline(chain, (n, -1), {}, listeners=[])
        cached = _timed(lambda n=n: run_pipeline(chain, (n, -1), {}, listeners=[]))
        baseline = _timed(lambda n=n: direct(n))
        print(
            f"{n:>6} | {executed / n * 1e3:>14.3f} ms | {cached / n * 1e3:>10.3f} ms"
            f" | {baseline / n * 1e6:>10.3f} µs"
        )
    try:
        import joblib
    except ImportError:
        return
    memory = joblib.Memory(str(workdir / "joblib"), verbose=0)
    cached_inc = memory.cache(inc.func)
    cached_inc(1)
    joblib_hit = _timed(lambda: [cached_inc(1) for _ in range(100)]) / 100
    print(f"peer baseline: joblib.Memory cached call {joblib_hit * 1e3:.3f} ms")


def whole_process(workdir: Path) -> None:
    env = {
        **os.environ,
        "STEPSTONE_HOME": str(workdir / "home-process"),
        # The chain module, then whatever the caller put first: the tree being measured.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(workdir), os.environ.get("PYTHONPATH")])),
    }
    run_chain = (
        "from chain_steps import chain; from stepstone.orchestrators.driver import "
        "run_pipeline; run_pipeline(chain, (1000, 7), {}, listeners=[])"
    )
    subprocess.run([sys.executable, "-c", run_chain], env=env, cwd=workdir, check=True)
    cached = _subprocess_seconds(run_chain, env, str(workdir))
    imported = _subprocess_seconds("import stepstone", env, str(workdir), repeats=9)
    bare = _subprocess_seconds("pass", env, str(workdir), repeats=9)
    print(f"fully cached 1,000-step chain, whole process: {cached:.3f} s")
    print(
        f"python -c 'import stepstone': {imported * 1e3:.0f} ms "
        f"(bare interpreter {bare * 1e3:.0f} ms; import itself {(imported - bare) * 1e3:.0f} ms)"
    )


#: One process of :func:`instructions_per_step`: warm a store (imports, fingerprints, schema),
#: then run the chain being counted (argv: chain length, salt; salt 1 is the warm-up's, so
#: its steps are cached, any other salt makes every key new).
COUNTED_CHAIN = textwrap.dedent(
    """
    import sys
    from chain_steps import chain
    n, salt = int(sys.argv[1]), int(sys.argv[2])
    chain(n=150, salt=1)
    chain(n=3, salt=2)
    chain(n=n, salt=salt)
    """
)


def _instructions(workdir: Path, n: int, salt: int) -> int:
    """Instructions (callgrind's ``Ir``) of one process running :data:`COUNTED_CHAIN`."""
    home = tempfile.mkdtemp(dir=workdir, prefix="home-counted-")
    env = {
        **os.environ,
        "STEPSTONE_HOME": home,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(workdir), os.environ.get("PYTHONPATH")])),
    }
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    done = subprocess.run(
        [*command, "-c", COUNTED_CHAIN, str(n), str(salt)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def instructions_per_step(workdir: Path, short: int = 50, long: int = 150) -> None:
    """Marginal instructions of an executed and of a cached no-op step (as a user calls it).

    Wall time on two shared cores drifts with whatever else runs; an instruction count does
    not, so two trees can be compared on a busy machine. The count of a ``short`` chain is
    subtracted from a ``long`` one's, which leaves out interpreter start, imports and the
    per-run costs, and divides by the steps between them.
    """
    print(f"instructions per step (chain of {long} minus chain of {short}, callgrind)")
    for mode, salt in (("executed no-op step", 3), ("cached step", 1)):
        difference = _instructions(workdir, long, salt) - _instructions(workdir, short, salt)
        print(f"{mode:<20} {difference / (long - short) / 1e6:.3f} M")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per step (valgrind)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        (workdir / "chain_steps.py").write_text(CHAIN_MODULE)
        os.environ["STEPSTONE_HOME"] = str(workdir / "home")
        if args.instructions:
            instructions_per_step(workdir)
            return
        per_step_overheads(workdir)
        whole_process(workdir)


if __name__ == "__main__":
    main()
