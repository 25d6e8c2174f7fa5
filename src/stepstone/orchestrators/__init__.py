"""Running many steps: the driver loop and the executors it hands cache misses to."""

from stepstone.orchestrators.executors import LocalExecutor

__all__ = ["LocalExecutor"]
