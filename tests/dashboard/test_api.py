"""The JSON API over recorded runs: the same data the pages draw."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import DemoRuns


def test_runs_list_newest_first_with_counts(api: TestClient, runs: DemoRuns) -> None:
    body = api.get("/api/v1/runs").json()
    assert body["total"] == 5
    assert body["page"] == 1 and body["pages"] == 1
    demo = [run for run in body["runs"] if run["pipeline_name"] == "demo_pipeline"]
    assert [run["id"] for run in demo] == [runs.third.id, runs.second.id, runs.first.id]
    by_id = {run["id"]: run for run in demo}
    assert (by_id[runs.first.id]["ran_count"], by_id[runs.first.id]["cached_count"]) == (4, 0)
    assert (by_id[runs.second.id]["ran_count"], by_id[runs.second.id]["cached_count"]) == (2, 2)
    assert (by_id[runs.third.id]["ran_count"], by_id[runs.third.id]["cached_count"]) == (0, 4)
    assert by_id[runs.first.id]["duration"] > 0
    assert by_id[runs.first.id]["href"] == f"/runs/{runs.first.id}"


def test_runs_list_filters_and_pages(api: TestClient, runs: DemoRuns) -> None:
    only_demo = api.get("/api/v1/runs", params={"pipeline": "demo_pipeline"}).json()
    assert only_demo["total"] == 3
    failed = api.get("/api/v1/runs", params={"status": "failed"}).json()
    assert [run["id"] for run in failed["runs"]] == [runs.failed_run_id]
    page = api.get("/api/v1/runs", params={"per_page": 2, "page": 2}).json()
    assert (page["total"], page["pages"], len(page["runs"])) == (5, 3, 2)
    everything = api.get("/api/v1/runs").json()["runs"]
    assert [run["id"] for run in page["runs"]] == [run["id"] for run in everything[2:4]]
    assert api.get("/api/v1/runs", params={"status": "bogus"}).status_code == 422
    assert api.get("/api/v1/runs", params={"per_page": 0}).status_code == 422


def test_run_detail_marks_cached_steps_and_their_source(api: TestClient, runs: DemoRuns) -> None:
    body = api.get(f"/api/v1/runs/{runs.second.id}").json()
    steps = {step["name"]: step for step in body["steps"]}
    assert list(steps) == ["importer", "normalizer", "trainer", "evaluator"]
    assert {name: step["status"] for name, step in steps.items()} == {
        "importer": "cached",
        "normalizer": "cached",
        "trainer": "completed",
        "evaluator": "completed",
    }
    for name in ("importer", "normalizer"):
        source = steps[name]["cached_from"]
        assert source["run_id"] == runs.first.id
        assert source["run_name"] == runs.first.name
        assert source["step_run_id"] == runs.first.steps[name].id
    expected_saved = sum(runs.first.steps[n].duration for n in ("importer", "normalizer"))
    assert body["time_saved"] == pytest.approx(expected_saved)
    nodes = {node["key"]: node for node in body["graph"]["nodes"]}
    assert nodes["importer"]["status"] == "cached"
    assert nodes["importer"]["source_href"] == f"/runs/{runs.first.id}"
    assert nodes["trainer"]["source_href"] is None
    assert body["live"] is False


def test_run_graph_edges_carry_artifact_names(api: TestClient, runs: DemoRuns) -> None:
    graph = api.get(f"/api/v1/runs/{runs.first.id}").json()["graph"]
    edges = {(e["source"], e["target"]): set(e["label"].split(", ")) for e in graph["edges"]}
    assert edges == {
        ("importer", "normalizer"): {"X_train", "X_test"},
        ("importer", "trainer"): {"y_train"},
        ("normalizer", "trainer"): {"X_train_normed"},
        ("importer", "evaluator"): {"y_test"},
        ("trainer", "evaluator"): {"model"},
        ("normalizer", "evaluator"): {"X_test_normed"},
    }
    x = {node["key"]: node["x"] for node in graph["nodes"]}
    assert x["importer"] < x["normalizer"] < x["trainer"] < x["evaluator"]
    assert all(edge["path"].startswith("M") for edge in graph["edges"])


def test_run_by_name_and_missing_run(api: TestClient, runs: DemoRuns) -> None:
    assert api.get(f"/api/v1/runs/{runs.first.name}").json()["run"]["id"] == runs.first.id
    missing = api.get("/api/v1/runs/no-such-run")
    assert missing.status_code == 404
    assert "no-such-run" in missing.json()["detail"]


def test_timeline_has_every_step(api: TestClient, runs: DemoRuns) -> None:
    timeline = api.get(f"/api/v1/runs/{runs.first.id}").json()["timeline"]
    assert [bar["name"] for bar in timeline["bars"]] == [
        "importer",
        "normalizer",
        "trainer",
        "evaluator",
    ]
    assert timeline["total"] >= max(bar["offset"] + bar["duration"] for bar in timeline["bars"])


def test_step_detail_explains_and_shows_logs_and_code(api: TestClient, runs: DemoRuns) -> None:
    trainer = api.get(f"/api/v1/runs/{runs.second.id}/steps/trainer").json()
    assert trainer["decision"] == "miss"
    messages = [reason["message"] for reason in trainer["explanation"]["reasons"]]
    assert "parameter lr: 0.001 → 0.003" in messages
    assert trainer["explanation"]["against_run"] == runs.first.name
    assert "training with lr=0.003" in trainer["logs"]
    assert trainer["step"]["parameters"] == {"lr": 0.003}
    names = {obj["name"] for obj in trainer["code_objects"]}
    assert any(name.endswith("pipelines.trainer") for name in names)
    assert [i["name"] for i in trainer["step"]["inputs"]] == ["X_train", "y_train"]

    importer = api.get(f"/api/v1/runs/{runs.second.id}/steps/importer").json()
    assert importer["step"]["status"] == "cached"
    assert importer["explanation"]["reasons"][0]["kind"] == "cached"
    assert "imported 6 rows" in importer["logs"]  # the logs of the execution it reused
    assert importer["logs_from"]["run_id"] == runs.first.id


def test_step_run_by_id_and_unknown_step(api: TestClient, runs: DemoRuns) -> None:
    step_run_id = runs.first.steps["normalizer"].id
    body = api.get(f"/api/v1/step-runs/{step_run_id}").json()
    assert (body["run"]["id"], body["step"]["name"]) == (runs.first.id, "normalizer")
    unknown = api.get(f"/api/v1/runs/{runs.first.id}/steps/normaliser")
    assert unknown.status_code == 404
    assert "normalizer" in unknown.json()["detail"]  # did you mean


def test_artifact_detail_producer_consumers_and_lineage(api: TestClient, runs: DemoRuns) -> None:
    artifact = runs.first.steps["normalizer"].outputs["X_train_normed"]
    body = api.get(f"/api/v1/artifacts/{artifact.id}").json()
    assert body["content_hash"] == artifact.content_hash
    assert body["producer"]["invocation_name"] == "normalizer"
    assert body["producer"]["run_id"] == runs.first.id
    consumers = {(c["invocation_name"], c["run_id"], c["step_status"]) for c in body["consumers"]}
    assert ("trainer", runs.first.id, "completed") in consumers
    assert ("trainer", runs.second.id, "completed") in consumers
    assert ("trainer", runs.third.id, "cached") in consumers
    reused = {(r["invocation_name"], r["run_id"]) for r in body["reused_by"]}
    assert reused == {("normalizer", runs.second.id), ("normalizer", runs.third.id)}
    by_prefix = api.get(f"/api/v1/artifacts/{artifact.content_hash[:12]}")
    assert by_prefix.status_code in (200, 404)  # content shared with nothing else -> unique


def test_model_lineage_leads_back_to_importer(api: TestClient, runs: DemoRuns) -> None:
    model = runs.first.steps["trainer"].output
    graph = api.get(f"/api/v1/artifacts/{model.id}").json()["lineage"]
    labels = {node["key"]: node["label"] for node in graph["nodes"]}
    parents: dict[str, set[str]] = {}
    for edge in graph["edges"]:
        parents.setdefault(edge["target"], set()).add(edge["source"])

    def ancestors(key: str) -> set[str]:
        found: set[str] = set()
        stack = [key]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    upstream = {labels[key] for key in ancestors(f"a:{model.id}")}
    assert {"trainer", "normalizer", "importer", "X_train_normed", "X_train"} <= upstream
    focus = [node for node in graph["nodes"] if node["focus"]]
    assert [node["key"] for node in focus] == [f"a:{model.id}"]
    downstream = {labels[e["target"]] for e in graph["edges"] if e["source"] == f"a:{model.id}"}
    assert downstream == {"evaluator"}


def test_artifacts_list_for_a_run(api: TestClient, runs: DemoRuns) -> None:
    body = api.get("/api/v1/artifacts", params={"run": runs.first.id}).json()
    assert len(body["artifacts"]) == 8  # four + two + one + one outputs
    assert api.get("/api/v1/artifacts/ffffffffffff").status_code == 404


def test_compare_two_runs(api: TestClient, runs: DemoRuns) -> None:
    body = api.get("/api/v1/compare", params={"a": runs.first.id, "b": runs.second.id}).json()
    assert body["parameters"] == [{"name": "lr", "a": 0.001, "b": 0.003, "changed": True}]
    steps = {step["name"]: step for step in body["steps"]}
    assert steps["importer"]["verdict"] == steps["normalizer"]["verdict"] == "same"
    assert steps["trainer"]["verdict"] == "re-ran" and steps["trainer"]["key_changed"]
    messages = {name: [r["message"] for r in step["reasons"]] for name, step in steps.items()}
    assert "parameter lr: 0.001 → 0.003" in messages["trainer"]
    assert any("trainer" in message for message in messages["evaluator"])
    assert body["summary"]["same"] == 2


def test_openapi_lists_only_reads(api: TestClient) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "stepstone dashboard"
    paths = schema["paths"]
    assert "/api/v1/runs" in paths and "/api/v1/artifacts/{artifact_id}" in paths
    assert {method for path in paths.values() for method in path} == {"get"}
    assert "RunDetail" in schema["components"]["schemas"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_no_write_endpoints(api: TestClient, runs: DemoRuns, method: str) -> None:
    step_run = runs.first.steps["trainer"]
    paths = [
        "/",
        f"/runs/{runs.first.id}",
        f"/runs/{runs.first.id}/steps/trainer",
        f"/artifacts/{step_run.output.id}",
        "/compare",
        "/api/v1/runs",
        f"/api/v1/runs/{runs.first.id}",
        f"/api/v1/runs/{runs.first.id}/progress",
        f"/api/v1/runs/{runs.first.id}/steps/trainer",
        f"/api/v1/step-runs/{step_run.id}",
        "/api/v1/artifacts",
        f"/api/v1/artifacts/{step_run.output.id}",
        "/api/v1/compare",
        "/static/style.css",
    ]
    for path in paths:
        assert api.request(method, path).status_code == 405, path


def test_step_explanation_is_the_one_the_cli_prints(api: TestClient, runs: DemoRuns) -> None:
    for run, step in ((runs.second, "importer"), (runs.second, "trainer"), (runs.third, "trainer")):
        shown = api.get(f"/api/v1/runs/{run.id}/steps/{step}").json()["explanation"]
        explained = runs.client.explain(run.id, step)
        assert shown["text"] == str(explained)
        assert shown["decided_by"] == explained.decided_by
    reused = api.get(f"/api/v1/runs/{runs.third.id}/steps/trainer").json()["explanation"]
    assert reused["against_is_source"]
    assert [reason["kind"] for reason in reused["reasons"]] == ["cached"]
