"""Pipelines for the dashboard tests: JSON-stored values only, so a run takes milliseconds.

``demo_pipeline`` has the caching example's shape (importer -> normalizer -> trainer ->
evaluator, with importer's labels skipping ahead); ``evil_pipeline`` puts markup everywhere a
user can: the pipeline name, parameters, logs and an error.
"""

from __future__ import annotations

import logging
from typing import Annotated

from stepstone import pipeline, step

XSS = "<script>window.__pwned = true</script>"


@step
def importer() -> tuple[
    Annotated[list[float], "X_train"],
    Annotated[list[int], "y_train"],
    Annotated[list[float], "X_test"],
    Annotated[list[int], "y_test"],
]:
    print("imported 6 rows")
    return [1.0, 2.0, 4.0, 8.0], [0, 1, 0, 1], [3.0, 6.0], [0, 1]


@step
def normalizer(
    X_train: list[float], X_test: list[float]
) -> tuple[Annotated[list[float], "X_train_normed"], Annotated[list[float], "X_test_normed"]]:
    scale = max(X_train)
    return [x / scale for x in X_train], [x / scale for x in X_test]


@step
def trainer(X_train: list[float], y_train: list[int], lr: float = 0.001) -> dict:
    logging.getLogger("demo.trainer").warning("training with lr=%s", lr)
    return {"weight": sum(X_train) * lr, "classes": sorted(set(y_train))}


@step
def evaluator(model: dict, X_test: list[float], y_test: list[int]) -> float:
    return round(model["weight"] * len(X_test) + len(y_test), 6)


@pipeline
def demo_pipeline(lr: float = 0.001) -> None:
    X_train, y_train, X_test, y_test = importer()
    X_train_normed, X_test_normed = normalizer(X_train, X_test)
    model = trainer(X_train_normed, y_train, lr=lr)
    evaluator(model, X_test_normed, y_test)


@step
def shout(message: str = XSS) -> str:
    print(f"log line {XSS}")
    logging.getLogger("evil").warning("logged %s", XSS)
    return message


@step
def explode(text: str) -> str:
    raise ValueError(f"bad input {XSS}")


@pipeline(name=f"evil{XSS}")
def evil_pipeline(message: str = f"<b>bold</b>{XSS}") -> None:
    shout(message=message)


@pipeline(name="exploding")
def exploding_pipeline() -> None:
    explode(shout())
