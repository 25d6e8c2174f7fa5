"""Dashboard pages at scale: medians in milliseconds, through the whole app (routing, reads, HTML).

    python benchmarks/dashboard.py                    # 10,000 runs, and a run of 500 steps
    python benchmarks/dashboard.py --runs 2000 --steps 100 --repeat 5

Two SQLite stores are filled straight through the metadata store (``create_run`` and batched
``record_step_runs``, as the driver writes), so building them takes seconds, not a pipeline
execution per run:

* **many runs**: ``--runs`` runs of a 4-step pipeline over 3 pipeline names, a fifth failed;
* **a big run**: a layered DAG of ``--steps`` steps (each reads one to three outputs of the
  steps a few layers up) run twice: the second run reuses the first half from the cache and
  executes the rest, so its page resolves cached sources and draws both kinds of node.

Requests go through FastAPI's TestClient, so each figure includes routing, the store reads,
view data, layout and Jinja rendering. The budget (issue 5): each page under one second.
Nothing here asserts: benchmarks print, tests assert behaviour.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from stepstone import Client
from stepstone.cache.manifest import Decision, KeyManifest
from stepstone.dashboard import create_app
from stepstone.dashboard.export import export_run_html
from stepstone.metadata import (
    ArtifactRecord,
    MetadataStore,
    PipelineRunRecord,
    StepRunRecord,
    StepRunWrite,
)

BATCH = 2_000
"""Step-run writes per ``record_step_runs`` call."""

RUN_RECORDS_GRAPH = any(f.name == "graph" for f in dataclasses.fields(PipelineRunRecord))


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def artifact(producer: str, label: str, at: datetime) -> ArtifactRecord:
    return ArtifactRecord(
        id=uuid.uuid4().hex,
        content_hash=digest(label),
        uri=f"/bench/{label}",
        data_type="numpy.ndarray",
        materializer="numpy.npy",
        materializer_version="1",
        size=4096,
        producer_step_run_id=producer,
        created_at=at,
        summary={"shape": [32, 32], "dtype": "float32"},
    )


def step_run(
    run: PipelineRunRecord,
    name: str,
    position: int,
    at: datetime,
    *,
    inputs: dict[str, ArtifactRecord],
    input_steps: dict[str, str],
    outputs: dict[str, ArtifactRecord],
    step_id: str | None = None,
    cached_from: str | None = None,
) -> StepRunRecord:
    duration = 0.0 if cached_from else 0.5 + (position % 7) / 10
    return StepRunRecord(
        id=step_id or uuid.uuid4().hex,
        run_id=run.id,
        name=name,
        definition_name=name.rstrip("0123456789_") or name,
        status="cached" if cached_from else "completed",
        position=position,
        started_at=at,
        ended_at=at + timedelta(seconds=duration),
        duration=duration,
        cache_key=digest(run.pipeline_name, name, position),
        manifest=KeyManifest(
            components={
                "code": {
                    "digest": digest("code", name),
                    "objects": {
                        f"project.steps.{name}": digest("obj", name),
                        "library:numpy": "2.1",
                    },
                    "files": {f"project.steps.{name}": "/project/steps.py"},
                },
                "parameters": {"alpha": digest(0.1)},
                "inputs": {arg: a.content_hash for arg, a in inputs.items()},
            },
            input_steps=input_steps,
            decision=Decision.HIT if cached_from else Decision.MISS,
            cache_enabled=True,
        ),
        parameters={"alpha": 0.1},
        cached_from=cached_from,
        inputs=inputs,
        outputs=outputs,
    )


def new_run(
    store: MetadataStore, pipeline: str, at: datetime, status: str, graph: dict[str, Any]
) -> PipelineRunRecord:
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "name": f"{pipeline}-{at:%Y_%m_%d-%H_%M_%S_%f}",
        "pipeline_name": pipeline,
        "status": status,
        "started_at": at,
        "ended_at": at + timedelta(seconds=12),
        "parameters": {"epochs": 3, "lr": 0.001},
    }
    if RUN_RECORDS_GRAPH:
        fields["graph"] = graph
    run = PipelineRunRecord(**fields)
    store.create_run(run)
    return run


def fill_many_runs(store: MetadataStore, count: int) -> None:
    """``count`` runs of importer -> normalizer -> trainer -> evaluator."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    pending: list[StepRunWrite] = []
    for r in range(count):
        at = start + timedelta(minutes=r)
        run = new_run(store, f"pipeline_{r % 3}", at, "failed" if r % 5 == 0 else "completed", {})
        previous: dict[str, ArtifactRecord] = {}
        previous_name = ""
        for position, name in enumerate(("importer", "normalizer", "trainer", "evaluator")):
            step_id = uuid.uuid4().hex
            outputs = {"output": artifact(step_id, f"{r}-{name}", at)}
            record = step_run(
                run,
                name,
                position,
                at + timedelta(seconds=position),
                inputs=previous,
                input_steps=dict.fromkeys(previous, previous_name),
                outputs=outputs,
                step_id=step_id,
            )
            pending.append(StepRunWrite(record, tuple(outputs.values()), logs="ok\n"))
            previous = {"data": outputs["output"]}
            previous_name = name
        if len(pending) >= BATCH:
            store.record_step_runs(pending)
            pending = []
    store.record_step_runs(pending)


def big_dag(steps: int, seed: int = 5) -> tuple[list[str], dict[str, list[str]]]:
    """Step names in a topological order, and each step's upstream steps (a layered DAG)."""
    rng = random.Random(seed)
    width = 10
    names = [f"step_{i:03d}" for i in range(steps)]
    upstream: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        layer = i // width
        if layer == 0:
            upstream[name] = []
            continue
        candidates = names[max(0, (layer - 3) * width) : layer * width]
        upstream[name] = sorted(set(rng.sample(candidates, k=min(len(candidates), 3))))
    return names, upstream


def fill_big_run(store: MetadataStore, steps: int) -> PipelineRunRecord:
    """Two runs of a ``steps``-step DAG; the second reuses the first half. Returns the second."""
    names, upstream = big_dag(steps)
    graph = {
        "steps": [
            {
                "name": name,
                "definition_name": name,
                "upstream": upstream[name],
                "inputs": {f"in_{p}": [p, "output"] for p in upstream[name]},
                "outputs": ["output"],
            }
            for name in names
        ]
    }
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first: dict[str, StepRunRecord] = {}
    for number in (1, 2):
        at = start + timedelta(hours=number)
        run = new_run(store, "big_pipeline", at, "completed", graph)
        produced: dict[str, ArtifactRecord] = {}
        writes = []
        for position, name in enumerate(names):
            inputs = {f"in_{p}": produced[p] for p in upstream[name]}
            input_steps = {f"in_{p}": p for p in upstream[name]}
            moment = at + timedelta(milliseconds=20 * position)
            if number == 2 and position < steps // 2:
                source = first[name]
                record = step_run(
                    run,
                    name,
                    position,
                    moment,
                    inputs=inputs,
                    input_steps=input_steps,
                    outputs=source.outputs,
                    cached_from=source.id,
                )
                writes.append(StepRunWrite(record))
            else:
                step_id = uuid.uuid4().hex
                outputs = {"output": artifact(step_id, f"{number}-{name}", moment)}
                record = step_run(
                    run,
                    name,
                    position,
                    moment,
                    inputs=inputs,
                    input_steps=input_steps,
                    outputs=outputs,
                    step_id=step_id,
                )
                writes.append(StepRunWrite(record, tuple(outputs.values()), logs=f"{name} ok\n"))
            produced[name] = record.outputs["output"]
            if number == 1:
                first[name] = record
        for offset in range(0, len(writes), BATCH):
            store.record_step_runs(writes[offset : offset + BATCH])
    return run


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: template compilation, statement caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def page(api: TestClient, path: str) -> Callable[[], None]:
    def fetch() -> None:
        response = api.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    return fetch


def first_view(client: Client, path: str) -> Callable[[], None]:
    """A page from an app that has remembered nothing yet (no cached step's source resolved)."""
    app = create_app(client)
    api = TestClient(app)

    def fetch() -> None:
        app.state.data.forget()
        page(api, path)()

    return fetch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        many_home, big_home = Path(folder, "many"), Path(folder, "big")
        many, big = Client(many_home), Client(big_home)
        start = time.perf_counter()
        fill_many_runs(many.stores.metadata, options.runs)
        filled_many = time.perf_counter() - start
        start = time.perf_counter()
        run = fill_big_run(big.stores.metadata, options.steps)
        filled_big = time.perf_counter() - start
        print(f"built {options.runs:,} runs in {filled_many:.1f} s; ", end="")
        print(f"two runs of {options.steps} steps in {filled_big:.1f} s")
        print(f"(runs record their graph: {RUN_RECORDS_GRAPH})\n")

        many_api = TestClient(create_app(many))
        big_api = TestClient(create_app(big))
        middle = options.runs // 50 // 2 or 1
        artifact_id = many.list_runs(limit=1)[0].steps["trainer"].output.id
        cached_step = "step_000"
        figures = {
            f"runs list, page 1 of {options.runs:,} runs (HTML)": page(many_api, "/"),
            f"runs list, page {middle} (HTML)": page(many_api, f"/?page={middle}"),
            "runs list, filtered by pipeline and status (HTML)": page(
                many_api, "/?pipeline=pipeline_1&status=failed"
            ),
            "runs list, 200 per page (HTML)": page(many_api, "/?per_page=200"),
            "runs list (JSON API)": page(many_api, "/api/v1/runs"),
            "artifact page with lineage (HTML)": page(many_api, f"/artifacts/{artifact_id}"),
            f"run page, {options.steps} steps (HTML: DAG, timeline, table)": page(
                big_api, f"/runs/{run.id}"
            ),
            f"run page, {options.steps} steps, first view of a fresh app": first_view(
                big, f"/runs/{run.id}"
            ),
            f"run detail, {options.steps} steps (JSON API)": page(
                big_api, f"/api/v1/runs/{run.id}"
            ),
            f"run progress poll, {options.steps} steps (JSON API)": page(
                big_api, f"/api/v1/runs/{run.id}/progress"
            ),
            "step page, cached step with explanation (HTML)": page(
                big_api, f"/runs/{run.id}/steps/{cached_step}"
            ),
        }
        width = max(map(len, figures)) + 2
        print(f"{'median of ' + str(options.repeat):<{width}} ms")
        for label, fetch in figures.items():
            print(f"{label:<{width}} {median_ms(fetch, options.repeat):8.1f}")
        start = time.perf_counter()
        html = export_run_html(big, run.id)
        print(
            f"{'lineage export, ' + str(options.steps) + ' steps (once)':<{width}} "
            f"{(time.perf_counter() - start) * 1000:8.1f}   ({len(html) / 1e6:.1f} MB)"
        )
        many.stores.close()
        big.stores.close()


if __name__ == "__main__":
    main()
