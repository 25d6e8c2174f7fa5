"""explain(): each difference or decision between two key manifests becomes one sentence."""

from __future__ import annotations

import dataclasses
from typing import Any

from stepstone.cache.explain import StepRunFacts, explain
from stepstone.cache.manifest import Decision, KeyManifest


def _facts(
    status: str = "completed",
    decision: Decision | None = Decision.MISS,
    run_name: str = "run-2",
    shown: dict[str, Any] | None = None,
    **components: Any,
) -> StepRunFacts:
    base: dict[str, Any] = {
        "code": {"digest": "c1", "objects": {"steps.train": "f1"}, "files": {}},
        "parameters": {"lr": "h1"},
        "inputs": {"X": "x1"},
        "output_spec": [["output", "builtins.dict", "builtins.json@1"]],
        "cache_version": None,
        "extras": {},
    }
    return StepRunFacts(
        id=run_name + "-step",
        run_id=run_name,
        run_name=run_name,
        name="trainer",
        status=status,
        cache_key="k",
        manifest=KeyManifest({**base, **components}, {"X": "normalizer"}, decision, True),
        parameters={"lr": 0.1} if shown is None else shown,
        producer_statuses={"X": "completed"},
        producer_names={"X": "normalizer"},
    )


def _messages(current: StepRunFacts, previous: StepRunFacts | None) -> list[str]:
    return [reason.message for reason in explain(current, previous).reasons]


def test_a_first_run_and_a_cached_run() -> None:
    assert _messages(_facts(), None) == ["no earlier run"]
    cached = explain(_facts(status="cached", decision=Decision.HIT), _facts(run_name="run-1"))
    assert [r.kind for r in cached.reasons] == ["cached"]
    assert str(cached).startswith(
        "Step 'trainer' in run run-2 was cached (compared with run run-1)"
    )


def test_each_component_that_changed_is_named() -> None:
    previous = _facts(run_name="run-1")
    current = _facts(
        shown={"lr": 0.01},
        code={"digest": "c2", "objects": {"steps.train": "f2"}, "files": {}},
        parameters={"lr": "h2"},
        inputs={"X": "x2"},
        extras={"env:SOURCE": "e2"},
        cache_version="2",
    )
    assert _messages(current, previous) == [
        "code changed: steps.train",
        "parameter lr: 0.1 → 0.01",
        "input X changed because step normalizer ran again",
        "cache_version: None → 2",
        "environment variable SOURCE changed",
    ]


def test_a_decision_explains_an_execution_by_itself() -> None:
    expected = {
        Decision.DISABLED: "cache disabled for this step",
        Decision.CACHE_OFF: "caching is off for this process (STEPSTONE_CACHE=off)",
        Decision.REFRESH: "refresh was requested for this step",
        Decision.EXPIRED: "cached result expired",
        Decision.ARTIFACTS_MISSING: "cached outputs were missing from the store",
    }
    for decision, message in expected.items():
        assert _messages(_facts(decision=decision), _facts(run_name="run-1")) == [message]


def test_an_unchanged_key_that_still_executed() -> None:
    assert _messages(_facts(), _facts(run_name="run-1")) == [
        "nothing changed, but no usable cache entry existed"
    ]
    assert _messages(_facts(), _facts(status="failed", run_name="run-1")) == [
        "the earlier run of this step failed"
    ]


def test_a_cached_step_against_the_run_it_reused_names_it_and_nothing_else() -> None:
    source = _facts(run_name="run-1", shown={"lr": 0.3})
    cached = dataclasses.replace(
        _facts(status="cached", decision=Decision.HIT, shown={"lr": 0.3}),
        cached_from=source.id,
    )
    explained = explain(cached, source)
    assert explained.against_is_source
    assert [r.kind for r in explained.reasons] == ["cached"]
    assert str(explained).startswith(
        "Step 'trainer' in run run-2 was cached (reused from run run-1):"
    )
    assert "parameter lr" not in str(explained)


def test_library_and_interpreter_details_make_one_line_after_the_users_code() -> None:
    before = {f"_frozen_importlib.f{i}": "a" for i in range(20)} | {"os.environ": "a"}
    before |= {"library:numpy": "1.26", "steps.train": "f1"}
    after = {name: "b" for name in before} | {"library:numpy": "2.0"}
    previous = _facts(run_name="run-1", code={"digest": "c1", "objects": before, "files": {}})
    current = _facts(code={"digest": "c2", "objects": after, "files": {}})
    messages = _messages(current, previous)
    assert messages[0] == "code changed: steps.train"
    assert len(messages) == 2
    assert messages[1].startswith("libraries and interpreter: numpy 1.26 → 2.0; 21 interpreter")
    assert explain(current, previous).decided_by == "code"


def test_a_new_function_is_one_line_with_its_defaults_and_the_pipeline_parameter_named() -> None:
    old = {"run.sklearn_trainer": "s", "run.sklearn_trainer<default 0>": "value:1"}
    new = {"run.torch_trainer": "t", "run.torch_trainer<default 0>": "value:1"}
    previous = dataclasses.replace(
        _facts(run_name="run-1", code={"digest": "c1", "objects": old, "files": {}}),
        run_parameters={"framework": "sklearn", "lr": 0.1},
    )
    current = dataclasses.replace(
        _facts(code={"digest": "c2", "objects": new, "files": {}}),
        run_parameters={"framework": "torch", "lr": 0.1},
    )
    assert _messages(current, previous) == [
        "code no longer used: run.sklearn_trainer",
        "code added: run.torch_trainer",
        'pipeline parameter framework: "sklearn" → "torch"',
    ]
