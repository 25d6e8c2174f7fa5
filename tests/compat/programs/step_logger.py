"""A step that logs through ZenML's logger, in ZenML's style (only the import changed)."""

from stepstone import pipeline, step
from stepstone.logger import get_logger

logger = get_logger(__name__)


@step
def trainer(epochs: int = 3) -> int:
    logger.info("training for %d epochs", epochs)
    return epochs * 2


@pipeline
def training(epochs: int = 3) -> None:
    trainer(epochs=epochs)


if __name__ == "__main__":
    run = training()
    step_run = run.steps["trainer"]
    print("status:", step_run.status)
    print("logs:", (step_run.logs or "").strip())
