"""A step that reads its context, in ZenML's documented style (only the import changed)."""

from stepstone import get_pipeline_context, get_step_context, pipeline, step


@step
def trainer(learning_rate: float = 0.1) -> float:
    context = get_step_context()
    print("step:", context.step_name)
    print("parameters:", context.step_run.config.parameters)
    print("pipeline:", context.pipeline.name, context.pipeline_run.name.startswith("training"))
    print("model:", context.model)
    context.add_output_metadata({"learning_rate": learning_rate})
    context.add_output_tags(["candidate"])
    return learning_rate * 10


@pipeline
def training(learning_rate: float = 0.1) -> None:
    print("building:", get_pipeline_context().name)
    trainer(learning_rate=learning_rate)


if __name__ == "__main__":
    run = training()
    step_run = run.steps["trainer"]
    print("status:", step_run.status)
    print("output metadata:", step_run.output.run_metadata, step_run.output.tags)
